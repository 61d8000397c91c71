"""Put on PYTHONPATH by scripts/check_native.sh only: every Python process it starts (pytest,
the fuzzer) then loads ``anchor.core._native._seal`` from ``ANCHOR_NATIVE_SO``, the build
made with AddressSanitizer and UndefinedBehaviorSanitizer, instead of the normal one (the
core itself reads no environment: it does no I/O)."""

import importlib.util
import os
import sys

_path = os.environ.get("ANCHOR_NATIVE_SO")
if _path:
    _spec = importlib.util.spec_from_file_location("anchor.core._native._seal", _path)
    assert _spec is not None and _spec.loader is not None
    _mod = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_mod)
    sys.modules["anchor.core._native._seal"] = _mod
