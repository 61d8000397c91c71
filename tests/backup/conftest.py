"""Fixtures of the backup tests: two real directory targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from anchor.backup.targets import DirectoryTarget


@pytest.fixture
def two_targets(tmp_path: Path) -> tuple[DirectoryTarget, DirectoryTarget]:
    a, b = tmp_path / "backup-a", tmp_path / "backup-b"
    a.mkdir()
    b.mkdir()
    return DirectoryTarget(a), DirectoryTarget(b)
