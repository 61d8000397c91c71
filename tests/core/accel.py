"""Whether the C accelerator must be there: ``ANCHOR_REQUIRE_NATIVE=1`` (set by
scripts/test.sh, whose setup builds it) turns every "accelerator not built" skip into a
failure, so the parity tests can never silently compare Python with Python."""

from __future__ import annotations

import os

import pytest

from anchor.core.native import native_available

REQUIRED = os.environ.get("ANCHOR_REQUIRE_NATIVE", "") not in ("", "0")

needs_native = pytest.mark.skipif(
    not REQUIRED and not native_available(),
    reason="C accelerator not built (set ANCHOR_REQUIRE_NATIVE=1 to make this a failure)",
)
