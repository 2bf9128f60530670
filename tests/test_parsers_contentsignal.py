"""Tests for crawlcheck.parsers.contentsignal: the Content-Signal response header."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck.model import Fetched, Signal
from crawlcheck.parsers.contentsignal import parse_content_signal_header

URL = "https://example.com/page.md"


def read(*values: str) -> tuple[list[tuple[str, str]], list[str]]:
    doc = Fetched(url=URL, status=200, headers=tuple(("Content-Signal", v) for v in values))
    observations, problems = parse_content_signal_header(doc)
    return [(o.key, o.value) for o in observations], [p.code for p in problems]


@pytest.mark.parametrize(
    ("values", "pairs", "problems"),
    [
        # Cloudflare Markdown-for-Agents sends this (standards.md §8).
        (
            ("ai-train=yes, search=yes, ai-input=yes",),
            [("ai-train", "yes"), ("search", "yes"), ("ai-input", "yes")],
            [],
        ),
        (("AI-Train=NO,search=yes",), [("ai-train", "no"), ("search", "yes")], []),
        (
            ("search=yes,ai-train=no,use=reference",),
            [("search", "yes"), ("ai-train", "no"), ("use", "reference")],
            [],
        ),
        # Several headers: each read on its own, all kept.
        (("ai-train=no", "search=yes"), [("ai-train", "no"), ("search", "yes")], []),
        # Values other than yes/no neither grant nor restrict: kept, reported.
        (("ai-train=n",), [("ai-train", "n")], ["content-signal.invalid"]),
        (("ai-train",), [], ["content-signal.invalid"]),
        (("",), [], ["content-signal.empty"]),
        ((), [], []),
    ],
)
def test_values(values: tuple[str, ...], pairs: list[tuple[str, str]], problems: list[str]) -> None:
    assert read(*values) == (pairs, problems)


def test_observation_is_a_page_hint_for_everyone() -> None:
    doc = Fetched(url=URL, status=200, headers=(("content-signal", "ai-train=no"),))
    (obs,), _ = parse_content_signal_header(doc)
    assert obs.signal is Signal.CONTENT_SIGNAL
    assert obs.scope == "page"
    assert obs.agents == ("*",)
    assert obs.evidence.describe() == "header Content-Signal: ai-train=no"
    assert obs.evidence.source == URL


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=3))
def test_arbitrary_values_never_raise(values: list[str]) -> None:
    pairs, _ = read(*values)
    assert all(key == key.lower() for key, _ in pairs)
