"""The site report: everything fetched for one site, judged per purpose and per AI agent.

:func:`evaluate_site` is pure: it parses what the crawl fetched (:func:`site_signals`
for the site-level files, :func:`parse_page` per sampled page), classifies every
observation through the ruleset, and rolls the reservations up into one verdict per
purpose exactly as the contract's table says. The algorithm and the precedence between
conflicting signals are written out in docs/verdicts.md.

Roll-up, in order (first that holds wins):

1. ``reserved`` — some claim is *complete*: a signal that applies to every crawler
   reserves the whole site, or robots.txt keeps every catalogued agent of the purpose
   from ``/``. A complete reservation stands even when robots.txt is unreachable or no
   page could be read: what was read already reserves everything.
2. ``unknown`` — robots.txt unreachable (RFC 9309 §2.3.1.4), or every sampled page failed.
3. ``partial`` — some claim reserves something for someone.
4. ``not-reserved`` — every signal was read and none reserves anything.

Permissions never cancel another signal's reservation (standards.md §1.3, the "any
disallow wins" rule of aipref vocab "Combining Preferences"); conflicts are reported as
``evaluate.conflict`` problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from crawlcheck.access import FileAccess, RobotsAccess, file_access
from crawlcheck.evaluate._claims import (
    Claim,
    PageView,
    ai_txt_claims,
    page_claims,
    record_claims,
    robots_claims,
    rsl_claims,
    tdmrep_claims,
)
from crawlcheck.evaluate._media import (
    media_claims,
    media_findings,
    media_problems,
    media_records,
    with_media_reason,
)
from crawlcheck.evaluate._records import fetch_records
from crawlcheck.evaluate.signals import SiteSignals, site_signals, tdm_finding
from crawlcheck.model import (
    PURPOSES,
    AgentReport,
    Effect,
    Fetched,
    Finding,
    Problem,
    Purpose,
    RobotsState,
    Signal,
    SiteFetches,
    SiteReport,
    SiteVerdict,
    Verdict,
)
from crawlcheck.parsers.page import parse_page
from crawlcheck.parsers.robots import AgentState
from crawlcheck.parsers.tdmrep import resolve_tdm

if TYPE_CHECKING:
    from crawlcheck.ruleset import Ruleset

__all__ = ["SiteSignals", "evaluate_site", "site_signals"]


def evaluate_site(fetches: SiteFetches, ruleset: Ruleset) -> SiteReport:
    """Return the report of one site: verdicts, agent states, findings, fetches, problems."""
    site = site_signals(fetches, ruleset)
    states: dict[str, AgentState] = {}
    if site.robots is not None:
        states = {a.token: site.robots.agent_state(a.token) for a in ruleset.agents}
    names = tuple(a.token for a in ruleset.agents)
    views: list[PageView] = []
    page_findings: list[Finding] = []
    problems: list[Problem] = list(site.problems)
    linked: list[tuple[str, str]] = []
    if site.robots is not None:
        linked += [(r.value.strip(), site.robots.source) for r in site.robots.licenses]
    for doc in fetches.pages:
        view, found, issues, licenses = _read_page(doc, site, ruleset, names)
        views.append(view)
        page_findings.extend(found)
        problems.extend(issues)
        linked += [(url, doc.url) for url in licenses]
    problems.extend(_crawl_problems(fetches, views, linked))
    problems.extend(media_problems(fetches.media))

    verdicts: list[Verdict] = []
    for purpose in PURPOSES:
        agents = ruleset.agents_for(purpose)
        claims = [
            *robots_claims(agents, states, purpose),
            *record_claims(site, agents, states, purpose),
            *ai_txt_claims(site, purpose),
            *tdmrep_claims(site, views, purpose),
            *rsl_claims(site, purpose, ruleset),
            *page_claims(views, purpose),
            *media_claims(fetches.media, purpose),
        ]
        permits = [
            f
            for f in (*site.findings, *(f for v in views for f in v.effective))
            if f.effect is Effect.PERMIT and purpose in f.purposes
        ]
        verdict = _verdict(purpose, claims, permits, site, views, fetches, agents, states)
        verdicts.append(with_media_reason(verdict, fetches.media))
        # A conflict is two signals disagreeing; one file's own scopes (tdmrep.json's
        # "/img/" reserved, "/" not) are not one.
        reserving = {c.signal for c in claims}
        others = [f for f in permits if f.signal not in reserving]
        if claims and others:
            problems.append(_conflict(purpose, claims, others, fetches.origin))

    return SiteReport(
        site=fetches.site,
        origin=fetches.origin,
        verdicts=tuple(verdicts),
        agents=_agent_reports(site, ruleset, states),
        findings=(
            *_agent_findings(site, ruleset, states),
            *_global_group_findings(site),
            *site.findings,
            *page_findings,
            *media_findings(fetches.media),
        ),
        fetches=fetch_records(fetches),
        problems=_unique(problems),
        skipped=fetches.skipped,
        started_at=fetches.started_at,
        finished_at=fetches.finished_at,
        media=media_records(fetches.media),
    )


def _read_page(
    doc: Fetched, site: SiteSignals, ruleset: Ruleset, names: tuple[str, ...]
) -> tuple[PageView, list[Finding], list[Problem], list[str]]:
    """Return one page's view, findings, problems and licence links."""
    page = parse_page(doc, names)
    problems = list(page.problems)
    licenses = [link.url for link in page.license_links]
    if not page.read:
        # parse_page's one reading of "could not be read" (failed, non-2xx, undecodable,
        # cut at the cap): the audit and the per-URL decisions never disagree on a page.
        return PageView(doc.url, False, (), None), [], problems, licenses
    findings = [ruleset.classify(o) for o in page.observations]
    effective = [f for f in findings if f.effect is not Effect.INFO]
    file_rule = site.tdmrep.rule_for(doc.url) if site.tdmrep is not None else None
    resolution = resolve_tdm(file_rule, page.tdm_header, page.tdm_meta)
    for statement in (page.tdm_header, page.tdm_meta):
        if statement is None:
            continue
        for observation in statement.observations():
            finding = ruleset.classify(observation)
            if observation.key == "tdm-reservation" and resolution.decided_by != statement.signal:
                # TDMRep §"Processing priority": a later layer supersedes this one here.
                finding = replace(
                    finding,
                    effect=Effect.INFO,
                    scope=f"page (superseded by {resolution.decided_by})",
                )
            findings.append(finding)
    own_tdm = resolution if resolution.decided_by in ("tdm-header", "tdm-meta") else None
    if own_tdm is not None:
        layered = tdm_finding(own_tdm, "page", ruleset)
        if layered is not None and layered.effect is not Effect.INFO:
            effective.append(layered)
    return PageView(doc.url, True, tuple(effective), own_tdm), findings, problems, licenses


def _verdict(
    purpose: Purpose,
    claims: list[Claim],
    permits: list[Finding],
    site: SiteSignals,
    views: list[PageView],
    fetches: SiteFetches,
    agents: Sequence[object],
    states: dict[str, AgentState],
) -> Verdict:
    complete = [c.reason for c in claims if c.complete]
    partial = [c.reason for c in claims if not c.complete]
    blockers: list[str] = []
    if not site.robots_outcome.reachable:
        blockers.append(site.robots_outcome.reason)
    blockers.extend(problem.message for problem in site.unread.get(purpose, ()))
    if (views or fetches.skipped) and not any(v.read for v in views):
        failed = len(views)
        skipped = len(fetches.skipped)
        blockers.append(
            f"no sampled page could be read ({failed} failed, {skipped} skipped): "
            "page-level signals are unknown"
        )
    if complete:
        tail = [f"reserved even so: {b}" for b in blockers]
        return Verdict(
            purpose=purpose, verdict=SiteVerdict.RESERVED, reasons=(*complete, *partial, *tail)
        )
    if blockers:
        also = [f"also found: {reason}" for reason in partial]
        return Verdict(purpose=purpose, verdict=SiteVerdict.UNKNOWN, reasons=(*blockers, *also))
    if partial:
        return Verdict(purpose=purpose, verdict=SiteVerdict.PARTIAL, reasons=tuple(partial))
    return Verdict(
        purpose=purpose,
        verdict=SiteVerdict.NOT_RESERVED,
        reasons=_nothing_reserved(purpose, permits, site, fetches, views, len(agents), states),
    )


def _nothing_reserved(
    purpose: str,
    permits: list[Finding],
    site: SiteSignals,
    fetches: SiteFetches,
    views: list[PageView],
    agent_count: int,
    states: dict[str, AgentState],
) -> tuple[str, ...]:
    outcome = site.robots_outcome
    if outcome.access is RobotsAccess.UNAVAILABLE:
        robots = outcome.reason
    elif agent_count:
        robots = f"robots.txt keeps none of the {agent_count} catalogued {purpose} agents out"
    else:
        robots = f"robots.txt names no {purpose} agent (none is catalogued)"
    ai_txt = _file_state("ai.txt", fetches.ai_txt, site.ai_txt is not None and site.ai_txt.usable)
    tdm = _file_state("tdmrep.json", fetches.tdmrep, site.tdmrep is not None)
    read = sum(1 for v in views if v.read)
    reasons = [
        f"no signal reserves {purpose}: {robots}; {ai_txt}; {tdm}; "
        f"{len(site.licenses)} RSL licence(s); {read} page(s) read"
    ]
    generic = sorted(
        {
            f"line {s.rules[0].line}: {s.rules[0].text.strip()}"
            for s in states.values()
            if s.state == "restricted" and not s.specific and s.rules
        }
    )
    if generic:
        reasons.append(
            f"robots.txt forbids every crawler to fetch some paths (the * group: "
            f"{'; '.join(generic[:3])}): a crawl rule, not an AI reservation (check and "
            "filter keep those URLs out)"
        )
    if permits:
        reasons.append(
            "explicit permissions: " + "; ".join(f"{f.signal} {f.evidence}" for f in permits[:3])
        )
    return tuple(reasons)


def _file_state(name: str, doc: Fetched | None, parsed: bool) -> str:
    """Return what became of a site file: read, absent (4xx), or read but not such a file.

    (An unreadable one makes the verdict ``unknown``, so it is never named here.)
    """
    if doc is None:
        return f"{name} not fetched"
    if parsed:
        return f"{name} read"
    if file_access(doc) is FileAccess.ABSENT:
        return f"no {name} (HTTP {doc.status})"
    return f"{name} answered but is not one (see problems)"


def _conflict(purpose: str, claims: list[Claim], permits: list[Finding], origin: str) -> Problem:
    reserving = ", ".join(dict.fromkeys(c.signal for c in claims))
    permitting = "; ".join(f"{f.signal} {f.evidence}" for f in permits[:3])
    return Problem(
        code="evaluate.conflict",
        message=f"{purpose}: {permitting} permits it, but {reserving} reserves it; a "
        "permission never cancels another signal's reservation",
        source=origin,
        level="info",
    )


def _agent_reports(
    site: SiteSignals, ruleset: Ruleset, states: dict[str, AgentState]
) -> tuple[AgentReport, ...]:
    outcome = site.robots_outcome
    reports: list[AgentReport] = []
    for agent in ruleset.agents:
        state = states.get(agent.token)
        group = ""
        if state is None:
            robots = RobotsState.ALLOWED if outcome.reachable else RobotsState.UNREACHABLE
            evidence = outcome.reason
        else:
            robots, evidence = RobotsState(state.state), _state_evidence(state)
            group = "own" if state.specific else ("*" if state.groups else "none")
        reports.append(
            AgentReport(
                token=agent.token,
                robots=robots,
                purposes=agent.purposes,
                operator=agent.operator,
                evidence=evidence,
                group=group,
            )
        )
    return tuple(reports)


def _state_evidence(state: AgentState) -> str:
    which = "its own group" if state.specific else "the * group"
    if not state.groups:
        return "no group applies to it"
    if not state.rules:
        lines = ", ".join(g.describe() for g in state.groups)
        return f"no rule disallows anything in {which} ({lines})"
    rule = state.rules[0]
    group = next((g for g in state.groups if rule in g.rules), state.groups[0])
    more = f" and {len(state.rules) - 1} more rule(s)" if len(state.rules) > 1 else ""
    return f"line {rule.line}: {rule.text.strip()}{more} ({which}: {group.describe()})"


def _agent_findings(
    site: SiteSignals, ruleset: Ruleset, states: dict[str, AgentState]
) -> list[Finding]:
    """Return one robots.txt reservation per agent kept out of ``/`` or, by its group, of paths."""
    if site.robots is None:
        return []
    found: list[Finding] = []
    for agent in ruleset.agents:
        state = states[agent.token]
        if not state.rules or not (
            state.state == "disallowed" or (state.state == "restricted" and state.specific)
        ):
            continue
        rule = state.rules[0]
        scope = "/" if state.state == "disallowed" else "; ".join(r.pattern for r in state.rules)
        found.append(
            Finding(
                signal=Signal.ROBOTS,
                source=site.robots.source,
                effect=Effect.RESERVE,
                purposes=agent.purposes,
                agents=(agent.token,),
                scope=scope,
                evidence=_state_evidence(state),
                line=rule.line,
                key="disallow",
                value=rule.pattern,
            )
        )
    return found


def _global_group_findings(site: SiteSignals) -> list[Finding]:
    """Return what the ``*`` group says, as info: read, but generic rules reserve nothing."""
    if site.robots is None:
        return []
    found: list[Finding] = []
    for group in site.robots.groups:
        if not group.is_global:
            continue
        rules = [rule for rule in group.rules if rule.pattern]
        shown = "; ".join(f"line {r.line}: {r.text.strip()}" for r in rules[:10])
        more = f"; … {len(rules) - 10} more" if len(rules) > 10 else ""
        found.append(
            Finding(
                signal=Signal.ROBOTS,
                source=site.robots.source,
                effect=Effect.INFO,
                purposes=(),
                agents=("*",),
                scope="; ".join(r.pattern for r in rules[:10]) or "/",
                evidence=f"{group.describe()} — {shown or 'no rules'}{more}",
                line=group.agent_lines[0],
                key="group",
                value="*",
            )
        )
    return found


def _crawl_problems(
    fetches: SiteFetches, views: list[PageView], linked: list[tuple[str, str]]
) -> list[Problem]:
    problems = [
        Problem(
            code="crawl.page-skipped",
            message=f"page not sampled: {reason}",
            source=url,
            level="info",
        )
        for url, reason in fetches.skipped
    ]
    problems.extend(
        Problem(
            code="crawl.blocked-address",
            message=f"not fetched: {why} (crawlcheck does not follow a site to loopback, "
            "private, link-local or cloud metadata addresses; --allow-private-addresses "
            "lifts this)",
            source=url,
            level="warning",
        )
        for url, why in fetches.blocked
    )
    if (views or fetches.skipped) and not any(v.read for v in views):
        problems.append(
            Problem(
                code="crawl.no-page-read",
                message="no sampled page could be read: page-level signals are unknown",
                source=fetches.origin,
                level="error",
            )
        )
    fetched = {doc.url for doc in fetches.licenses} | {
        doc.final_url for doc in fetches.licenses if doc.final_url
    }
    for url, source in dict.fromkeys(linked):
        if url not in fetched:
            problems.append(
                Problem(
                    code="rsl.not-fetched",
                    message=f"licence {url} is linked but was not fetched: its terms are unknown",
                    source=source,
                    level="info",
                )
            )
    return problems


def _unique(problems: list[Problem]) -> tuple[Problem, ...]:
    return tuple(dict.fromkeys(problems))
