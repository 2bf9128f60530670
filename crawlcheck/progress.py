"""A live progress line on stderr for long runs (``audit``, ``filter``), drawn by tqdm.

Shown only when stderr is a terminal (and ``TERM`` is not ``dumb``): a pipe, a file or a
CI log gets nothing but the end-of-run summary. tqdm is imported only when the line is
shown (docs/cli.md "Progress" has its measured import cost), and callers update it per
site or per window of URLs, never per URL, so it stays out of the hot loop. Text from a
website (a host name, a URL) goes through :func:`~crawlcheck.safe_text.safe_text` first.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, NoReturn, TextIO

from crawlcheck.safe_text import safe_text

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["Progress", "wanted"]

#: Seconds between two redraws of the status text (tqdm throttles counts on its own).
REDRAW = 0.25
#: Characters of status text shown at most (the line must fit a terminal's width).
STATUS_CHARS = 48


def wanted(stream: TextIO) -> bool:
    """Return True when a live line on *stream* helps: a terminal that can redraw a line."""
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


class Progress:
    """Counts done (of a total, when known), rate, ETA and a status text, on one line."""

    def __init__(
        self,
        what: str,
        unit: str,
        total: int | None = None,
        *,
        stream: TextIO,
        enabled: bool | None = None,
    ) -> None:
        self.enabled = wanted(stream) if enabled is None else enabled
        self._bar: tqdm[NoReturn] | None = None
        self._status = ""
        self._shown_at = 0.0
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=what,
                unit=unit,
                file=stream,
                leave=False,
                dynamic_ncols=True,
                mininterval=REDRAW,
                smoothing=0.1,
            )

    def advance(self, count: int = 1) -> None:
        """Count *count* more done."""
        if self._bar is not None:
            self._bar.update(count)

    def status(self, text: str) -> None:
        """Show *text* after the counts (drawn with the next count, or within REDRAW s)."""
        if self._bar is None:
            return
        self._bar.set_postfix_str(safe_text(text)[:STATUS_CHARS], refresh=False)
        moment = time.monotonic()
        if moment - self._shown_at >= REDRAW:
            self._shown_at = moment
            self._bar.refresh()

    @contextmanager
    def above(self) -> Iterator[None]:
        """Clear the line while the caller writes to the terminal, then draw it again."""
        if self._bar is None:
            with nullcontext():
                yield
            return
        with self._bar.external_write_mode():
            yield

    def close(self) -> None:
        """Remove the line (the caller prints its summary after)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
