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
 *   bundle_setup(plans) / bundle_json(...) -> bytes | None
 *       a proof bundle's canonical bytes in one call (_bundle.h; anchor.core.proof_render)
 *   pg_copy_records(batch, seq0, leaves, stamp) / pg_copy_links(batch, seq0) -> bytes
 *       a chunk of records and their account links as PostgreSQL binary COPY rows
 *       (_pgcopy.h; anchor.store.pg_copy)
 *   build_tree(leaves: bytes) -> (bytearray nodes, bytes order)
 *       OpenZeppelin StandardMerkleTree layout over n 32-byte leaf hashes: leaves sorted
 *       (stable), flat array of 2n-1 nodes, leaf k (sorted) at node 2n-2-k, sorted-pair
 *       hashing. ``order`` is n native uint32: input index of the k-th sorted leaf.
 *
 * One translation unit in parts, included below in order: _keccak.h (keccak, SIMD, threads),
 * _leaves.h (leaf_hashes), _tree.h (build_tree), _records.h and _records_chunk.h (the
 * record fast path), _bundle.h (proof bundles), _stored_path.h (a leaf's path in a stored tree),
 * _pgcopy.h (PostgreSQL COPY rows);
 * _module.h (the module object, shared with _sumtree.c).
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

#include "_keccak.h"
#include "_module.h"
#include "_leaves.h"
#include "_tree.h"

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

#include "_records.h"
#include "_records_chunk.h"
#include "_bundle.h"
#include "_stored_path.h"
#include "_pgcopy.h"

static PyMethodDef methods[] = {
    METHOD(set_simd, METH_VARARGS,
           "(level) -> level used (0 scalar, 1 AVX2, 2 AVX-512; -1 = best available)"),
    METHOD(keccak256, METH_VARARGS, "(data) -> 32 bytes"),
    METHOD(bundle_setup, METH_VARARGS, "(plans): the bundle layouts"),
    METHOD(bundle_json, METH_VARARGS,
           "(order, seq, commitments, leaf, path, root, head, tail) -> bytes or None"),
    METHOD(stored_path, METH_VARARGS,
           "(chunks, chunk_nodes, leaf_count, leaf) -> path bytes, needed chunks or None"),
    METHOD(leaf_hashes, METH_VARARGS,
           "(records, seqs_u64, commitments, tags, hash=True) -> n*32 bytes"),
    METHOD(build_tree, METH_VARARGS, "(leaves) -> (bytearray nodes, bytes uint32 order)"),
    METHOD(set_threads, METH_VARARGS, "(n) -> n (1..8)"),
    METHOD(pg_copy_records, METH_VARARGS, "(batch, seq0, leaves, stamp) -> COPY rows"),
    METHOD(pg_copy_links, METH_VARARGS, "(batch, seq0) -> COPY rows"),
    METHOD(fast_setup, METH_VARARGS, "(plans): the record schemas"),
    METHOD(fast_parts, METH_O, "(obj) -> (leaf_order, canonical, accounts) or None"),
    METHOD(fast_chunk, METH_VARARGS,
           "(items, first_line, loads, max_chars) -> (ingest tuples or None, misses)"),
    {NULL, NULL, 0, NULL}};

ANCHOR_MODULE(_seal, "native sealing accelerator", methods)
