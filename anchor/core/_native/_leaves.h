/* leaf_hashes: ABI-encode records (leaf_order tuples) and double-hash them.
 * Part of _seal.c (one translation unit: included there, in order). */

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
    /* buffers for the first chunk's records (they grow when an encoding needs it): a call
       for one record (a proof's leaf) allocates a few hundred bytes, not megabytes */
    size_t per = (size_t)(n < CHUNK ? (n > 0 ? n : 1) : CHUNK);
    size_t cap[2] = {per * 512, per * 512};
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
        offs[k] = malloc(sizeof(size_t) * (per + 1));
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
        if (do_hash && n_threads > 1 && m > BLOCK) /* one block: this thread alone */
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
