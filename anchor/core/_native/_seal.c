/*
 * anchor.core._native._seal -- optional accelerator for sealing batches.
 *
 *   keccak256(data: bytes) -> bytes
 *   leaf_hashes(records, seqs, commitments, tags) -> bytes
 *       records: sequence of objects with a ``leaf_order`` tuple
 *                (schema index, kind code, version, record_id, *fields in leaf order)
 *       seqs: buffer of uint64 (array('Q')), one per record
 *       commitments: dict account id -> 32 bytes
 *       tags: tuple of str, per schema index: one letter per field
 *             (u uint, i int256, s string, a account, h bytes32)
 *       returns n * 32 bytes: keccak256(keccak256(abi.encode(types, values))) per record
 *   fast_setup(plans) / fast_parts(obj) -> (leaf_order, canonical, accounts) | None
 *       the record fast path of anchor.core.prepare (the pure twin: _fast_parts_py)
 *   fast_chunk(items, first_line, loads, max_chars) -> (list, misses): fast_parts over a chunk of
 *       input, for anchor.core.prepare.prepare_records
 *   leaf_hashes also takes leaf_order tuples themselves as records
 *   build_tree(leaves: bytes) -> (bytearray nodes, bytes order)
 *       OpenZeppelin StandardMerkleTree layout over n 32-byte leaf hashes: leaves sorted
 *       (stable), flat array of 2n-1 nodes, leaf k (sorted) at node 2n-2-k, sorted-pair
 *       hashing. ``order`` is n native uint32: input index of the k-th sorted leaf.
 *
 * Encoding runs with the GIL (it reads Python objects) in chunks; hashing and tree
 * building release the GIL and use two threads. The pure Python path in anchor.core is
 * the reference: tests check both give identical bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* ------------------------------------------------------------------ leaf encoding */

typedef struct {
    uint8_t *buf;      /* encodings of the chunk, back to back */
    size_t *offs;      /* offs[i]..offs[i+1] is record i of the chunk */
    uint8_t *out;      /* 32 bytes per record of the chunk */
} chunk_t;

static void hash_chunk(void *p, size_t lo, size_t hi) {
    chunk_t *c = (chunk_t *)p;
    double_hash_range(c->buf, c->offs, lo, hi, c->out + 32 * lo);
}

static int put_uint(PyObject *v, uint8_t *dst, int is_signed) {
    if (!PyLong_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "integer field expected");
        return -1;
    }
    /* fast path: fits in a signed 64-bit integer (dst is zeroed by the caller) */
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (!overflow && !(x == -1 && PyErr_Occurred())) {
        if (x < 0) {
            if (!is_signed) {
                PyErr_SetString(PyExc_OverflowError, "negative value in an unsigned field");
                return -1;
            }
            memset(dst, 0xff, 24);
        }
        uint64_t u = (uint64_t)x;
        for (int i = 0; i < 8; i++) dst[31 - i] = (uint8_t)(u >> (8 * i));
        return 0;
    }
    PyErr_Clear();
#if PY_VERSION_HEX >= 0x030D0000
    return _PyLong_AsByteArray((PyLongObject *)v, dst, 32, 0, is_signed, 1);
#else
    return _PyLong_AsByteArray((PyLongObject *)v, dst, 32, 0, is_signed);
#endif
}

static void put_size(size_t n, uint8_t *dst) {
    memset(dst, 0, 24);
    for (int i = 0; i < 8; i++) dst[31 - i] = (uint8_t)(n >> (8 * i));
}

typedef struct { const char *tags; Py_ssize_t ntags; } schema_t;

/* A C copy of the commitments dict for the duration of one leaf_hashes call: open
   addressing on the account id's str hash, one 64-byte entry per account holding the id
   (ASCII, up to 23 bytes, inline) and its 32-byte commitment, so a hit costs one cache line
   instead of the dict's index, entry, key and value objects. Only exact-str ASCII keys of
   up to 23 characters with 32-byte bytes values are copied; any lookup the table cannot
   answer falls back to the dict, so results (and errors) are those of
   PyDict_GetItemWithError. */
#define CTAB_KMAX 23
typedef struct {
    Py_hash_t hash;
    uint8_t val[32];
    uint8_t klen; /* 0: empty slot (an empty id is left to the dict) */
    char key[CTAB_KMAX];
} ctab_entry_t;

typedef struct { ctab_entry_t *e; size_t mask; } ctab_t;

static void ctab_build(ctab_t *ct, PyObject *dict) {
    ct->e = NULL;
    ct->mask = 0;
    Py_ssize_t n = PyDict_GET_SIZE(dict);
    if (n == 0) return;
    size_t cap = 16;
    while (cap < (size_t)n * 2) cap *= 2;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, cap * sizeof(ctab_entry_t)) != 0) return; /* dict only */
    memset(mem, 0, cap * sizeof(ctab_entry_t));
    ct->e = (ctab_entry_t *)mem;
    ct->mask = cap - 1;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(dict, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k) || !PyUnicode_IS_COMPACT_ASCII(k) ||
            PyUnicode_GET_LENGTH(k) < 1 || PyUnicode_GET_LENGTH(k) > CTAB_KMAX ||
            !PyBytes_CheckExact(v) || PyBytes_GET_SIZE(v) != 32)
            continue;
        Py_hash_t h = PyObject_Hash(k);
        if (h == -1) { PyErr_Clear(); continue; }
        size_t i = (size_t)h & ct->mask;
        while (ct->e[i].klen != 0) i = (i + 1) & ct->mask;
        ct->e[i].hash = h;
        ct->e[i].klen = (uint8_t)PyUnicode_GET_LENGTH(k);
        memcpy(ct->e[i].key, PyUnicode_DATA(k), ct->e[i].klen);
        memcpy(ct->e[i].val, PyBytes_AS_STRING(v), 32);
    }
}

/* The commitment of key if the table holds it, else NULL (ask the dict). */
static inline const uint8_t *ctab_get(const ctab_t *ct, PyObject *key) {
    if (ct->e == NULL || !PyUnicode_CheckExact(key) || !PyUnicode_IS_COMPACT_ASCII(key))
        return NULL;
    Py_ssize_t len = PyUnicode_GET_LENGTH(key);
    if (len < 1 || len > CTAB_KMAX) return NULL;
    Py_hash_t h = ((PyASCIIObject *)key)->hash;
    if (h == -1) return NULL;
    const char *kd = (const char *)PyUnicode_DATA(key);
    size_t i = (size_t)h & ct->mask;
    for (;;) {
        const ctab_entry_t *en = &ct->e[i];
        if (en->klen == 0) return NULL;
        if (en->hash == h && en->klen == len && memcmp(en->key, kd, (size_t)len) == 0)
            return en->val;
        i = (i + 1) & ct->mask;
    }
}

static Py_ssize_t encode_one(PyObject *rec, uint64_t seq, PyObject *commitments,
                             const ctab_t *ct, const schema_t *schemas, Py_ssize_t nschemas,
                             uint8_t **bufp, size_t *capp, size_t at) {
    static PyObject *attr = NULL;
    if (attr == NULL) {
        attr = PyUnicode_InternFromString("leaf_order");
        if (attr == NULL) return -1;
    }
    PyObject *t;
    if (PyTuple_CheckExact(rec)) { /* a leaf_order tuple itself */
        Py_INCREF(rec);
        t = rec;
    } else {
        t = PyObject_GetAttr(rec, attr);
    }
    if (t == NULL) return -1;
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 4) {
        Py_DECREF(t);
        PyErr_SetString(PyExc_TypeError, "leaf_order must be a tuple");
        return -1;
    }
    Py_ssize_t si = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, 0));
    if (si < 0 || si >= nschemas) {
        Py_DECREF(t);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "unknown schema index");
        return -1;
    }
    const schema_t *sc = &schemas[si];
    Py_ssize_t nf = sc->ntags;
    if (PyTuple_GET_SIZE(t) != 4 + nf) {
        Py_DECREF(t);
        PyErr_SetString(PyExc_ValueError, "leaf_order does not match its schema");
        return -1;
    }
    /* words: code, version, record_id (string), seq, fields */
    Py_ssize_t nwords = 4 + nf;
    size_t head = 32 * (size_t)nwords;
    /* size pass: strings */
    size_t total = head;
    const char *sdata[64];
    Py_ssize_t slen[64];
    int ns = 0;
    for (Py_ssize_t k = -1; k < nf; k++) {
        char tag = k < 0 ? 's' : sc->tags[k];
        if (tag != 's') continue;
        PyObject *v = PyTuple_GET_ITEM(t, k < 0 ? 3 : 4 + k);
        if (!PyUnicode_Check(v) || ns >= 64) {
            Py_DECREF(t);
            PyErr_SetString(PyExc_TypeError, "string field expected");
            return -1;
        }
        sdata[ns] = PyUnicode_AsUTF8AndSize(v, &slen[ns]);
        if (sdata[ns] == NULL) { Py_DECREF(t); return -1; }
        total += 32 + (((size_t)slen[ns] + 31) / 32) * 32;
        ns++;
    }
    if (at + total > *capp) {
        size_t cap = (*capp) * 2;
        while (cap < at + total) cap *= 2;
        uint8_t *nb = realloc(*bufp, cap);
        if (nb == NULL) { Py_DECREF(t); PyErr_NoMemory(); return -1; }
        *bufp = nb;
        *capp = cap;
    }
    uint8_t *w = *bufp + at;
    memset(w, 0, total);
    size_t tail = head;
    int si_str = 0;
    /* prefix */
    if (put_uint(PyTuple_GET_ITEM(t, 1), w, 0) < 0) goto fail;
    if (put_uint(PyTuple_GET_ITEM(t, 2), w + 32, 0) < 0) goto fail;
    for (int b = 0; b < 8; b++) w[96 + 31 - b] = (uint8_t)(seq >> (8 * b));
    /* record_id string (word 2), then fields in order: strings' tails in order of appearance */
    for (Py_ssize_t k = -1; k < nf; k++) {
        uint8_t *word = w + 32 * (k < 0 ? 2 : 4 + k);
        char tag = k < 0 ? 's' : sc->tags[k];
        PyObject *v = k < 0 ? NULL : PyTuple_GET_ITEM(t, 4 + k);
        switch (tag) {
        case 's': {
            put_size(tail, word);
            put_size((size_t)slen[si_str], w + tail);
            memcpy(w + tail + 32, sdata[si_str], (size_t)slen[si_str]);
            tail += 32 + (((size_t)slen[si_str] + 31) / 32) * 32;
            si_str++;
            break;
        }
        case 'u':
            if (put_uint(v, word, 0) < 0) goto fail;
            break;
        case 'i':
            if (put_uint(v, word, 1) < 0) goto fail;
            break;
        case 'h':
            if (!PyBytes_Check(v) || PyBytes_GET_SIZE(v) != 32) {
                PyErr_SetString(PyExc_TypeError, "bytes32 field expected");
                goto fail;
            }
            memcpy(word, PyBytes_AS_STRING(v), 32);
            break;
        case 'a': {
            const uint8_t *cv = ctab_get(ct, v);
            if (cv != NULL) {
                memcpy(word, cv, 32);
                break;
            }
            PyObject *c = PyDict_GetItemWithError(commitments, v);
            if (c == NULL) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_KeyError, "no commitment for an account");
                goto fail;
            }
            if (!PyBytes_Check(c) || PyBytes_GET_SIZE(c) != 32) {
                PyErr_SetString(PyExc_ValueError, "commitment must be 32 bytes");
                goto fail;
            }
            memcpy(word, PyBytes_AS_STRING(c), 32);
            break;
        }
        default:
            PyErr_SetString(PyExc_ValueError, "unknown field tag");
            goto fail;
        }
    }
    Py_DECREF(t);
    return (Py_ssize_t)total;
fail:
    Py_DECREF(t);
    return -1;
}

#define CHUNK 8192
#define BLOCK 256

/* Hashing of one encoded chunk, shared by threads through an atomic block counter. */
typedef struct {
    chunk_t c;
    size_t m;
    size_t next; /* atomic */
} hjob_t;

static void *hash_worker(void *p) {
    hjob_t *j = (hjob_t *)p;
    for (;;) {
        size_t b = __atomic_fetch_add(&j->next, BLOCK, __ATOMIC_RELAXED);
        if (b >= j->m) break;
        size_t e = b + BLOCK < j->m ? b + BLOCK : j->m;
        hash_chunk(&j->c, b, e);
    }
    return NULL;
}

/* Encode records [base, base+m) into *bufp / offs; -1 with an exception set on error. */
static int encode_chunk(PyObject *seq, const uint64_t *sq, Py_ssize_t base, Py_ssize_t m,
                        PyObject *commitments, const ctab_t *ct, const schema_t *schemas,
                        Py_ssize_t nschemas, uint8_t **bufp, size_t *capp, size_t *offs) {
    size_t at = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        offs[i] = at;
        Py_ssize_t w = encode_one(PySequence_Fast_GET_ITEM(seq, base + i), sq[base + i],
                                  commitments, ct, schemas, nschemas, bufp, capp, at);
        if (w < 0) return -1;
        at += (size_t)w;
    }
    offs[m] = at;
    return 0;
}

static PyObject *py_leaf_hashes(PyObject *self, PyObject *args) {
    PyObject *records, *commitments, *tags;
    Py_buffer seqs;
    int do_hash = 1;
    if (!PyArg_ParseTuple(args, "Oy*O!O!|p", &records, &seqs, &PyDict_Type, &commitments,
                          &PyTuple_Type, &tags, &do_hash))
        return NULL;
    PyObject *seq = PySequence_Fast(records, "records must be a sequence");
    if (seq == NULL) { PyBuffer_Release(&seqs); return NULL; }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *result = NULL;
    uint8_t *buf[2] = {NULL, NULL};
    size_t cap[2] = {(size_t)CHUNK * 512, (size_t)CHUNK * 512};
    size_t *offs[2] = {NULL, NULL};
    schema_t schemas[32];
    ctab_t ct = {NULL, 0};
    Py_ssize_t nschemas = PyTuple_GET_SIZE(tags);
    if (nschemas > 32) { PyErr_SetString(PyExc_ValueError, "too many schemas"); goto done; }
    for (Py_ssize_t i = 0; i < nschemas; i++) {
        PyObject *s = PyTuple_GET_ITEM(tags, i);
        if (!PyUnicode_Check(s)) { PyErr_SetString(PyExc_TypeError, "tags must be str"); goto done; }
        schemas[i].tags = PyUnicode_AsUTF8AndSize(s, &schemas[i].ntags);
        if (schemas[i].tags == NULL) goto done;
        if (schemas[i].ntags > 60) { PyErr_SetString(PyExc_ValueError, "schema too wide"); goto done; }
    }
    if ((size_t)seqs.len != (size_t)n * 8) {
        PyErr_SetString(PyExc_ValueError, "seqs must hold one uint64 per record");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, n * 32);
    if (result == NULL) goto done;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    const uint64_t *sq = (const uint64_t *)seqs.buf;
    for (int k = 0; k < 2; k++) {
        buf[k] = malloc(cap[k]);
        offs[k] = malloc(sizeof(size_t) * (CHUNK + 1));
        if (buf[k] == NULL || offs[k] == NULL) { PyErr_NoMemory(); Py_CLEAR(result); goto done; }
    }
    if (n == 0) goto done;
    ctab_build(&ct, commitments);
    /* Pipeline: a helper thread hashes chunk k while this thread (holding the GIL, as it
       reads Python objects) encodes chunk k+1, then helps finish chunk k. */
    Py_ssize_t m0 = n < CHUNK ? n : CHUNK;
    if (encode_chunk(seq, sq, 0, m0, commitments, &ct, schemas, nschemas, &buf[0], &cap[0], offs[0]) < 0) {
        Py_CLEAR(result);
        goto done;
    }
    int cur = 0;
    for (Py_ssize_t base = 0; base < n; base += CHUNK) {
        Py_ssize_t m = n - base < CHUNK ? n - base : CHUNK;
        hjob_t job = {{buf[cur], offs[cur], out + 32 * base}, (size_t)m, 0};
        pthread_t th;
        int started = 0;
        if (do_hash && n_threads > 1)
            started = pthread_create(&th, NULL, hash_worker, &job) == 0;
        Py_ssize_t nb = base + CHUNK;
        int failed = 0;
        if (nb < n) {
            Py_ssize_t mn = n - nb < CHUNK ? n - nb : CHUNK;
            failed = encode_chunk(seq, sq, nb, mn, commitments, &ct, schemas, nschemas, &buf[1 - cur],
                                  &cap[1 - cur], offs[1 - cur]) < 0;
        }
        if (failed) __atomic_store_n(&job.next, job.m, __ATOMIC_RELAXED); /* stop early */
        Py_BEGIN_ALLOW_THREADS
        if (do_hash && !failed) hash_worker(&job);
        if (started) pthread_join(th, NULL);
        Py_END_ALLOW_THREADS
        if (failed) { Py_CLEAR(result); goto done; }
        cur = 1 - cur;
    }
done:
    for (int k = 0; k < 2; k++) { free(buf[k]); free(offs[k]); }
    free(ct.e);
    Py_DECREF(seq);
    PyBuffer_Release(&seqs);
    return result;
}

/* ------------------------------------------------------------------ tree */

typedef struct { const uint8_t *leaves; uint32_t *idx; uint32_t *tmp; } sort_t;

static inline int leaf_lt(const uint8_t *L, uint32_t a, uint32_t b) {
    return memcmp(L + 32 * (size_t)a, L + 32 * (size_t)b, 32) < 0;
}

/* stable merge sort of idx[lo, hi) by leaf bytes */
static void msort(const uint8_t *L, uint32_t *idx, uint32_t *tmp, size_t lo, size_t hi) {
    size_t n = hi - lo;
    if (n <= 16) {
        for (size_t i = lo + 1; i < hi; i++) {
            uint32_t v = idx[i];
            size_t j = i;
            while (j > lo && leaf_lt(L, v, idx[j - 1])) { idx[j] = idx[j - 1]; j--; }
            idx[j] = v;
        }
        return;
    }
    size_t mid = lo + n / 2;
    msort(L, idx, tmp, lo, mid);
    msort(L, idx, tmp, mid, hi);
    if (!leaf_lt(L, idx[mid], idx[mid - 1])) return;
    size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi) tmp[k++] = leaf_lt(L, idx[j], idx[i]) ? idx[j++] : idx[i++];
    while (i < mid) tmp[k++] = idx[i++];
    while (j < hi) tmp[k++] = idx[j++];
    memcpy(idx + lo, tmp + lo, sizeof(uint32_t) * n);
}

typedef struct { uint8_t *nodes; } level_t;

static void hash_level(void *p, size_t lo, size_t hi) {
    pair_range(((level_t *)p)->nodes, lo, hi);
}

typedef struct { const uint8_t *leaves; const uint32_t *order; uint8_t *nodes; size_t n; } place_t;

static void place_leaves(void *p, size_t lo, size_t hi) {
    place_t *c = (place_t *)p;
    for (size_t k = lo; k < hi; k++)
        memcpy(c->nodes + 32 * (2 * c->n - 2 - k), c->leaves + 32 * (size_t)c->order[k], 32);
}

static PyObject *py_build_tree(PyObject *self, PyObject *args) {
    Py_buffer lv;
    if (!PyArg_ParseTuple(args, "y*", &lv)) return NULL;
    if (lv.len == 0 || lv.len % 32 || lv.len / 32 > 0xFFFFFFFFLL) {
        PyBuffer_Release(&lv);
        PyErr_SetString(PyExc_ValueError, "leaves must be 1..2^32-1 hashes of 32 bytes");
        return NULL;
    }
    size_t n = (size_t)lv.len / 32;
    PyObject *nodes_obj = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)((2 * n - 1) * 32));
    PyObject *order_obj = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 4));
    uint32_t *tmp = malloc(sizeof(uint32_t) * n);
    size_t *count = calloc(65537, sizeof(size_t));
    if (nodes_obj == NULL || order_obj == NULL || tmp == NULL || count == NULL) {
        Py_XDECREF(nodes_obj); Py_XDECREF(order_obj); free(tmp); free(count);
        PyBuffer_Release(&lv);
        return PyErr_NoMemory();
    }
    const uint8_t *L = (const uint8_t *)lv.buf;
    uint32_t *order = (uint32_t *)PyBytes_AS_STRING(order_obj);
    uint8_t *nodes = (uint8_t *)PyByteArray_AS_STRING(nodes_obj);
    Py_BEGIN_ALLOW_THREADS
    /* stable counting sort on the first two bytes, then merge sort inside each bucket */
    for (size_t i = 0; i < n; i++) count[((size_t)L[32 * i] << 8 | L[32 * i + 1]) + 1]++;
    for (size_t b = 1; b <= 65536; b++) count[b] += count[b - 1];
    for (size_t i = 0; i < n; i++) {
        size_t b = (size_t)L[32 * i] << 8 | L[32 * i + 1];
        order[count[b]++] = (uint32_t)i;
    }
    /* count[b] is now the end of bucket b; the start is the end of bucket b-1 */
    size_t start = 0;
    for (size_t b = 0; b < 65536; b++) {
        size_t end = count[b];
        if (end - start > 1) msort(L, order, tmp, start, end);
        start = end;
    }
    place_t pc = {L, order, nodes, n};
    parallel(place_leaves, &pc, 0, n, 1 << 14);
    /* inner nodes n-2..0 by depth, deepest first; nodes of one depth are independent */
    if (n > 1) {
        size_t last = n - 2;
        int depth = 0;
        while (((size_t)1 << (depth + 1)) - 1 <= last) depth++;
        level_t lc = {nodes};
        for (int d = depth; d >= 0; d--) {
            size_t lo = ((size_t)1 << d) - 1;
            size_t hi = ((size_t)1 << (d + 1)) - 1;
            if (hi > last + 1) hi = last + 1;
            parallel(hash_level, &lc, lo, hi, 1 << 12);
        }
    }
    Py_END_ALLOW_THREADS
    free(tmp);
    free(count);
    PyBuffer_Release(&lv);
    PyObject *res = PyTuple_Pack(2, nodes_obj, order_obj);
    Py_DECREF(nodes_obj);
    Py_DECREF(order_obj);
    return res;
}

static PyObject *py_keccak256(PyObject *self, PyObject *args) {
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "y*", &b)) return NULL;
    uint8_t out[32];
    keccak256((const uint8_t *)b.buf, (size_t)b.len, out);
    PyBuffer_Release(&b);
    return PyBytes_FromStringAndSize((const char *)out, 32);
}

static PyObject *py_set_threads(PyObject *self, PyObject *args) {
    int t;
    if (!PyArg_ParseTuple(args, "i", &t)) return NULL;
    if (t < 1) t = 1;
    if (t > 8) t = 8;
    n_threads = t;
    return PyLong_FromLong(n_threads);
}

static PyObject *py_set_simd(PyObject *self, PyObject *args) {
    int level;
    if (!PyArg_ParseTuple(args, "i", &level)) return NULL;
    if (level < 0) level = simd_best;
    simd_level = level > simd_best ? simd_best : level;
    return PyLong_FromLong(simd_level);
}

/* ------------------------------------------------------------------ record fast path */
/*
 * fast_setup(plans) / fast_parts(obj): anchor.core.prepare._fast_parts_py in C.
 * It never raises for a record: anything it does not accept exactly as the pure Python
 * path does returns None, and the caller then runs parse_record (which names the error).
 *
 * plans: tuple of (kind, version, head, allowed, fields, keys) per schema
 *   head    (schema index, kind code, version)
 *   allowed frozenset of the keys a record may have
 *   fields  tuple of (name, code, range, lo, hi, max_len, choices) in leaf order
 *           code: 0 integer, 1 id, 2 account, 3 enum, 4 optional hex32
 *           range: 0 u32, 1 u64, 2 u256, 3 i256 (integers; lo/hi the Python bounds)
 *           choices: dict name -> index (enums) or None
 *   keys    tuple of (json key literal bytes '"name":', slot) in canonical (sorted) order;
 *           slot -1: the literal value follows in the key bytes, 0: record_id, i+1: field i
 */

#define FP_MAXF 60
#define FP_MAXS 32

typedef struct {
    PyObject *name, *lo, *hi, *choices;
    int code, range;
    Py_ssize_t max_len;
} fp_field_t;

typedef struct {
    PyObject *kind, *version, *head, *allowed;
    int nf, nk;
    fp_field_t f[FP_MAXF];
    PyObject *klit[FP_MAXF + 4];
    int kslot[FP_MAXF + 4];
} fp_plan_t;

static fp_plan_t fp_plans[FP_MAXS];
static int fp_nplans = -1; /* -1: not set up */
static PyObject *fp_zero32 = NULL;
static PyObject *fp_kind_key = NULL, *fp_version_key = NULL, *fp_rid_key = NULL;

static PyObject *py_fast_setup(PyObject *self, PyObject *args) {
    PyObject *plans;
    if (!PyArg_ParseTuple(args, "O!", &PyTuple_Type, &plans)) return NULL;
    Py_ssize_t np = PyTuple_GET_SIZE(plans);
    if (np > FP_MAXS || fp_nplans >= 0) {
        PyErr_SetString(PyExc_ValueError, "fast_setup: too many plans or already set up");
        return NULL;
    }
    if (fp_zero32 == NULL) {
        fp_zero32 = PyBytes_FromStringAndSize(NULL, 32);
        if (fp_zero32 == NULL) return NULL;
        memset(PyBytes_AS_STRING(fp_zero32), 0, 32);
        fp_kind_key = PyUnicode_InternFromString("kind");
        fp_version_key = PyUnicode_InternFromString("version");
        fp_rid_key = PyUnicode_InternFromString("record_id");
        if (!fp_kind_key || !fp_version_key || !fp_rid_key) return NULL;
    }
    for (Py_ssize_t i = 0; i < np; i++) {
        fp_plan_t *p = &fp_plans[i];
        PyObject *fields, *keys;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(plans, i), "UO!O!O!O!O!", &p->kind, &PyLong_Type,
                              &p->version, &PyTuple_Type, &p->head, &PyFrozenSet_Type,
                              &p->allowed, &PyTuple_Type, &fields, &PyTuple_Type, &keys))
            return NULL;
        if (PyTuple_GET_SIZE(fields) > FP_MAXF || PyTuple_GET_SIZE(keys) > FP_MAXF + 3 ||
            PyTuple_GET_SIZE(p->head) != 3) {
            PyErr_SetString(PyExc_ValueError, "fast_setup: plan too wide");
            return NULL;
        }
        p->nf = (int)PyTuple_GET_SIZE(fields);
        for (int j = 0; j < p->nf; j++) {
            fp_field_t *f = &p->f[j];
            if (!PyArg_ParseTuple(PyTuple_GET_ITEM(fields, j), "UiiOOnO", &f->name, &f->code,
                                  &f->range, &f->lo, &f->hi, &f->max_len, &f->choices))
                return NULL;
            if (f->code < 0 || f->code > 4 || f->range < 0 || f->range > 3 ||
                (f->code == 3 && !PyDict_CheckExact(f->choices))) {
                PyErr_SetString(PyExc_ValueError, "fast_setup: bad field");
                return NULL;
            }
            Py_INCREF(f->name); Py_INCREF(f->lo); Py_INCREF(f->hi); Py_INCREF(f->choices);
        }
        p->nk = (int)PyTuple_GET_SIZE(keys);
        for (int j = 0; j < p->nk; j++) {
            if (!PyArg_ParseTuple(PyTuple_GET_ITEM(keys, j), "Si", &p->klit[j], &p->kslot[j]))
                return NULL;
            if (p->kslot[j] < -1 || p->kslot[j] > p->nf) {
                PyErr_SetString(PyExc_ValueError, "fast_setup: bad slot");
                return NULL;
            }
            Py_INCREF(p->klit[j]);
        }
        Py_INCREF(p->kind); Py_INCREF(p->version); Py_INCREF(p->head); Py_INCREF(p->allowed);
    }
    fp_nplans = (int)np;
    Py_RETURN_NONE;
}

/* A growing output buffer for the canonical JSON. */
typedef struct { char *p; size_t n, cap; char local[1024]; } fp_buf_t;

static int fp_put(fp_buf_t *b, const char *s, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap * 2;
        while (cap < b->n + n) cap *= 2;
        char *q = b->p == b->local ? malloc(cap) : realloc(b->p, cap);
        if (q == NULL) return -1;
        if (b->p == b->local) memcpy(q, b->local, b->n);
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

/* An id/account string: exact str, ASCII, 1..max_len characters in 0x21..0x7e. */
static int fp_id_ok(PyObject *v, Py_ssize_t max_len) {
    if (!PyUnicode_CheckExact(v) || !PyUnicode_IS_ASCII(v)) return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    if (n < 1 || n > max_len) return 0;
    const unsigned char *s = PyUnicode_1BYTE_DATA(v);
    for (Py_ssize_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e) return 0;
    return 1;
}

/* A JSON string of an id (only '"' and '\\' need escaping in printable ASCII). */
static int fp_put_str(fp_buf_t *b, PyObject *v) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    const char *s = (const char *)PyUnicode_1BYTE_DATA(v);
    if (fp_put(b, "\"", 1) < 0) return -1;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            if (fp_put(b, s + start, (size_t)(i - start)) < 0) return -1;
            if (fp_put(b, s[i] == '"' ? "\\\"" : "\\\\", 2) < 0) return -1;
            start = i + 1;
        }
    }
    if (fp_put(b, s + start, (size_t)(n - start)) < 0) return -1;
    return fp_put(b, "\"", 1);
}

/* An integer field: a new reference to the int, and its decimal text in dec (<= 82
   chars); NULL without an exception when the value is not accepted, NULL with one on a
   real error. */
static PyObject *fp_int(PyObject *v, const fp_field_t *f, char *dec, size_t *declen) {
    PyObject *n = NULL;
    if (PyUnicode_CheckExact(v)) {
        if (!PyUnicode_IS_ASCII(v)) return NULL;
        Py_ssize_t len = PyUnicode_GET_LENGTH(v);
        if (len > 80) return NULL;
        const char *s = (const char *)PyUnicode_1BYTE_DATA(v);
        Py_ssize_t i = (len > 0 && s[0] == '-') ? 1 : 0;
        if (i == len) return NULL; /* empty or just "-" */
        for (Py_ssize_t k = i; k < len; k++)
            if (s[k] < '0' || s[k] > '9') return NULL;
        Py_ssize_t z = i;
        while (z < len - 1 && s[z] == '0') z++; /* strip leading zeros, keep one digit */
        int neg = i == 1 && !(len - z == 1 && s[z] == '0');
        size_t dl = 0;
        if (neg) dec[dl++] = '-';
        memcpy(dec + dl, s + z, (size_t)(len - z));
        dl += (size_t)(len - z);
        dec[dl] = '\0';
        *declen = dl;
        if (len - z <= 18) {
            long long x = 0;
            for (Py_ssize_t k = z; k < len; k++) x = x * 10 + (s[k] - '0');
            if (neg) x = -x;
            if (x < 0 && f->range != 3) return NULL;
            if (f->range == 0 && x > 0xffffffffLL) return NULL;
            return PyLong_FromLongLong(x);
        }
        n = PyLong_FromString(dec, NULL, 10);
        if (n == NULL) return NULL;
    } else if (PyLong_CheckExact(v)) {
        Py_INCREF(v);
        n = v;
        PyObject *s = PyObject_Str(n);
        if (s == NULL) { Py_DECREF(n); return NULL; }
        Py_ssize_t sl;
        const char *sp = PyUnicode_AsUTF8AndSize(s, &sl);
        if (sp == NULL || sl > 81) { Py_DECREF(s); Py_DECREF(n); return NULL; }
        memcpy(dec, sp, (size_t)sl);
        dec[sl] = '\0';
        *declen = (size_t)sl;
        Py_DECREF(s);
    } else {
        return NULL;
    }
    int lo = PyObject_RichCompareBool(n, f->lo, Py_GE);
    int hi = lo == 1 ? PyObject_RichCompareBool(n, f->hi, Py_LE) : 0;
    if (lo != 1 || hi != 1) { Py_DECREF(n); return NULL; }
    return n;
}

static int fp_hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

typedef struct {
    char dec[84];
    size_t declen;
    PyObject *str; /* borrowed: id/account/enum text */
    int zero;      /* hex32 that is zero: omitted from the canonical JSON */
    unsigned char raw[32];
} fp_enc_t;

/* mode 0: (leaf_order, canonical bytes, accounts); mode 1, for ingest: (line, record_id,
   kind, version, canonical str, keccak256(canonical), accounts, leaf_order). None when
   the record does not take the fast path, NULL on a real error. */

/* Untrack a tuple from the cyclic GC when nothing in it is tracked (it then cannot be part
 * of a cycle): what CPython does itself, lazily, at the tuple's first collection. Done here
 * at once, a bulk load's prepared records never reach the older generations, whose full
 * collections (over every object of the process) otherwise cost ~20% of validation time
 * (scripts/bench_ingest.py). */
static void fp_untrack_atomic(PyObject *t) {
    if (!PyTuple_CheckExact(t) || !PyObject_GC_IsTracked(t)) return;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
        PyObject *x = PyTuple_GET_ITEM(t, i);
        if (x == NULL || PyObject_GC_IsTracked(x)) return;
    }
    PyObject_GC_UnTrack(t);
}

static PyObject *fp_parts(PyObject *obj, int mode, Py_ssize_t line) {
    PyObject *order = NULL, *accounts = NULL, *result = NULL, *canon = NULL;
    fp_enc_t enc[FP_MAXF];
    fp_buf_t b;
    b.p = b.local; b.n = 0; b.cap = sizeof b.local;
    if (fp_nplans < 0 || !PyDict_CheckExact(obj)) goto none;
    PyObject *kind = PyDict_GetItemWithError(obj, fp_kind_key);
    if (kind == NULL || !PyUnicode_CheckExact(kind)) goto none_or_err;
    PyObject *ver = PyDict_GetItemWithError(obj, fp_version_key);
    if (ver == NULL) goto none_or_err;
    long vnum;
    if (PyLong_CheckExact(ver)) {
        int overflow;
        vnum = PyLong_AsLongAndOverflow(ver, &overflow);
        if (overflow || (vnum == -1 && PyErr_Occurred())) goto none_or_err;
    } else if (PyUnicode_CheckExact(ver) && PyUnicode_IS_ASCII(ver)) {
        Py_ssize_t len = PyUnicode_GET_LENGTH(ver);
        const char *s = (const char *)PyUnicode_1BYTE_DATA(ver);
        if (len < 1 || len > 80) goto none;
        vnum = 0;
        for (Py_ssize_t k = 0; k < len; k++) {
            if (s[k] < '0' || s[k] > '9') goto none;
            if (vnum < 100000000) vnum = vnum * 10 + (s[k] - '0');
        }
    } else {
        goto none;
    }
    fp_plan_t *p = NULL;
    for (int i = 0; i < fp_nplans; i++) {
        if (PyLong_AsLong(fp_plans[i].version) != vnum) continue;
        int eq = PyUnicode_Compare(kind, fp_plans[i].kind);
        if (eq == -1 && PyErr_Occurred()) goto error;
        if (eq == 0) { p = &fp_plans[i]; break; }
    }
    if (p == NULL) goto none;
    /* every key allowed */
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(obj, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k)) goto none;
        int in = PySet_Contains(p->allowed, k);
        if (in < 0) goto error;
        if (!in) goto none;
    }
    PyObject *rid = PyDict_GetItemWithError(obj, fp_rid_key);
    if (rid == NULL) goto none_or_err;
    if (!fp_id_ok(rid, 128)) goto none;
    order = PyTuple_New(4 + p->nf);
    accounts = PyList_New(0);
    if (order == NULL || accounts == NULL) goto error;
    for (int i = 0; i < 3; i++) {
        PyObject *h = PyTuple_GET_ITEM(p->head, i);
        Py_INCREF(h);
        PyTuple_SET_ITEM(order, i, h);
    }
    Py_INCREF(rid);
    PyTuple_SET_ITEM(order, 3, rid);
    for (int j = 0; j < p->nf; j++) {
        const fp_field_t *f = &p->f[j];
        fp_enc_t *e = &enc[j];
        e->str = NULL;
        e->zero = 0;
        v = PyDict_GetItemWithError(obj, f->name);
        if (v == NULL && PyErr_Occurred()) goto error;
        PyObject *val = NULL;
        switch (f->code) {
        case 0:
            if (v == NULL) goto none;
            val = fp_int(v, f, e->dec, &e->declen);
            if (val == NULL) goto none_or_err;
            break;
        case 1:
        case 2:
            if (v == NULL || !fp_id_ok(v, f->max_len)) goto none;
            e->str = v;
            Py_INCREF(v);
            val = v;
            if (f->code == 2) {
                int seen = PySequence_Contains(accounts, v);
                if (seen < 0) { Py_DECREF(val); goto error; }
                if (!seen && PyList_Append(accounts, v) < 0) { Py_DECREF(val); goto error; }
            }
            break;
        case 3:
            if (v == NULL || !PyUnicode_CheckExact(v)) goto none;
            val = PyDict_GetItemWithError(f->choices, v);
            if (val == NULL) goto none_or_err;
            Py_INCREF(val);
            e->str = v;
            break;
        default: /* optional hex32 */
            if (v == NULL) {
                e->zero = 1;
                Py_INCREF(fp_zero32);
                val = fp_zero32;
                break;
            }
            if (!PyUnicode_CheckExact(v) || !PyUnicode_IS_ASCII(v) ||
                PyUnicode_GET_LENGTH(v) != 66)
                goto none;
            {
                const unsigned char *s = PyUnicode_1BYTE_DATA(v);
                if (s[0] != '0' || s[1] != 'x') goto none;
                int nz = 0;
                for (int q = 0; q < 32; q++) {
                    int hi = fp_hexval(s[2 + 2 * q]), lo = fp_hexval(s[3 + 2 * q]);
                    if (hi < 0 || lo < 0) goto none;
                    e->raw[q] = (unsigned char)(hi * 16 + lo);
                    nz |= e->raw[q];
                }
                e->zero = !nz;
                if (e->zero) {
                    Py_INCREF(fp_zero32);
                    val = fp_zero32;
                } else {
                    val = PyBytes_FromStringAndSize((const char *)e->raw, 32);
                    if (val == NULL) goto error;
                }
            }
            break;
        }
        PyTuple_SET_ITEM(order, 4 + j, val);
    }
    /* canonical JSON */
    static const char hexd[] = "0123456789abcdef";
    int first = 1;
    if (fp_put(&b, "{", 1) < 0) goto nomem;
    for (int j = 0; j < p->nk; j++) {
        int slot = p->kslot[j];
        if (slot > 0 && p->f[slot - 1].code == 4 && enc[slot - 1].zero) continue;
        if (!first && fp_put(&b, ",", 1) < 0) goto nomem;
        first = 0;
        if (fp_put(&b, PyBytes_AS_STRING(p->klit[j]), (size_t)PyBytes_GET_SIZE(p->klit[j])) < 0)
            goto nomem;
        if (slot < 0) continue;
        if (slot == 0) {
            if (fp_put_str(&b, rid) < 0) goto nomem;
            continue;
        }
        const fp_field_t *f = &p->f[slot - 1];
        fp_enc_t *e = &enc[slot - 1];
        int rc = 0;
        if (f->code == 0) {
            rc = fp_put(&b, "\"", 1) | fp_put(&b, e->dec, e->declen) | fp_put(&b, "\"", 1);
        } else if (f->code == 4) {
            char hx[68];
            hx[0] = '"'; hx[1] = '0'; hx[2] = 'x';
            for (int q = 0; q < 32; q++) {
                hx[3 + 2 * q] = hexd[e->raw[q] >> 4];
                hx[4 + 2 * q] = hexd[e->raw[q] & 15];
            }
            hx[67] = '"';
            rc = fp_put(&b, hx, 68);
        } else {
            rc = fp_put_str(&b, e->str);
        }
        if (rc < 0) goto nomem;
    }
    if (fp_put(&b, "}", 1) < 0) goto nomem;
    PyObject *acc = PyList_AsTuple(accounts);
    if (acc == NULL) goto error;
    fp_untrack_atomic(order);
    fp_untrack_atomic(acc);
    if (mode == 0) {
        canon = PyBytes_FromStringAndSize(b.p, (Py_ssize_t)b.n);
        if (canon == NULL) { Py_DECREF(acc); goto error; }
        result = PyTuple_Pack(3, order, canon, acc);
    } else {
        canon = PyUnicode_New((Py_ssize_t)b.n, 127);
        if (canon == NULL) { Py_DECREF(acc); goto error; }
        memcpy(PyUnicode_1BYTE_DATA(canon), b.p, b.n);
        PyObject *hash = PyBytes_FromStringAndSize(NULL, 32);
        PyObject *ln = PyLong_FromSsize_t(line);
        if (hash == NULL || ln == NULL) {
            Py_XDECREF(hash); Py_XDECREF(ln); Py_DECREF(acc);
            goto error;
        }
        keccak256((const uint8_t *)b.p, b.n, (uint8_t *)PyBytes_AS_STRING(hash));
        result = PyTuple_Pack(8, ln, rid, p->kind, p->version, canon, hash, acc, order);
        Py_DECREF(hash);
        Py_DECREF(ln);
    }
    Py_DECREF(acc);
    if (result != NULL) fp_untrack_atomic(result);
    goto done;
nomem:
    PyErr_NoMemory();
    goto error;
none_or_err:
    if (PyErr_Occurred()) {
        /* a lookup or conversion that failed (unhashable, overflow...): not our case */
        if (!PyErr_ExceptionMatches(PyExc_TypeError) &&
            !PyErr_ExceptionMatches(PyExc_ValueError) &&
            !PyErr_ExceptionMatches(PyExc_OverflowError))
            goto error;
        PyErr_Clear();
    }
none:
    Py_INCREF(Py_None);
    result = Py_None;
    goto done;
error:
    result = NULL;
done:
    if (b.p != b.local) free(b.p);
    Py_XDECREF(order);
    Py_XDECREF(accounts);
    Py_XDECREF(canon);
    return result;
}

static PyObject *py_fast_parts(PyObject *self, PyObject *obj) {
    (void)self;
    return fp_parts(obj, 0, 0);
}

/* Never less than the number of keys of a JSON object text (see ingest._quoted_keys). */
static Py_ssize_t fp_quoted_keys(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t c = 0;
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        if (s[i] != '"') continue;
        unsigned char x = s[i + 1];
        if (x == ':' || x == ' ' || x == '\t' || x == '\n' || x == '\r') c++;
    }
    return c;
}

/*
 * fast_chunk(items, first_line, loads, max_chars) -> (list, misses)
 *   For each item (a dict, or an ASCII JSON text of at most max_chars characters, as
 *   bytes/str, read with ``loads``), the
 *   ingest tuple of fp_parts mode 1, or None when the item does not take the fast path
 *   cleanly (the caller then handles it the careful way); ``misses`` counts the Nones.
 *   A text's parsed object must have exactly as many keys as fp_quoted_keys finds, so a
 *   duplicate key (which ``loads`` may silently merge) never takes the fast path.
 */
static PyObject *py_fast_chunk(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *items, *loads;
    Py_ssize_t first_line, max_chars;
    if (!PyArg_ParseTuple(args, "O!nOn", &PyList_Type, &items, &first_line, &loads, &max_chars))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(items), misses = 0;
    PyObject *out = PyList_New(n);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(items, i), *r = NULL, *obj = NULL;
        const unsigned char *s = NULL;
        Py_ssize_t len = 0;
        if (PyDict_CheckExact(item)) {
            if (PyDict_GET_SIZE(item) > 0) {
                r = fp_parts(item, 1, first_line + i);
                if (r == NULL) goto fail;
            }
        } else if (PyBytes_CheckExact(item)) {
            s = (const unsigned char *)PyBytes_AS_STRING(item);
            len = PyBytes_GET_SIZE(item);
            for (Py_ssize_t k = 0; k < len; k++)
                if (s[k] >= 0x80) { s = NULL; break; }
        } else if (PyUnicode_CheckExact(item) && PyUnicode_IS_ASCII(item)) {
            s = PyUnicode_1BYTE_DATA(item);
            len = PyUnicode_GET_LENGTH(item);
        }
        if (s != NULL && len > max_chars) s = NULL; /* the core refuses it as too large */
        if (s != NULL) {
            obj = PyObject_CallOneArg(loads, item);
            if (obj == NULL) {
                if (!PyErr_ExceptionMatches(PyExc_ValueError) &&
                    !PyErr_ExceptionMatches(PyExc_TypeError) &&
                    !PyErr_ExceptionMatches(PyExc_RecursionError))
                    goto fail; /* (a reader's refusal: the caller's parse_record explains) */
                PyErr_Clear();
            } else {
                if (PyDict_CheckExact(obj) && PyDict_GET_SIZE(obj) > 0 &&
                    fp_quoted_keys(s, len) == PyDict_GET_SIZE(obj)) {
                    r = fp_parts(obj, 1, first_line + i);
                    if (r == NULL) { Py_DECREF(obj); goto fail; }
                }
                Py_DECREF(obj);
            }
        }
        if (r == NULL) {
            Py_INCREF(Py_None);
            r = Py_None;
        }
        if (r == Py_None) misses++;
        PyList_SET_ITEM(out, i, r);
    }
    PyObject *res = Py_BuildValue("(Nn)", out, misses);
    return res;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"set_simd", py_set_simd, METH_VARARGS,
     "set_simd(level) -> level used (0 scalar, 1 AVX2, 2 AVX-512; -1 = best available)"},
    {"keccak256", py_keccak256, METH_VARARGS, "keccak256(data) -> 32 bytes"},
    {"leaf_hashes", py_leaf_hashes, METH_VARARGS,
     "leaf_hashes(records, seqs_u64, commitments, tags, hash=True) -> n*32 bytes"},
    {"build_tree", py_build_tree, METH_VARARGS,
     "build_tree(leaves) -> (bytearray nodes, bytes uint32 order)"},
    {"set_threads", py_set_threads, METH_VARARGS, "set_threads(n) -> n (1..8)"},
    {"fast_setup", py_fast_setup, METH_VARARGS, "fast_setup(plans): the record schemas"},
    {"fast_parts", py_fast_parts, METH_O,
     "fast_parts(obj) -> (leaf_order, canonical, accounts) or None"},
    {"fast_chunk", py_fast_chunk, METH_VARARGS,
     "fast_chunk(items, first_line, loads, max_chars) -> (ingest tuples or None, misses)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_seal",
                                    "native sealing accelerator", -1, methods};

PyMODINIT_FUNC PyInit__seal(void) {
    detect_simd();
    return PyModule_Create(&module);
}
