"""Read tdmrep.json's rule array, validate each rule, and match and check rule locations.

Spec: https://w3c.github.io/tdm-reservation-protocol/spec/ §"TDM File". The entry point is
:func:`crawlcheck.parsers.tdmrep.parse_tdmrep_json`; that module re-exports :class:`TdmRule`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from crawlcheck.model import Evidence
from crawlcheck.parsers._robots_types import matches_everything
from crawlcheck.parsers.pattern import escape_pattern, path_of

RESERVATION = "tdm-reservation"
POLICY = "tdm-policy"
_RULE_KEYS = frozenset({"location", RESERVATION, POLICY})
# RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
_UNRESERVED_ESCAPE = re.compile(r"%(?:[46][1-9A-F]|[57][0-9A]|3[0-9]|2D|2E|5F|7E)", re.IGNORECASE)
_NEWLINE_RUN = re.compile(r"\s*[\r\n]\s*")
JSON_SPACE = " \t\r\n"


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


class _ProblemSink(Protocol):
    def __call__(
        self, code: str, message: str, line: int | None = None, level: str = "warning"
    ) -> None: ...


def decode_body(body: bytes, problem: _ProblemSink) -> str:
    if body.startswith(b"\xef\xbb\xbf"):
        # RFC 8259 §8.1: senders MUST NOT add a BOM; parsers MAY ignore it.
        problem("tdmrep.bom", "file starts with a UTF-8 byte-order mark (ignored)", level="info")
        body = body[3:]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        problem("tdmrep.not-utf8", "file is not valid UTF-8 (RFC 8259 §8.1)")
        return body.decode("utf-8", errors="replace")


def split_array(text: str, problem: _ProblemSink) -> list[tuple[object, str, int]] | None:
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


def read_rule(
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
    if RESERVATION not in rule:
        problem(
            "tdmrep.missing-reservation",
            f"{where}: mandatory 'tdm-reservation' is missing: unset for its paths",
            line=line,
            level="error",
        )
        return None
    value = rule[RESERVATION]
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
    value = rule.get(POLICY)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problem("tdmrep.invalid-policy", f"{where}: tdm-policy is not a URL: ignored", line=line)
        return None
    return value.strip()


def report_shadowed(rules: list[TdmRule], problem: Callable[..., None]) -> None:
    """Report rules an earlier rule always matches first: the first-match trap (§5.6-1).

    TDMRep takes the first matching rule in array order, not the longest, so
    ``[{"location": "/"}, {"location": "/open/"}]`` never reaches ``/open/``. Only the sure
    cases are reported: an earlier pattern matching everything, or an earlier plain prefix
    of the later pattern (linear in the file: one set lookup per prefix length).
    """
    catch_all: TdmRule | None = None
    prefixes: dict[str, TdmRule] = {}
    for rule in rules:
        pattern = location_pattern(rule.location)
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
        if catch_all is None and pattern and matches_everything(pattern):
            catch_all = rule
        elif "*" not in pattern and not pattern.endswith("$"):
            prefixes.setdefault(pattern, rule)


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
    while pos < len(text) and text[pos] in JSON_SPACE:
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


@lru_cache(maxsize=4096)
def location_pattern(location: str) -> str:
    """Return a tdmrep.json ``location`` as a pattern (escaped, unreserved decoded)."""
    return _decode_unreserved(escape_pattern(location.encode("utf-8")))


def canonical_path(url: str) -> str:
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
