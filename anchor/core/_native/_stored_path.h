/* The stored tree's path for a leaf in one call: anchor.api.proofs' fast path (included
 * from _seal.c after _bundle.h). */

/*
 * stored_path(chunks, chunk_nodes, leaf_count, leaf) -> bytes | list | None
 *   A stored batch tree (OpenZeppelin layout: 2n-1 nodes of 32 bytes, sorted leaf k at
 *   node 2n-2-k) read from ``chunks`` (dict chunk no -> bytes of chunk_nodes nodes): the
 *   leaf is searched in the sorted leaf level (interpolation on its first 8 bytes, binary
 *   search after 6 probes: anchor.api.proofs._Tree.tree_index) and its sibling path
 *   returned, the nodes back to back. A list: the chunk numbers still needed (load them and
 *   call again). None: the leaf is not found, or a chunk is short (the caller's careful
 *   search then decides and names the damage).
 */
static const uint8_t *st_node(PyObject *chunks, long long per, long long node, PyObject *need,
                              int *fail) {
    long long no = node / per, off = node % per;
    PyObject *key = PyLong_FromLongLong(no);
    if (key == NULL) {
        *fail = -1;
        return NULL;
    }
    PyObject *blob = PyDict_GetItemWithError(chunks, key);
    if (blob == NULL) {
        if (PyErr_Occurred() || PyList_Append(need, key) < 0) *fail = -1;
        Py_DECREF(key);
        return NULL;
    }
    Py_DECREF(key);
    if (!PyBytes_CheckExact(blob) || PyBytes_GET_SIZE(blob) < (off + 1) * 32) {
        *fail = 1; /* short or not bytes: the careful path */
        return NULL;
    }
    return (const uint8_t *)PyBytes_AS_STRING(blob) + off * 32;
}

static uint64_t st_key(const uint8_t *p) {
    uint64_t k = 0;
    for (int i = 0; i < 8; i++) k = (k << 8) | p[i];
    return k;
}

static PyObject *py_stored_path(PyObject *self, PyObject *args) {
    PyObject *chunks;
    long long per, n;
    Py_buffer leaf;
    if (!PyArg_ParseTuple(args, "O!LLy*", &PyDict_Type, &chunks, &per, &n, &leaf)) return NULL;
    PyObject *need = PyList_New(0), *result = NULL;
    int fail = 0;
    if (need == NULL) goto out;
    if (leaf.len != 32 || per < 1 || n < 1 || n > (1LL << 40)) {
        fail = 1;
        goto out;
    }
    const uint8_t *want = (const uint8_t *)leaf.buf;
    long long lo = 0, hi = n - 1, found = -1;
    uint64_t key = st_key(want);
    unsigned __int128 vlo = 0, vhi = (unsigned __int128)1 << 64;
    int probes = 0;
    while (lo <= hi) {
        long long mid;
        if (probes < 6 && vhi > vlo) {
            unsigned __int128 span = (unsigned __int128)(hi - lo + 1);
            unsigned __int128 d = key >= vlo ? ((unsigned __int128)key - vlo) * span / (vhi - vlo)
                                             : 0;
            mid = d > (unsigned __int128)(hi - lo) ? hi : lo + (long long)d;
            if (key < vlo) mid = lo; /* (Python: a negative step, clamped to lo) */
        } else {
            mid = (lo + hi) >> 1;
        }
        probes++;
        const uint8_t *v = st_node(chunks, per, 2 * n - 2 - mid, need, &fail);
        if (v == NULL) goto out;
        int c = memcmp(v, want, 32);
        if (c == 0) {
            found = mid;
            break;
        }
        if (c < 0) {
            lo = mid + 1;
            vlo = st_key(v);
        } else {
            hi = mid - 1;
            vhi = (unsigned __int128)st_key(v) + 1;
        }
    }
    if (found < 0) {
        fail = 1;
        goto out;
    }
    /* the siblings from the leaf's node up to the root (merkle.proof_node_indices) */
    uint8_t path[64 * 32];
    int np = 0;
    for (long long i = 2 * n - 2 - found; i > 0 && np < 64; i = (i - 1) / 2) {
        const uint8_t *v = st_node(chunks, per, i % 2 ? i + 1 : i - 1, need, &fail);
        if (fail) goto out;
        if (v != NULL) memcpy(path + 32 * np, v, 32);
        np++;
    }
    if (PyList_GET_SIZE(need) == 0) result = PyBytes_FromStringAndSize((const char *)path, 32 * np);
out:
    PyBuffer_Release(&leaf);
    if (fail < 0) {
        Py_XDECREF(need);
        return NULL;
    }
    if (fail > 0) {
        Py_XDECREF(need);
        Py_RETURN_NONE;
    }
    if (result != NULL) {
        Py_DECREF(need);
        return result;
    }
    return need; /* the chunks still needed */
}
