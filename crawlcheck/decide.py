"""The decision for one URL and one purpose: ``reserved``, ``allowed`` or ``unknown``.

Used by ``check``, ``filter`` and the Scrapy add-on over millions of URLs, so everything
that does not depend on the URL is computed once per (origin, purpose, agent) and kept in
the :class:`SiteSignals` cache: which robots.txt groups apply to which catalogued agents,
their Content-Signal findings, their Content-Usage rules compiled. Per URL only path
matching and the page's own headers and meta remain.

The rules, in plain words (docs/verdicts.md):

* robots.txt: with an agent, the URL is reserved when robots.txt disallows it for that
  agent; without one, when it disallows it for any catalogued agent of the purpose
  (contract: "Defaults"). Unreachable robots.txt makes the decision ``unknown`` unless
  another signal already reserves the URL (fail closed).
* Content-Usage (aipref attach §4): the longest matching rule of the agent's own groups,
  only where the path is crawlable; identical paths combine restrictively.
* Content-Signal: the records of the agent's groups and of the ``*`` group — the ``*``
  group's record is read site-wide (the conservative reading, standards.md §8 edge 2).
* ai.txt, tdmrep.json (first match) layered with the page's header and meta (TDMRep
  §"Processing priority"), RSL ``terms_for``, the page's X-Robots-Tag / robots meta /
  Content-Usage / Content-Signal headers.
* A directive scoped to a crawler (``X-Robots-Tag: googlebot: noai``) applies only to
  that crawler; without an agent, it counts when it names a catalogued agent of the purpose.
* Any reservation wins: a permission never cancels another signal's reservation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlcheck._evaluate_plan import Bucket, Plan, UsageRule, plan_for
from crawlcheck._evaluate_signals import SiteSignals, rsl_findings, site_signals, tdm_finding
from crawlcheck.model import Effect, Finding, Problem, UrlDecision
from crawlcheck.parsers._pattern import path_of
from crawlcheck.parsers.page import PageSignals
from crawlcheck.parsers.robots import Rule
from crawlcheck.parsers.tdmrep import resolve_tdm

if TYPE_CHECKING:
    from crawlcheck.ruleset import Ruleset

__all__ = ["SiteSignals", "decide_url", "site_signals"]


def decide_url(
    url: str,
    *,
    site: SiteSignals,
    page: PageSignals | None = None,
    purpose: str = "ai-train",
    agent: str | None = None,
    ruleset: Ruleset,
) -> UrlDecision:
    """Return whether *url* is reserved for *purpose* (for *agent*, or any catalogued agent).

    *page* is the URL's own response, when it was fetched; its headers and meta then count
    too, and a failed fetch makes the decision ``unknown`` unless a site-level signal
    already reserves the URL.
    """
    plan = plan_for(site, purpose, agent, ruleset)
    reserves: list[Finding] = []
    permits: list[Finding] = []
    unknown: list[Problem] = []
    path = path_of(url)
    # The parsers take a URL and extract its path again; a path starting with a single
    # "/" extracts to itself, so hand them the path and save the work (millions of URLs).
    target = url if path.startswith("//") else path

    if site.robots is not None:
        _robots(site, plan, path, purpose, reserves, permits)
    elif not site.robots_reachable:
        unknown.extend(p for p in site.robots_outcome.problems if p.code.endswith("unreachable"))
        if not unknown:
            unknown.extend(site.robots_outcome.problems)
    reserves.extend(plan.signal_reserves)
    permits.extend(plan.signal_permits)

    ai_txt = site.ai_txt
    if plan.ai_agents and ai_txt is not None and ai_txt.robots is not None:
        for token in plan.ai_agents:
            ai_rule = ai_txt.robots.rule_for(token, target)
            if ai_rule is not None and not ai_rule.allow:
                finding = plan.ai_findings.get(ai_rule.line)
                if finding is not None:
                    reserves.append(finding)

    for index, license_ in enumerate(site.licenses):
        content = license_.terms_for(url)
        if content is not None:
            key = ("rsl", index, id(content))
            found = plan.cache.get(key)
            if found is None:
                found = plan.cache[key] = rsl_findings(content, purpose, ruleset)
            reserves.extend(found[0])
            permits.extend(found[1])

    page_ok = page is not None and page.status is not None and 200 <= page.status < 300
    if site.tdmrep is not None or page_ok:
        _tdm(site, plan, target, page if page_ok else None, purpose, reserves, permits)

    problems: list[Problem] = []
    if page is not None:
        if page_ok:
            _page(page, plan, purpose, agent, reserves, permits, problems)
        else:
            unknown.extend(page.problems[:1])

    if reserves:
        decision = "reserved"
    elif unknown:
        decision = "unknown"
    else:
        decision = "allowed"
    return UrlDecision(
        url=url,
        purpose=purpose,
        agent=agent,
        decision=decision,
        reasons=(*reserves, *permits),
        problems=(*unknown, *problems),
    )


def _tdm(
    site: SiteSignals,
    plan: Plan,
    target: str,
    page: PageSignals | None,
    purpose: str,
    reserves: list[Finding],
    permits: list[Finding],
) -> None:
    """Add the TDMRep value: file first match, then header, then meta (§Processing priority)."""
    file_rule = site.tdmrep.rule_for(target) if site.tdmrep is not None else None
    header = page.tdm_header if page is not None else None
    meta = page.tdm_meta if page is not None else None
    if file_rule is None and header is None and meta is None:
        return
    key = ("tdm", file_rule.index) if header is None and meta is None and file_rule else None
    found = plan.cache.get(key) if key is not None else None
    if found is None:
        resolution = resolve_tdm(file_rule, header, meta)
        from_file = resolution.decided_by == "tdmrep.json" and file_rule is not None
        scope = file_rule.location if from_file and file_rule is not None else "page"
        finding = tdm_finding(resolution, scope, plan.ruleset)
        found = ((), ())
        if finding is not None and purpose in finding.purposes:
            found = ((finding,), ()) if finding.effect is Effect.RESERVE else ((), (finding,))
        if key is not None:
            plan.cache[key] = found
    reserves.extend(found[0])
    permits.extend(found[1])


def _robots(
    site: SiteSignals,
    plan: Plan,
    path: str,
    purpose: str,
    reserves: list[Finding],
    permits: list[Finding],
) -> None:
    for bucket in plan.buckets:
        rule = bucket.match(path)
        if rule is not None and not rule.allow:
            if bucket.tokens:  # the * group alone keeps no catalogued agent out
                finding = bucket.findings.get(rule)
                if finding is None:
                    finding = bucket.findings[rule] = _disallow_finding(site, bucket, rule, purpose)
                reserves.append(finding)
            continue
        if bucket.usage:
            _usage(site, bucket, path, purpose, reserves, permits)


def _usage(
    site: SiteSignals,
    bucket: Bucket,
    path: str,
    purpose: str,
    reserves: list[Finding],
    permits: list[Finding],
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
        for finding in site.robots_records.get(rule.line, ()):
            if finding.signal != "content-usage" or purpose not in finding.purposes:
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
    purpose: str,
    agent: str | None,
    reserves: list[Finding],
    permits: list[Finding],
    problems: list[Problem],
) -> None:
    for observation in page.observations:
        finding = plan.ruleset.classify(observation)
        if purpose not in finding.purposes or finding.effect is Effect.INFO:
            continue
        if observation.agents != ("*",) and not any(
            token.lower() in plan.scoped_agents for token in observation.agents
        ):
            problems.append(
                Problem(
                    code="page.scoped-directive",
                    message=f"{finding.evidence} is scoped to {', '.join(observation.agents)}, "
                    f"which is not {agent or f'a catalogued {purpose} agent'}: not applied",
                    source=page.url,
                    level="info",
                )
            )
            continue
        (reserves if finding.effect is Effect.RESERVE else permits).append(finding)


def _disallow_finding(site: SiteSignals, bucket: Bucket, rule: Rule, purpose: str) -> Finding:
    group = next((g for g in bucket.groups if rule in g.rules), None)
    where = f" (group: {group.describe()})" if group is not None else ""
    return Finding(
        signal="robots.txt",
        source=site.robots.source if site.robots is not None else site.robots_outcome.source,
        effect=Effect.RESERVE,
        purposes=(purpose,),
        agents=bucket.tokens,
        scope=rule.pattern,
        evidence=f"line {rule.line}: {rule.text.strip()}{where}",
        line=rule.line,
        key="disallow",
        value=rule.pattern,
    )
