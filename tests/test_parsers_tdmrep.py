"""Tests for crawlcheck.parsers.tdmrep: W3C spec vectors, real files, golden files, fuzzing."""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from golden import check_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck.model import Fetched, Signal
from crawlcheck.parsers.tdmrep import (
    TdmRepFile,
    TdmRule,
    TdmStatement,
    parse_tdmrep_json,
    resolve_tdm,
    tdm_from_headers,
    tdm_from_meta,
)

DATA = Path(__file__).parent / "data" / "tdmrep"
VECTORS = DATA / "vectors"
URL = "https://example.com/.well-known/tdmrep.json"
PAGE = "https://example.com/page.html"


def served(body: bytes | str, status: int | None = 200, **kwargs: Any) -> TdmRepFile:
    data = body.encode("utf-8") if isinstance(body, str) else body
    headers = (("Content-Type", "application/json"),) if status else ()
    return parse_tdmrep_json(Fetched(url=URL, status=status, headers=headers, body=data, **kwargs))


def render(tdm: TdmRepFile) -> dict[str, Any]:
    """Return *tdm* as JSON-able data, deterministically (the golden files' format)."""
    return {
        "implemented": tdm.implemented,
        "reserves_everything": tdm.reserves_everything(),
        "rules": [
            {
                "index": r.index,
                "location": r.location,
                "reservation": r.reservation,
                "policy": r.policy,
                "line": r.evidence.line,
                "evidence": r.evidence.text,
            }
            for r in tdm.rules
        ],
        "observations": [
            {"signal": str(o.signal), "key": o.key, "value": o.value, "scope": o.scope}
            for o in tdm.observations()
        ],
        "problems": [
            {"code": p.code, "level": p.level, "line": p.line, "message": p.message}
            for p in tdm.problems
        ],
    }


def render_match(rule: TdmRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {"index": rule.index, "reservation": rule.reservation, "policy": rule.policy}


# --- golden files -----------------------------------------------------------------------

GOLDEN = sorted(
    p for p in DATA.glob("*.json") if not p.name.endswith((".expected.json", ".probes.json"))
)


@pytest.mark.parametrize("case", GOLDEN, ids=lambda p: p.stem)
def test_hand_written_probes(case: Path) -> None:
    """Each ``<case>.probes.json``: path → the rule that must decide it, checked by hand."""
    probes = json.loads(case.with_name(case.stem + ".probes.json").read_text("utf-8"))
    tdm = served(case.read_bytes())
    assert {path: render_match(tdm.rule_for(path)) for path in probes} == probes


@pytest.mark.parametrize("case", GOLDEN, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    got = json.dumps(render(served(case.read_bytes())), indent=1, ensure_ascii=False) + "\n"
    check_snapshot(case.with_name(case.stem + ".expected.json"), got)


def test_every_golden_input_has_expected_output() -> None:
    assert GOLDEN
    for case in GOLDEN:
        assert case.with_name(case.stem + ".expected.json").exists(), case.name
        assert case.with_name(case.stem + ".probes.json").exists(), case.name


# --- W3C spec: every example of spec/index.html and every derived case --------------------

SPEC = json.loads((VECTORS / "tdmrep_w3c_spec.json").read_text("utf-8"))


class _Metas(HTMLParser):
    """Collect (name, content) of every <meta name=…> element, as the HTML parser would."""

    def __init__(self) -> None:
        super().__init__()
        self.metas: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and found.get("name") is not None:
            self.metas.append((found["name"] or "", found.get("content") or ""))


def metas_of(html: str) -> list[tuple[str, str]]:
    parser = _Metas()
    parser.feed(html)
    return parser.metas


def http_headers(message: str) -> tuple[tuple[str, str], ...]:
    """Return the header fields of an HTTP response message written as in the spec."""
    fields = []
    for line in message.splitlines()[1:]:
        name, _, value = line.partition(":")
        fields.append((name.strip(), value.strip()))
    return tuple(fields)


#: Spec examples of techniques crawlcheck does not read (EPUB 3, PDF) and of TDM Policies.
NOT_READ_SECTIONS = frozenset(
    {
        "TDM Metadata in EPUB 3 files",
        "TDM Metadata in PDF files",
        "JSON-LD context and identifier of a Policy",
        "Type of a Policy",
        "Identification of the profile",
        "Assigner",
        "Expressing the target of a permission",
        "Expressing the action of a permission",
        "Expressing the duty to contact the rightsholder before getting a permission",
        "Expressing the duty to compensate financially the rightsholder",
        "Expressing a constraint on the type of usage",
        "Full Examples",
    }
)


@pytest.mark.parametrize("example", SPEC["spec_examples"], ids=lambda e: f"line{e['spec_line']}")
def test_spec_example(example: dict[str, Any]) -> None:
    section, text = example["section"], example["text"]
    if section == "Examples":  # tdmrep.json examples
        tdm = served(text)
        assert tdm.implemented
        assert tdm.problems == ()
        assert [r.reservation for r in tdm.rules] in ([1], [1, 1, 0])
    elif section == "TDM Header Field in HTTP Responses":
        statement, problems = tdm_from_headers(
            Fetched(url=PAGE, status=200, headers=http_headers(text))
        )
        assert problems == ()
        assert statement is not None
        assert statement.reservation == 1
        assert statement.signal is Signal.TDM_HEADER
        assert statement.policy == dict(http_headers(text)).get("tdm-policy")
    elif section == "TDM Metadata in HTML Content":
        statement, problems = tdm_from_meta(metas_of(text), PAGE)
        assert problems == ()
        assert statement is not None
        assert (statement.reservation, statement.policy) == (
            1,
            "https://provider.com/policies/policy.json",
        )
    elif section == "TDM Metadata in EPUB 2 files":
        # EPUB names are not the HTML names: a page using them states nothing, and says why.
        statement, problems = tdm_from_meta(metas_of(text), PAGE)
        assert statement is None
        assert [p.code for p in problems] == ["tdm-meta.epub-name"] * 2
    else:
        # EPUB 3 / PDF metadata and TDM Policy documents are not read by crawlcheck; served
        # at /.well-known/tdmrep.json they are not a rule array: TDMRep not implemented.
        assert section in NOT_READ_SECTIONS
        tdm = served(text)
        assert not tdm.implemented
        assert tdm.rules == ()
        assert {p.code for p in tdm.problems} <= {"tdmrep.invalid-json", "tdmrep.not-array"}
        assert tdm.problems


def test_spec_examples_cover_every_technique() -> None:
    sections = {e["section"] for e in SPEC["spec_examples"]}
    assert {
        "Examples",
        "TDM Header Field in HTTP Responses",
        "TDM Metadata in HTML Content",
        "TDM Metadata in EPUB 2 files",
    } <= sections
    assert len(SPEC["spec_examples"]) == 19
    assert len(SPEC["derived_cases"]) == 21


def resolve_case(case: dict[str, Any]) -> tuple[int | None, str | None]:
    file_rule = None
    if "tdmrep_json" in case:
        file_rule = served(case["tdmrep_json"]).rule_for("https://example.com" + case["url_path"])
    header = None
    if "headers" in case:
        header, _ = tdm_from_headers(
            Fetched(url=PAGE, status=200, headers=tuple(case["headers"].items()))
        )
    meta = None
    if "html" in case:
        meta, _ = tdm_from_meta(metas_of(case["html"]), PAGE)
    elif "html_meta" in case:
        meta, _ = tdm_from_meta(case["html_meta"].items(), PAGE)
    resolved = resolve_tdm(file_rule, header, meta)
    return resolved.reservation, resolved.policy


@pytest.mark.parametrize("case", SPEC["derived_cases"], ids=lambda c: c["case_id"])
def test_spec_derived_case(case: dict[str, Any]) -> None:
    reservation, policy = resolve_case(case)
    assert reservation == case["expected"]["tdm_reservation"]
    if "tdm_policy" in case["expected"]:
        assert policy == case["expected"]["tdm_policy"]


# --- real files (manifest values) -----------------------------------------------------------

REAL = json.loads((VECTORS / "real_files_manifest.json").read_text("utf-8"))


@pytest.mark.parametrize(
    "entry", [e for e in REAL if e["kind"] == "tdmrep.json"], ids=lambda e: e["local_file"]
)
def test_real_tdmrep_file(entry: dict[str, Any]) -> None:
    body = (DATA.parent / entry["local_file"]).read_bytes()
    assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    tdm = served(body)
    assert tdm.implemented
    assert tdm.problems == ()
    resolved = resolve_tdm(tdm.rule_for("https://example.org/"), None, None)
    assert resolved.reservation == entry["expected"]["root_path_tdm_reservation"]
    assert resolved.policy == entry["expected"]["tdm_policy"]
    assert resolved.decided_by == "tdmrep.json"
    assert tdm.reserves_everything() is (resolved.reservation == 1)


def test_real_opt_out_kit_headers_and_meta() -> None:
    by_kind = {e["kind"]: e for e in REAL}
    header_file = DATA.parent / by_kind["http_headers"]["local_file"]
    headers = http_headers("HTTP/1.1 200 OK\n" + header_file.read_text("utf-8"))
    header, header_problems = tdm_from_headers(Fetched(url=PAGE, status=200, headers=headers))
    assert header is not None
    assert header_problems == ()
    assert header.reservation == by_kind["http_headers"]["expected"]["tdm_reservation"]
    meta_file = DATA.parent / by_kind["html_meta"]["local_file"]
    meta, meta_problems = tdm_from_meta(metas_of(meta_file.read_text("utf-8")), PAGE)
    assert meta is not None
    assert meta_problems == ()
    assert meta.reservation == by_kind["html_meta"]["expected"]["tdm_reservation"]
    assert resolve_tdm(None, header, meta).decided_by == "tdm-meta"


# --- datadiligence's header cases: the spec's tri-state, compared with its allow/deny -------

DD = json.loads((VECTORS / "datadiligence_tdm_header_cases.json").read_text("utf-8"))
# What the spec says for each value datadiligence tests (it folds 0 and unset into "allowed").
TRI_STATE = {None: None, "": None, "0": 0, "1": 1, "other": None}


@pytest.mark.parametrize("case", DD["cases"], ids=lambda c: c["case_id"])
def test_datadiligence_header_case(case: dict[str, Any]) -> None:
    if "response_headers" in case:
        headers = tuple(case["response_headers"].items())
        value = case["response_headers"]["tdm-reservation"]
    else:
        value = case["header_value"]
        headers = () if value is None else (("tdm-reservation", value),)
    statement, problems = tdm_from_headers(Fetched(url=PAGE, status=200, headers=headers))
    reservation = None if statement is None else statement.reservation
    assert (reservation == 1) is (not case["expected_allowed"])
    assert reservation == TRI_STATE[value]
    # A value that is neither 1 nor 0 is a protocol error the report names.
    assert bool(problems) is (value is not None and value not in ("0", "1"))


# --- standards.md §5.6 edge cases -------------------------------------------------------------


def test_edge1_first_match_not_longest() -> None:
    tdm = served('[{"location":"/","tdm-reservation":1},{"location":"/open/","tdm-reservation":0}]')
    rule = tdm.rule_for("https://example.com/open/x")
    assert rule is not None
    assert (rule.index, rule.reservation) == (0, 1)
    assert tdm.reserves_everything()


@pytest.mark.parametrize("value", ['"1"', "true", "false", "2", "-1", "0.5", "null", '"0"', "[1]"])
def test_edge2_non_integer_reservation_is_unset(value: str) -> None:
    tdm = served(f'[{{"location": "/", "tdm-reservation": {value}}}]')
    assert tdm.implemented
    rule = tdm.rule_for("/x")
    assert rule is not None
    assert rule.reservation is None
    assert [p.code for p in tdm.problems] == ["tdmrep.invalid-reservation"]
    assert tdm.observations() == ()


def test_edge2_zero_is_a_value_not_absence() -> None:
    tdm = served('[{"location": "/", "tdm-reservation": 0}]')
    resolved = resolve_tdm(tdm.rule_for("/x"), None, None)
    assert (resolved.reservation, resolved.decided_by) == (0, "tdmrep.json")


def test_edge2_protocol_error_rule_still_wins_first_match() -> None:
    # Skipping it would turn the owner's intended reservation into the later "0".
    tdm = served('[{"location":"/p/","tdm-reservation":"1"},{"location":"/","tdm-reservation":0}]')
    rule = tdm.rule_for("/p/x")
    assert rule is not None
    assert rule.index == 0
    assert resolve_tdm(rule, None, None).reservation is None
    assert not tdm.reserves_everything()


@pytest.mark.parametrize(("raw", "expected"), [(" 1 ", 1), ("0", 0), ("1.0", None), ("true", None)])
def test_edge2_header_values_are_trimmed_strings(raw: str, expected: int | None) -> None:
    statement, _ = tdm_from_headers(Fetched(url=PAGE, headers=(("TDM-Reservation", raw),)))
    assert statement is not None
    assert statement.reservation == expected


def test_edge3_layering_without_reset() -> None:
    file_rule = served('[{"location": "/", "tdm-reservation": 0}]').rule_for("/x")
    header, _ = tdm_from_headers(Fetched(url=PAGE, headers=(("tdm-reservation", "1"),)))
    no_meta, _ = tdm_from_meta([("description", "hello")], PAGE)
    assert no_meta is None
    resolved = resolve_tdm(file_rule, header, no_meta)
    assert (resolved.reservation, resolved.decided_by) == (1, "tdm-header")
    assert resolved.evidence is not None
    assert resolved.evidence.where == "header tdm-reservation"
    meta, _ = tdm_from_meta([("tdm-reservation", "0")], PAGE)
    assert resolve_tdm(file_rule, header, meta).reservation == 0
    unmatched = served('[{"location": "/other/", "tdm-reservation": 1}]').rule_for("/x")
    assert unmatched is None
    assert resolve_tdm(unmatched, None, None) == resolve_tdm(None, None, None)
    assert resolve_tdm(None, None, None).decided_by == ""


def test_edge3_invalid_layer_keeps_earlier_value_and_policy_layers_alone() -> None:
    file_rule = served(
        '[{"location": "/", "tdm-reservation": 1, "tdm-policy": "https://e.com/p"}]'
    ).rule_for("/x")
    bad_header, problems = tdm_from_headers(Fetched(url=PAGE, headers=(("tdm-reservation", "2"),)))
    assert bad_header is not None
    assert [p.code for p in problems] == ["tdm-header.invalid-value"]
    resolved = resolve_tdm(file_rule, bad_header, None)
    assert (resolved.reservation, resolved.policy, resolved.decided_by) == (
        1,
        "https://e.com/p",
        "tdmrep.json",
    )
    meta, _ = tdm_from_meta([("tdm-policy", "https://e.com/q")], PAGE)
    assert resolve_tdm(file_rule, None, meta).policy == "https://e.com/q"
    zero, _ = tdm_from_meta([("tdm-reservation", "0")], PAGE)
    assert resolve_tdm(file_rule, None, zero).policy is None  # not processed for 0


def test_edge4_stale_names_are_ignored_and_reported() -> None:
    statement, problems = tdm_from_headers(Fetched(url=PAGE, headers=(("TDM-a", "1"),)))
    assert statement is None
    assert [p.code for p in problems] == ["tdm-header.stale-name"]


# --- headers and meta ---------------------------------------------------------------------


def test_header_names_case_insensitive_and_repeats() -> None:
    headers = (("TDM-RESERVATION", "1"), ("tdm-reservation", "1"), ("Tdm-Policy", " https://p "))
    statement, problems = tdm_from_headers(Fetched(url=PAGE, headers=headers))
    assert statement is not None
    assert statement == TdmStatement(
        reservation=1, policy="https://p", evidence=statement.evidence, signal=Signal.TDM_HEADER
    )
    assert [p.code for p in problems] == ["tdm-header.repeated"]


def test_header_conflict_is_unset() -> None:
    headers = (("tdm-reservation", "1"), ("tdm-reservation", "0"))
    statement, problems = tdm_from_headers(Fetched(url=PAGE, headers=headers))
    assert statement is not None
    assert statement.reservation is None
    assert [(p.code, p.level) for p in problems] == [("tdm-header.conflict", "error")]


def test_header_comma_list_is_a_protocol_error() -> None:
    statement, problems = tdm_from_headers(
        Fetched(url=PAGE, headers=(("tdm-reservation", "1, 1"),))
    )
    assert statement is not None
    assert statement.reservation is None
    assert problems


def test_meta_names_case_insensitive_and_observations() -> None:
    statement, problems = tdm_from_meta(
        [("TDM-Reservation", "1"), ("tdm-policy", "https://p")], PAGE
    )
    assert problems == ()
    assert statement is not None
    assert [(o.signal, o.key, o.value, o.scope) for o in statement.observations()] == [
        (Signal.TDM_META, "tdm-reservation", "1", "page"),
        (Signal.TDM_META, "tdm-policy", "https://p", "page"),
    ]
    assert statement.evidence.where == "<meta name=tdm-reservation>"


# --- fetch outcomes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (404, None, "tdmrep.not-found"),
        (410, None, "tdmrep.not-found"),
        (403, None, "tdmrep.http-error"),
        (500, None, "tdmrep.http-error"),
        (301, None, "tdmrep.redirect-unresolved"),
        (None, "timeout", "tdmrep.fetch-failed"),
    ],
)
def test_failed_fetch_means_not_implemented(
    status: int | None, error: str | None, code: str
) -> None:
    tdm = served('[{"location": "/", "tdm-reservation": 1}]', status=status, error=error)
    assert not tdm.implemented
    assert tdm.rules == ()
    assert [p.code for p in tdm.problems] == [code]
    assert tdm.rule_for("/") is None


def test_truncated_and_large_bodies() -> None:
    cut = served('[{"location": "/", "tdm-reser', truncated=True)
    assert not cut.implemented
    assert [p.code for p in cut.problems] == ["tdmrep.truncated", "tdmrep.invalid-json"]
    rules = ",".join(f'{{"location": "/d{i}/", "tdm-reservation": 1}}' for i in range(40_000))
    big = served(f"[{rules}]")
    assert big.implemented
    assert len(big.rules) == 40_000
    assert [p.code for p in big.problems] == ["tdmrep.large"]
    assert big.rule_for("/d39999/x") is big.rules[-1]


def test_deep_nesting_does_not_raise() -> None:
    tdm = served("[" * 200_000 + "]" * 200_000)
    assert not tdm.implemented
    assert [p.code for p in tdm.problems] == ["tdmrep.invalid-json"]
    assert "nested too deeply" in tdm.problems[0].message


def test_not_utf8() -> None:
    tdm = served(b'[{"location": "/\xff", "tdm-reservation": 1}]')
    assert tdm.implemented
    assert [p.code for p in tdm.problems] == ["tdmrep.not-utf8"]


# --- fuzzing: never raises ------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["location", "tdm-reservation", "tdm-policy", "x"]) | st.text(),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


def exercise(tdm: TdmRepFile, path: str) -> None:
    tdm.rule_for(path)
    tdm.reserves_everything()
    tdm.observations()
    for rule in tdm.rules:
        resolve_tdm(rule, None, None)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300), path=st.text(max_size=30))
def test_fuzz_bytes_never_raise(body: bytes, path: str) -> None:
    exercise(served(body), path)


@settings(max_examples=300, deadline=None)
@given(value=st.lists(JSON, max_size=5) | JSON, path=st.text(max_size=30))
def test_fuzz_json_never_raises(value: object, path: str) -> None:
    exercise(served(json.dumps(value)), path)


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(["tdm-reservation", "TDM-Policy", "tdm-a", "x"]), st.text()),
        max_size=5,
    )
)
def test_fuzz_headers_and_meta_never_raise(pairs: list[tuple[str, str]]) -> None:
    header, _ = tdm_from_headers(Fetched(url=PAGE, headers=tuple(pairs)))
    meta, _ = tdm_from_meta(pairs, PAGE)
    resolved = resolve_tdm(None, header, meta)
    assert resolved.reservation in (None, 0, 1)
