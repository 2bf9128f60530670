"""Snapshot files ("goldens"): compared byte for byte, rewritten only on request, never in CI.

``CRAWLCHECK_UPDATE_GOLDEN=1 pytest …`` rewrites the snapshots the selected tests compare and
marks each such test *skipped* ("snapshot written: review the diff"), so an update run never
reports a pass it did not check. With ``CI`` set (``.ci/run`` sets it), update mode is
refused. Hand-written expectations (probe answers, verdict tables) live in their own files,
which update mode never touches.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

UPDATE = os.environ.get("CRAWLCHECK_UPDATE_GOLDEN") == "1"


def check_snapshot(path: Path, actual: str) -> None:
    """Assert *actual* equals the snapshot at *path* (or rewrite it in update mode)."""
    if UPDATE:
        if os.environ.get("CI"):
            pytest.fail("CRAWLCHECK_UPDATE_GOLDEN is refused in CI: snapshots are reviewed by hand")
        path.write_text(actual, encoding="utf-8", newline="")
        pytest.skip(f"snapshot written: review the diff of {path.name}")
    if not path.exists():
        pytest.fail(f"no snapshot {path.name}: create it with CRAWLCHECK_UPDATE_GOLDEN=1")
    with path.open(encoding="utf-8", newline="") as file:
        expected = file.read()
    assert actual == expected, (
        f"{path.name} differs; if the change is intended, rerun with "
        "CRAWLCHECK_UPDATE_GOLDEN=1 and review the diff"
    )
