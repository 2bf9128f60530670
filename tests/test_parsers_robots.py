"""robots.txt parser: Google's own test cases, other parsers' cases, golden files, fuzzing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck import parse_robots
from crawlcheck.parsers._robots_syntax import MAX_BYTES, LineKind, product_token
from crawlcheck.parsers.pattern import escape_pattern, path_of

DATA = Path(__file__).parent / "data" / "robots"


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _body(case: dict[str, Any]) -> bytes:
    if case.get("robots_txt") is not None:
        return str(case["robots_txt"]).encode("utf-8")
    return bytes.fromhex(case["robots_txt_hex"])


GOOGLE_CASES = _load("google_cases.json")
OTHER_CASES = _load("other_parsers_cases.json")
AUX = _load("google_aux.json")


@pytest.mark.parametrize("case", GOOGLE_CASES, ids=[c["case_id"] for c in GOOGLE_CASES])
def test_google_reference_cases(case: dict[str, Any]) -> None:
    """Every allow/disallow check of google/robotstxt's robots_test.cc."""
    robots = parse_robots(_body(case))
    assert robots.allows(case["user_agent"], case["url"]) is case["expected_allowed"]
    # decide() must agree with allows() and name the deciding line when one decided.
    decision = robots.decide(case["user_agent"], case["url"])
    assert decision.allowed is case["expected_allowed"]
    if not decision.allowed:
        assert decision.rule is not None
        assert not decision.rule.allow


@pytest.mark.parametrize(
    "case", OTHER_CASES, ids=[f"{c['source'].split()[0]}-{i}" for i, c in enumerate(OTHER_CASES)]
)
def test_other_parsers_cases_agree_with_google_oracle(case: dict[str, Any]) -> None:
    """Protego, CPython, texting_robots and crawler-commons inputs, answered as Google answers."""
    robots = parse_robots(_body(case))
    assert robots.allows(case["user_agent"], case["url"]) is case["google_oracle_allowed"]


@pytest.mark.parametrize("case", AUX["path_extraction"], ids=lambda c: repr(c["url"]))
def test_path_extraction(case: dict[str, str]) -> None:
    assert path_of(case["url"]) == case["expected_path_params_query"]


@pytest.mark.parametrize("case", AUX["pattern_escaping"], ids=lambda c: repr(c["pattern"]))
def test_pattern_escaping(case: dict[str, str]) -> None:
    assert escape_pattern(case["pattern"].encode("utf-8")) == case["expected_escaped"]


@pytest.mark.parametrize(
    "case", AUX["user_agent_validity"], ids=lambda c: f"{c['source_line']}-{c['user_agent']!r}"
)
def test_user_agent_validity(case: dict[str, Any]) -> None:
    """Google obeys a crawler name only if it is all product-token characters."""
    name = case["user_agent"]
    assert (bool(name) and product_token(name) == name) is case["expected_valid"]


_RULE_KINDS = {LineKind.USER_AGENT, LineKind.ALLOW, LineKind.DISALLOW, LineKind.SITEMAP}


@pytest.mark.parametrize(
    "case",
    [c for c in AUX["parse_stats"] if "valid_directives" in c["expected"]],
    ids=lambda c: f"{c['test_name']}-{c['variant']}",
)
def test_parse_stats(case: dict[str, Any]) -> None:
    """Directive counts and line numbering match Google's parser for every line ending."""
    lines = parse_robots(bytes.fromhex(case["robots_txt_hex"])).lines
    valid = [line for line in lines if line.kind in _RULE_KINDS]
    assert len(valid) == case["expected"]["valid_directives"]
    if "last_line_seen" in case["expected"]:
        assert valid[-1].number == case["expected"]["last_line_seen"]
    if "unknown_directives" in case["expected"]:
        other = [line for line in lines if line.kind in (LineKind.OTHER, LineKind.INVALID)]
        assert len(other) == case["expected"]["unknown_directives"]


_TAGS = {
    "UserAgent": {LineKind.USER_AGENT},
    "Allow": {LineKind.ALLOW},
    "Disallow": {LineKind.DISALLOW},
    "Sitemap": {LineKind.SITEMAP},
    "Unused": {LineKind.OTHER},
    "Unknown": {LineKind.OTHER, LineKind.INVALID, LineKind.BLANK},
}


def test_line_report_matches_google_reporting_parser() -> None:
    """Per-line classification, typos and missing colons as reporting_robots_test.cc sees them."""
    case = next(c for c in AUX["reporting_line_metadata"] if "expected_lines" in c)
    lines = parse_robots(case["robots_txt"].encode("utf-8")).lines
    for expected in case["expected_lines"]:
        line = lines[expected["line_num"] - 1]
        meta = expected["metadata"]
        assert line.kind in _TAGS[expected["tag_name"]], expected
        if expected["tag_name"] == "Unknown" and meta["has_directive"]:
            assert line.kind is LineKind.OTHER
        if not meta["has_directive"]:
            assert line.kind in (LineKind.INVALID, LineKind.BLANK)
        assert line.typo is meta["is_acceptable_typo"]
        assert line.missing_colon is meta["is_missing_colon_separator"]
        assert line.too_long is meta["is_line_too_long"]


def test_sitemaps_anywhere() -> None:
    for case in AUX["parse_stats"]:
        if "sitemap" in case["expected"]:
            robots = parse_robots(case["robots_txt"])
            assert [s.value for s in robots.sitemaps] == [case["expected"]["sitemap"]]


# --- behaviour the AI checks rely on (standards.md §2.8) -----------------------------------


def test_specific_group_replaces_global() -> None:
    robots = parse_robots("User-agent: *\nDisallow: /\n\nUser-agent: GPTBot\nAllow: /private\n")
    assert robots.allows("GPTBot", "/anything")
    assert not robots.allows("CCBot", "/anything")
    assert robots.agent_state("GPTBot").state == "allowed"
    assert robots.agent_state("CCBot").state == "disallowed"


def test_merged_groups_allow_wins_tie() -> None:
    """Cloudflare's prepended group + the origin's own group for the same agent merge."""
    robots = parse_robots("User-agent: ClaudeBot\nDisallow: /\n\nUser-agent: ClaudeBot\nAllow: /\n")
    assert robots.allows("ClaudeBot", "/x")
    assert robots.agent_state("ClaudeBot").state == "allowed"


def test_blank_lines_do_not_end_groups() -> None:
    robots = parse_robots("User-agent: GPTBot\n\nUser-agent: CCBot\nDisallow: /\n")
    assert not robots.allows("GPTBot", "/")
    assert not robots.allows("CCBot", "/")


def test_extension_records_do_not_end_groups() -> None:
    robots = parse_robots(
        "User-agent: GPTBot\nContent-Signal: ai-train=no\nUser-agent: CCBot\nDisallow: /\n"
    )
    assert not robots.allows("GPTBot", "/")
    assert [r.value for r in robots.content_signals("CCBot")] == ["ai-train=no"]


def test_wildcards_and_dollar() -> None:
    robots = parse_robots("User-agent: *\nDisallow: /*.pdf$\nDisallow: /*.doc\n")
    assert not robots.allows("x", "/a.pdf")
    assert robots.allows("x", "/a.pdf?x=1")
    assert not robots.allows("x", "/a.docx")


def test_restricted_state_and_explanation() -> None:
    robots = parse_robots("User-agent: GPTBot\nDisallow: /archive/\n")
    state = robots.agent_state("GPTBot")
    assert state.state == "restricted"
    assert [rule.line for rule in state.rules] == [2]
    decision = robots.decide("GPTBot", "https://example.com/archive/2020")
    assert decision.explain() == "disallowed by line 2 (Disallow: /archive/) in its own group"


def test_agent_names_that_never_match_are_linted() -> None:
    robots = parse_robots("User-agent: AI2Bot\nDisallow: /\n")
    assert not robots.allows("AI", "/")
    assert robots.allows("AI2Bot", "/")  # Google compares 'AI2Bot' with the token 'AI'
    assert "robots.agent-never-matches" in {p.code for p in robots.problems}


def test_lint_codes() -> None:
    body = (
        b"\xef\xbb\xbfDisallow: /early\n"
        b"Content-Signal: ai-train=no\n"
        b"User-agent: *\nDisallow: /admin\nCrawl-delay: 5\nFoo: bar\n"
        b"User-agent: GPTBot\nDisallow: /x\n"
    )
    codes = {p.code for p in parse_robots(body).problems}
    assert {
        "robots.bom",
        "robots.rule-outside-group",
        "robots.content-signal-outside-group",
        "robots.group-drops-global",
        "robots.unsupported-directive",
        "robots.unknown-directive",
    } <= codes


def test_html_served_as_robots() -> None:
    robots = parse_robots(b"<!DOCTYPE html><html><body>Not found</body></html>")
    assert robots.is_html
    assert robots.allows("GPTBot", "/")
    assert "robots.html-served" in {p.code for p in robots.problems}


def test_only_first_500_kib_are_read() -> None:
    filler = b"# " + b"x" * 1000 + b"\n"
    body = b"User-agent: *\n" + filler * 520 + b"Disallow: /\n"
    robots = parse_robots(body)
    assert robots.allows("GPTBot", "/")
    assert "robots.too-large" in {p.code for p in robots.problems}


def _cut_after(kept: bytes, rest: bytes, line_end: bytes = b"\n") -> bytes:
    """Return a file whose 500 KiB limit falls right after *kept* (then *rest* follows)."""
    head = b"User-agent: *" + line_end + b"Disallow: /" + line_end
    filler = b"#" * (MAX_BYTES - len(head) - len(kept) - len(line_end)) + line_end
    return head + filler + kept + rest


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n", b"\r"])
def test_a_line_cut_by_the_size_limit_is_dropped(line_end: bytes) -> None:
    """'Allow: /public/site.css' cut to 'Allow: /' must not override 'Disallow: /' (issue 7)."""
    robots = parse_robots(_cut_after(b"Allow: /", b"public/site.css" + line_end, line_end))
    assert not robots.allows("GPTBot", "/")
    assert not robots.allows("GPTBot", "/public/site.css")
    assert all(rule.pattern == "/" for group in robots.groups for rule in group.rules)
    assert "robots.too-large" in {p.code for p in robots.problems}


def test_a_line_that_ends_at_the_size_limit_is_kept() -> None:
    robots = parse_robots(_cut_after(b"Allow: /public/", b"\nAllow: /x\n"))
    assert robots.allows("GPTBot", "/public/site.css")
    assert not robots.allows("GPTBot", "/x")
    assert "robots.too-large" in {p.code for p in robots.problems}


def test_a_file_of_one_line_over_the_size_limit_has_no_rules() -> None:
    robots = parse_robots(b"\xef\xbb\xbfUser-agent: *" + b" " * MAX_BYTES + b"\nDisallow: /\n")
    assert robots.groups == ()
    assert {"robots.too-large", "robots.bom"} <= {p.code for p in robots.problems}


def test_the_parsed_file_is_read_only() -> None:
    robots = parse_robots("User-agent: *\nDisallow: /\n")
    with pytest.raises(AttributeError):
        robots.groups = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        robots.source = "elsewhere"  # type: ignore[misc]


def test_comments_are_never_signals() -> None:
    robots = parse_robots("# Content-Signal: ai-train=no\nUser-agent: *\n# ai-train=no\nAllow: /\n")
    assert robots.observations() == ()


def test_content_usage_parse_failure_is_unknown() -> None:
    robots = parse_robots("User-agent: *\nContent-Usage: Train-AI=n\n")
    assert not [o for o in robots.observations() if o.key == "train-ai"]
    assert "robots.content-usage-invalid" in {p.code for p in robots.problems}


def test_license_is_global_and_keeps_group() -> None:
    robots = parse_robots(
        "User-agent: GPTBot\nLicense: https://example.com/license.xml\nDisallow: /\n"
    )
    assert [r.value for r in robots.licenses] == ["https://example.com/license.xml"]
    assert not robots.allows("GPTBot", "/")


# --- golden files ---------------------------------------------------------------------------


def _golden_cases() -> list[Path]:
    return sorted((DATA / "golden").glob("*.txt"))


def render_robots(body: bytes, agents: list[str], urls: list[str]) -> dict[str, Any]:
    """Return a JSON-able rendering of what crawlcheck reads in *body* (golden format)."""
    robots = parse_robots(body, source="robots.txt")
    return {
        "groups": [
            {
                "agents": list(g.agents),
                "lines": list(g.agent_lines),
                "rules": [
                    f"{r.line}: {'allow' if r.allow else 'disallow'} {r.pattern}" for r in g.rules
                ],
                "records": [f"{r.line}: {r.name}: {r.value}" for r in g.records],
            }
            for g in robots.groups
        ],
        "agents": {a: robots.agent_state(a).state for a in agents},
        "decisions": {a: {u: robots.decide(a, u).explain() for u in urls} for a in agents},
        "observations": [
            f"{o.signal.value} {o.key}={o.value} agents={','.join(o.agents)} scope={o.scope} "
            f"[{o.evidence.describe()}]"
            for o in robots.observations()
        ],
        "problems": [f"{p.line}: {p.level} {p.code}" for p in robots.problems],
    }


@pytest.mark.parametrize("path", _golden_cases(), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    got = render_robots(path.read_bytes(), expected["query"]["agents"], expected["query"]["urls"])
    assert {"query": expected["query"], **got} == expected


# --- robustness -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=2000), agent=st.text(max_size=20), url=st.text(max_size=60))
def test_never_raises_on_bytes(body: bytes, agent: str, url: str) -> None:
    robots = parse_robots(body)
    assert robots.allows(agent, url) is robots.decide(agent, url).allowed
    robots.agent_state(agent)
    robots.observations()


_LINE = st.sampled_from(
    [
        "User-agent: *",
        "User-agent: GPTBot",
        "user agent: ccbot",
        "Disallow: /",
        "Allow: /",
        "Disallow: /*.pdf$",
        "Allow: /a/index.html",
        "Disallow:",
        "dissallow /x",
        "Sitemap: x",
        "Content-Signal: ai-train=no",
        "Content-Usage: /a train-ai=n",
        "License: http://l",
        "# comment",
        "",
        "Disallow: /%E3%83%84",
        "Allow: /ツ",
        "User-agent: Foo Bar",
    ]
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_LINE, max_size=12), path=st.sampled_from(["/", "/a/", "/x.pdf", "/ツ"]))
def test_structured_files_agree_between_allows_and_decide(lines: list[str], path: str) -> None:
    robots = parse_robots("\n".join(lines))
    for agent in ("GPTBot", "CCBot", "Foo"):
        assert robots.allows(agent, path) is robots.decide(agent, path).allowed
