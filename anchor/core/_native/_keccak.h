/* keccak256 (_keccak_scalar.h), its SIMD multi-buffer variants (_keccak_lanes.h) and the
 * thread helpers. Part of _seal.c (one translation unit: included there, in order). */

#include "_keccak_scalar.h"
#include "_keccak_lanes.h"

static void scalar_jobs(const uint8_t *buf, const size_t *offs, size_t lo, size_t hi,
                        uint8_t *out) {
    uint8_t tmp[32];
    for (size_t i = lo; i < hi; i++) {
        keccak256(buf + offs[i], offs[i + 1] - offs[i], tmp);
        keccak256(tmp, 32, out + 32 * (i - lo));
    }
}

static void double_hash_range(const uint8_t *buf, const size_t *offs, size_t lo, size_t hi,
                              uint8_t *out) {
#ifdef HAVE_X86_SIMD
    /* one message (a proof's leaf): the scalar permutation, not 4 or 8 lanes with one busy */
    if (hi - lo < 2) { scalar_jobs(buf, offs, lo, hi, out); return; }
    if (simd_level == 2) { hash_jobs_avx512(buf, offs, lo, hi, out, 1); return; }
    if (simd_level == 1) { hash_jobs_avx2(buf, offs, lo, hi, out, 1); return; }
#endif
    scalar_jobs(buf, offs, lo, hi, out);
}

static void pair_range(uint8_t *nodes, size_t lo, size_t hi) {
#ifdef HAVE_X86_SIMD
    if (simd_level == 2) { hash_pairs_avx512(nodes, lo, hi); return; }
    if (simd_level == 1) { hash_pairs_avx2(nodes, lo, hi); return; }
#endif
    for (size_t i = lo; i < hi; i++)
        hash_pair(nodes + 32 * (2 * i + 1), nodes + 32 * (2 * i + 2), nodes + 32 * i);
}

/* ------------------------------------------------------------------ threads */

typedef void (*range_fn)(void *ctx, size_t lo, size_t hi);
typedef struct { range_fn fn; void *ctx; size_t lo, hi; } job_t;

static void *run_job(void *p) {
    job_t *j = (job_t *)p;
    j->fn(j->ctx, j->lo, j->hi);
    return NULL;
}

static int n_threads = 2;

/* Run fn over [lo, hi) split across n_threads (the caller's thread takes a share). */
static void parallel(range_fn fn, void *ctx, size_t lo, size_t hi, size_t min_per_thread) {
    size_t n = hi - lo;
    int t = n_threads;
    if (t < 2 || n < 2 * min_per_thread) {
        fn(ctx, lo, hi);
        return;
    }
    if (t > 8) t = 8;
    pthread_t th[8];
    job_t jobs[8];
    int started[8] = {0};
    size_t step = n / t;
    for (int i = 1; i < t; i++) {
        jobs[i].fn = fn; jobs[i].ctx = ctx;
        jobs[i].lo = lo + step * i;
        jobs[i].hi = (i == t - 1) ? hi : lo + step * (i + 1);
        started[i] = pthread_create(&th[i], NULL, run_job, &jobs[i]) == 0;
        if (!started[i]) fn(ctx, jobs[i].lo, jobs[i].hi);
    }
    fn(ctx, lo, lo + step);
    for (int i = 1; i < t; i++)
        if (started[i]) pthread_join(th[i], NULL);
}
