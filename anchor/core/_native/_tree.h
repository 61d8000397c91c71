/* build_tree: the OpenZeppelin StandardMerkleTree layout over leaf hashes.
 * Part of _seal.c (one translation unit: included there, in order). */

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
