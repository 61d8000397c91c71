/* The record fast path, part 2: fast_parts (one record) and fast_chunk (many).
 * Part of _seal.c (one translation unit: included there, in order). */

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
