"""W3C TDMRep (TDM Reservation Protocol, CG-FINAL 2024-05-10): file, header, meta, layering.

Spec: https://w3c.github.io/tdm-reservation-protocol/spec/ . Two properties:
``tdm-reservation`` (the integer 1 reserves TDM rights, 0 does not; anything else is a
protocol error and leaves the property unset) and ``tdm-policy`` (a URL). They come from
``/.well-known/tdmrep.json`` (first matching rule in array order), the HTTP response
headers, and the HTML ``<meta>`` elements; each later layer supersedes the earlier one and
absence never resets (§"Processing priority").

The JSON array and its rules are read by :mod:`crawlcheck.parsers._tdmrep_json`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crawlcheck.model import Evidence, Fetched, Observation, Problem, Signal
from crawlcheck.parsers._robots_types import matches_everything
from crawlcheck.parsers._tdmrep_json import (
    JSON_SPACE,
    POLICY,
    RESERVATION,
    canonical_path,
    decode_body,
    location_pattern,
    read_rule,
    report_shadowed,
    split_array,
)
from crawlcheck.parsers._tdmrep_json import TdmRule as TdmRule
from crawlcheck.parsers.pattern import compile_pattern
from crawlcheck.parsers.text import looks_like_html

#: No limit is specified; bigger files are still parsed, but reported.
LARGE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class TdmRepFile:
    """A fetched /.well-known/tdmrep.json, read."""

    source: str
    implemented: bool
    """False when the origin did not provide a JSON array: it does not implement TDMRep."""
    rules: tuple[TdmRule, ...]
    problems: tuple[Problem, ...]

    def rule_for(self, url: str) -> TdmRule | None:
        """Return the first rule whose location matches *url*'s path, or None (unset).

        Spec §"TDM File": "The most specific match is the first in sequence" — array order,
        not the longest pattern. A matching rule whose reservation is a protocol error is
        still the match: the property is then unset for the URL, and later rules are not
        consulted (skipping it could turn the owner's intended ``1`` into a later ``0``).
        """
        path = canonical_path(url)
        for rule in self.rules:
            if rule.location and compile_pattern(location_pattern(rule.location))(path):
                return rule
        return None

    def reserves_everything(self) -> bool:
        """Return True when the first matching rule of every path reserves (is ``1``)."""
        for rule in self.rules:
            if not rule.location.startswith(("/", "*")):
                continue  # matches no path, so it is never the first match
            if rule.reservation != 1:
                return False
            if matches_everything(location_pattern(rule.location)):
                return True
        return False

    def observations(self) -> tuple[Observation, ...]:
        """Return one observation per valid rule, plus its policy when it reserves."""
        found: list[Observation] = []
        for rule in self.rules:
            # A protocol error states nothing; a location that is not a path matches nothing.
            if rule.reservation is None or not rule.location.startswith(("/", "*")):
                continue
            found.extend(
                _observations(
                    Signal.TDMREP_FILE, rule.reservation, rule.policy, rule.location, rule.evidence
                )
            )
        return tuple(found)


@dataclass(frozen=True, slots=True, kw_only=True)
class TdmStatement:
    """The TDMRep properties one response states in its headers or its HTML meta."""

    reservation: int | None
    policy: str | None
    evidence: Evidence
    signal: Signal
    """``Signal.TDM_HEADER`` or ``Signal.TDM_META``."""

    def observations(self) -> tuple[Observation, ...]:
        """Return the statement as page-scoped observations (none for an unset value)."""
        if self.reservation is None:
            return ()
        return _observations(self.signal, self.reservation, self.policy, "page", self.evidence)


def _observations(
    signal: Signal, reservation: int, policy: str | None, scope: str, evidence: Evidence
) -> tuple[Observation, ...]:
    """Return a reservation value, and its policy when it reserves, as observations."""
    value = Observation(
        signal=signal, key=RESERVATION, value=str(reservation), scope=scope, evidence=evidence
    )
    # Spec §tdm-policy note: agents SHOULD NOT process the policy when the value is 0.
    if policy is None or reservation != 1:
        return (value,)
    return (
        value,
        Observation(signal=signal, key=POLICY, value=policy, scope=scope, evidence=evidence),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TdmResolution:
    """The TDMRep properties of one resource after layering file, header and meta."""

    reservation: int | None
    policy: str | None
    """Kept only when the reservation is 1 (spec: do not process a policy for 0)."""
    decided_by: str
    """``tdmrep.json``, ``tdm-header``, ``tdm-meta``, or ``""`` when unset."""
    evidence: Evidence | None


def parse_tdmrep_json(doc: Fetched) -> TdmRepFile:
    """Return the rules of a fetched tdmrep.json; never raises on any content.

    >>> body = b'[{"location": "/", "tdm-reservation": 1}]'
    >>> tdm = parse_tdmrep_json(Fetched(url="https://e.com/.well-known/tdmrep.json", status=200, body=body))
    >>> tdm.rule_for("https://e.com/a").reservation
    1
    """
    source = doc.url
    absent = _fetch_problem(doc)
    if absent is not None:
        return TdmRepFile(source=source, implemented=False, rules=(), problems=(absent,))
    problems: list[Problem] = []

    def problem(code: str, message: str, line: int | None = None, level: str = "warning") -> None:
        problems.append(Problem(code=code, message=message, source=source, line=line, level=level))

    body = doc.body
    if doc.truncated:
        problem("tdmrep.truncated", "the body was cut at the fetch size limit", level="error")
    if len(body) > LARGE_BYTES:
        problem("tdmrep.large", f"file is {len(body):,} bytes; parsed anyway", level="info")
    if looks_like_html(body, doc.content_type):
        problem(
            "tdmrep.html-served",
            "an HTML page was served as tdmrep.json (a soft 404): the origin does not "
            "implement TDMRep",
            level="warning",
        )
        return TdmRepFile(source=source, implemented=False, rules=(), problems=tuple(problems))
    text = decode_body(body, problem)
    if not text.strip(JSON_SPACE):
        problem("tdmrep.empty", "empty file: the origin does not implement TDMRep", level="warning")
        return TdmRepFile(source=source, implemented=False, rules=(), problems=tuple(problems))
    elements = split_array(text, problem)
    if elements is None:
        return TdmRepFile(source=source, implemented=False, rules=(), problems=tuple(problems))
    if not elements:
        problem("tdmrep.no-rules", "the array is empty: no resource has a value", level="info")
    rules: list[TdmRule] = []
    for index, (value, raw, line) in enumerate(elements):
        rule = read_rule(value, raw, line, index, source, problem)
        if rule is not None:
            rules.append(rule)
    report_shadowed(rules, problem)
    return TdmRepFile(source=source, implemented=True, rules=tuple(rules), problems=tuple(problems))


def tdm_from_headers(doc: Fetched) -> tuple[TdmStatement | None, tuple[Problem, ...]]:
    """Return the statement of the ``tdm-reservation``/``tdm-policy`` headers of *doc*."""
    problems: list[Problem] = []
    for stale in ("tdm-a", "tdm-b"):
        if doc.header_values(stale):
            problems.append(
                Problem(
                    code="tdm-header.stale-name",
                    message=f"'{stale}' is a pre-final draft name; only tdm-reservation and "
                    "tdm-policy are read",
                    source=doc.url,
                    level="info",
                )
            )
    named = [(name, value) for name, value in doc.headers if name.lower() in _NAMES]
    statement = _statement(named, doc.url, Signal.TDM_HEADER, "header", problems)
    return statement, tuple(problems)


def tdm_from_meta(
    metas: Iterable[tuple[str, str]], source: str
) -> tuple[TdmStatement | None, tuple[Problem, ...]]:
    """Return the statement of the ``<meta name=tdm-reservation|tdm-policy>`` elements."""
    problems: list[Problem] = []
    named: list[tuple[str, str]] = []
    for name, content in metas:
        lowered = name.strip().lower()
        if lowered in _NAMES:
            named.append((lowered, content))
        elif lowered in ("tdm:reservation", "tdm:policy"):
            problems.append(
                Problem(
                    code="tdm-meta.epub-name",
                    message=f"'{name}' is the EPUB name; in HTML the spec names it "
                    f"'{lowered.replace(':', '-')}': ignored",
                    source=source,
                    level="info",
                )
            )
    statement = _statement(named, source, Signal.TDM_META, "meta", problems)
    return statement, tuple(problems)


def resolve_tdm(
    file_rule: TdmRule | None, header: TdmStatement | None, meta: TdmStatement | None
) -> TdmResolution:
    """Return the properties of one resource: meta over header over file (§Processing priority).

    Each property is layered on its own; a layer that lacks a property, or whose value is a
    protocol error, leaves the earlier value in place ("absence … MUST not reset").
    """
    reservation: int | None = None
    policy: str | None = None
    decided_by = ""
    evidence: Evidence | None = None
    layers: list[tuple[int | None, str | None, str, Evidence]] = []
    if file_rule is not None:
        layers.append(
            (file_rule.reservation, file_rule.policy, str(Signal.TDMREP_FILE), file_rule.evidence)
        )
    for statement in (header, meta):
        if statement is not None:
            layers.append(
                (statement.reservation, statement.policy, str(statement.signal), statement.evidence)
            )
    for layer_reservation, layer_policy, name, layer_evidence in layers:
        if layer_reservation is not None:
            reservation, decided_by, evidence = layer_reservation, name, layer_evidence
        if layer_policy is not None:
            policy = layer_policy
    return TdmResolution(
        reservation=reservation,
        policy=policy if reservation == 1 else None,
        decided_by=decided_by,
        evidence=evidence,
    )


_NAMES = (RESERVATION, POLICY)


def _fetch_problem(doc: Fetched) -> Problem | None:
    """Return why *doc* is not a representation of the file, or None when it is (2xx)."""
    if doc.ok:
        return None
    # Spec §"TDM File": "Failure to provide access to such a representation implies that
    # the origin server does not implement this protocol" — unknown, never "not reserved".
    if doc.status is None:
        code, level, what = "tdmrep.fetch-failed", "warning", f"fetch failed ({doc.error})"
    elif doc.status in (404, 410):
        code, level, what = "tdmrep.not-found", "info", f"HTTP {doc.status}"
    elif 300 <= doc.status < 400:
        code, level, what = "tdmrep.redirect-unresolved", "warning", f"HTTP {doc.status}"
    else:
        code, level, what = "tdmrep.http-error", "warning", f"HTTP {doc.status}"
    return Problem(
        code=code,
        message=f"{what}: the origin does not implement TDMRep (every value is unset)",
        source=doc.url,
        level=level,
    )


def _statement(
    named: list[tuple[str, str]],
    source: str,
    signal: Signal,
    kind: str,
    problems: list[Problem],
) -> TdmStatement | None:
    """Return the statement made by (name, value) pairs of one response, or None."""
    prefix = f"tdm-{kind}"
    reservations = [value for name, value in named if name.lower() == RESERVATION]
    policies = [value.strip() for name, value in named if name.lower() == POLICY]
    if not reservations and not policies:
        return None

    def problem(code: str, message: str, level: str = "warning") -> None:
        problems.append(
            Problem(code=f"{prefix}.{code}", message=message, source=source, level=level)
        )

    reservation: int | None = None
    for raw in reservations:
        if raw.strip() not in ("0", "1"):
            problem(
                "invalid-value",
                f"tdm-reservation {raw!r} is not 1 or 0: protocol error, ignored",
            )
    valid = {raw.strip() for raw in reservations if raw.strip() in ("0", "1")}
    if len(valid) > 1:
        # Contradictory values cannot express the owner's choice: treat as a protocol error.
        problem("conflict", "tdm-reservation is both 1 and 0: protocol error, ignored", "error")
    elif valid:
        reservation = int(valid.pop())
        if len(reservations) > 1:
            problem("repeated", f"tdm-reservation appears {len(reservations)} times", "info")
    distinct_policies = list(dict.fromkeys(p for p in policies if p))
    if len(distinct_policies) > 1:
        problem("policy-conflict", "several different tdm-policy values: the first is used")
    policy = distinct_policies[0] if distinct_policies else None
    shown_name = RESERVATION if reservations else POLICY
    shown = reservations[0] if reservations else policies[0]
    if kind == "header":
        evidence = Evidence(source=source, text=shown, where=f"header {shown_name}")
    else:
        evidence = Evidence(
            source=source,
            text=f'<meta name="{shown_name}" content="{shown}">',
            where=f"<meta name={shown_name}>",
        )
    return TdmStatement(reservation=reservation, policy=policy, evidence=evidence, signal=signal)
