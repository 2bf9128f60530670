"""Shared test set-up: where the team's shared test data lives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

#: Test data others wrote (real images, web archives, corpora): ``../shared/data`` beside
#: the checkout. Read it in place; never copy it into the project (licences differ per file).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return the shared data directory; fail (not skip) when the checkout lacks it."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DATA} (expected ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def media_files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Return the media web's generated files (tests/media_web.py), made once per session."""
    from media_web import build_media_files

    return build_media_files(tmp_path_factory.mktemp("media-web"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the hostile suite's table of outcomes per surface (tests/hostile_tally.py)."""
    import sys

    tally = sys.modules.get("hostile_tally")
    lines = tally.table() if tally is not None else []
    if lines:
        terminalreporter.section("hostile web: answers per surface")
        for line in lines:
            terminalreporter.write_line(line)
