#!/usr/bin/env bash
# The C accelerators (anchor/core/_native/_seal.c, and _sumtree.c for the liabilities sum tree)
# checked like input-facing C, by the test command (scripts/test.sh):
#   1. built once more, with AddressSanitizer + UndefinedBehaviorSanitizer (gcc), into
#      build/native-asan/ (the normal build in the source tree is not touched);
#   2. the coverage-guided fuzzer (atheris, tests/fuzz/fuzz_records.py) runs against that
#      build for FUZZ_SECONDS (default 60) from the committed seed corpus tests/fuzz/corpus/;
#      new inputs go to build/fuzz/, never into the repository;
#   3. with ASan's runtime preloaded (Python's own allocations going through malloc, so
#      that ASan sees them too), the native parity tests run against those builds
#      (ANCHOR_NATIVE_SO, ANCHOR_SUMTREE_SO) and every fuzzer input, committed and new, is
#      replayed.
# Any sanitizer report, failed test, crash or divergence from the pure core fails the script.
# The fuzzer's findings are kept in build/fuzz/ (crash-*: add the input to the corpus once
# fixed).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
OUT=build/native-asan
FUZZ=build/fuzz
mkdir -p "$OUT" "$FUZZ/corpus"

include=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
sanitized() {  # sanitized <module>: build/native-asan/<module><suffix>, rebuilt when a source changed
  local out="$OUT/$1$suffix"
  if [ ! -f "$out" ] || [ -n "$(find anchor/core/_native -name '*.[ch]' -newer "$out")" ]; then
    echo "check_native: building $1 with ASan + UBSan" >&2
    gcc -shared -fPIC -std=c99 -pthread -O1 -g -fno-omit-frame-pointer \
      -fsanitize=address,undefined -fno-sanitize-recover=undefined \
      -Wall -Wno-unused-function -I"$include" \
      "anchor/core/_native/$1.c" -o "$out.tmp"
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}
so=$(sanitized _seal)
sumtree_so=$(sanitized _sumtree)

# the sanitized build, loaded by scripts/native_asan/sitecustomize.py (tests/fuzz/fuzz_records.py
# runs it itself, after atheris)
export ANCHOR_NATIVE_SO=$PWD/$so
export ANCHOR_SUMTREE_SO=$PWD/$sumtree_so
export ANCHOR_REQUIRE_NATIVE=1
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# 2. fuzz first, with coverage: gcc's ASan runtime, preloaded, would take over the coverage
# hooks atheris needs, so here it comes in with the sanitized module (UBSan complete, ASan's
# stack and global checks; heap checks come with step 3)
echo "check_native: fuzzing the record path for ${FUZZ_SECONDS}s (atheris, sanitized build)"
ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:abort_on_error=1 \
  "$PY" tests/fuzz/fuzz_records.py -max_total_time="$FUZZ_SECONDS" -timeout=10 \
  -rss_limit_mb=4096 -dict=tests/fuzz/records.dict -artifact_prefix="$FUZZ/" \
  -print_final_stats=1 "$FUZZ/corpus" tests/fuzz/corpus 2>&1 | grep -v '^INFO: Instrumenting'

# 3. ASan's runtime first (every allocation checked, Python's too), then the native
# parity tests and a replay of every fuzzer input, committed and new
export LD_PRELOAD
LD_PRELOAD=$(gcc -print-file-name=libasan.so)
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1
export PYTHONMALLOC=malloc
export ANCHOR_FUZZ_CORPUS=$PWD/$FUZZ/corpus
export PYTHONPATH=$PWD/scripts/native_asan:$PYTHONPATH

# the sanitized build must be the one the tests load
"$PY" - "$PWD/$so" "$PWD/$sumtree_so" <<'EOF2'
import sys
from anchor.core._native import _sumtree
from anchor.core.native import native
mod = native()
assert mod is not None and mod.__file__ == sys.argv[1], f"loaded {mod and mod.__file__}"
assert _sumtree.__file__ == sys.argv[2], f"loaded {_sumtree.__file__}"
EOF2

echo "check_native: native parity tests and the fuzzer's inputs under ASan + UBSan"
"$PY" -m pytest -q -p no:cacheprovider -p no:xdist \
  tests/core/test_native.py tests/core/test_parity.py tests/core/test_prepare.py \
  tests/core/test_proof_render.py \
  tests/core/test_sumtree.py tests/store/test_pg_copy.py tests/fuzz
