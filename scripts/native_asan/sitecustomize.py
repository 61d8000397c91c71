"""Put on PYTHONPATH by scripts/check_native.sh only: every Python process it starts (pytest,
the fuzzer) then loads ``anchor.core._native._seal`` from ``ANCHOR_NATIVE_SO`` and
``anchor.core._native._sumtree`` from ``ANCHOR_SUMTREE_SO``, the builds made with
AddressSanitizer and UndefinedBehaviorSanitizer, instead of the normal ones (the core itself
reads no environment: it does no I/O)."""

import importlib.util
import os
import sys

for _name, _var in (("_seal", "ANCHOR_NATIVE_SO"), ("_sumtree", "ANCHOR_SUMTREE_SO")):
    _path = os.environ.get(_var)
    if _path:
        _spec = importlib.util.spec_from_file_location(f"anchor.core._native.{_name}", _path)
        assert _spec is not None and _spec.loader is not None
        _mod = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(_mod)
        sys.modules[f"anchor.core._native.{_name}"] = _mod
