"""W3C TDMRep (TDM Reservation Protocol, CG-FINAL 2024-05-10): file, header, meta, layering.

Spec: https://w3c.github.io/tdm-reservation-protocol/spec/ . Two properties:
``tdm-reservation`` (the integer 1 reserves TDM rights, 0 does not; anything else is a
protocol error and leaves the property unset) and ``tdm-policy`` (a URL). They come from
``/.well-known/tdmrep.json`` (first matching rule in array order), the HTTP response
headers, and the HTML ``<meta>`` elements; each later layer supersedes the earlier one and
absence never resets (§"Processing priority").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from crawlcheck.model import Evidence, Fetched, Observation, Problem, Signal
from crawlcheck.parsers._pattern import compile_pattern, escape_pattern, path_of
from crawlcheck.parsers._text import looks_like_html
from crawlcheck.parsers.robots import _matches_everything

#: No limit is specified; bigger files are still parsed, but reported.
LARGE_BYTES = 1024 * 1024

_RESERVATION = "tdm-reservation"
_POLICY = "tdm-policy"
_RULE_KEYS = frozenset({"location", _RESERVATION, _POLICY})
# RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
_UNRESERVED_ESCAPE = re.compile(r"%(?:[46][1-9A-F]|[57][0-9A]|3[0-9]|2D|2E|5F|7E)", re.IGNORECASE)
_NEWLINE_RUN = re.compile(r"\s*[\r\n]\s*")
_JSON_SPACE = " \t\r\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class TdmRule:
    """One rule object of tdmrep.json."""

    location: str
    """The path pattern as written (robots.txt conventions: ``*``, ``$``, ``%``)."""
    reservation: int | None
    """0 or 1; None when the value was a protocol error (the property is unset)."""
    policy: str | None
    index: int
    """Position in the JSON array (0-based): the first matching rule wins."""
    evidence: Evidence


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
        path = _canonical_path(url)
        for rule in self.rules:
            if rule.location and compile_pattern(_location_pattern(rule.location))(path):
                return rule
        return None

    def reserves_everything(self) -> bool:
        """Return True when the first matching rule of every path reserves (is ``1``)."""
        for rule in self.rules:
            if not rule.location.startswith(("/", "*")):
                continue  # matches no path, so it is never the first match
            if rule.reservation != 1:
                return False
            if _matches_everything(_location_pattern(rule.location)):
                return True
        return False

    def observations(self) -> tuple[Observation, ...]:
        """Return one observation per valid rule, plus its policy when it reserves."""
        found: list[Observation] = []
        for rule in self.rules:
            # A protocol error states nothing; a location that is not a path matches nothing.
            if rule.reservation is None or not rule.location.startswith(("/", "*")):
                continue
            found.append(
                Observation(
                    signal=Signal.TDMREP_FILE,
                    key=_RESERVATION,
                    value=str(rule.reservation),
                    scope=rule.location,
                    evidence=rule.evidence,
                )
            )
            # Spec §tdm-policy note: agents SHOULD NOT process the policy when the value is 0.
            if rule.policy is not None and rule.reservation == 1:
                found.append(
                    Observation(
                        signal=Signal.TDMREP_FILE,
                        key=_POLICY,
                        value=rule.policy,
                        scope=rule.location,
                        evidence=rule.evidence,
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
        found: list[Observation] = []
        if self.reservation is not None:
            found.append(
                Observation(
                    signal=self.signal,
                    key=_RESERVATION,
                    value=str(self.reservation),
                    scope="page",
                    evidence=self.evidence,
                )
            )
            if self.policy is not None and self.reservation == 1:
                found.append(
                    Observation(
                        signal=self.signal,
                        key=_POLICY,
                        value=self.policy,
                        scope="page",
                        evidence=self.evidence,
                    )
                )
        return tuple(found)


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
            "an HTML page was served as tdmrep.json: the origin does not implement TDMRep",
            level="error",
        )
        return TdmRepFile(source=source, implemented=False, rules=(), problems=tuple(problems))
    text = _decode(body, problem)
    if not text.strip(_JSON_SPACE):
        problem("tdmrep.empty", "empty file: the origin does not implement TDMRep", level="error")
        return TdmRepFile(source=source, implemented=False, rules=(), problems=tuple(problems))
    elements = _split_array(text, problem)
    if elements is None:
        return TdmRepFile(source=source, implemented=False, rules=(), problems=tuple(problems))
    if not elements:
        problem("tdmrep.no-rules", "the array is empty: no resource has a value", level="info")
    rules: list[TdmRule] = []
    for index, (value, raw, line) in enumerate(elements):
        rule = _read_rule(value, raw, line, index, source, problem)
        if rule is not None:
            rules.append(rule)
    _report_shadowed(rules, problem)
    return TdmRepFile(source=source, implemented=True, rules=tuple(rules), problems=tuple(problems))


def _report_shadowed(rules: list[TdmRule], problem: Callable[..., None]) -> None:
    """Report rules an earlier rule always matches first: the first-match trap (§5.6-1).

    TDMRep takes the first matching rule in array order, not the longest, so
    ``[{"location": "/"}, {"location": "/open/"}]`` never reaches ``/open/``. Only the sure
    cases are reported: an earlier pattern matching everything, or an earlier plain prefix
    of the later pattern (linear in the file: one set lookup per prefix length).
    """
    catch_all: TdmRule | None = None
    prefixes: dict[str, TdmRule] = {}
    for rule in rules:
        pattern = _location_pattern(rule.location)
        earlier = catch_all
        if earlier is None and prefixes:
            earlier = next(
                (
                    prefixes[pattern[:n]]
                    for n in range(1, len(pattern) + 1)
                    if pattern[:n] in prefixes
                ),
                None,
            )
        if earlier is not None:
            problem(
                "tdmrep.shadowed-rule",
                f"rule {rule.index + 1} (location {rule.location!r}) is never used: rule "
                f"{earlier.index + 1} (location {earlier.location!r}) matches first "
                "(TDMRep: the first matching rule wins, not the longest)",
                line=rule.evidence.line,
                level="warning",
            )
            continue
        if catch_all is None and pattern and _matches_everything(pattern):
            catch_all = rule
        elif "*" not in pattern and not pattern.endswith("$"):
            prefixes.setdefault(pattern, rule)


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


_NAMES = (_RESERVATION, _POLICY)


class _ProblemSink(Protocol):
    def __call__(
        self, code: str, message: str, line: int | None = None, level: str = "warning"
    ) -> None: ...


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


def _decode(body: bytes, problem: _ProblemSink) -> str:
    if body.startswith(b"\xef\xbb\xbf"):
        # RFC 8259 §8.1: senders MUST NOT add a BOM; parsers MAY ignore it.
        problem("tdmrep.bom", "file starts with a UTF-8 byte-order mark (ignored)", level="info")
        body = body[3:]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        problem("tdmrep.not-utf8", "file is not valid UTF-8 (RFC 8259 §8.1)")
        return body.decode("utf-8", errors="replace")


def _split_array(text: str, problem: _ProblemSink) -> list[tuple[object, str, int]] | None:
    """Return (value, raw text, line) for each element of the top-level array, or None."""
    try:
        whole = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        problem(
            "tdmrep.invalid-json",
            f"not valid JSON ({_short(exc)}): the origin does not implement TDMRep",
            line=line,
            level="error",
        )
        return None
    if not isinstance(whole, list):
        hint = ""
        if isinstance(whole, dict) and "location" in whole:
            hint = " (a single rule without the mandatory [ ] brackets)"
        problem(
            "tdmrep.not-array",
            f"top-level value is a JSON {_json_type(whole)}, not an array{hint}: the origin "
            "does not implement TDMRep",
            level="error",
        )
        return None
    decoder = json.JSONDecoder(object_pairs_hook=_Object, parse_constant=_reject_constant)
    elements: list[tuple[object, str, int]] = []
    pos = _skip_space(text, text.index("[") + 1)
    line, counted = 1, 0  # lines counted incrementally: the file may hold many rules
    while pos < len(text) and text[pos] != "]":
        value, end = decoder.raw_decode(text, pos)
        line += text.count("\n", counted, pos)
        counted = pos
        elements.append((value, _NEWLINE_RUN.sub(" ", text[pos:end]), line))
        pos = _skip_space(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_space(text, pos + 1)
    return elements


def _read_rule(
    value: object, raw: str, line: int, index: int, source: str, problem: _ProblemSink
) -> TdmRule | None:
    where = f"rule {index + 1}"
    if not isinstance(value, _Object):
        problem(
            "tdmrep.rule-not-object",
            f"{where} is a JSON {_json_type(value)}, not an object: ignored",
            line=line,
            level="error",
        )
        return None
    for key in value.duplicates:
        problem("tdmrep.duplicate-key", f"{where} repeats '{key}': the last one is used", line=line)
    for key in value:
        if key not in _RULE_KEYS:
            problem("tdmrep.unknown-key", f"{where}: unknown key '{key}' ignored", line, "info")
    location = value.get("location")
    if not isinstance(location, str):
        state = "missing" if location is None else f"a JSON {_json_type(location)}"
        problem(
            "tdmrep.invalid-location",
            f"{where}: 'location' is {state}: the rule matches nothing",
            line=line,
            level="error",
        )
        return None
    if not location:
        problem("tdmrep.empty-location", f"{where}: empty 'location' matches nothing", line=line)
    elif not location.startswith(("/", "*")):
        problem(
            "tdmrep.location-not-path",
            f"{where}: location '{location}' does not start with '/' or '*': it matches no path",
            line=line,
        )
    evidence = Evidence(source=source, text=raw, line=line, where=f"rule {index + 1}")
    return TdmRule(
        location=location,
        reservation=_reservation(value, where, line, problem),
        policy=_policy(value, where, line, problem),
        index=index,
        evidence=evidence,
    )


def _reservation(
    rule: dict[str, object], where: str, line: int, problem: _ProblemSink
) -> int | None:
    if _RESERVATION not in rule:
        problem(
            "tdmrep.missing-reservation",
            f"{where}: mandatory 'tdm-reservation' is missing: unset for its paths",
            line=line,
            level="error",
        )
        return None
    value = rule[_RESERVATION]
    # Spec §tdm-reservation: "an integer", 1 or 0; "Other values are considered protocol
    # errors … tdm-reservation is unset". bool is a Python int subclass: exclude it first.
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in (0, 1):
        problem(
            "tdmrep.invalid-reservation",
            f"{where}: tdm-reservation {json.dumps(value)} is not the number 0 or 1: protocol "
            "error, unset for its paths",
            line=line,
            level="error",
        )
        return None
    if isinstance(value, float):
        # JSON has one number type: 1.0 is the number 1 to every JSON parser (RFC 8259 §6).
        problem(
            "tdmrep.reservation-float", f"{where}: {value!r} read as {int(value)}", line, "info"
        )
    return int(value)


def _policy(rule: dict[str, object], where: str, line: int, problem: _ProblemSink) -> str | None:
    value = rule.get(_POLICY)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problem("tdmrep.invalid-policy", f"{where}: tdm-policy is not a URL: ignored", line=line)
        return None
    return value.strip()


def _statement(
    named: list[tuple[str, str]],
    source: str,
    signal: Signal,
    kind: str,
    problems: list[Problem],
) -> TdmStatement | None:
    """Return the statement made by (name, value) pairs of one response, or None."""
    prefix = f"tdm-{kind}"
    reservations = [value for name, value in named if name.lower() == _RESERVATION]
    policies = [value.strip() for name, value in named if name.lower() == _POLICY]
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
    shown_name = _RESERVATION if reservations else _POLICY
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


class _Object(dict[str, object]):
    """A JSON object that remembers which keys were repeated."""

    def __init__(self, pairs: list[tuple[str, object]]) -> None:
        super().__init__(pairs)
        seen: set[str] = set()
        self.duplicates: list[str] = []
        for key, _ in pairs:
            if key in seen:
                self.duplicates.append(key)
            seen.add(key)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _JSON_SPACE:
        pos += 1
    return pos


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _short(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return str(exc)


def _location_pattern(location: str) -> str:
    return _decode_unreserved(escape_pattern(location.encode("utf-8")))


def _canonical_path(url: str) -> str:
    """Return *url*'s path as patterns are compared: %xx upper-cased, non-ASCII escaped.

    A literal ``$`` or ``*`` in the URL is compared as ``%24``/``%2A``: the spec's example
    pattern ``/path/foo-%24`` matches the URI ``…/path/foo-$`` (§"Use of regular expressions").
    """
    path = escape_pattern(path_of(url).encode("utf-8"))
    return _decode_unreserved(path.replace("$", "%24").replace("*", "%2A"))


def _decode_unreserved(text: str) -> str:
    """Decode %XX escapes of RFC 3986 unreserved characters (spec §"TDM File" MUST)."""
    if "%" not in text:
        return text
    return _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(0)[1:], 16)), text)
