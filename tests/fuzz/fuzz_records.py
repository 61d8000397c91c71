"""Coverage-guided fuzzing of the record path: the C accelerator against the pure core.

    .venv/bin/python tests/fuzz/fuzz_records.py -max_total_time=60 WORKDIR tests/fuzz/corpus

scripts/check_native.sh runs it against the sanitized build. The check on each input is
tests/fuzz/harness.py; any difference raises, and the fuzzer stops with the input saved
(``crash-*``). The Python side of the core is instrumented for coverage (gcc cannot build
the C side with libFuzzer's instrumentation: the mutations are guided by the branches of
the pure path, which mirror the C's).
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

import atheris

if os.environ.get("ANCHOR_NATIVE_SO"):
    # scripts/check_native.sh: the sanitized build, loaded only now, after atheris (loaded
    # earlier, its ASan runtime would take over libFuzzer's hooks)
    runpy.run_path(str(Path(__file__).parents[2] / "scripts/native_asan/sitecustomize.py"))
    print(f"fuzzing {sys.modules['anchor.core._native._seal'].__file__}", flush=True)

with atheris.instrument_imports(include=["anchor.core"]):
    from tests.fuzz.harness import check

if __name__ == "__main__":
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()
