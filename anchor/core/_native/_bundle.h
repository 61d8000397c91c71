/* The proof bundle's bytes in one call: anchor.core.proof_render's accelerator.
 * Part of _seal.c (one translation unit: included there, in order).
 *
 * bundle_setup(plans): per schema index, (record_plan, leaf_encoding, tags) where
 *   record_plan  tuple of (prefix bytes, slot, how, names) in the record's canonical order:
 *                prefix '    "key": ', slot an index into the leaf_order tuple, how one of
 *                BH_* below; names (BH_ENUM) the JSON texts of the choices, by index
 *   leaf_encoding  bytes: the "leafEncoding" list as the bundle writes it
 *   tags         str: one letter per leaf value after the first four (u, i, s, a, h)
 * bundle_json(order, seq, commitments, leaf, path, root, head, tail) -> bytes or None
 *   The canonical bundle (checksum included) of the leaf_order tuple ``order`` at ``seq``
 *   with no disclosed accounts: head + seq, record, "accounts": [], leafEncoding, value,
 *   leaf, proof, root, then tail (the anchor member and the closing brace) -- what
 *   ProofBundle.to_json writes. ``leaf`` is the record's leaf (computed by the caller);
 *   the path is hashed from it and must reach ``root``. None for anything the pure path
 *   should decide (a value it would escape differently, a missing commitment, a path that
 *   does not reach the root...): the caller then runs the pure path, which gives the same
 *   bytes or the error.
 */

enum { BH_LIT = 0, BH_STR = 1, BH_INT = 2, BH_ACC = 3, BH_OPT = 4, BH_ENUM = 5 };

#define BH_MAXS 32
#define BH_MAXF 64
#define BH_MAXP 64 /* proof nodes (proof_bundle.MAX_PROOF_LEN) */

typedef struct {
    int n;
    PyObject *prefix[BH_MAXF]; /* bytes */
    int slot[BH_MAXF], how[BH_MAXF];
    PyObject *names[BH_MAXF]; /* tuple of bytes, or NULL */
    PyObject *leaf_encoding;  /* bytes */
    char tags[BH_MAXF + 1];
    int ntags;
} bh_plan_t;

static bh_plan_t bh_plans[BH_MAXS];
static int bh_nplans = -1;

static PyObject *py_bundle_setup(PyObject *self, PyObject *args) {
    PyObject *plans;
    if (!PyArg_ParseTuple(args, "O!", &PyTuple_Type, &plans)) return NULL;
    Py_ssize_t ns = PyTuple_GET_SIZE(plans);
    if (ns > BH_MAXS) {
        PyErr_SetString(PyExc_ValueError, "too many schemas");
        return NULL;
    }
    bh_nplans = -1;
    for (Py_ssize_t s = 0; s < ns; s++) {
        bh_plan_t *p = &bh_plans[s];
        PyObject *rec, *enc, *tags;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(plans, s), "O!SU", &PyTuple_Type, &rec, &enc,
                              &tags))
            return NULL;
        Py_ssize_t n = PyTuple_GET_SIZE(rec);
        if (n > BH_MAXF || !PyUnicode_IS_ASCII(tags) || PyUnicode_GET_LENGTH(tags) > BH_MAXF) {
            PyErr_SetString(PyExc_ValueError, "bundle_setup: schema too large");
            return NULL;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *pre, *names;
            int slot, how;
            if (!PyArg_ParseTuple(PyTuple_GET_ITEM(rec, i), "SiiO", &pre, &slot, &how, &names))
                return NULL;
            if (slot < 0 || slot > BH_MAXF + 3 || how < BH_LIT || how > BH_ENUM ||
                (how == BH_ENUM && !PyTuple_Check(names))) {
                PyErr_SetString(PyExc_ValueError, "bundle_setup: bad record plan");
                return NULL;
            }
            Py_INCREF(pre);
            p->prefix[i] = pre; /* kept for the process's life, like fast_setup's plans */
            p->slot[i] = slot;
            p->how[i] = how;
            p->names[i] = NULL;
            if (how == BH_ENUM) {
                Py_INCREF(names);
                p->names[i] = names;
            }
        }
        p->n = (int)n;
        Py_INCREF(enc);
        p->leaf_encoding = enc;
        p->ntags = (int)PyUnicode_GET_LENGTH(tags);
        memcpy(p->tags, PyUnicode_DATA(tags), (size_t)p->ntags);
        p->tags[p->ntags] = 0;
    }
    bh_nplans = (int)ns;
    Py_RETURN_NONE;
}

/* A growing output buffer; any failure sets err (the result is then None or an error). */
typedef struct {
    char *d;
    size_t n, cap;
    int err;
} bh_buf_t;

static void bh_put(bh_buf_t *b, const char *s, size_t n) {
    if (b->err) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap * 2;
        while (cap < b->n + n) cap *= 2;
        char *d = (char *)realloc(b->d, cap);
        if (d == NULL) {
            b->err = 1;
            return;
        }
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, s, n);
    b->n += n;
}

#define BH_LITERAL(b, s) bh_put((b), (s), sizeof(s) - 1)

static void bh_hex(bh_buf_t *b, const uint8_t *v, size_t n) {
    static const char digits[] = "0123456789abcdef";
    char tmp[2 * 64];
    while (n > 0) {
        size_t m = n > 64 ? 64 : n;
        for (size_t i = 0; i < m; i++) {
            tmp[2 * i] = digits[v[i] >> 4];
            tmp[2 * i + 1] = digits[v[i] & 15];
        }
        bh_put(b, tmp, 2 * m);
        v += m;
        n -= m;
    }
}

/* "0x" + 64 hex digits, quoted. */
static void bh_hex32(bh_buf_t *b, const uint8_t *v) {
    BH_LITERAL(b, "\"0x");
    bh_hex(b, v, 32);
    BH_LITERAL(b, "\"");
}

/* A str as json's encode_basestring_ascii writes it; only ASCII text is taken (anything
   else: err, so the pure path writes it). */
static void bh_str(bh_buf_t *b, PyObject *v) {
    if (!PyUnicode_CheckExact(v) || !PyUnicode_IS_COMPACT_ASCII(v)) {
        b->err = 1;
        return;
    }
    const unsigned char *s = (const unsigned char *)PyUnicode_DATA(v);
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    BH_LITERAL(b, "\"");
    Py_ssize_t run = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') continue;
        bh_put(b, (const char *)s + run, (size_t)(i - run));
        run = i + 1;
        char esc[8];
        switch (c) {
        case '"': BH_LITERAL(b, "\\\""); break;
        case '\\': BH_LITERAL(b, "\\\\"); break;
        case '\n': BH_LITERAL(b, "\\n"); break;
        case '\r': BH_LITERAL(b, "\\r"); break;
        case '\t': BH_LITERAL(b, "\\t"); break;
        case '\b': BH_LITERAL(b, "\\b"); break;
        case '\f': BH_LITERAL(b, "\\f"); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            bh_put(b, esc, 6);
        }
    }
    bh_put(b, (const char *)s + run, (size_t)(n - run));
    BH_LITERAL(b, "\"");
}

/* An int's decimal text (exact int only; err otherwise). */
static void bh_int(bh_buf_t *b, PyObject *v) {
    if (!PyLong_CheckExact(v)) {
        b->err = 1;
        return;
    }
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (!overflow && !(x == -1 && PyErr_Occurred())) {
        char tmp[24];
        int m = snprintf(tmp, sizeof tmp, "%lld", x);
        bh_put(b, tmp, (size_t)m);
        return;
    }
    PyErr_Clear();
    PyObject *s = PyObject_Str(v);
    if (s == NULL) {
        PyErr_Clear();
        b->err = 1;
        return;
    }
    Py_ssize_t m;
    const char *t = PyUnicode_AsUTF8AndSize(s, &m);
    if (t == NULL) {
        PyErr_Clear();
        b->err = 1;
    } else {
        bh_put(b, t, (size_t)m);
    }
    Py_DECREF(s);
}

/* The commitment of an account id (a 32-byte bytes value in the dict), or NULL. */
static const uint8_t *bh_commitment(PyObject *commitments, PyObject *acc) {
    if (!PyUnicode_CheckExact(acc)) return NULL;
    PyObject *c = PyDict_GetItemWithError(commitments, acc);
    if (c == NULL || !PyBytes_CheckExact(c) || PyBytes_GET_SIZE(c) != 32) {
        PyErr_Clear();
        return NULL;
    }
    return (const uint8_t *)PyBytes_AS_STRING(c);
}

static int bh_is_zero32(PyObject *v) {
    const char *s = PyBytes_AS_STRING(v);
    for (int i = 0; i < 32; i++)
        if (s[i]) return 0;
    return 1;
}

static void bh_bytes(bh_buf_t *b, PyObject *v) {
    bh_put(b, PyBytes_AS_STRING(v), (size_t)PyBytes_GET_SIZE(v));
}

static void bh_record(bh_buf_t *b, const bh_plan_t *p, PyObject *order, PyObject *comm) {
    Py_ssize_t len = PyTuple_GET_SIZE(order);
    int first = 1;
    BH_LITERAL(b, "{\n");
    for (int i = 0; i < p->n && !b->err; i++) {
        int how = p->how[i];
        PyObject *v = NULL;
        if (how != BH_LIT) {
            if (p->slot[i] >= len) {
                b->err = 1;
                break;
            }
            v = PyTuple_GET_ITEM(order, p->slot[i]);
        }
        if (how == BH_OPT) {
            if (!PyBytes_CheckExact(v) || PyBytes_GET_SIZE(v) != 32) {
                b->err = 1;
                break;
            }
            if (bh_is_zero32(v)) continue; /* omitted when zero */
        }
        if (!first) BH_LITERAL(b, ",\n");
        first = 0;
        bh_bytes(b, p->prefix[i]);
        switch (how) {
        case BH_LIT: break;
        case BH_STR: bh_str(b, v); break;
        case BH_INT:
            BH_LITERAL(b, "\"");
            bh_int(b, v);
            BH_LITERAL(b, "\"");
            break;
        case BH_ACC: {
            const uint8_t *c = bh_commitment(comm, v);
            if (c == NULL) b->err = 1;
            else bh_hex32(b, c);
            break;
        }
        case BH_OPT: bh_hex32(b, (const uint8_t *)PyBytes_AS_STRING(v)); break;
        default: { /* BH_ENUM: the choice's name, by its index */
            Py_ssize_t k = PyLong_CheckExact(v) ? PyLong_AsSsize_t(v) : -1;
            if (k == -1 && PyErr_Occurred()) PyErr_Clear();
            PyObject *names = p->names[i];
            if (k < 0 || k >= PyTuple_GET_SIZE(names) ||
                !PyBytes_CheckExact(PyTuple_GET_ITEM(names, k)))
                b->err = 1;
            else
                bh_bytes(b, PyTuple_GET_ITEM(names, k));
        }
        }
    }
    BH_LITERAL(b, "\n  }");
}

/* The "value" list: kind code, version, record id, seq, then the fields by their tags. */
static void bh_values(bh_buf_t *b, const bh_plan_t *p, PyObject *order, PyObject *seq,
                      PyObject *comm) {
    Py_ssize_t len = PyTuple_GET_SIZE(order);
    if (len != 4 + p->ntags) {
        b->err = 1;
        return;
    }
    BH_LITERAL(b, "[\n    \"");
    bh_int(b, PyTuple_GET_ITEM(order, 1));
    BH_LITERAL(b, "\",\n    \"");
    bh_int(b, PyTuple_GET_ITEM(order, 2));
    BH_LITERAL(b, "\",\n    ");
    bh_str(b, PyTuple_GET_ITEM(order, 3));
    BH_LITERAL(b, ",\n    \"");
    bh_int(b, seq);
    BH_LITERAL(b, "\"");
    for (int i = 0; i < p->ntags && !b->err; i++) {
        PyObject *v = PyTuple_GET_ITEM(order, 4 + i);
        BH_LITERAL(b, ",\n    ");
        switch (p->tags[i]) {
        case 'u':
        case 'i':
            BH_LITERAL(b, "\"");
            bh_int(b, v);
            BH_LITERAL(b, "\"");
            break;
        case 's': bh_str(b, v); break;
        case 'a': {
            const uint8_t *c = bh_commitment(comm, v);
            if (c == NULL) b->err = 1;
            else bh_hex32(b, c);
            break;
        }
        case 'h':
            if (!PyBytes_CheckExact(v) || PyBytes_GET_SIZE(v) != 32) b->err = 1;
            else bh_hex32(b, (const uint8_t *)PyBytes_AS_STRING(v));
            break;
        default: b->err = 1;
        }
    }
    BH_LITERAL(b, "\n  ]");
}

static PyObject *py_bundle_json(PyObject *self, PyObject *args) {
    PyObject *order, *seq, *comm, *path, *head, *tail;
    Py_buffer leaf, root;
    if (!PyArg_ParseTuple(args, "O!O!O!y*Oy*SS", &PyTuple_Type, &order, &PyLong_Type, &seq,
                          &PyDict_Type, &comm, &leaf, &path, &root, &head, &tail))
        return NULL;
    PyObject *result = NULL;
    PyObject *fast = NULL;
    bh_buf_t b = {NULL, 0, 0, 0};
    if (bh_nplans < 0 || leaf.len != 32 || root.len != 32) goto decline;
    if (PyTuple_GET_SIZE(order) < 4 || !PyLong_CheckExact(PyTuple_GET_ITEM(order, 0)))
        goto decline;
    long si = PyLong_AsLong(PyTuple_GET_ITEM(order, 0));
    if (si < 0 || si >= bh_nplans) {
        PyErr_Clear();
        goto decline;
    }
    const bh_plan_t *p = &bh_plans[si];
    /* the path: its nodes back to back (bytes), or a sequence of 32-byte bytes */
    const uint8_t *nodes[BH_MAXP];
    Py_ssize_t np;
    if (PyBytes_CheckExact(path)) {
        np = PyBytes_GET_SIZE(path) / 32;
        if (PyBytes_GET_SIZE(path) % 32 != 0 || np > BH_MAXP) goto decline;
        for (Py_ssize_t i = 0; i < np; i++)
            nodes[i] = (const uint8_t *)PyBytes_AS_STRING(path) + 32 * i;
    } else {
        fast = PySequence_Fast(path, "path: a sequence of nodes");
        if (fast == NULL) goto done;
        np = PySequence_Fast_GET_SIZE(fast);
        if (np > BH_MAXP) goto decline;
        for (Py_ssize_t i = 0; i < np; i++) {
            PyObject *node = PySequence_Fast_GET_ITEM(fast, i);
            if (!PyBytes_CheckExact(node) || PyBytes_GET_SIZE(node) != 32) goto decline;
            nodes[i] = (const uint8_t *)PyBytes_AS_STRING(node);
        }
    }
    /* the path from the leaf must reach the root */
    uint8_t h[32], pair[64];
    memcpy(h, leaf.buf, 32);
    for (Py_ssize_t i = 0; i < np; i++) {
        const uint8_t *s = nodes[i];
        if (memcmp(h, s, 32) <= 0) {
            memcpy(pair, h, 32);
            memcpy(pair + 32, s, 32);
        } else {
            memcpy(pair, s, 32);
            memcpy(pair + 32, h, 32);
        }
        keccak256(pair, 64, h);
    }
    if (memcmp(h, root.buf, 32) != 0) goto decline;

    b.cap = 4096;
    b.d = (char *)malloc(b.cap);
    if (b.d == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    bh_bytes(&b, head);
    bh_int(&b, seq);
    BH_LITERAL(&b, ",\n  \"record\": ");
    bh_record(&b, p, order, comm);
    BH_LITERAL(&b, ",\n  \"accounts\": [],\n  \"leafEncoding\": ");
    bh_bytes(&b, p->leaf_encoding);
    BH_LITERAL(&b, ",\n  \"value\": ");
    bh_values(&b, p, order, seq, comm);
    BH_LITERAL(&b, ",\n  \"leaf\": ");
    bh_hex32(&b, (const uint8_t *)leaf.buf);
    BH_LITERAL(&b, ",\n  \"proof\": ");
    if (np == 0) {
        BH_LITERAL(&b, "[]");
    } else {
        for (Py_ssize_t i = 0; i < np; i++) {
            if (i == 0) BH_LITERAL(&b, "[\n    ");
            else BH_LITERAL(&b, ",\n    ");
            bh_hex32(&b, nodes[i]);
        }
        BH_LITERAL(&b, "\n  ]");
    }
    BH_LITERAL(&b, ",\n  \"root\": ");
    bh_hex32(&b, (const uint8_t *)root.buf);
    BH_LITERAL(&b, ",\n  ");
    bh_bytes(&b, tail);
    if (b.err) goto decline;
    if (b.n < 3 || memcmp(b.d + b.n - 3, "\n}\n", 3) != 0) goto decline;
    uint8_t sum[32];
    keccak256((const uint8_t *)b.d, b.n, sum); /* the checksum: over the body without it */
    b.n -= 3;
    BH_LITERAL(&b, ",\n  \"checksum\": ");
    bh_hex32(&b, sum);
    BH_LITERAL(&b, "\n}\n");
    if (b.err) goto decline;
    result = PyBytes_FromStringAndSize(b.d, (Py_ssize_t)b.n);
    goto done;
decline:
    if (PyErr_Occurred()) PyErr_Clear();
    Py_INCREF(Py_None);
    result = Py_None;
done:
    free(b.d);
    Py_XDECREF(fast);
    PyBuffer_Release(&leaf);
    PyBuffer_Release(&root);
    return result;
}
