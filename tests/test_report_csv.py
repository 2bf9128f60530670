"""CSV: one row per site (default) or the long form; formula- and control-character-safe."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_report_samples import META, SAMPLES, assert_golden, blanket_site

from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, SiteReport, Verdict
from crawlcheck.report import CSV_LAYOUTS, render
from crawlcheck.report.csv_report import (
    COLUMNS,
    FORMULA_TRIGGERS,
    LIST_SEPARATOR,
    SITE_COLUMNS,
    neutralise,
)
from crawlcheck.report.digest import site_counts
from crawlcheck.report.document import HIDDEN


def _rows(layout: str, reports: tuple[SiteReport, ...] = SAMPLES) -> list[dict[str, str]]:
    text = render("csv", reports, META, csv_layout=layout)
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _restore(cell: str) -> str:
    """Undo the formula guard of :func:`neutralise` (what a careful importer would do)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS) else cell


def test_layouts_and_default() -> None:
    assert CSV_LAYOUTS == ("site", "long")
    assert render("csv", SAMPLES, META) == render("csv", SAMPLES, META, csv_layout="site")


def test_unknown_layout_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError, match="'wide'"):
        render("csv", SAMPLES, META, csv_layout="wide")


# ---- site layout --------------------------------------------------------------------


def test_site_golden() -> None:
    assert_golden("sample.csv", render("csv", SAMPLES, META))


def test_site_header_is_fixed() -> None:
    header = render("csv", (), META)
    assert header == ",".join(f'"{c}"' for c in SITE_COLUMNS) + "\n"
    assert SITE_COLUMNS[:6] == ("site", "origin", *PURPOSES)
    assert SITE_COLUMNS[-4:] == tuple(f"reasons_{p}" for p in PURPOSES)


def test_one_row_per_site_with_its_verdicts_and_counts() -> None:
    rows = _rows("site")
    assert [_restore(row["site"]) for row in rows] == [r.site for r in SAMPLES]
    for row, report in zip(rows, SAMPLES, strict=True):
        assert [row[p] for p in PURPOSES] == [report.verdict(p) for p in PURPOSES]
        counts = site_counts(report)
        for state, count in counts.agents.items():
            assert row[f"agents_{state}"] == str(count)
        assert row["reservations"] == str(counts.reservations)
        assert (row["errors"], row["warnings"], row["notes"]) == tuple(
            str(counts.problems[level]) for level in ("error", "warning", "info")
        )
        assert row["robots_txt_status"] == counts.robots_status
        assert row["fetched_at"] == counts.fetched_at
    news, shop, down = rows[0], rows[1], rows[2]
    assert (news["agents_disallowed"], news["agents_allowed"], news["reservations"]) == (
        "6",
        "2",
        "4",
    )
    assert (shop["notes"], shop["errors"]) == ("1", "0")  # an info note is not an error
    assert (down["agents_unreachable"], down["robots_txt_status"]) == ("8", "503")


def test_a_line_reaching_165_agents_counts_as_one_reservation() -> None:
    (row,) = _rows("site", (blanket_site(165),))
    assert row["agents_disallowed"] == "165"
    assert row["reservations"] == "1"


def test_site_layout_reasons_round_trip() -> None:
    hostile = _rows("site")[3]
    for verdict in SAMPLES[3].verdicts:
        cell = _restore(hostile[f"reasons_{verdict.purpose}"])
        assert cell == HIDDEN.sub(lambda m: _shown(m.group()), LIST_SEPARATOR.join(verdict.reasons))


def _shown(char: str) -> str:
    return char if char == "\r" else f"<U+{ord(char):04X}>"


# ---- long layout --------------------------------------------------------------------


def test_long_golden() -> None:
    assert_golden("sample.long.csv", render("csv", SAMPLES, META, csv_layout="long"))


def test_long_header_is_fixed() -> None:
    header = render("csv", (), META, csv_layout="long")
    assert header == ",".join(f'"{c}"' for c in COLUMNS) + "\n"
    assert COLUMNS[:6] == ("site", "origin", "row_type", "purpose", "verdict", "reasons")


def test_long_has_a_row_per_site_and_purpose_and_per_site_and_agent() -> None:
    rows = _rows("long")
    assert len(rows) == sum(len(PURPOSES) + len(r.agents) for r in SAMPLES)
    for report in SAMPLES:
        mine = [row for row in rows if _restore(row["site"]) == report.site]
        purposes = [row for row in mine if row["row_type"] == "purpose"]
        agents = [row for row in mine if row["row_type"] == "agent"]
        assert [row["purpose"] for row in purposes] == list(PURPOSES)
        assert [row["verdict"] for row in purposes] == [v.verdict for v in report.verdicts]
        assert {row["agent"]: row["robots"] for row in agents} == {
            a.token: a.robots for a in report.agents
        }


def test_long_round_trip_preserves_evidence() -> None:
    rows = _rows("long")
    hostile = SAMPLES[3]
    mine = [row for row in rows if _restore(row["site"]) == hostile.site]
    evidence = {
        row["agent"]: _restore(row["evidence"]) for row in mine if row["row_type"] == "agent"
    }
    assert evidence == {a.token: a.evidence for a in hostile.agents}


# ---- safety, both layouts -----------------------------------------------------------


@pytest.mark.parametrize("layout", CSV_LAYOUTS)
def test_no_cell_can_start_a_formula(layout: str) -> None:
    cells = [value for row in _rows(layout) for value in row.values()]
    assert not [c for c in cells if c.startswith(FORMULA_TRIGGERS)]
    # the hostile samples were neutralised, not dropped
    assert any(c.startswith('\'=HYPERLINK("http://evil.example",') for c in cells)
    if layout == "long":
        assert "'+cmd|' /C calc'!A0" in cells
        assert "'-2+3+cmd|' /C calc'!A0" in cells
        assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells


_CONTROL = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil\u200b\ufeff\x00"


@pytest.mark.parametrize("layout", CSV_LAYOUTS)
def test_control_characters_are_written_as_code_points(layout: str) -> None:
    report = SiteReport(
        site=f"-{_CONTROL}.example",
        origin="https://x.example",
        verdicts=(Verdict(purpose="tdm", verdict="unknown", reasons=(f"=1+1 {_CONTROL}",)),),
        agents=(),
        findings=(),
        fetches=(),
        problems=(),
    )
    text = render("csv", (report,), META, csv_layout=layout)
    assert not HIDDEN.search(text.replace("\r", ""))
    assert "\x1b" not in text
    rows = _rows(layout, (report,))
    expected = (
        "'-<U+001B>]0;pwned<U+0007><U+001B>[2J<U+009B>31m<U+202E>evil<U+200B><U+FEFF><U+0000>"
        ".example"
    )
    assert rows[0]["site"] == expected
    reasons = rows[0]["reasons_tdm" if layout == "site" else "reasons"]
    assert reasons.startswith("'=1+1 <U+001B>]0;pwned")


@given(st.text())
def test_neutralise_never_leaves_a_formula_or_a_hidden_character(cell: str) -> None:
    safe = neutralise(cell)
    assert not safe.startswith(FORMULA_TRIGGERS)
    assert not HIDDEN.search(safe.replace("\r", ""))
    shown = HIDDEN.sub(lambda m: _shown(m.group()), cell)
    assert safe in (shown, "'" + shown)
