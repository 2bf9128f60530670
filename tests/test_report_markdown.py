"""Markdown summary: golden file, and site text that cannot inject HTML, links or table cells."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from test_report_samples import META, SAMPLES, SCRIPT, assert_golden, blanket_site

from crawlcheck.model import PURPOSES
from crawlcheck.report import render
from crawlcheck.report.markdown import MAX_TEXT, escape

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_golden() -> None:
    assert_golden("sample.md", render("md", SAMPLES, META))


def test_no_html_from_site_text() -> None:
    text = render("md", SAMPLES, META)
    assert "<" not in text
    assert ">" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert SCRIPT not in text


def test_summary_table_has_one_row_per_site_and_fixed_cell_count() -> None:
    lines = render("md", SAMPLES, META).splitlines()
    start = lines.index("| site | " + " | ".join(PURPOSES) + " | reservations | problems |")
    rows = lines[start + 2 : start + 2 + len(SAMPLES)]
    assert all(len(_UNESCAPED_PIPE.findall(row)) == 8 for row in rows)
    assert "| news.example | reserved | reserved | partial | not-reserved | 4 | none |" in rows
    # Problems are counted by level; an info note is not a problem.
    assert rows[1].endswith("| 2 | none |")
    assert rows[2].endswith("| 0 | 2 errors |")


def test_a_line_reaching_165_agents_is_one_reservation() -> None:
    text = render("md", (blanket_site(165),), META)
    assert "| walled.example | not-reserved | reserved | reserved | reserved | 1 | none |" in text
    lines = [line for line in text.splitlines() if line.startswith("- **robots.txt**")]
    assert len(lines) == 1
    assert "agents 165 agents (Agent000, Agent001, Agent002, Agent003, Agent004, …)" in lines[0]


def test_links_from_site_text_are_not_markdown_links() -> None:
    text = render("md", SAMPLES, META)
    assert "[click](" not in text
    assert "![img](" not in text
    assert r"see \[click\](javascript:alert(1)) and !\[img\](https://evil.example/x.png)" in text


def test_every_site_has_a_section_with_its_verdicts() -> None:
    text = render("md", SAMPLES, META)
    for report in SAMPLES:
        section = text.split(f"### {escape(report.site)}\n", 1)[1].split("\n### ", 1)[0]
        for verdict in report.verdicts:
            assert f"- **{verdict.purpose}**: {verdict.verdict}" in section


def test_no_sites() -> None:
    assert "No sites were audited." in render("md", (), META)


@given(st.text())
def test_escape_is_inert_and_one_line(text: str) -> None:
    out = escape(text)
    assert "<" not in out
    assert ">" not in out
    assert not _UNESCAPED_PIPE.search(out)
    assert len(out.splitlines()) <= 1
    for char in "`*_[]~$":
        assert not re.search(rf"(?<!\\){re.escape(char)}", out.replace("\\\\", ""))


def test_escape_cuts_long_text_before_escaping() -> None:
    out = escape("x" * 500 + "<", MAX_TEXT)
    assert out == "x" * (MAX_TEXT - 1) + "…"
