"""JSON Lines: one schema-valid ``sites[]`` object per line, whatever the site text holds."""

from __future__ import annotations

import json

import jsonschema
from test_report_samples import META, SAMPLES, assert_golden

from crawlcheck.report import load_schema, render, render_site_jsonl, site_to_dict


def _site_validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    site_schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/site"}
    return jsonschema.Draft202012Validator(site_schema)


def test_golden() -> None:
    assert_golden("sample.jsonl", render("jsonl", SAMPLES, META))


def test_one_line_per_site_even_with_line_separators_in_site_text() -> None:
    text = render("jsonl", SAMPLES, META)
    # str.splitlines also splits on NEL, U+2028, U+2029, VT, FF: none may appear raw.
    lines = text.splitlines()
    assert len(lines) == len(SAMPLES)
    assert text.endswith("\n")
    assert "\u2028" not in text
    assert "\x85" not in text


def test_every_line_validates_and_equals_site_to_dict() -> None:
    validator = _site_validator()
    for report, line in zip(SAMPLES, render("jsonl", SAMPLES, META).splitlines(), strict=True):
        site = json.loads(line)
        validator.validate(site)
        assert site == json.loads(json.dumps(site_to_dict(report)))


def test_render_site_jsonl_is_one_terminated_line() -> None:
    for report in SAMPLES:
        line = render_site_jsonl(report)
        assert line.endswith("\n")
        assert line.count("\n") == 1
        assert len(line.splitlines()) == 1


def test_concatenated_site_lines_equal_the_whole_jsonl() -> None:
    assert "".join(render_site_jsonl(r) for r in SAMPLES) == render("jsonl", SAMPLES, META)


def test_no_sites_is_empty() -> None:
    assert render("jsonl", (), META) == ""
