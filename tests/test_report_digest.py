"""Grouped findings, per-site counts and per-operator tallies shared by the report views."""

from __future__ import annotations

from dataclasses import replace

from test_report_samples import SAMPLES, blanket_site

from crawlcheck.model import AgentReport, SiteReport
from crawlcheck.report.digest import group_findings, operator_tallies, reservations, site_counts


def test_one_line_reaching_165_agents_is_one_statement() -> None:
    site = blanket_site(165)
    groups = group_findings(site.findings)
    assert [g.size for g in groups] == [165, 1]
    statement = groups[0].finding
    assert statement.agents == tuple(f"Agent{n:03d}" for n in range(165))
    assert statement.purposes == ("ai-train", "ai-input", "search")  # merged, purpose order
    assert statement.evidence == "line 2: Disallow: / (the * group: line 1: User-agent: *)"
    assert groups[1].finding == site.findings[-1]  # a lone finding comes back unchanged
    assert reservations(site) == 1


def test_different_statements_stay_apart_in_first_seen_order() -> None:
    reserved = SAMPLES[0]
    groups = group_findings(reserved.findings)
    # The two Content-Signal findings share a line but not a key: two statements.
    assert [g.finding for g in groups] == list(reserved.findings)
    assert all(g.size == 1 for g in groups)
    first = reserved.findings[0]
    moved = replace(first, line=9, evidence="line 9: Disallow: /", agents=("Other",))
    groups = group_findings([first, moved, replace(first, agents=("Other",))])
    assert [g.size for g in groups] == [2, 1]
    assert groups[0].finding.agents == (*first.agents, "Other")


def test_site_counts_count_problems_by_level_and_agents_by_state() -> None:
    partial, unknown, hostile = SAMPLES[1], SAMPLES[2], SAMPLES[3]
    counts = site_counts(partial)
    assert counts.agents == {"disallowed": 0, "restricted": 1, "allowed": 7, "unreachable": 0}
    assert counts.problems == {"error": 0, "warning": 0, "info": 1}
    assert counts.reservations == 2
    assert counts.robots_status == "200"
    assert counts.pages_read == 3
    assert counts.fetched_at == "2026-11-30T09:14:03Z"
    assert site_counts(unknown).robots_status == "503"
    assert site_counts(unknown).problems["error"] == 2
    assert site_counts(hostile).problems == {"error": 0, "warning": 1, "info": 1}


def test_site_counts_of_a_site_with_nothing_fetched() -> None:
    empty = SiteReport(
        site="x.example",
        origin="https://x.example",
        verdicts=(),
        agents=(),
        findings=(),
        fetches=(),
        problems=(),
        started_at="2026-01-01T00:00:00Z",
    )
    counts = site_counts(empty)
    assert (counts.robots_status, counts.pages_read, counts.reservations) == ("", 0, 0)
    assert counts.fetched_at == "2026-01-01T00:00:00Z"


def _site(name: str, agents: list[tuple[str, str, str, str]]) -> SiteReport:
    return SiteReport(
        site=name,
        origin=f"https://{name}",
        verdicts=(),
        agents=tuple(
            AgentReport(token=t, robots=r, purposes=("ai-train",), operator=o, group=g)
            for t, o, r, g in agents
        ),
        findings=(),
        fetches=(),
        problems=(),
    )


def test_operator_tallies_tell_named_blanket_and_partial_blocks_apart() -> None:
    sites = [
        # GPTBot named and disallowed, OAI-SearchBot allowed: OpenAI partly kept out.
        _site(
            "a.example",
            [
                ("GPTBot", "OpenAI", "disallowed", "own"),
                ("OAI-SearchBot", "OpenAI", "allowed", "*"),
                ("ClaudeBot", "Anthropic", "disallowed", "own"),
            ],
        ),
        # Everyone disallowed through `*`: both operators, none by name.
        _site(
            "b.example",
            [
                ("GPTBot", "OpenAI", "disallowed", "*"),
                ("OAI-SearchBot", "OpenAI", "disallowed", "*"),
                ("ClaudeBot", "Anthropic", "disallowed", "*"),
            ],
        ),
        # A `*` path rule restricts everyone alike: no statement about any operator.
        _site(
            "c.example",
            [
                ("GPTBot", "OpenAI", "restricted", "*"),
                ("OAI-SearchBot", "OpenAI", "restricted", "*"),
                ("ClaudeBot", "Anthropic", "restricted", "*"),
            ],
        ),
        # robots.txt unreachable: not counted at all.
        _site(
            "d.example",
            [
                ("GPTBot", "OpenAI", "unreachable", ""),
                ("OAI-SearchBot", "OpenAI", "unreachable", ""),
                ("ClaudeBot", "Anthropic", "unreachable", ""),
            ],
        ),
        # An agent without a known operator is its own entry.
        _site("e.example", [("Mystery", "unknown", "restricted", "own")]),
    ]
    tallies, counted = operator_tallies(sites)
    assert counted == 4
    by_name = {t.operator: t for t in tallies}
    openai, anthropic = by_name["OpenAI"], by_name["Anthropic"]
    assert (openai.by_name, openai.by_default, openai.some_kept_out) == (0, 1, 1)
    assert (anthropic.by_name, anthropic.by_default, anthropic.some_kept_out) == (1, 1, 0)
    assert anthropic.all_disallowed == 2
    assert openai.agents == ("GPTBot", "OAI-SearchBot")
    assert by_name["Mystery (operator unknown)"].some_kept_out == 1
    # Longest bar first: Anthropic (2 sites) and OpenAI (2) before Mystery (1); ties go to
    # the operator kept out altogether more often.
    assert [t.operator for t in tallies] == ["Anthropic", "OpenAI", "Mystery (operator unknown)"]


def test_operator_tallies_of_no_sites() -> None:
    assert operator_tallies([]) == ([], 0)
    assert operator_tallies([replace(SAMPLES[2])])[1] == 0  # unreachable robots.txt only
