/* A chunk of records as PostgreSQL's binary COPY rows, in one call: the fast path of
 * anchor.store.pg_copy (included from _seal.c). psycopg's write_row spends ~1.9 us of the
 * interpreter's time on each record row, time the validating thread of the same load waits
 * for; here a chunk of 5,000 rows is ~1 ms. The pure twin: anchor.store.pg_copy.rows_py.
 *
 * pg_copy_records(batch, seq0, leaves, stamp) -> bytes
 *   batch: list of the core's prepared tuples (anchor.core.prepare.Prepared: record id,
 *   kind, version, canonical JSON, content hash at positions 1..5); leaf i at
 *   leaves[32i:32i+32]; stamp: the received_at column's 8 bytes. The rows of ``records``
 *   (seq int8, record_id, kind, version int4, canonical, content_hash bytea, leaf bytea,
 *   received_at timestamptz) back to back, seqs from seq0, without the stream's signature
 *   and trailer.
 * pg_copy_links(batch, seq0) -> bytes
 *   the rows of ``record_accounts`` (account_id, seq int8): each record's accounts
 *   (position 6, a tuple of str), in order.
 * TypeError / ValueError for anything the core does not make.
 */
#define PC_TUPLE 7 /* positions read: 1..6 */

static void pc_be16(char *p, uint16_t v) {
    p[0] = (char)(v >> 8);
    p[1] = (char)v;
}

static void pc_be32(char *p, uint32_t v) {
    for (int i = 3; i >= 0; i--, v >>= 8) p[i] = (char)v;
}

static void pc_be64(char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (char)v;
}

/* the UTF-8 of a str field (ASCII strings: their own buffer, nothing copied) */
static const char *pc_text(PyObject *s, Py_ssize_t *len) {
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "pg_copy: a text field is not str");
        return NULL;
    }
    const char *data = PyUnicode_AsUTF8AndSize(s, len);
    if (data != NULL && *len > INT32_MAX - 64) {
        PyErr_SetString(PyExc_ValueError, "pg_copy: a text field is too long");
        return NULL;
    }
    return data;
}

static char *pc_field(char *w, const void *data, Py_ssize_t len) {
    pc_be32(w, (uint32_t)len);
    memcpy(w + 4, data, (size_t)len);
    return w + 4 + len;
}

static PyObject *pc_item(PyObject *batch, Py_ssize_t i) {
    PyObject *p = PyList_GET_ITEM(batch, i);
    if (!PyTuple_Check(p) || PyTuple_GET_SIZE(p) < PC_TUPLE) {
        PyErr_SetString(PyExc_TypeError, "pg_copy: not a prepared record");
        return NULL;
    }
    return p;
}

/* one record row: its size when w is NULL, else written at w (returns the end) */
static Py_ssize_t pc_record(PyObject *p, long long seq, const char *leaf, const char *stamp,
                            char *w) {
    Py_ssize_t rid_n, kind_n, canon_n;
    const char *rid = pc_text(PyTuple_GET_ITEM(p, 1), &rid_n);
    const char *kind = rid ? pc_text(PyTuple_GET_ITEM(p, 2), &kind_n) : NULL;
    const char *canon = kind ? pc_text(PyTuple_GET_ITEM(p, 4), &canon_n) : NULL;
    if (canon == NULL) return -1;
    PyObject *version = PyTuple_GET_ITEM(p, 3), *hash = PyTuple_GET_ITEM(p, 5);
    if (!PyLong_CheckExact(version) || !PyBytes_CheckExact(hash) ||
        PyBytes_GET_SIZE(hash) != 32) {
        PyErr_SetString(PyExc_TypeError, "pg_copy: version or content hash malformed");
        return -1;
    }
    long v = PyLong_AsLong(version);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (v < INT32_MIN || v > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "pg_copy: version out of int4's range");
        return -1;
    }
    Py_ssize_t size = 2 + 12 + (4 + rid_n) + (4 + kind_n) + 8 + (4 + canon_n) + 36 + 36 + 12;
    if (w == NULL) return size;
    char *start = w;
    pc_be16(w, 8);
    pc_be32(w + 2, 8);
    pc_be64(w + 6, (uint64_t)seq);
    w = pc_field(w + 14, rid, rid_n);
    w = pc_field(w, kind, kind_n);
    pc_be32(w, 4);
    pc_be32(w + 4, (uint32_t)(int32_t)v);
    w = pc_field(w + 8, canon, canon_n);
    w = pc_field(w, PyBytes_AS_STRING(hash), 32);
    w = pc_field(w, leaf, 32);
    w = pc_field(w, stamp, 8);
    return w - start;
}

static PyObject *py_pg_copy_records(PyObject *self, PyObject *args) {
    PyObject *batch, *out = NULL;
    long long seq0;
    Py_buffer leaves, stamp;
    if (!PyArg_ParseTuple(args, "O!Ly*y*", &PyList_Type, &batch, &seq0, &leaves, &stamp))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(batch), total = 0;
    if (leaves.len != 32 * n || stamp.len != 8 || seq0 < 0 || seq0 > INT64_MAX - n) {
        PyErr_SetString(PyExc_ValueError, "pg_copy: leaves, stamp or seqs do not fit");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) { /* sizes first: one allocation */
        PyObject *p = pc_item(batch, i);
        Py_ssize_t size = p ? pc_record(p, 0, NULL, NULL, NULL) : -1;
        if (size < 0) goto done;
        if (total > PY_SSIZE_T_MAX - size) {
            PyErr_SetString(PyExc_ValueError, "pg_copy: chunk too large");
            goto done;
        }
        total += size;
    }
    out = PyBytes_FromStringAndSize(NULL, total);
    if (out == NULL) goto done;
    char *w = PyBytes_AS_STRING(out);
    const char *leaf = (const char *)leaves.buf;
    for (Py_ssize_t i = 0; i < n; i++) /* nothing changed since: no Python code ran */
        w += pc_record(PyList_GET_ITEM(batch, i), seq0 + i, leaf + 32 * i,
                       (const char *)stamp.buf, w);
done:
    PyBuffer_Release(&leaves);
    PyBuffer_Release(&stamp);
    return out;
}

static PyObject *py_pg_copy_links(PyObject *self, PyObject *args) {
    PyObject *batch;
    long long seq0;
    if (!PyArg_ParseTuple(args, "O!L", &PyList_Type, &batch, &seq0)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(batch), total = 0, len;
    if (seq0 < 0 || seq0 > INT64_MAX - n) {
        PyErr_SetString(PyExc_ValueError, "pg_copy: seqs do not fit");
        return NULL;
    }
    for (int pass = 0; pass < 2; pass++) { /* sizes, then the rows */
        PyObject *out = NULL;
        char *w = NULL;
        if (pass == 1) {
            out = PyBytes_FromStringAndSize(NULL, total);
            if (out == NULL) return NULL;
            w = PyBytes_AS_STRING(out);
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *p = pc_item(batch, i);
            PyObject *accounts = p ? PyTuple_GET_ITEM(p, 6) : NULL;
            if (accounts != NULL && !PyTuple_Check(accounts)) {
                PyErr_SetString(PyExc_TypeError, "pg_copy: accounts are not a tuple");
                accounts = NULL;
            }
            if (accounts == NULL) {
                Py_XDECREF(out);
                return NULL;
            }
            for (Py_ssize_t a = 0; a < PyTuple_GET_SIZE(accounts); a++) {
                const char *id = pc_text(PyTuple_GET_ITEM(accounts, a), &len);
                if (id == NULL) {
                    Py_XDECREF(out);
                    return NULL;
                }
                if (pass == 0) {
                    if (total > PY_SSIZE_T_MAX - (len + 18)) {
                        PyErr_SetString(PyExc_ValueError, "pg_copy: chunk too large");
                        return NULL;
                    }
                    total += 2 + (4 + len) + 12;
                    continue;
                }
                pc_be16(w, 2);
                w = pc_field(w + 2, id, len);
                pc_be32(w, 8);
                pc_be64(w + 4, (uint64_t)(seq0 + i));
                w += 12;
            }
        }
        if (pass == 1) return out;
    }
    return NULL; /* not reached */
}
