"""Tests for crawlcheck.parsers.aitxt: golden files, real Spawning output, edge cases, fuzzing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from golden import check_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck.model import Fetched, Signal
from crawlcheck.parsers.aitxt import AiTxt, parse_ai_txt

DATA = Path(__file__).parent / "data" / "aitxt"
MANIFEST = Path(__file__).parent / "data" / "tdmrep" / "vectors" / "real_files_manifest.json"
URL = "https://example.com/ai.txt"


def served(
    body: bytes | str, status: int | None = 200, content_type: str = "text/plain", **kw: Any
) -> AiTxt:
    data = body.encode("utf-8") if isinstance(body, str) else body
    headers = (("Content-Type", content_type),) if status else ()
    return parse_ai_txt(Fetched(url=URL, status=status, headers=headers, body=data, **kw))


def render(ai: AiTxt) -> dict[str, Any]:
    """Return *ai* as JSON-able data, deterministically (the golden files' format)."""
    tokens = sorted({a for o in ai.observations for a in o.agents} | {"*"})
    return {
        "usable": ai.usable,
        "reserves_everything": {t: ai.reserves_everything(t) for t in tokens},
        "reserved_media": {t: list(ai.reserved_media(t)) for t in tokens},
        "observations": [
            {
                "signal": str(o.signal),
                "key": o.key,
                "value": o.value,
                "agents": list(o.agents),
                "scope": o.scope,
                "line": o.evidence.line,
                "evidence": o.evidence.text,
            }
            for o in ai.observations
        ],
        "problems": [
            {"code": p.code, "level": p.level, "line": p.line, "message": p.message}
            for p in ai.problems
        ],
    }


def decide(ai: AiTxt, probe: str) -> bool:
    agent, _, path = probe.partition(" ")
    return ai.allows(agent, "https://example.com" + path)


GOLDEN = sorted(DATA.glob("*.txt"))


@pytest.mark.parametrize("case", GOLDEN, ids=lambda p: p.stem)
def test_hand_written_probes(case: Path) -> None:
    """Each ``<case>.probes.json``: "AGENT /path" → allowed, chosen and checked by hand."""
    probes = json.loads(case.with_name(case.stem + ".probes.json").read_text("utf-8"))
    ai = served(case.read_bytes())
    assert {probe: decide(ai, probe) for probe in probes} == probes


@pytest.mark.parametrize("case", GOLDEN, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    got = json.dumps(render(served(case.read_bytes())), indent=1, ensure_ascii=False) + "\n"
    check_snapshot(case.with_name(case.stem + ".expected.json"), got)


def test_every_golden_input_has_probes() -> None:
    assert GOLDEN
    for case in GOLDEN:
        expected = json.loads(case.with_name(case.stem + ".probes.json").read_text("utf-8"))
        assert expected, case.name


def test_real_spawning_file_reserves_everything() -> None:
    entry = next(
        e for e in json.loads(MANIFEST.read_text("utf-8")) if e["kind"] == "spawning_ai.txt"
    )
    body = (MANIFEST.parents[2] / entry["local_file"]).read_bytes()
    assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    ai = served(body)
    assert ai.usable
    assert (
        ai.reserves_everything("*")
        is entry["expected"]["all_file_types_disallowed_for_user_agent_*"]
    )
    assert len(ai.reserved_media()) == 54
    assert all(o.signal is Signal.AI_TXT and o.key == "disallow" for o in ai.observations)
    # Any crawler falls back to the * group, and the deciding line can be cited.
    decision = ai.decide("GPTBot", "https://example.com/photo.jpg")
    assert not decision.allowed
    assert decision.rule is not None
    assert decision.rule.text == "Disallow: *.jpg"


# --- standards.md §4 edge cases ----------------------------------------------------------


def test_edge1_extension_glob_matches_anywhere_in_the_path() -> None:
    ai = served("User-Agent: *\nDisallow: *.jpg\n")
    assert not ai.allows("*", "/a/b/c.jpg")
    assert not ai.allows("*", "/x.jpg.html")
    assert not ai.allows("*", "/a.jpgfoo")
    assert ai.allows("*", "/a.png")
    assert [p.code for p in ai.problems] == ["ai-txt.pattern-not-path"]


def test_edge2_case_and_extensionless_media_are_not_matched() -> None:
    ai = served("User-Agent: *\nDisallow: *.jpg\n")
    assert ai.allows("*", "/A.JPG")
    assert ai.allows("*", "/img?id=5")


def test_edge3_longest_match_decides_between_block_all_and_allowed_type() -> None:
    ai = served("User-Agent: *\nDisallow: /\nAllow: *.jpg\n")
    assert ai.allows("*", "/a.jpg")
    assert not ai.allows("*", "/a.png")
    assert not ai.reserves_everything()
    assert served("User-Agent: *\nDisallow: *\nAllow: /\n").reserves_everything() is False  # tie
    assert served("User-Agent: *\nDisallow: /*\nAllow: /\n").reserves_everything() is True


def test_edge4_prose_is_not_a_signal() -> None:
    ai = served("Humans only. No AI training, please.\nDisallow all bots.\n")
    assert not ai.usable
    assert ai.observations == ()
    assert [p.code for p in ai.problems] == ["ai-txt.prose"]
    assert ai.allows("*", "/")


# --- API behaviour -----------------------------------------------------------------------


def test_agent_groups_and_observations() -> None:
    ai = served(
        "User-Agent: GPTBot/1.0\nUser-Agent: CCBot\nDisallow: /\n\nUser-Agent: *\nAllow: /\n"
    )
    assert ai.reserves_everything("gptbot")
    assert ai.reserves_everything("CCBot")
    assert not ai.reserves_everything()
    assert ai.allows("Googlebot", "/x")
    first = ai.observations[0]
    assert (first.key, first.value, first.agents, first.scope) == (
        "disallow",
        "/",
        ("GPTBot", "CCBot"),
        "/",
    )
    assert first.evidence.line == 3


def test_index_html_allow_gives_one_observation() -> None:
    ai = served("User-Agent: *\nAllow: /dir/index.html\nDisallow: /\n")
    assert [(o.key, o.value) for o in ai.observations] == [
        ("allow", "/dir/index.html"),
        ("disallow", "/"),
    ]


def test_reserved_media_excludes_globs_allowed_again() -> None:
    ai = served(
        "User-Agent: *\nDisallow: *.jpg\nDisallow: *.png\nAllow: *.png\nDisallow: /*.gif$\n"
    )
    assert ai.reserved_media() == ("*.jpg", "/*.gif$")


@pytest.mark.parametrize(
    ("status", "error", "code", "level"),
    [
        (404, None, "ai-txt.not-found", "info"),
        (410, None, "ai-txt.not-found", "info"),
        (403, None, "ai-txt.client-error", "info"),
        (500, None, "ai-txt.server-error", "warning"),
        (503, None, "ai-txt.server-error", "warning"),
        (302, None, "ai-txt.unexpected-status", "warning"),
        (None, "dns", "ai-txt.fetch-failed", "warning"),
    ],
)
def test_status_handling(status: int | None, error: str | None, code: str, level: str) -> None:
    ai = served("User-Agent: *\nDisallow: /\n", status=status, error=error)
    assert not ai.usable
    assert [(p.code, p.level) for p in ai.problems] == [(code, level)]
    assert ai.allows("*", "/")
    assert not ai.reserves_everything()
    decision = ai.decide("GPTBot", "https://example.com/a?b")
    assert (decision.allowed, decision.rule, decision.path) == (True, None, "/a?b")


def test_html_by_content_type() -> None:
    ai = served("User-Agent: *\nDisallow: /\n", content_type="text/html")
    assert not ai.usable
    assert [(p.code, p.level) for p in ai.problems] == [("ai-txt.html-served", "warning")]


def test_empty_body() -> None:
    assert [p.code for p in served(b" \n").problems] == ["ai-txt.empty"]


def test_large_file_is_cut_like_robots_txt() -> None:
    ai = served("User-Agent: *\n" + "Disallow: /x\n" * 60_000)
    assert ai.usable
    assert "ai-txt.too-large" in {p.code for p in ai.problems}


# --- fuzzing -----------------------------------------------------------------------------

LINES = st.lists(
    st.sampled_from(
        ["User-Agent: *", "User-agent: GPTBot", "Disallow: /", "Disallow: *", "Allow: *.jpg"]
    )
    | st.text(max_size=20),
    max_size=8,
)


def exercise(ai: AiTxt) -> None:
    for agent in ("*", "GPTBot", ""):
        ai.allows(agent, "https://example.com/a.jpg")
        ai.decide(agent, "/x")
        ai.reserves_everything(agent)
        ai.reserved_media(agent)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300))
def test_fuzz_bytes_never_raise(body: bytes) -> None:
    exercise(served(body))


@settings(max_examples=300, deadline=None)
@given(lines=LINES)
def test_fuzz_records_never_raise(lines: list[str]) -> None:
    ai = served("\n".join(lines))
    exercise(ai)
    assert ai.usable or ai.observations == ()
