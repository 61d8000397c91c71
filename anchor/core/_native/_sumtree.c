/*
 * anchor.core._native._sumtree -- optional accelerator for liabilities sum trees.
 *
 * The pure Python functions in anchor/core/sumtree.py are the reference; this module computes
 * the same bytes (tests/core/test_sumtree.py compares them) for rounds of millions of leaves.
 *
 *   derive(secret: bytes32, label: int, start: int, count: int) -> bytes
 *       count * 32 bytes: keccak256(secret || uint8 label || uint64be(start + i))
 *   permutation(secret: bytes32, count: int) -> bytes
 *       count native uint32: a Fisher-Yates shuffle of 0 .. count - 1 whose randomness is
 *       keccak256(secret || uint8 4 || uint64be(k)), k = 0, 1, ... (four 64-bit draws each,
 *       rejection sampling against bias)
 *   leaves(round_id, count, positions, commitments, salts, pads, records, balances, n_assets)
 *       -> (hashes: bytes, sums: bytes), both in position order (count leaves). Entry i
 *       (positions: n native uint32, commitments: n * 32 bytes, records: list of n bytes,
 *       balances: list of n * n_assets ints) sits at positions[i]; every other position holds
 *       a padding leaf (commitment pads[p], no records, zero balances). salts: count * 32. Leaf:
 *       keccak256(0x00 || uint64be(round_id) || commitment || salt || keccak256(records)
 *                 || uint256be(balance 0) .. (n_assets words));
 *       every balance must be an int in [0, 2^128 - 1] (ValueError when negative,
 *       OverflowError when above); sums are the balances as 32-byte big-endian words.
 *   has_duplicate(values: bytes) -> bool: two equal 32-byte values among them
 *   levels(hashes: bytes, sums: bytes, n_assets: int) -> list[(hashes, sums)]
 *       the levels above the given one (n a power of two) up to the root: node i of a level
 *       hashes keccak256(0x01 || left || right || left sums || right sums) of children 2i and
 *       2i + 1, and its sums are theirs added; OverflowError when a sum exceeds 2^160 - 1.
 *
 * Python objects are read with the GIL held; hashing runs without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ASSETS 16
#define WORD 32

/* keccak256 (the one scalar Keccak of the accelerators), its 4- and 8-lane variants and
 * detect_simd, and the module object: shared with _seal.c */
#include "_keccak_scalar.h"
#include "_keccak_lanes.h"
#include "_module.h"

/* out[i] = keccak256(msg i) for messages buf[offs[i] .. offs[i + 1]), i in [0, n). */
static void hash_msgs(const uint8_t *buf, const size_t *offs, size_t n, uint8_t *out) {
#ifdef HAVE_X86_SIMD
    if (simd_level == 2) { hash_jobs_avx512(buf, offs, 0, n, out, 0); return; }
    if (simd_level == 1) { hash_jobs_avx2(buf, offs, 0, n, out, 0); return; }
#endif
    for (size_t i = 0; i < n; i++) keccak256(buf + offs[i], offs[i + 1] - offs[i], out + 32 * i);
}

#define CHUNK 1024

/* out[i] = keccak256(buf[i * stride .. (i + 1) * stride)), i in [0, n). */
static void hash_fixed_1(const uint8_t *buf, size_t stride, size_t n, uint8_t *out) {
    size_t offs[CHUNK + 1];
    for (size_t i = 0; i <= CHUNK; i++) offs[i] = i * stride;
    for (size_t lo = 0; lo < n; lo += CHUNK) {
        size_t m = n - lo < CHUNK ? n - lo : CHUNK;
        hash_msgs(buf + lo * stride, offs, m, out + 32 * lo);
    }
}

typedef struct {
    const uint8_t *buf;
    size_t stride, n;
    uint8_t *out;
} fixed_job_t;

static void *fixed_job(void *p) {
    fixed_job_t *j = (fixed_job_t *)p;
    hash_fixed_1(j->buf, j->stride, j->n, j->out);
    return NULL;
}

/* The same on two threads (the caller's and one more) when there is enough to share. */
static void hash_fixed(const uint8_t *buf, size_t stride, size_t n, uint8_t *out) {
    if (n < 256) {
        hash_fixed_1(buf, stride, n, out);
        return;
    }
    size_t half = n / 2;
    fixed_job_t job = {buf + half * stride, stride, n - half, out + 32 * half};
    pthread_t th;
    int started = pthread_create(&th, NULL, fixed_job, &job) == 0;
    if (!started) fixed_job(&job);
    hash_fixed_1(buf, stride, half, out);
    if (started) pthread_join(th, NULL);
}

static void put_u64(uint8_t *dst, uint64_t v) {
    for (int i = 0; i < 8; i++) dst[7 - i] = (uint8_t)(v >> (8 * i));
}

/* 2^160 - 1 as a 32-byte word: the bound of every sum. */
static int above_max_sum(const uint8_t *w) {
    for (int i = 0; i < 12; i++)
        if (w[i]) return 1;
    return 0;
}

/* a + b into out (32-byte big-endian words); returns 1 on a carry out of 256 bits. */
static int add_words(const uint8_t *a, const uint8_t *b, uint8_t *out) {
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned v = (unsigned)a[i] + (unsigned)b[i] + carry;
        out[i] = (uint8_t)v;
        carry = v >> 8;
    }
    return (int)carry;
}

/* The bytes object of `size` bytes answering for a 32-byte `secret` whose other arguments are
 * `valid`; NULL with an exception (a ValueError saying `usage` when they are not), `secret`
 * then released. */
static PyObject *output_for(Py_buffer *secret, int valid, const char *usage, size_t size) {
    if (secret->len != 32 || !valid) {
        PyBuffer_Release(secret);
        PyErr_SetString(PyExc_ValueError, usage);
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (out == NULL) PyBuffer_Release(secret);
    return out;
}

static PyObject *py_derive(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer secret;
    int label;
    unsigned long long start, count;
    if (!PyArg_ParseTuple(args, "y*iKK", &secret, &label, &start, &count)) return NULL;
    int valid = label >= 0 && label <= 255 && count <= ((size_t)1 << 33);
    PyObject *out = output_for(&secret, valid, "derive: 32-byte secret, label 0..255", count * 32);
    if (out == NULL) return NULL;
    uint8_t *dst = (uint8_t *)PyBytes_AS_STRING(out);
    uint8_t *msgs = (uint8_t *)malloc(CHUNK * 41);
    if (msgs == NULL) {
        Py_DECREF(out);
        PyBuffer_Release(&secret);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    for (unsigned long long lo = 0; lo < count; lo += CHUNK) {
        size_t m = count - lo < CHUNK ? (size_t)(count - lo) : CHUNK;
        for (size_t i = 0; i < m; i++) {
            memcpy(msgs + 41 * i, secret.buf, 32);
            msgs[41 * i + 32] = (uint8_t)label;
            put_u64(msgs + 41 * i + 33, start + lo + i);
        }
        hash_fixed(msgs, 41, m, dst + 32 * lo);
    }
    Py_END_ALLOW_THREADS
    free(msgs);
    PyBuffer_Release(&secret);
    return out;
}

/* A balance into a 32-byte word: 0 <= v <= 2^128 - 1. */
static int put_balance(PyObject *v, uint8_t *dst) {
    if (!PyLong_Check(v) || PyBool_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "a balance must be an int");
        return -1;
    }
    memset(dst, 0, WORD);
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred()) return -1;
    if (overflow < 0 || (!overflow && x < 0)) {
        PyErr_SetString(PyExc_ValueError, "negative balance");
        return -1;
    }
    if (!overflow) {
        put_u64(dst + 24, (uint64_t)x);
        return 0;
    }
    size_t bits = _PyLong_NumBits(v);
    if (bits == (size_t)-1 && PyErr_Occurred()) return -1;
    if (bits > 128) {
        PyErr_SetString(PyExc_OverflowError, "balance above 2^128 - 1");
        return -1;
    }
#if PY_VERSION_HEX >= 0x030D0000
    return _PyLong_AsByteArray((PyLongObject *)v, dst + 16, 16, 0, 0, 1);
#else
    return _PyLong_AsByteArray((PyLongObject *)v, dst + 16, 16, 0, 0);
#endif
}

static PyObject *py_leaves(PyObject *self, PyObject *args) {
    unsigned long long round_id, count;
    Py_buffer pos, com, salts, pads;
    PyObject *records, *balances;
    int na;
    (void)self;
    if (!PyArg_ParseTuple(args, "KKy*y*y*y*OOi", &round_id, &count, &pos, &com, &salts, &pads,
                          &records, &balances, &na))
        return NULL;
    PyObject *res = NULL, *hashes = NULL, *sums = NULL;
    uint8_t *pre = NULL, *joined = NULL, *words = NULL, *rh = NULL;
    int32_t *owner = NULL;
    if (!PyList_Check(records) || !PyList_Check(balances) || na < 1 || na > MAX_ASSETS) {
        PyErr_SetString(PyExc_TypeError, "leaves: records and balances lists, 1..16 assets");
        goto done;
    }
    Py_ssize_t n = PyList_GET_SIZE(records);
    if (count == 0 || count > ((unsigned long long)1 << 32) || (unsigned long long)n > count ||
        pos.len != n * 4 || com.len != n * 32 || (unsigned long long)salts.len != count * 32 ||
        (unsigned long long)pads.len != count * 32 || PyList_GET_SIZE(balances) != n * na) {
        PyErr_SetString(PyExc_ValueError, "leaves: inconsistent lengths");
        goto done;
    }
    owner = (int32_t *)malloc(sizeof(int32_t) * count);
    if (owner == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memset(owner, 0xff, sizeof(int32_t) * count);
    const uint32_t *pv = (const uint32_t *)pos.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (pv[i] >= count || owner[pv[i]] >= 0) {
            PyErr_SetString(PyExc_ValueError, "leaves: positions out of range or repeated");
            goto done;
        }
        owner[pv[i]] = (int32_t)i;
    }
    hashes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count * 32));
    sums = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count * na * WORD));
    size_t plen = 1 + 8 + 32 * 3 + (size_t)na * WORD, sw = (size_t)na * WORD;
    pre = (uint8_t *)malloc(plen * CHUNK);
    words = (uint8_t *)malloc(sw * (size_t)n + 1);
    rh = (uint8_t *)malloc(32 * (size_t)n + 1);
    if (hashes == NULL || sums == NULL || pre == NULL || words == NULL || rh == NULL) {
        if (hashes != NULL && sums != NULL) PyErr_NoMemory();
        goto done;
    }
    uint8_t *h = (uint8_t *)PyBytes_AS_STRING(hashes);
    uint8_t *sm = (uint8_t *)PyBytes_AS_STRING(sums);
    /* phase 1, entry order (the Python objects, sequentially): balances as words, and the
     * records hashes as batches of messages */
    size_t offs[CHUNK + 1];
    for (Py_ssize_t lo = 0; lo < n; lo += CHUNK) {
        size_t m = (size_t)(n - lo < CHUNK ? n - lo : CHUNK), total = 0;
        for (size_t j = 0; j < m; j++) {
            PyObject *rec = PyList_GET_ITEM(records, lo + (Py_ssize_t)j);
            if (!PyBytes_Check(rec)) {
                PyErr_SetString(PyExc_TypeError, "leaves: records must be bytes");
                goto done;
            }
            total += (size_t)PyBytes_GET_SIZE(rec);
        }
        joined = (uint8_t *)malloc(total + 1);
        if (joined == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        offs[0] = 0;
        for (size_t j = 0; j < m; j++) {
            Py_ssize_t i = lo + (Py_ssize_t)j;
            PyObject *rec = PyList_GET_ITEM(records, i);
            size_t len = (size_t)PyBytes_GET_SIZE(rec);
            memcpy(joined + offs[j], PyBytes_AS_STRING(rec), len);
            offs[j + 1] = offs[j] + len;
            for (int a = 0; a < na; a++)
                if (put_balance(PyList_GET_ITEM(balances, i * na + a), words + (size_t)i * sw + WORD * a) < 0)
                    goto done;
        }
        hash_msgs(joined, offs, m, rh + 32 * (size_t)lo);
        free(joined);
        joined = NULL;
    }
    /* phase 2, position order (plain buffers): preimages, hashed in batches */
    uint8_t empty[MAX_ASSETS], empty_hash[32];
    memset(empty, '\n', sizeof empty);
    keccak256(empty, (size_t)(na - 1), empty_hash);
    const uint8_t *cb = (const uint8_t *)com.buf, *sb = (const uint8_t *)salts.buf;
    const uint8_t *pb = (const uint8_t *)pads.buf;
    Py_BEGIN_ALLOW_THREADS
    for (unsigned long long lo = 0; lo < count; lo += CHUNK) {
        size_t m = count - lo < CHUNK ? (size_t)(count - lo) : CHUNK;
        for (size_t j = 0; j < m; j++) {
            size_t p = (size_t)lo + j;
            uint8_t *pj = pre + plen * j;
            pj[0] = 0x00;
            put_u64(pj + 1, round_id);
            memcpy(pj + 41, sb + 32 * p, 32);
            int32_t i = owner[p];
            if (i < 0) {
                memcpy(pj + 9, pb + 32 * p, 32);
                memcpy(pj + 73, empty_hash, 32);
                memset(pj + 105, 0, sw);
                memset(sm + p * sw, 0, sw);
            } else {
                memcpy(pj + 9, cb + 32 * (size_t)i, 32);
                memcpy(pj + 73, rh + 32 * (size_t)i, 32);
                memcpy(pj + 105, words + (size_t)i * sw, sw);
                memcpy(sm + p * sw, words + (size_t)i * sw, sw);
            }
        }
        hash_fixed(pre, plen, m, h + 32 * lo);
    }
    Py_END_ALLOW_THREADS
    res = PyTuple_Pack(2, hashes, sums);
done:
    free(pre);
    free(joined);
    free(owner);
    free(words);
    free(rh);
    Py_XDECREF(hashes);
    Py_XDECREF(sums);
    PyBuffer_Release(&pos);
    PyBuffer_Release(&com);
    PyBuffer_Release(&salts);
    PyBuffer_Release(&pads);
    return res;
}

/* A random permutation of 0 .. count - 1 (Fisher-Yates), its randomness keccak256(secret ||
 * uint8 4 || uint64be(k)), four 64-bit draws per hash, each reduced without bias by rejection. */
static PyObject *py_permutation(PyObject *self, PyObject *args) {
    Py_buffer secret;
    unsigned long long count;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*K", &secret, &count)) return NULL;
    int valid = count >= 1 && count <= ((unsigned long long)1 << 32);
    PyObject *out =
        output_for(&secret, valid, "permutation: 32-byte secret, 1..2^32 items", count * 4);
    if (out == NULL) return NULL;
    uint32_t *perm = (uint32_t *)PyBytes_AS_STRING(out);
    uint8_t msg[41], block[32];
    memcpy(msg, secret.buf, 32);
    msg[32] = 4;
    Py_BEGIN_ALLOW_THREADS
    for (unsigned long long i = 0; i < count; i++) perm[i] = (uint32_t)i;
    unsigned long long k = 0;
    int used = 4;
    for (unsigned long long i = count - 1; i > 0; i--) {
        unsigned long long bound = i + 1, limit = UINT64_MAX - (UINT64_MAX % bound + 1) % bound;
        uint64_t r;
        do {
            if (used == 4) {
                put_u64(msg + 33, k++);
                keccak256(msg, sizeof msg, block);
                used = 0;
            }
            r = 0;
            for (int b = 0; b < 8; b++) r = (r << 8) | block[8 * used + b];
            used++;
        } while (r > limit);
        unsigned long long j = r % bound;
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&secret);
    return out;
}

/* One level up: n_parent nodes from 2 * n_parent children. Returns 0, or -1 on overflow. */
static int level_up(const uint8_t *ch, const uint8_t *cs, size_t np, int na, uint8_t *ph,
                    uint8_t *ps) {
    size_t sw = (size_t)na * WORD;
    size_t plen = 1 + 64 + 2 * sw;
    uint8_t *pre = (uint8_t *)malloc(plen * CHUNK);
    if (pre == NULL) return -2;
    for (size_t lo = 0; lo < np; lo += CHUNK) {
        size_t m = np - lo < CHUNK ? np - lo : CHUNK;
        for (size_t j = 0; j < m; j++) {
            size_t i = lo + j;
            uint8_t *pj = pre + plen * j;
            const uint8_t *ls = cs + (2 * i) * sw, *rs = cs + (2 * i + 1) * sw;
            pj[0] = 0x01;
            memcpy(pj + 1, ch + 64 * i, 64);
            memcpy(pj + 65, ls, sw);
            memcpy(pj + 65 + sw, rs, sw);
            for (int a = 0; a < na; a++) {
                uint8_t *o = ps + i * sw + (size_t)a * WORD;
                if (add_words(ls + a * WORD, rs + a * WORD, o) || above_max_sum(o)) {
                    free(pre);
                    return -1;
                }
            }
        }
        hash_fixed(pre, plen, m, ph + 32 * lo);
    }
    free(pre);
    return 0;
}

static PyObject *py_levels(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer hb, sb;
    int na;
    if (!PyArg_ParseTuple(args, "y*y*i", &hb, &sb, &na)) return NULL;
    PyObject *out = NULL;
    size_t n = (size_t)hb.len / 32;
    if (na < 1 || na > MAX_ASSETS || hb.len % 32 || n == 0 || (n & (n - 1)) ||
        (size_t)sb.len != n * na * WORD) {
        PyErr_SetString(PyExc_ValueError, "levels: a power-of-two count of nodes, 1..16 assets");
        goto done;
    }
    out = PyList_New(0);
    if (out == NULL) goto done;
    const uint8_t *ch = (const uint8_t *)hb.buf, *cs = (const uint8_t *)sb.buf;
    while (n > 1) {
        size_t np = n / 2;
        PyObject *h = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(np * 32));
        PyObject *s = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(np * na * WORD));
        if (h == NULL || s == NULL) {
            Py_XDECREF(h);
            Py_XDECREF(s);
            Py_CLEAR(out);
            goto done;
        }
        uint8_t *ph = (uint8_t *)PyBytes_AS_STRING(h), *ps = (uint8_t *)PyBytes_AS_STRING(s);
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = level_up(ch, cs, np, na, ph, ps);
        Py_END_ALLOW_THREADS
        PyObject *pair = rc == 0 ? PyTuple_Pack(2, h, s) : NULL;
        Py_DECREF(h);
        Py_DECREF(s);
        if (rc == -1) PyErr_SetString(PyExc_OverflowError, "a sum exceeds 2^160 - 1");
        if (rc == -2) PyErr_NoMemory();
        if (pair == NULL || PyList_Append(out, pair) < 0) {
            Py_XDECREF(pair);
            Py_CLEAR(out);
            goto done;
        }
        Py_DECREF(pair);
        ch = ph;
        cs = ps;
        n = np;
    }
done:
    PyBuffer_Release(&hb);
    PyBuffer_Release(&sb);
    return out;
}

/* Whether two of the n 32-byte values in buf are equal (an open-addressing table keyed by
 * their first 8 bytes: commitments are hashes, so those are spread evenly). */
static PyObject *py_has_duplicate(PyObject *self, PyObject *args) {
    Py_buffer b;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &b)) return NULL;
    if (b.len % 32) {
        PyBuffer_Release(&b);
        PyErr_SetString(PyExc_ValueError, "has_duplicate: 32-byte values");
        return NULL;
    }
    size_t n = (size_t)b.len / 32, cap = 16;
    while (cap < 2 * n) cap <<= 1;
    int64_t *table = (int64_t *)malloc(sizeof(int64_t) * cap);
    if (table == NULL) {
        PyBuffer_Release(&b);
        return PyErr_NoMemory();
    }
    memset(table, 0xff, sizeof(int64_t) * cap);
    const uint8_t *v = (const uint8_t *)b.buf;
    int dup = 0;
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < n && !dup; i++) {
        uint64_t key;
        memcpy(&key, v + 32 * i, 8);
        size_t slot = (size_t)(key * 0x9E3779B97F4A7C15ULL) & (cap - 1);
        while (table[slot] >= 0) {
            if (memcmp(v + 32 * (size_t)table[slot], v + 32 * i, 32) == 0) {
                dup = 1;
                break;
            }
            slot = (slot + 1) & (cap - 1);
        }
        table[slot] = (int64_t)i;
    }
    Py_END_ALLOW_THREADS
    free(table);
    PyBuffer_Release(&b);
    return PyBool_FromLong(dup);
}

static PyMethodDef methods[] = {
    METHOD(derive, METH_VARARGS, "(secret, label, start, count) -> bytes"),
    METHOD(leaves, METH_VARARGS,
           "(round_id, count, positions, commitments, salts, pads, records, balances, "
           "n_assets) -> (hashes, sums)"),
    METHOD(permutation, METH_VARARGS, "(secret, count) -> uint32 bytes"),
    METHOD(has_duplicate, METH_VARARGS, "(values) -> bool"),
    METHOD(levels, METH_VARARGS, "(hashes, sums, n_assets) -> [(hashes, sums)]"),
    {NULL, NULL, 0, NULL}};

ANCHOR_MODULE(_sumtree, "native sum-tree accelerator", methods)
