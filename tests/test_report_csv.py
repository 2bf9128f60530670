"""CSV: fixed header, one row per site and purpose, per site and agent, formula-safe, round-trips."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st
from test_report_samples import META, SAMPLES, assert_golden

from crawlcheck.model import PURPOSES
from crawlcheck.report import render
from crawlcheck.report.csv_report import COLUMNS, FORMULA_TRIGGERS, LIST_SEPARATOR, neutralise


def _rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render("csv", SAMPLES, META), newline="")))


def _restore(cell: str) -> str:
    """Undo :func:`neutralise` (what a careful importer would do)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS) else cell


def test_golden() -> None:
    assert_golden("sample.csv", render("csv", SAMPLES, META))


def test_fixed_header() -> None:
    header = render("csv", (), META)
    assert header == ",".join(f'"{c}"' for c in COLUMNS) + "\n"
    assert COLUMNS[:6] == ("site", "origin", "row_type", "purpose", "verdict", "reasons")


def test_one_row_per_site_and_purpose_and_per_site_and_agent() -> None:
    rows = _rows()
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


def test_round_trip_preserves_site_text_exactly() -> None:
    rows = _rows()
    hostile = SAMPLES[3]
    mine = [row for row in rows if _restore(row["site"]) == hostile.site]
    reasons = {
        row["purpose"]: _restore(row["reasons"]) for row in mine if row["row_type"] == "purpose"
    }
    for verdict in hostile.verdicts:
        assert reasons[verdict.purpose] == LIST_SEPARATOR.join(verdict.reasons)
    evidence = {
        row["agent"]: _restore(row["evidence"]) for row in mine if row["row_type"] == "agent"
    }
    assert evidence == {a.token: a.evidence for a in hostile.agents}


def test_no_cell_can_start_a_formula() -> None:
    rows = _rows()
    cells = [value for row in rows for value in row.values()]
    assert not [c for c in cells if c.startswith(FORMULA_TRIGGERS)]
    # the hostile samples were neutralised, not dropped
    assert any(c.startswith('\'=HYPERLINK("http://evil.example",') for c in cells)
    assert "'+cmd|' /C calc'!A0" in cells
    assert "'-2+3+cmd|' /C calc'!A0" in cells
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells


@given(st.text())
def test_neutralise_never_leaves_a_formula_and_only_prefixes(cell: str) -> None:
    safe = neutralise(cell)
    assert not safe.startswith(FORMULA_TRIGGERS)
    assert safe in (cell, "'" + cell)
