"""Fixtures of the verifier page tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the tests of a module (closed by PID after them)."""
    from tests.interop.browser import Chromium

    with Chromium(tmp_path_factory.mktemp("chromium") / "profile") as chromium:
        yield chromium
