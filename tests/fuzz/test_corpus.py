"""Every committed fuzzer input (tests/fuzz/corpus/, and ANCHOR_FUZZ_CORPUS when set: what
a fuzzing run found) still passes the fuzzer's check: the C accelerator and the pure core
agree on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.core.accel import needs_native
from tests.fuzz.harness import check

HERE = Path(__file__).parent
DIRS = [
    HERE / "corpus",
    *(Path(d) for d in os.environ.get("ANCHOR_FUZZ_CORPUS", "").split(":") if d),
]
INPUTS = sorted(p for d in DIRS if d.is_dir() for p in d.iterdir() if p.is_file())

pytestmark = needs_native


def test_the_corpus_is_there() -> None:
    assert len([p for p in INPUTS if p.parent == HERE / "corpus"]) >= 30


def test_every_corpus_input_passes_the_check() -> None:
    for path in INPUTS:
        try:
            check(path.read_bytes())
        except AssertionError as exc:
            pytest.fail(f"{path}: {exc}")
