"""Tests for crawlcheck.parsers.directives: X-Robots-Tag and robots meta tags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck.model import Fetched, Observation, Problem, Signal
from crawlcheck.parsers.directives import (
    parse_directive_value,
    parse_meta_robots,
    parse_x_robots_tag,
)
from crawlcheck.parsers.html import parse_html

DATA = Path(__file__).parent / "data" / "directives"
CASES = sorted(p for p in DATA.iterdir() if p.suffix in (".headers", ".html"))
URL = "https://example.com/page"


def read_headers(path: Path) -> tuple[tuple[str, str], ...]:
    """Return the ``Name: value`` lines of a ``.headers`` file as header pairs."""
    pairs = []
    for line in path.read_text("utf-8").splitlines():
        name, _, value = line.partition(":")
        pairs.append((name.strip(), value.strip()))
    return tuple(pairs)


def summary(observations: tuple[Observation, ...], problems: tuple[Problem, ...]) -> dict[str, Any]:
    """Return the comparable content of a parse (what the golden files record)."""
    return {
        "observations": [[o.signal.value, o.key, o.value, list(o.agents)] for o in observations],
        "problems": [p.code for p in problems],
    }


def run_case(case: Path, crawler_names: list[str]) -> dict[str, Any]:
    """Parse one golden input file the way its suffix says."""
    if case.suffix == ".headers":
        return summary(
            *parse_x_robots_tag(Fetched(url=URL, status=200, headers=read_headers(case)))
        )
    html = parse_html(case.read_bytes(), URL)
    return summary(*parse_meta_robots(html.metas, URL, crawler_names))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    expected = json.loads(case.with_suffix(".expected.json").read_text("utf-8"))
    crawler_names = expected.pop("crawler_names", [])
    assert run_case(case, crawler_names) == expected


def test_every_golden_input_has_an_expectation() -> None:
    expected = {p.name.removesuffix(".expected.json") for p in DATA.glob("*.expected.json")}
    assert expected == {p.stem for p in CASES}


def test_evidence_names_where_and_the_raw_text() -> None:
    doc = Fetched(url=URL, status=200, headers=(("x-robots-tag", "googlebot: NoAI"),))
    (obs,), _ = parse_x_robots_tag(doc)
    assert obs.evidence.source == URL
    assert obs.evidence.where == "header X-Robots-Tag"
    assert obs.evidence.text == "googlebot: NoAI"
    assert obs.scope == "page"
    html = parse_html(b'<meta name="robots" content="noai">', URL)
    (meta_obs,), _ = parse_meta_robots(html.metas, URL)
    assert meta_obs.evidence.where == "<meta name=robots>"
    assert meta_obs.evidence.text.startswith("<meta")


def test_initial_agent_scopes_a_meta_value() -> None:
    obs, problems = parse_directive_value(
        "noai", signal=Signal.META_ROBOTS, source=URL, where="<meta name=x>", agent="GPTBot"
    )
    assert [o.agents for o in obs] == [("GPTBot",)]
    assert problems == ()


# --- datadiligence's X-Robots-Tag test cases, read with Google's grammar ------------------

DATADILIGENCE = json.loads((DATA / "datadiligence_header_cases.json").read_text("utf-8"))
XRT_CASES = [c for c in DATADILIGENCE["cases"] if c["header"] == "X-Robots-Tag"]
AI_DIRECTIVES = frozenset({"noai", "noimageai"})
NOINDEX_DIRECTIVES = frozenset({"noindex", "none", "noimageindex"})


def reserved_for(
    headers: tuple[tuple[str, str], ...], agent: str | None, respect_noindex: bool
) -> bool:
    """Return True when the headers reserve the response for *agent* (None: no agent)."""
    observations, _ = parse_x_robots_tag(Fetched(url=URL, status=200, headers=headers))
    wanted = AI_DIRECTIVES | (NOINDEX_DIRECTIVES if respect_noindex else frozenset())
    scopes = {"*"} | ({agent.lower()} if agent else set())
    return any(o.key in wanted and any(a.lower() in scopes for a in o.agents) for o in observations)


@pytest.mark.parametrize("case", XRT_CASES, ids=lambda c: c["case_id"])
def test_datadiligence_cases(case: dict[str, Any]) -> None:
    # Older cases give one header value; the test-server ones give whole response headers.
    if "response_headers" in case:
        headers = tuple(case["response_headers"].items())
    elif case["header_value"] is None:
        headers = ()
    else:
        headers = (("X-Robots-Tag", case["header_value"]),)
    reserved = reserved_for(headers, case["configured_user_agent"], case["respect_noindex"])
    # On its own suite datadiligence's outcomes coincide with Google's grammar: every case
    # puts the crawler prefix on the directive it scopes. The readings part on inputs the
    # suite lacks (test_differences_from_other_tools, docs/signals/noai-x-robots-tag.md).
    assert reserved is not case["expected_allowed"]


def test_datadiligence_cases_are_all_read() -> None:
    assert len(XRT_CASES) == 44


# --- where crawlcheck reads X-Robots-Tag differently from datadiligence / img2dataset -----


@pytest.mark.parametrize(
    ("value", "agent", "reserved"),
    [
        # §6 edge 1: datadiligence splits on "," first, so the trailing noai looks global.
        ("googlebot: noindex, noai", None, False),
        ("googlebot: noindex, noai", "Googlebot", True),
        # §6 edge 3: datadiligence compares case-sensitively and misses these.
        ("NoAI", None, True),
        ("NOIMAGEAI", None, True),
        ("SpawningBot: NOAI", "spawningbot", True),
        # §6 edge 2: img2dataset takes "unavailable_after" for a crawler token; harmless
        # here, but the directive must be read as a directive with its date.
        ("unavailable_after: 25 Jun 2026 15:00:00 PST, noai", None, True),
        # §6 edge 4: noindex is a search directive, not an AI reservation (img2dataset's
        # default list treats it as one).
        ("noindex, noimageindex", None, False),
    ],
)
def test_differences_from_other_tools(value: str, agent: str | None, reserved: bool) -> None:
    assert reserved_for((("X-Robots-Tag", value),), agent, respect_noindex=False) is reserved


def test_healsdata_kit_reserves_for_everyone() -> None:
    observations, problems = parse_x_robots_tag(
        Fetched(url=URL, status=200, headers=read_headers(DATA / "xrt-healsdata.headers"))
    )
    assert {(o.key, o.agents) for o in observations} == {("noai", ("*",)), ("noimageai", ("*",))}
    assert problems == ()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=4))
def test_arbitrary_header_values_never_raise(values: list[str]) -> None:
    doc = Fetched(url=URL, status=200, headers=tuple(("X-Robots-Tag", v) for v in values))
    observations, _ = parse_x_robots_tag(doc)
    for o in observations:
        assert o.key == o.key.lower()
        assert o.key
        assert len(o.agents) == 1


directive_words = st.sampled_from(
    ["noai", "NoImageAI", "googlebot", "unavailable_after", "max-snippet", "none", "0", " ", "Sun"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(directive_words, st.sampled_from([",", ":", ", ", ": ", " "])), max_size=8)
)
def test_directive_like_values_never_raise(parts: list[tuple[str, str]]) -> None:
    value = "".join(word + sep for word, sep in parts)
    observations, problems = parse_directive_value(
        value, signal=Signal.X_ROBOTS_TAG, source=URL, where="header X-Robots-Tag"
    )
    assert all(p.code.startswith("x-robots-tag.") for p in problems)
    assert all(o.signal is Signal.X_ROBOTS_TAG for o in observations)
