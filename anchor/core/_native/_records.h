/* The record fast path, part 1: the schemas (fast_setup) and value helpers.
 * Part of _seal.c (one translation unit: included there, in order). */

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
