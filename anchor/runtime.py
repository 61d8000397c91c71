"""Process-wide settings the service restores after its dependencies are imported.

``py_ecc`` (imported by eth-account and web3) raises Python's recursion limit to 100,000 when
it is imported. With the limit that high the interpreter's own guard no longer stops a deep
recursion before the C stack overflows: the standard library's JSON parser, given a document
nested a few hundred thousand levels deep, crashes the whole process (a segmentation fault)
instead of raising ``RecursionError``. :func:`settle_recursion_limit` imports that module
once (its import-time change then never happens again) and puts the limit back.
"""

from __future__ import annotations

import contextlib
import sys

__all__ = ["RECURSION_LIMIT", "settle_recursion_limit"]

RECURSION_LIMIT = 1000  # CPython's default


def settle_recursion_limit() -> int:
    """Import what raises the recursion limit, then restore the default; returns it."""
    with contextlib.suppress(ImportError):
        import py_ecc  # noqa: F401  (raises the limit on import; only once per process)
    sys.setrecursionlimit(RECURSION_LIMIT)
    return RECURSION_LIMIT
