"""The renderer registry: formats, unknown-format errors, UTF-8-safe output."""

from __future__ import annotations

import pytest
from test_report_samples import META, SAMPLES

from crawlcheck.errors import UsageError
from crawlcheck.model import SiteReport, Verdict
from crawlcheck.report import FORMATS, RENDERERS, render, render_site_jsonl


def test_formats_are_the_contract_formats() -> None:
    assert FORMATS == ("json", "jsonl", "csv", "html", "md")
    assert tuple(RENDERERS) == FORMATS


def test_unknown_format_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError, match="'xml'"):
        render("xml", SAMPLES, META)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_no_sites_and_all_samples(fmt: str) -> None:
    empty = render(fmt, (), META)
    assert empty.endswith("\n") or (fmt == "jsonl" and empty == "")  # JSONL: one line a site
    out = render(fmt, SAMPLES, META)
    assert out.endswith("\n")
    out.encode("utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_lone_surrogates_become_replacement_characters(fmt: str) -> None:
    # A body decoded with surrogateescape must not make the report unwritable.
    report = SiteReport(
        site="bad.example",
        origin="https://bad.example",
        verdicts=(Verdict(purpose="tdm", verdict="unknown", reasons=("bad byte \udcff",)),),
        agents=(),
        findings=(),
        fetches=(),
        problems=(),
    )
    out = render(fmt, (report,), META)
    out.encode("utf-8")
    assert "\ufffd" in out
    render_site_jsonl(report).encode("utf-8")
