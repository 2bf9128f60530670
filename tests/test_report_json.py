"""The JSON report: the contract's keys, the shipped JSON Schema, stable ordering, golden file."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import jsonschema
import pytest
from test_report_samples import META, SAMPLES, assert_golden

from crawlcheck.model import PURPOSES, SiteReport
from crawlcheck.report import SCHEMA_ID, ReportMeta, load_schema, render, site_to_dict

# contract.md "The JSON report": these keys keep their names within crawlcheck.report/1.
CONTRACT_TOP = {"schema", "crawlcheck_version", "generated_at", "agents_catalogue", "sites"}
CONTRACT_SITE = {"site", "origin", "verdicts", "agents", "findings", "fetches", "problems"}
CONTRACT_FINDING = {"signal", "source", "effect", "purposes", "agents", "scope", "evidence"}
CONTRACT_FETCH = {"url", "status", "final_url", "sha256", "fetched_at", "error"}
CONTRACT_PROBLEM = {"code", "message", "source"}


def _strict(node: Any) -> Any:
    """Return a copy of a schema where every object with properties forbids other keys."""
    if isinstance(node, dict):
        copy = {key: _strict(value) for key, value in node.items()}
        if "properties" in copy and "additionalProperties" not in copy:
            copy["additionalProperties"] = False
        return copy
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def validate_report(document: Any) -> None:
    """Validate *document* against the shipped schema and against its strict variant."""
    schema = load_schema()
    jsonschema.Draft202012Validator(schema).validate(document)
    # Strict: every key crawlcheck emits is documented in the schema.
    jsonschema.Draft202012Validator(_strict(schema)).validate(document)


def _document(reports: tuple[SiteReport, ...] = SAMPLES) -> Any:
    return json.loads(render("json", reports, META))


def test_golden() -> None:
    assert_golden("sample.json", render("json", SAMPLES, META))


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema())


@pytest.mark.parametrize("count", [0, 1, len(SAMPLES)])
def test_rendered_report_validates(count: int) -> None:
    validate_report(_document(SAMPLES[:count]))


def test_schema_rejects_a_verdict_outside_the_vocabulary() -> None:
    document = _document()
    document["sites"][0]["verdicts"]["tdm"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(load_schema()).validate(document)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("agents", "GPTBot", "robots"), "blocked"),
        (("findings", 0, "effect"), "deny"),
        (("findings", 0, "purposes"), ["training"]),
    ],
)
def test_schema_rejects_values_outside_the_enums(path: tuple[Any, ...], value: Any) -> None:
    document = _document()
    node = document["sites"][0]
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(load_schema()).validate(document)


def test_contract_keys_are_all_present() -> None:
    document = _document()
    assert document.keys() >= CONTRACT_TOP
    assert document["schema"] == SCHEMA_ID
    assert document["agents_catalogue"] == {
        "source": META.catalogue_source,
        "date": "2026-08-22",
        "count": 172,
    }
    datetime.fromisoformat(document["generated_at"])  # RFC 3339
    for site in document["sites"]:
        assert site.keys() >= CONTRACT_SITE
        assert list(site["verdicts"]) == list(PURPOSES)
        assert all(isinstance(v, str) for v in site["verdicts"].values())
        for agent in site["agents"].values():
            assert {"robots", "purposes"} <= agent.keys()
        for finding in site["findings"]:
            assert finding.keys() >= CONTRACT_FINDING
        for fetch in site["fetches"]:
            assert fetch.keys() >= CONTRACT_FETCH
        for problem in site["problems"]:
            assert problem.keys() >= CONTRACT_PROBLEM


def test_site_keys_in_contract_order_then_added_keys() -> None:
    keys = list(_document()["sites"][0])
    assert keys[:3] == ["site", "origin", "verdicts"]
    assert (
        keys.index("agents")
        < keys.index("findings")
        < keys.index("fetches")
        < keys.index("problems")
    )


def test_verdict_reasons_and_model_values_round_trip() -> None:
    for report, site in zip(SAMPLES, _document()["sites"], strict=True):
        assert site["site"] == report.site
        for verdict in report.verdicts:
            assert site["verdicts"][verdict.purpose] == verdict.verdict
            assert site["verdict_reasons"][verdict.purpose] == list(verdict.reasons)
        assert len(site["findings"]) == len(report.findings)
        assert [f["url"] for f in site["fetches"]] == [f.url for f in report.fetches]


def test_agents_sorted_by_token_and_purposes_in_purpose_order() -> None:
    agents = _document()["sites"][0]["agents"]
    assert list(agents) == sorted(agents, key=lambda t: (t.casefold(), t))
    assert agents["Google-Extended"]["purposes"] == ["ai-train", "ai-input"]
    assert agents["CCBot"]["purposes"] == ["tdm", "ai-train"]


def test_missing_purpose_is_unknown_with_a_reason() -> None:
    report = SAMPLES[0]
    partial = SiteReport(
        site=report.site,
        origin=report.origin,
        verdicts=report.verdicts[:1],
        agents=(),
        findings=(),
        fetches=(),
        problems=(),
    )
    site = site_to_dict(partial)
    assert site["verdicts"] == {
        "tdm": "reserved",
        "ai-train": "unknown",
        "ai-input": "unknown",
        "search": "unknown",
    }
    assert site["verdict_reasons"]["search"] == ["not evaluated"]


def test_deterministic_utf8_indent_two_trailing_newline() -> None:
    first = render("json", SAMPLES, META)
    assert first == render("json", SAMPLES, META)
    assert first.endswith("}\n")
    assert '\n  "schema": "crawlcheck.report/1",' in first
    assert "日本語" in first  # ensure_ascii=False
    assert "\\u65e5" not in first


def test_sites_entries_equal_site_to_dict() -> None:
    assert _document()["sites"] == [json.loads(json.dumps(site_to_dict(r))) for r in SAMPLES]


def test_meta_command_is_optional() -> None:
    meta = ReportMeta(
        generated_at="2026-01-01T00:00:00+00:00",
        catalogue_source="x",
        catalogue_date="2026-01-01",
        catalogue_count=0,
    )
    document = json.loads(render("json", (), meta))
    assert document["command"] is None
    assert document["sites"] == []
    validate_report(document)
