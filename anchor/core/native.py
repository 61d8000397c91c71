"""Switch for the optional C accelerator (:mod:`anchor.core._native._seal`).

The accelerator is used when it was built (``pip install -e .`` compiles it with gcc) and
not disabled with :func:`use_native`. Results are byte-identical to the pure Python path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

__all__ = ["native", "native_available", "pure_python", "use_native"]

_module: ModuleType | None
try:
    from anchor.core._native import _seal as _module
except ImportError:  # not built: pure Python
    _module = None

_enabled = True


def native_available() -> bool:
    """True when the C accelerator is built."""
    return _module is not None


def use_native(enabled: bool) -> None:
    """Enable or disable the accelerator (for comparisons and tests)."""
    global _enabled
    _enabled = enabled


@contextmanager
def pure_python() -> Iterator[None]:
    """The accelerator disabled within the ``with`` block (for comparisons and tests)."""
    was = _enabled
    use_native(False)
    try:
        yield
    finally:
        use_native(was)


def native() -> ModuleType | None:
    """The accelerator module, or None (not built or disabled)."""
    return _module if _enabled else None
