"""The site-level files of one origin, parsed once: the input of every per-URL decision.

:func:`site_signals` reads robots.txt (after its RFC 9309 §2.3.1 access outcome), ai.txt,
tdmrep.json, llms.txt and the fetched RSL licences, and classifies each file's
observations through the ruleset. :func:`crawlcheck.decide.decide_url` and
:func:`crawlcheck.evaluate.evaluate_site` both start from the result, so nothing is
parsed twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from crawlcheck.access import FileAccess, RobotsAccess, RobotsOutcome, file_outcome, robots_outcome
from crawlcheck.model import (
    Effect,
    Fetched,
    Finding,
    Observation,
    Problem,
    Signal,
    SiteFetches,
    split_effects,
)
from crawlcheck.parsers.aipref import invalid_value_message
from crawlcheck.parsers.aitxt import AiTxt, parse_ai_txt
from crawlcheck.parsers.llms import LlmsTxt, parse_llms_txt
from crawlcheck.parsers.robots import USAGE_VALUE, RobotsTxt, parse_robots, split_usage_rule
from crawlcheck.parsers.rsl import RslContent, RslLicense, parse_rsl
from crawlcheck.parsers.tdmrep import TdmRepFile, TdmResolution, parse_tdmrep_json

if TYPE_CHECKING:
    from crawlcheck.ruleset import Ruleset


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteSignals:
    """The parsed site-level files of one origin, with their classified findings."""

    origin: str
    robots_outcome: RobotsOutcome
    robots: RobotsTxt | None
    """The parsed file; None unless the outcome is ``parsed`` (2xx)."""
    ai_txt: AiTxt | None
    tdmrep: TdmRepFile | None
    licenses: tuple[RslLicense, ...]
    llms: LlmsTxt | None
    findings: tuple[Finding, ...]
    """Every observation of the site-level files, classified (robots.txt extension records,
    ai.txt rules, tdmrep.json rules, RSL terms, llms.txt presence)."""
    file_problems: tuple[Problem, ...]
    """Problems of ai.txt, tdmrep.json, the licences and llms.txt."""
    robots_records: Mapping[int, tuple[Finding, ...]] = field(repr=False)
    """Findings of robots.txt extension records (Content-Signal, Content-Usage) by line."""
    unread: Mapping[str, tuple[Problem, ...]] = field(default_factory=dict, repr=False)
    """By purpose: the files that speak to it but could not be read (why it is unknown)."""

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Return every problem of the site-level files, robots.txt's lint included.

        robots.txt's lint is computed here, on demand: the report needs it, the per-URL
        decisions over millions of URLs do not.
        """
        robots = self.robots.problems if self.robots is not None else ()
        return (*self.robots_outcome.problems, *robots, *self.file_problems)

    @property
    def robots_reachable(self) -> bool:
        """Return True unless robots.txt was unreachable (RFC 9309 §2.3.1.4)."""
        return self.robots_outcome.reachable


def site_signals(fetches: SiteFetches, ruleset: Ruleset) -> SiteSignals:
    """Return the parsed site-level files of *fetches* (pages are not read here).

    A file that could not be read (crawlcheck.access: anything but a whole 2xx body or a
    4xx) is not parsed; the purposes it speaks to become unknown, with the reason.
    """
    outcome = robots_outcome(fetches.robots, fetches.origin)
    problems: list[Problem] = []
    findings: list[Finding] = []
    robots_records: dict[int, list[Finding]] = {}
    unread: dict[str, list[Problem]] = {}

    robots: RobotsTxt | None = None
    if outcome.access is RobotsAccess.PARSED and fetches.robots is not None:
        doc = fetches.robots
        robots = parse_robots(doc.body, doc.final_url or doc.url, doc.content_type)
        for observation in robots.observations():
            finding = ruleset.classify(observation)
            findings.append(finding)
            if observation.signal in (Signal.CONTENT_SIGNAL, Signal.CONTENT_USAGE):
                line = observation.evidence.line or 0
                robots_records.setdefault(line, []).append(finding)

    if robots is not None:
        for problem, purposes in _unreadable_usage(robots, ruleset):
            problems.append(problem)
            for purpose in purposes:
                unread.setdefault(purpose, []).append(problem)

    def read(doc: Fetched, signal: Signal) -> bool:
        """Return True when *doc* may be parsed; else record why its purposes are unknown."""
        found = file_outcome(doc, signal)
        if found.access is not FileAccess.UNREADABLE:
            return True
        failed(found.problem(), signal)
        return False

    def failed(problem: Problem, signal: Signal) -> None:
        problems.append(problem)
        for purpose in ruleset.purposes_of(signal):
            unread.setdefault(purpose, []).append(problem)

    def keep(found: tuple[Problem, ...], signal: Signal) -> None:
        """Record a parser's problems; an error means the file could not be read as such."""
        for problem in found:
            tagged = replace(problem, signal=signal)
            if tagged.level == "error":
                failed(tagged, signal)
            else:
                problems.append(tagged)

    ai_txt: AiTxt | None = None
    if fetches.ai_txt is not None and read(fetches.ai_txt, Signal.AI_TXT):
        ai_txt = parse_ai_txt(fetches.ai_txt)
        keep(ai_txt.problems, Signal.AI_TXT)
        findings.extend(ruleset.classify(o) for o in ai_txt.observations)

    tdmrep: TdmRepFile | None = None
    if fetches.tdmrep is not None and read(fetches.tdmrep, Signal.TDMREP_FILE):
        tdmrep = parse_tdmrep_json(fetches.tdmrep)
        keep(tdmrep.problems, Signal.TDMREP_FILE)
        findings.extend(ruleset.classify(o) for o in tdmrep.observations())

    licenses: list[RslLicense] = []
    for doc in fetches.licenses:
        if not read(doc, Signal.RSL):
            continue
        license_ = parse_rsl(doc)
        licenses.append(license_)
        keep(license_.problems, Signal.RSL)
        findings.extend(ruleset.classify(o) for o in license_.observations())

    llms: LlmsTxt | None = None
    if fetches.llms_txt is not None:
        # llms.txt never reserves anything (standards.md §10): a failure changes no answer.
        llms = parse_llms_txt(fetches.llms_txt)
        problems.extend(llms.problems)
        findings.extend(ruleset.classify(o) for o in llms.observations)

    return SiteSignals(
        origin=fetches.origin,
        robots_outcome=outcome,
        robots=robots,
        ai_txt=ai_txt,
        tdmrep=tdmrep if tdmrep is not None and tdmrep.implemented else None,
        licenses=tuple(licenses),
        llms=llms,
        findings=tuple(findings),
        file_problems=tuple(problems),
        robots_records=MappingProxyType({k: tuple(v) for k, v in robots_records.items()}),
        unread=MappingProxyType({k: tuple(v) for k, v in unread.items()}),
    )


def _unreadable_usage(robots: RobotsTxt, ruleset: Ruleset) -> list[tuple[Problem, tuple[str, ...]]]:
    """Return each Content-Usage value in a group that is not the Token y/n, and its purposes.

    ``train-ai=no`` states a preference the vocabulary cannot read (aipref vocab
    §"Serialization" makes it unknown, not absent): the publisher said something about
    training, so crawlcheck does not read it as silence. The purposes the category speaks
    to become unknown for the site, fail closed, until the publisher writes ``n`` or ``y``.
    """
    found = []
    for group in robots.groups:
        for record in group.records:
            if record.name != "content-usage":
                continue
            for key, value in split_usage_rule(record.value)[1].invalid:
                problem = Problem(
                    code=USAGE_VALUE,
                    message=invalid_value_message(key, value),
                    source=robots.source,
                    line=record.line,
                    level="error",
                )
                meaning = ruleset.meaning(Signal.CONTENT_USAGE, key, "n")
                found.append((problem, meaning.purposes))
    return found


def tdm_finding(resolution: TdmResolution, scope: str, ruleset: Ruleset) -> Finding | None:
    """Return the finding of a resolved TDMRep value (None when the value is unset)."""
    if resolution.reservation is None or resolution.evidence is None:
        return None
    observation = Observation(
        signal=Signal(resolution.decided_by),
        key="tdm-reservation",
        value=str(resolution.reservation),
        scope=scope,
        evidence=resolution.evidence,
    )
    return ruleset.classify(observation)


def rsl_findings(
    content: RslContent, purpose: str, ruleset: Ruleset
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """Return (reservations, permissions) an RSL ``<content>`` makes for *purpose*.

    RSL 1.0 (standards.md §9): a prohibition beats a permission, and a present
    ``<permits type="usage">`` is a whitelist: a use it does not list is not licensed.
    """
    observations = [
        Observation(
            signal=Signal.RSL,
            key=term.kind,
            value=value,
            scope=content.url,
            evidence=term.evidence,
        )
        for term in content.terms
        if term.type == "usage" and term.kind in ("permits", "prohibits")
        for value in term.values
    ]
    reserves, permits = split_effects((ruleset.classify(o) for o in observations), purpose)
    # The whitelist reading applies to the purposes RSL names (ai-train, ai-input/ai-index,
    # search); tdm has no token of its own but "all", so only an explicit term speaks to it.
    if content.permits and not permits and not reserves and purpose != "tdm":
        listed = " ".join(sorted(content.permits))
        evidence = next(
            (t.evidence for t in content.terms if t.kind == "permits" and t.type == "usage"),
            content.evidence,
        )
        reserves.append(
            Finding(
                signal=Signal.RSL,
                source=evidence.source,
                effect=Effect.RESERVE,
                purposes=(purpose,),
                agents=("*",),
                scope=content.url,
                evidence=f"{evidence.describe()} (permits only {listed}: {purpose} is not "
                "licensed)",
                line=evidence.line,
                key="permits-only",
                value=listed,
            )
        )
    return tuple(reserves), tuple(permits)
