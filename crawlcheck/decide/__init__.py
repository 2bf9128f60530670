"""The decision for one URL and one purpose: ``reserved``, ``allowed`` or ``unknown``.

Used by ``check``, ``filter`` and the Scrapy add-on over millions of URLs, so everything
that does not depend on the URL is computed once per (origin, purpose, agent) in a
:class:`~crawlcheck.decide.plans.Plan`: which robots.txt groups apply to which catalogued
agents, their Content-Signal findings, their Content-Usage rules compiled. Per URL only
path matching and the page's own headers and meta remain.

The rules, in plain words (docs/verdicts.md):

* robots.txt: with an agent, the URL is reserved when robots.txt disallows it for that
  agent; without one, when it disallows it for any catalogued agent of the purpose
  (contract: "Defaults"). Unreachable robots.txt makes the decision ``unknown`` unless
  another signal already reserves the URL (fail closed).
* A site file that could not be read (crawlcheck.access) makes the purposes it speaks to
  ``unknown`` unless another signal reserves the URL.
* Content-Usage (aipref attach §4): the longest matching rule of the agent's own groups,
  only where the path is crawlable; identical paths combine restrictively.
* Content-Signal: the records of the agent's groups and of the ``*`` group — the ``*``
  group's record is read site-wide (the conservative reading, standards.md §8 edge 2).
* ai.txt, tdmrep.json (first match) layered with the page's header and meta (TDMRep
  §"Processing priority"), RSL ``terms_for``, the page's X-Robots-Tag / robots meta /
  Content-Usage / Content-Signal headers.
* A directive scoped to a crawler (``X-Robots-Tag: googlebot: noai``) applies only to
  that crawler; without an agent, it counts when it names a catalogued agent of the purpose.
* An image or document's embedded signals (``media``: IPTC Data Mining, C2PA/CAWG,
  TDMRep XMP) count like the page's own: a reservation reserves the URL; metadata that
  could not be read makes the decision ``unknown`` unless something reserves it.
* Any reservation wins: a permission never cancels another signal's reservation.
* The URL is decided on every form equivalent URLs take (:func:`crawlcheck.urls.decision_paths`:
  as given, dot segments removed, unreserved characters decoded); the most restrictive wins.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any

from crawlcheck.decide.plans import Bucket, Plan, UsageRule, plan_for, same_for_every_path
from crawlcheck.evaluate.signals import SiteSignals, rsl_findings, site_signals, tdm_finding
from crawlcheck.media.signals import MediaSignals
from crawlcheck.model import (
    Effect,
    Finding,
    Problem,
    Purpose,
    Signal,
    UrlDecision,
    UrlVerdict,
    split_effects,
)
from crawlcheck.parsers.page import PageSignals
from crawlcheck.parsers.pattern import path_of
from crawlcheck.parsers.robots import Rule
from crawlcheck.parsers.tdmrep import TdmStatement, resolve_tdm
from crawlcheck.urls import decision_paths, origin_of

__all__ = [
    "FETCH_DISALLOWED",
    "Plan",
    "SiteSignals",
    "decide_many",
    "decide_unknown",
    "decide_url",
    "plan_for",
    "same_for_every_path",
    "shared_decision",
    "shared_decisions",
    "site_signals",
    "why_undecided",
]


def decide_unknown(
    url: str, purpose: str, agent: str | None, *problems: Problem | None
) -> UrlDecision:
    """Return ``unknown`` for *url*, because of *problems* (no site files to decide from).

    The decision of a URL whose origin has no usable evidence: a malformed URL, an origin
    a snapshot lacks or holds only a stale capture of. Never ``allowed`` (fail closed).
    """
    return UrlDecision(
        url=url,
        purpose=Purpose(purpose),
        agent=agent,
        decision=UrlVerdict.UNKNOWN,
        problems=tuple(p for p in problems if p is not None),
    )


def decide_url(
    url: str, plan: Plan, page: PageSignals | None = None, media: MediaSignals | None = None
) -> UrlDecision:
    """Return whether *url* is reserved for the plan's purpose (and agent, if any).

    *page* is the URL's own response, when it was fetched; its headers and meta then count
    too, and a page that could not be read makes the decision ``unknown`` unless a
    site-level signal already reserves the URL. *media* is what the URL embeds when it is
    an image or document (read with bounded range requests), and counts the same way.
    """
    if page is None and media is None:
        known = shared_decision(url, plan)
        return known if known.url == url else known.for_url(url)
    return _decide(url, plan, decision_paths(path_of(url)), page, media)


def decide_many(
    urls: list[str],
    found: list[UrlDecision | None],
    origins: list[str | None],
    plans: Mapping[str, Plan | Problem],
    malformed: dict[int, Problem],
    purpose: str,
    agent: str | None,
) -> Iterator[UrlDecision]:
    """Yield the decision of each of *urls* from its shared decision *found*, in order.

    The hot loop of ``check_urls``: ``found[i]`` is :func:`shared_decisions` of the
    window; where it is None, ``urls[i]`` is ``unknown``: its origin ``origins[i]`` is
    None (not a usable URL, ``malformed[i]`` says why) or has a problem in *plans* instead
    of a plan. Each URL's own decision is made when it is taken.
    """
    for index, (url, known) in enumerate(zip(urls, found, strict=True)):
        if known is None:
            why = why_undecided(index, origins[index], plans, malformed)
            yield decide_unknown(url, purpose, agent, why)
        else:
            yield known if known.url == url else known.for_url(url)


def why_undecided(
    index: int,
    key: Hashable | None,
    plans: Mapping[Any, Plan | Problem],
    malformed: Mapping[int, Problem],
) -> Problem | None:
    """Return why the URL at *index* of a window has no shared decision (it is ``unknown``).

    Its value is not a usable URL (*key* None: ``malformed[index]``), or its origin has a
    problem in *plans* instead of a plan (:func:`shared_decisions` gives None for both).
    """
    found = malformed.get(index) if key is None else plans[key]
    return found if isinstance(found, Problem) else None


def shared_decisions(
    urls: list[str],
    keys: Sequence[Hashable | None],
    plans: Mapping[Any, Plan | Problem],
    paths: list[str | None] | None = None,
) -> list[UrlDecision | None]:
    """Return the :func:`shared_decision` of each of *urls*, deciding an origin's URLs together.

    ``keys[i]`` names the plan of ``urls[i]`` in *plans* (an origin, or an origin and a
    moment); None, or a key whose plan is a problem, gives None (the caller's ``unknown``).
    ``paths[i]``, when given and not None, is the URL's only decision path
    (:func:`crawlcheck.urls.origins_and_paths`). A window's URLs are taken an origin at a
    time: one plan's files stay in the processor's caches while its URLs are decided, and
    a plan that answers alike for every path is asked once.
    """
    by_key: dict[Hashable, list[int]] = {}
    for index, key in enumerate(keys):
        if key is not None:
            positions = by_key.get(key)
            if positions is None:
                by_key[key] = [index]
            else:
                positions.append(index)
    found: list[UrlDecision | None] = [None] * len(urls)
    for key, positions in by_key.items():
        plan = plans[key]
        if isinstance(plan, Plan):
            _decide_group(plan, urls, paths, positions, found)
    return found


def shared_decision(url: str, plan: Plan, path: str | None = None) -> UrlDecision:
    """Return the decision of *url* (without its page) as *plan* shares it: its URL may differ.

    Without the page, a decision depends on the URL only through what the site files make
    of its path: the rule each bucket's matcher picks and, when the plan has them, the
    other path readers. One decision per combination, shared by every URL of the origin it
    decides (millions of URLs, a handful of rules); the first URL of a combination decides
    the long way, and its ``url`` stays on the shared decision: callers that need the URL
    on it call :meth:`~crawlcheck.model.UrlDecision.for_url` (as :func:`decide_url` does).
    *path*, when given, is the URL's only decision path (as
    :func:`crawlcheck.urls.origins_and_paths` finds it); else it is read here.
    """
    found: list[UrlDecision | None] = [None]
    _decide_group(plan, [url], [path], [0], found)
    known = found[0]
    assert known is not None
    return known


def _decide_group(
    plan: Plan,
    urls: list[str],
    paths: list[str | None] | None,
    positions: list[int],
    found: list[UrlDecision | None],
) -> None:
    """Set ``found[i]`` to the shared decision of ``urls[i]`` for each of *positions*.

    The one reading of the key of :attr:`Plan.decided` (see :func:`shared_decision`): ``()``
    when the plan is uniform; the deciding rule itself with one bucket and nothing else
    reading the path; else the tuple of each bucket's rule and the other readings.
    """
    decided = plan.decided
    if plan.uniform:  # nothing reads the path
        known = decided.get(())
        if known is None:
            url = urls[positions[0]]
            known = decided[()] = _decide(url, plan, decision_paths(path_of(url)), None, None)
        for index in positions:
            found[index] = known
        return
    buckets = plan.buckets
    more = plan.reads_more
    alone = buckets[0].match if len(buckets) == 1 and not more else None
    for index in positions:
        url = urls[index]
        path = None if paths is None else paths[index]
        if path is None:
            forms = decision_paths(path_of(url))
            if len(forms) > 1:
                found[index] = _decide(url, plan, forms, None, None)
                continue
            path = forms[0]
        key: object
        if alone is not None:
            key = alone(path)
        else:
            key = tuple([bucket.match(path) for bucket in buckets])
            if more:
                key += _other_readings(url, path, plan)
        known = decided.get(key)
        if known is None:
            known = _decide(url, plan, (path,), None, None)
            if len(decided) < _DECIDED_KEPT:
                decided[key] = known
        found[index] = known


def _other_readings(url: str, path: str, plan: Plan) -> tuple[object, ...]:
    """Return what the path readers besides robots.txt's rules find for *url* (see _decide).

    The plan's :attr:`~Plan.path_readers` (Content-Usage rules, ai.txt rules), each RSL
    licence's matching content, and the tdmrep.json rule.
    """
    found = [read(path) for read in plan.path_readers]
    site = plan.site
    if site.licenses:
        found += [license_.match(url) for license_ in site.licenses]
    if site.tdmrep is not None:
        rule = site.tdmrep.rule_for(url if path.startswith("//") else path)
        found.append(None if rule is None else rule.index)
    return tuple(found)


#: Decisions a plan keeps by deciding rules (a hostile file could have many combinations).
_DECIDED_KEPT = 4096


def _decide(
    url: str,
    plan: Plan,
    paths: tuple[str, ...],
    page: PageSignals | None,
    media: MediaSignals | None,
) -> UrlDecision:
    """Return the decision of *url*, read on each of its *paths* (see :func:`decide_url`)."""
    site = plan.site
    reserves: list[Finding] = []
    permits: list[Finding] = []
    unknown: list[Problem] = []
    read = page is not None and page.read
    header = page.tdm_header if read and page is not None else None
    meta = page.tdm_meta if read and page is not None else None
    origin = (origin_of(url) or "") if len(paths) > 1 else ""
    for path in paths:
        # The URL as given, else the same URL with another form of its path.
        full = url if path is paths[0] else origin + path
        # The parsers take a URL and extract its path again; a path starting with a single
        # "/" extracts to itself, so hand them the path and save the work (millions of URLs).
        target = full if path.startswith("//") else path
        _site_files(full, path, target, plan, reserves, permits)
        if site.tdmrep is not None or header is not None or meta is not None:
            _tdm(plan, target, header, meta, reserves, permits)

    if site.robots is None and not site.robots_reachable:
        unknown.extend(p for p in site.robots_outcome.problems if p.code.endswith("unreachable"))
        if not unknown:
            unknown.extend(site.robots_outcome.problems)
    unknown.extend(site.unread.get(plan.purpose, ()))
    reserves.extend(plan.signal_reserves)
    permits.extend(plan.signal_permits)

    problems: list[Problem] = []
    if page is not None:
        if page.read:
            _page(page, plan, reserves, permits, problems, unknown)
        else:
            unknown.extend(page.problems[:1])
    if media is not None:
        _media(media, plan, reserves, permits, problems, unknown)
    if len(paths) > 1:
        reserves = list(dict.fromkeys(reserves))
        permits = list(dict.fromkeys(permits))

    if reserves:
        decision = UrlVerdict.RESERVED
    elif unknown:
        decision = UrlVerdict.UNKNOWN
    else:
        decision = UrlVerdict.ALLOWED
    decided = UrlDecision(
        url=url,
        purpose=plan.purpose,
        agent=plan.agent,
        decision=decision,
        reasons=(*reserves, *permits),
        problems=(*unknown, *problems),
    )
    return decided if plan.annotate is None else plan.annotate(decided)


def _site_files(
    url: str,
    path: str,
    target: str,
    plan: Plan,
    reserves: list[Finding],
    permits: list[Finding],
) -> None:
    """Add what the site-level files say about one form of the URL's path."""
    site = plan.site
    if site.robots is not None:
        _robots(plan, path, reserves, permits)

    ai_txt = site.ai_txt
    if plan.ai_agents and ai_txt is not None and ai_txt.robots is not None:
        for token in plan.ai_agents:
            ai_rule = ai_txt.robots.rule_for(token, target)
            if ai_rule is not None and not ai_rule.allow:
                finding = plan.ai_findings.get(ai_rule.line)
                if finding is not None:
                    reserves.append(finding)

    for index, license_ in enumerate(site.licenses):
        position = license_.match(url)
        if position is not None:
            key = ("rsl", index, position)
            found = plan.memo.get(key)
            if found is None:
                content = license_.contents[position]
                found = plan.memo[key] = rsl_findings(content, plan.purpose, plan.ruleset)
            reserves.extend(found[0])
            permits.extend(found[1])


def _tdm(
    plan: Plan,
    target: str,
    header: TdmStatement | None,
    meta: TdmStatement | None,
    reserves: list[Finding],
    permits: list[Finding],
) -> None:
    """Add the TDMRep value: file first match, then header, then meta (§Processing priority)."""
    site = plan.site
    rule = site.tdmrep.rule_for(target) if site.tdmrep is not None else None
    if rule is None and header is None and meta is None:
        return
    key = ("tdm", rule.index, 0) if rule is not None and header is None and meta is None else None
    found = plan.memo.get(key) if key is not None else None
    if found is None:
        resolution = resolve_tdm(rule, header, meta)
        from_file = resolution.decided_by == "tdmrep.json" and rule is not None
        scope = rule.location if from_file and rule is not None else "page"
        finding = tdm_finding(resolution, scope, plan.ruleset)
        found = ((), ())
        if finding is not None and plan.purpose in finding.purposes:
            if finding.effect is Effect.RESERVE:
                found = ((finding,), ())
            elif finding.effect is Effect.PERMIT:
                found = ((), (finding,))
        if key is not None:
            plan.memo[key] = found
    reserves.extend(found[0])
    permits.extend(found[1])


def _robots(plan: Plan, path: str, reserves: list[Finding], permits: list[Finding]) -> None:
    for bucket in plan.buckets:
        rule = bucket.match(path)
        if rule is not None and not rule.allow:
            if bucket.tokens:  # the * group alone keeps no catalogued agent out
                finding = bucket.findings.get(rule)
                if finding is None:
                    finding = bucket.findings[rule] = _disallow_finding(plan, bucket, rule)
                reserves.append(finding)
            continue
        if bucket.usage:
            _usage(plan, bucket, path, reserves, permits)


def _usage(
    plan: Plan, bucket: Bucket, path: str, reserves: list[Finding], permits: list[Finding]
) -> None:
    """Add the Content-Usage preference of the longest matching rule (attach-05 §4)."""
    best: list[UsageRule] = []
    best_len = -1
    for rule in bucket.usage:
        if not rule.matches(path):
            continue
        if len(rule.pattern) > best_len:
            best, best_len = [rule], len(rule.pattern)
        elif len(rule.pattern) == best_len:
            best.append(rule)
    chosen: dict[str, Finding] = {}
    for rule in best:
        for finding in plan.site.robots_records.get(rule.line, ()):
            if finding.signal != Signal.CONTENT_USAGE or plan.purpose not in finding.purposes:
                continue
            # Identical paths combine restrictively: any "n" wins (vocab "Combining").
            current = chosen.get(finding.key)
            if current is None or finding.effect is Effect.RESERVE:
                chosen[finding.key] = finding
    for finding in chosen.values():
        if finding.effect is Effect.RESERVE:
            reserves.append(finding)
        elif finding.effect is Effect.PERMIT:
            permits.append(finding)


def _page(
    page: PageSignals,
    plan: Plan,
    reserves: list[Finding],
    permits: list[Finding],
    problems: list[Problem],
    unknown: list[Problem],
) -> None:
    """Add the page's own signals: TDMRep layered over the file, then the directives."""
    purpose, ruleset = plan.purpose, plan.ruleset
    for problem in page.problems:
        # An error means the signal could not be read: unknown, for what it speaks to.
        if problem.level == "error" and (
            problem.signal is None or purpose in ruleset.purposes_of(problem.signal)
        ):
            unknown.append(problem)
    for observation in page.observations:
        finding = ruleset.classify(observation)
        if purpose not in finding.purposes or finding.effect is Effect.INFO:
            continue
        if observation.agents != ("*",) and not any(
            token.lower() in plan.scoped_agents for token in observation.agents
        ):
            problems.append(
                Problem(
                    code="page.scoped-directive",
                    message=f"{finding.evidence} is scoped to {', '.join(observation.agents)}, "
                    f"which is not {plan.agent or f'a catalogued {purpose} agent'}: not applied",
                    source=page.url,
                    level="info",
                )
            )
            continue
        (reserves if finding.effect is Effect.RESERVE else permits).append(finding)


#: ``key`` of a robots.txt finding from the ``*`` group: robots.txt forbids every crawler
#: (without a group of its own) to fetch the URL. The URL stays excluded, but this is a
#: crawl rule, not an AI reservation (contract: "generic * path rules are not an AI
#: reservation"); ``audit`` names the same rule the same way.
FETCH_DISALLOWED = "fetch-disallowed"


def _media(
    media: MediaSignals,
    plan: Plan,
    reserves: list[Finding],
    permits: list[Finding],
    problems: list[Problem],
    unknown: list[Problem],
) -> None:
    """Add what the image or document embeds (the planner has classified it already)."""
    reserving, permitting = split_effects(media.findings, plan.purpose)
    reserves.extend(reserving)
    permits.extend(permitting)
    # As crawlcheck.media's per-file state: metadata not read completely is unknown.
    unknown.extend(media.unread)
    problems.extend(p for p in media.notes if p.level == "warning")


def _disallow_finding(plan: Plan, bucket: Bucket, rule: Rule) -> Finding:
    site = plan.site
    group = next((g for g in bucket.groups if rule in g.rules), None)
    where = f" (group: {group.describe()})" if group is not None else ""
    if group is not None and group.is_global:
        return Finding(
            signal=Signal.ROBOTS,
            source=site.robots.source if site.robots is not None else site.robots_outcome.source,
            effect=Effect.RESERVE,
            purposes=(plan.purpose,),
            agents=bucket.tokens,
            scope=rule.pattern,
            evidence=f"line {rule.line}: {rule.text.strip()}{where}: robots.txt forbids every "
            "crawler without a group of its own to fetch this path (a crawl rule, not an AI "
            "reservation)",
            line=rule.line,
            key=FETCH_DISALLOWED,
            value=rule.pattern,
        )
    return Finding(
        signal=Signal.ROBOTS,
        source=site.robots.source if site.robots is not None else site.robots_outcome.source,
        effect=Effect.RESERVE,
        purposes=(plan.purpose,),
        agents=bucket.tokens,
        scope=rule.pattern,
        evidence=f"line {rule.line}: {rule.text.strip()}{where}",
        line=rule.line,
        key="disallow",
        value=rule.pattern,
    )
