"""Reservation claims: what each signal reserves for a purpose, completely or in part.

A claim is *complete* when the signal applies to every crawler and reserves the whole
site for the purpose (the contract's ``reserved`` row); otherwise it is *partial* (some
agents, some paths, some media types, some sampled pages). :mod:`crawlcheck.evaluate`
rolls the claims up into the verdict; the rules are written out in docs/verdicts.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawlcheck.evaluate.signals import SiteSignals, rsl_findings
from crawlcheck.model import Effect, Finding, split_effects
from crawlcheck.parsers.pattern import path_of
from crawlcheck.parsers.robots import AgentState, Group, Rule, matches_everything
from crawlcheck.parsers.rsl import RslContent
from crawlcheck.parsers.tdmrep import TdmResolution
from crawlcheck.urls import origin_of

if TYPE_CHECKING:
    from crawlcheck.ruleset import Agent, Ruleset

#: Page directives that reserve one media type only, never the page (DeviantArt, §6).
MEDIA_KEYS = frozenset({"noimageai"})
#: How many agents or pages a reason names before "and N more".
_NAMED = 8


@dataclass(frozen=True, slots=True)
class Claim:
    """One reservation for one purpose, with the reason the verdict will give."""

    signal: str
    complete: bool
    reason: str


@dataclass(frozen=True, slots=True)
class PageView:
    """One sampled page as the verdicts see it."""

    url: str
    read: bool
    """A 2xx response whose signals were read."""
    effective: tuple[Finding, ...]
    """The page's own reservations and permissions (TDMRep already layered)."""
    tdm: TdmResolution | None


def robots_claims(
    agents: Sequence[Agent], states: dict[str, AgentState], purpose: str
) -> list[Claim]:
    """Return robots.txt's claims for *purpose* from the states of its catalogued agents."""
    if not agents or not states:
        return []
    shut = [a.token for a in agents if states[a.token].state == "disallowed"]
    own_paths = [
        a.token
        for a in agents
        if states[a.token].state == "restricted" and states[a.token].specific
    ]
    claims: list[Claim] = []
    if len(shut) == len(agents):
        claims.append(
            Claim(
                "robots.txt",
                True,
                f"robots.txt disallows / for every catalogued {purpose} agent "
                f"({len(agents)}): {_by_rule(shut, states)}",
            )
        )
        return claims
    if shut:
        claims.append(
            Claim(
                "robots.txt",
                False,
                f"robots.txt disallows / for {len(shut)} of {len(agents)} catalogued {purpose} "
                f"agents: {_by_rule(shut, states)}",
            )
        )
    if own_paths:
        claims.append(
            Claim(
                "robots.txt",
                False,
                f"robots.txt disallows some paths for {len(own_paths)} catalogued {purpose} "
                f"agent(s) in their own group: {_by_rule(own_paths, states)}",
            )
        )
    return claims


def record_claims(
    site: SiteSignals, agents: Sequence[Agent], states: dict[str, AgentState], purpose: str
) -> list[Claim]:
    """Return the claims of robots.txt's Content-Signal and Content-Usage records."""
    own = sorted(a.token for a in agents if a.token in states and states[a.token].specific)
    claims: list[Claim] = []
    robots_findings = [f for f in site.findings if f.signal in ("content-signal", "content-usage")]
    for finding in _reserving(robots_findings, purpose):
        everyone = "*" in finding.agents
        what = f"{finding.signal} {finding.key}={finding.value} ({finding.evidence})"
        if finding.signal == "content-signal":
            if everyone:
                note = ""
                if own:
                    note = (
                        f"; read site-wide, although some agents have a group of their own "
                        f"({_names(own)}), to which strict RFC 9309 group selection would not "
                        "apply it"
                    )
                claims.append(
                    Claim(
                        "content-signal",
                        True,
                        f"{what} in the * group reserves the whole site for {purpose}{note}",
                    )
                )
            else:
                claims.append(
                    Claim(
                        "content-signal",
                        False,
                        f"{what} applies only to {_names(finding.agents)}",
                    )
                )
            continue
        carved = [
            f
            for f in robots_findings
            if f.signal == "content-usage"
            and f.effect is Effect.PERMIT
            and f.key == finding.key
            and set(f.agents) & set(finding.agents)
        ]
        complete = everyone and matches_everything(finding.scope) and not carved and not own
        if complete:
            reason = f"{what} in the * group covers every path for every crawler"
        else:
            limits = []
            if not everyone:
                limits.append(f"only {_names(finding.agents)}")
            if not matches_everything(finding.scope):
                limits.append(f"only paths {finding.scope}")
            if carved:
                limits.append(f"except where {carved[0].evidence} allows")
            if everyone and own:
                limits.append(f"not {_names(own)}, which have their own group (attach-05 §4)")
            reason = f"{what} reserves {purpose} for " + "; ".join(limits)
        claims.append(Claim("content-usage", complete, reason))
    return claims


def ai_txt_claims(site: SiteSignals, purpose: str) -> list[Claim]:
    """Return ai.txt's claims: complete when ``*`` is disallowed everywhere."""
    ai_txt = site.ai_txt
    found = _reserving((f for f in site.findings if f.signal == "ai.txt"), purpose)
    if ai_txt is None or not ai_txt.usable or not found:
        return []
    if ai_txt.reserves_everything("*"):
        root = [f for f in found if "*" in f.agents and matches_everything(f.scope)]
        cite = "; ".join(f.evidence for f in root[:2])
        return [Claim("ai.txt", True, f"ai.txt disallows everything for every crawler ({cite})")]
    parts: list[str] = []
    media = ai_txt.reserved_media("*")
    if media:
        parts.append(f"media types {', '.join(media)}")
    paths = [f.scope for f in found if "*" in f.agents and f.scope not in media]
    if paths:
        parts.append(f"paths {', '.join(dict.fromkeys(paths))}")
    agents = sorted({a for f in found for a in f.agents if a != "*"})
    if agents:
        parts.append(f"everything or some paths for {_names(agents)}")
    return [Claim("ai.txt", False, f"ai.txt reserves {purpose} for {'; '.join(parts)}")]


def tdmrep_claims(site: SiteSignals, pages: Sequence[PageView], purpose: str) -> list[Claim]:
    """Return tdmrep.json's claims; a page's header/meta ``0`` supersedes the file there."""
    tdm = site.tdmrep
    found = _reserving((f for f in site.findings if f.signal == "tdmrep.json"), purpose)
    if tdm is None or not found:
        return []
    lifted = [p.url for p in pages if p.tdm is not None and p.tdm.reservation == 0]
    if tdm.reserves_everything():
        first = next(r for r in tdm.rules if r.reservation is not None)
        cite = f"rule {first.index + 1}, {first.evidence.describe()}"
        if not lifted:
            return [
                Claim(
                    "tdmrep.json",
                    True,
                    f"tdmrep.json reserves every path: its first matching rule is always 1 "
                    f"({cite})",
                )
            ]
        return [
            Claim(
                "tdmrep.json",
                False,
                f"tdmrep.json reserves every path ({cite}), but {_names(lifted)} say "
                "tdm-reservation 0 in their header or meta, which supersedes the file "
                "(TDMRep §Processing priority)",
            )
        ]
    live: list[str] = []
    for rule in tdm.rules:
        if rule.reservation == 1:
            live.append(f"{rule.location} (rule {rule.index + 1}, {rule.evidence.describe()})")
        if matches_everything(rule.location):
            break  # later rules are never the first match
    if not live:
        return []
    return [Claim("tdmrep.json", False, f"tdmrep.json reserves only some paths: {'; '.join(live)}")]


def rsl_claims(site: SiteSignals, purpose: str, ruleset: Ruleset) -> list[Claim]:
    """Return the claims of the fetched RSL licences."""
    claims: list[Claim] = []
    for license_ in site.licenses:
        applying = [c for c in license_.contents if _applies(c, site.origin)]
        verdicts = [(c, rsl_findings(c, purpose, ruleset)[0]) for c in applying]
        reserving = [(c, found) for c, found in verdicts if found]
        if not reserving:
            continue
        covers_all = any(_rsl_everything(c) for c, _ in reserving)
        complete = covers_all and len(reserving) == len(verdicts)
        cite = "; ".join(f"{c.url}: {found[0].evidence}" for c, found in reserving[:3])
        if complete:
            reason = (
                f"the RSL licence {license_.source} does not license {purpose} anywhere ({cite})"
            )
        else:
            reason = f"the RSL licence {license_.source} does not license {purpose} for {cite}"
        claims.append(Claim("rsl", complete, reason))
    return claims


def page_claims(pages: Sequence[PageView], purpose: str) -> list[Claim]:
    """Return the page-level claims: complete when every page read reserves it for all."""
    read = [p for p in pages if p.read]
    if not read:
        return []
    full: list[tuple[str, Finding]] = []
    limited: list[tuple[str, Finding]] = []
    for page in read:
        found = _reserving(page.effective, purpose)
        whole = [f for f in found if f.agents == ("*",) and f.key not in MEDIA_KEYS]
        if whole:
            full.append((page.url, whole[0]))
        limited.extend((page.url, f) for f in found if f not in whole)
    claims: list[Claim] = []
    if full:
        cite = f"{full[0][1].signal} {full[0][1].evidence}"
        complete = len(full) == len(read)
        # The contract reads "every sampled page" as the whole site; say how small the
        # sample is, so that one page (--pages 0) does not read as "every page".
        count = (
            f"every sampled page read ({_sample(len(read))})"
            if complete
            else f"{len(full)} of {len(read)} sampled pages read"
        )
        claims.append(
            Claim(
                "page",
                complete,
                f"a page-level reservation is on {count}: e.g. {cite} on {full[0][0]}",
            )
        )
    for url, finding in limited[:_NAMED]:
        limit = "images only" if finding.key in MEDIA_KEYS else f"only {_names(finding.agents)}"
        claims.append(
            Claim("page", False, f"{finding.signal} {finding.evidence} on {url} reserves {limit}")
        )
    return claims


def _sample(pages: int) -> str:
    """Return what a sample of *pages* pages read can support, for a verdict's reason."""
    if pages == 1:
        return "1 page, the only one read: pages not sampled may differ"
    return f"{pages} pages, a sample: pages not sampled may differ"


def _reserving(findings: Iterable[Finding], purpose: str) -> list[Finding]:
    return split_effects(findings, purpose)[0]


def _applies(content: RslContent, origin: str) -> bool:
    """Return True when *content* can match a URL of *origin* (a server path always can)."""
    return "://" not in content.url or origin_of(content.url) == origin_of(origin)


def _rsl_everything(content: RslContent) -> bool:
    url = content.url
    return matches_everything(path_of(url) if "://" in url else url)


def _by_rule(tokens: Sequence[str], states: dict[str, AgentState]) -> str:
    """Return "line N 'Disallow: /' (group …) for A, B" grouped by deciding rule."""
    by_rule: dict[tuple[int, str], list[str]] = {}
    groups: dict[tuple[int, str], str] = {}
    for token in tokens:
        state = states[token]
        rule = state.rules[0] if state.rules else None
        key = (rule.line, rule.text.strip()) if rule else (0, "")
        by_rule.setdefault(key, []).append(token)
        groups[key] = _group_text(rule, state.groups, state.specific)
    parts = []
    for (line, text), names in by_rule.items():
        parts.append(f"line {line} '{text}' {groups[(line, text)]} for {_names(names)}")
    return "; ".join(parts)


def _group_text(rule: Rule | None, groups: tuple[Group, ...], specific: bool) -> str:
    group = next((g for g in groups if rule is not None and rule in g.rules), None)
    which = "own group" if specific else "* group"
    return f"({which}: {group.describe()})" if group is not None else f"({which})"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMED])
    more = len(names) - _NAMED
    return f"{shown} and {more} more" if more > 0 else shown
