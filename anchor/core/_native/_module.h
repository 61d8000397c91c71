/* The method table's entries and the module object with its PyInit, shared by _seal.c and
 * _sumtree.c (included after _keccak_lanes.h: detect_simd chooses the SIMD level at import).
 *   METHOD(keccak256, METH_VARARGS, "(data) -> 32 bytes") registers py_keccak256 as
 *       keccak256, its docstring the name followed by the signature;
 *   ANCHOR_MODULE(_seal, "doc", methods) defines the module and PyInit__seal. */

#ifndef ANCHOR_MODULE_H
#define ANCHOR_MODULE_H

#define METHOD(name, flags, signature) {#name, py_##name, flags, #name signature}

#define ANCHOR_MODULE(name, doc, methods)                                                  \
    static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, #name, doc, -1, methods};  \
    PyMODINIT_FUNC PyInit_##name(void) {                                                  \
        detect_simd();                                                                    \
        return PyModule_Create(&module);                                                  \
    }

#endif /* ANCHOR_MODULE_H */
