/* keccak256, its SIMD multi-buffer variants and the thread helpers.
 * Part of _seal.c (one translation unit: included there, in order). */

/* ------------------------------------------------------------------ keccak-f[1600] */

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

#define ROTL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

static void keccakf(uint64_t s[25]) {
    uint64_t b0, b1, b2, b3, b4, d0, d1, d2, d3, d4, t;
    for (int r = 0; r < 24; r++) {
        b0 = s[0] ^ s[5] ^ s[10] ^ s[15] ^ s[20];
        b1 = s[1] ^ s[6] ^ s[11] ^ s[16] ^ s[21];
        b2 = s[2] ^ s[7] ^ s[12] ^ s[17] ^ s[22];
        b3 = s[3] ^ s[8] ^ s[13] ^ s[18] ^ s[23];
        b4 = s[4] ^ s[9] ^ s[14] ^ s[19] ^ s[24];
        d0 = b4 ^ ROTL(b1, 1);
        d1 = b0 ^ ROTL(b2, 1);
        d2 = b1 ^ ROTL(b3, 1);
        d3 = b2 ^ ROTL(b4, 1);
        d4 = b3 ^ ROTL(b0, 1);
        for (int j = 0; j < 25; j += 5) {
            s[j] ^= d0; s[j + 1] ^= d1; s[j + 2] ^= d2; s[j + 3] ^= d3; s[j + 4] ^= d4;
        }
        /* rho and pi */
        t = s[1];
#define RP(j, rot) { uint64_t tmp = s[j]; s[j] = ROTL(t, rot); t = tmp; }
        RP(10, 1) RP(7, 3) RP(11, 6) RP(17, 10) RP(18, 15) RP(3, 21) RP(5, 28) RP(16, 36)
        RP(8, 45) RP(21, 55) RP(24, 2) RP(4, 14) RP(15, 27) RP(23, 41) RP(19, 56) RP(13, 8)
        RP(12, 25) RP(2, 43) RP(20, 62) RP(14, 18) RP(22, 39) RP(9, 61) RP(6, 20) RP(1, 44)
#undef RP
        /* chi */
        for (int j = 0; j < 25; j += 5) {
            b0 = s[j]; b1 = s[j + 1]; b2 = s[j + 2]; b3 = s[j + 3]; b4 = s[j + 4];
            s[j] = b0 ^ (~b1 & b2);
            s[j + 1] = b1 ^ (~b2 & b3);
            s[j + 2] = b2 ^ (~b3 & b4);
            s[j + 3] = b3 ^ (~b4 & b0);
            s[j + 4] = b4 ^ (~b0 & b1);
        }
        s[0] ^= RC[r];
    }
}

#define RATE 136

/* keccak256 (original Keccak padding 0x01), little-endian host assumed (x86-64, arm64). */
static void keccak256(const uint8_t *in, size_t len, uint8_t out[32]) {
    uint64_t s[25];
    memset(s, 0, sizeof s);
    uint8_t *sb = (uint8_t *)s;
    while (len >= RATE) {
        for (int i = 0; i < RATE / 8; i++) {
            uint64_t w;
            memcpy(&w, in + 8 * i, 8);
            s[i] ^= w;
        }
        keccakf(s);
        in += RATE;
        len -= RATE;
    }
    for (size_t i = 0; i < len; i++) sb[i] ^= in[i];
    sb[len] ^= 0x01;
    sb[RATE - 1] ^= 0x80;
    keccakf(s);
    memcpy(out, s, 32);
}

/* 64-byte input (a node pair): one permutation. */
static inline void hash_pair(const uint8_t *a, const uint8_t *b, uint8_t out[32]) {
    uint8_t buf[64];
    if (memcmp(a, b, 32) <= 0) {
        memcpy(buf, a, 32); memcpy(buf + 32, b, 32);
    } else {
        memcpy(buf, b, 32); memcpy(buf + 32, a, 32);
    }
    keccak256(buf, 64, out);
}

/* ------------------------------------------------------------------ SIMD multi-buffer */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_SIMD 1

#define W 4
#define SFX avx2
#define TGT __attribute__((target("avx2")))
#define V __m256i
#define LOAD(p) _mm256_load_si256((const __m256i *)(p))
#define STORE(p, v) _mm256_store_si256((__m256i *)(p), (v))
#define XOR(a, b) _mm256_xor_si256((a), (b))
#define ANDN(a, b) _mm256_andnot_si256((a), (b))
#define SET1(x) _mm256_set1_epi64x(x)
#define ROL(v, n) _mm256_or_si256(_mm256_slli_epi64((v), (n)), _mm256_srli_epi64((v), 64 - (n)))
#include "_keccak_simd.h"
#undef W
#undef SFX
#undef TGT
#undef V
#undef LOAD
#undef STORE
#undef XOR
#undef ANDN
#undef SET1
#undef ROL

#define W 8
#define SFX avx512
#define TGT __attribute__((target("avx512f")))
#define V __m512i
#define LOAD(p) _mm512_load_si512((const void *)(p))
#define STORE(p, v) _mm512_store_si512((void *)(p), (v))
#define XOR(a, b) _mm512_xor_si512((a), (b))
#define ANDN(a, b) _mm512_andnot_si512((a), (b))
#define SET1(x) _mm512_set1_epi64(x)
#define ROL(v, n) _mm512_rol_epi64((v), (n))
#include "_keccak_simd.h"
#undef W
#undef SFX
#undef TGT
#undef V
#undef LOAD
#undef STORE
#undef XOR
#undef ANDN
#undef SET1
#undef ROL
#endif

/* 0 scalar, 1 AVX2 (4 lanes), 2 AVX-512 (8 lanes); the best the CPU has, chosen at import */
static int simd_level = 0;
static int simd_best = 0;

static void detect_simd(void) {
#ifdef HAVE_X86_SIMD
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) simd_best = 2;
    else if (__builtin_cpu_supports("avx2")) simd_best = 1;
#endif
    simd_level = simd_best;
}

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
