"""The HTML report as a real browser shows it: headless Chromium at 390 and 1400 px.

The page is opened through the DevTools protocol (tests/chromium.py); a probe script run
in the page measures what a reader would see (nothing wider than the window, no two boxes
on top of each other, verdict words apart, badges inside their cells) and the tests use
the page as a reader would: filter, sort, open a site, follow a #site-N link.

Needs Debian's chromium at /usr/bin/chromium (``apt-get install -y chromium``); skipped,
with that reason, when it is absent. ``CRAWLCHECK_UPDATE_SCREENSHOTS=1`` also writes the
screenshots of docs/reports.md (docs/report-1400.png, docs/report-390.png,
docs/report-390-overview.png) from this run.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import CHROMIUM, Chromium, Page
from test_report_samples import JS_URL, META, SAMPLES, SCRIPT, blanket_site

from crawlcheck.model import PURPOSES
from crawlcheck.report import VERDICTS, render

DOCS = Path(__file__).parent.parent / "docs"
UPDATE_SCREENSHOTS = os.environ.get("CRAWLCHECK_UPDATE_SCREENSHOTS") == "1"
REPORTS = (*SAMPLES, blanket_site(165))
WIDTHS = (390, 1400)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent; install it with: apt-get install -y chromium",
)

#: Measures the page as laid out; returns a list of what a reader would find wrong.
_PROBE = r"""(() => {
  const problems = [];
  const shown = (e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
  };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    (typeof e.className === "string" && e.className ? "." + e.className.trim().replace(/\s+/g, ".") : "");
  const where = (e) => { const row = e.closest("details.site, figure, table, section"); return row ? name(row) + " " : ""; };
  const hit = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const collide = (a, b) => {
    for (const x of a.getClientRects()) for (const y of b.getClientRects()) if (hit(x, y)) return true;
    return false;
  };
  const inside = (inner, outer) => {
    const a = inner.getBoundingClientRect(), b = outer.getBoundingClientRect();
    return a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  };
  const root = document.documentElement;
  if (root.scrollWidth > innerWidth) problems.push("the page scrolls sideways: " + root.scrollWidth + " px");
  // Boxes side by side or stacked never overlap: headings, rows, cells, charts, controls.
  const parents = "header.page, main, section, figure, .charts, .chart-row, .chart-legend, .legend, " +
    ".toolbar, .filters, .actions, .list-head, #site-list, details.site, details.site > summary, " +
    ".c-site, .c-v, .c-n, .c-p, .body, tr, td > .v";
  for (const parent of document.querySelectorAll(parents)) {
    const kids = [...parent.children].filter((k) => shown(k) && getComputedStyle(k).position !== "absolute");
    for (let i = 0; i < kids.length; i++)
      for (let j = i + 1; j < kids.length; j++)
        if (collide(kids[i], kids[j])) problems.push(where(parent) + name(parent) + ": " + name(kids[i]) + " overlaps " + name(kids[j]));
  }
  // Nothing spills out: badges stay in their cells, text fits its box.
  for (const badge of document.querySelectorAll(".badge")) {
    if (!shown(badge)) continue;
    const cell = badge.closest("td, .c-v, .legend > div");
    if (cell && !inside(badge, cell)) problems.push(where(badge) + "badge '" + badge.textContent + "' sticks out of " + name(cell));
    if (badge.scrollWidth > badge.clientWidth + 1) problems.push("badge '" + badge.textContent + "' is cut");
  }
  for (const e of document.querySelectorAll("h1, h2, h3, td, th, .count, .chart-label, button, select, label, .seg > span")) {
    if (!shown(e)) continue;
    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === "visible")
      problems.push(where(e) + name(e) + " '" + e.textContent.slice(0, 40) + "' is wider than its box");
    if (e.matches(".seg > span") && !inside(e, e.parentElement)) problems.push("a bar label sticks out of its segment");
  }
  // Verdict words never run together: apart on screen, apart in the text a reader copies.
  for (const row of document.querySelectorAll("details.site > summary")) {
    const words = row.innerText.split(/\s+/);
    const badges = [...row.querySelectorAll(".badge")];
    for (const b of badges) if (!words.includes(b.textContent)) problems.push("run together: " + row.innerText);
    for (let i = 1; i < badges.length; i++) {
      const a = badges[i - 1].getBoundingClientRect(), b = badges[i].getBoundingClientRect();
      const sameLine = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0;
      if (sameLine && Math.max(b.left - a.right, a.left - b.right) < 4)
        problems.push("verdicts touch: " + row.innerText);
    }
  }
  return problems;
})()"""


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render("html", REPORTS, META), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium() as chromium:
        yield chromium


def _open(browser: Chromium, url: str, width: int, height: int = 900) -> Page:
    page = browser.open(width, height)
    page.send("Page.enable")
    page.load(url)
    page.settle()
    return page


def _errors(page: Page) -> list[str]:
    """Console errors (a CSP violation is one) and uncaught exceptions so far."""
    logged = [
        e["params"]["entry"]["text"]
        for e in page.events("Log.entryAdded")
        if e["params"]["entry"]["level"] in ("error", "warning")
    ]
    thrown = [str(e["params"]) for e in page.events("Runtime.exceptionThrown")]
    dialogs = [str(e["params"]) for e in page.events("Page.javascriptDialogOpening")]
    return logged + thrown + dialogs


def _visible_sites(page: Page) -> list[str]:
    result: list[str] = page.evaluate(
        "[...document.querySelectorAll('details.site')].filter(r => !r.hidden).map(r => r.id)"
    )
    return result


def _set(page: Page, selector: str, value: str, event: str = "change") -> None:
    page.evaluate(
        f"(() => {{ const e = document.querySelector({selector!r}); e.value = {value!r};"
        f" e.dispatchEvent(new Event({event!r})); }})()"
    )
    page.evaluate("new Promise(done => setTimeout(done, 0))")  # the search debounce


@pytest.mark.parametrize("width", WIDTHS)
def test_layout_is_readable_with_every_site_open(
    browser: Chromium, report_file: Path, width: int
) -> None:
    page = _open(browser, report_file.as_uri(), width)
    page.evaluate("document.getElementById('open-all').click()")
    assert page.evaluate("document.querySelectorAll('details.site[open] > .body').length") == len(
        REPORTS
    )
    # Folded lists too (agents of a grouped finding, operators of the chart).
    page.evaluate("document.querySelectorAll('details:not(.site)').forEach(d => d.open = true)")
    # A window as tall as the page, so that every row is rendered, not skipped off-screen.
    page.resize(width, page.evaluate("document.documentElement.scrollHeight"))
    page.settle()
    assert page.evaluate(_PROBE) == []
    assert _errors(page) == []
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_column_labels_show_on_phones_and_heads_on_laptops(
    browser: Chromium, report_file: Path, width: int
) -> None:
    page = _open(browser, report_file.as_uri(), width)
    heads_shown = page.evaluate("getComputedStyle(document.querySelector('.list-head')).display")
    label = page.evaluate(
        "(() => { const r = document.querySelector('.c-v .lbl').getBoundingClientRect();"
        " return [r.width, r.height]; })()"
    )
    if width == 390:
        assert heads_shown == "none"
        assert min(label) > 5  # "tdm" written beside its verdict
        # Detail tables become cards: each value under its column's name.
        page.evaluate("document.getElementById('site-1').open = true")
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('#site-1 table.verdicts td'), '::before')"
                ".content"
            )
            == '"purpose"'
        )
    else:
        assert heads_shown == "grid"
        assert max(label) <= 1  # read out by screen readers, not shown twice
    page.close()


def test_filter_sort_and_chart_buttons(browser: Chromium, report_file: Path) -> None:
    page = _open(browser, report_file.as_uri(), 1400)
    every = [f"site-{n}" for n in range(1, len(REPORTS) + 1)]
    assert _visible_sites(page) == every
    assert page.evaluate("document.getElementById('shown').textContent") == "6 sites"

    _set(page, "#q", "SHOP", "input")  # site or origin, any case
    assert _visible_sites(page) == ["site-2"]
    assert page.evaluate("document.getElementById('shown').textContent") == "Showing 1 of 6 sites"

    page.evaluate("document.getElementById('reset').click()")
    _set(page, "select[data-filter='1']", str(VERDICTS.index("partial")))
    expected = [f"site-{n}" for n, r in enumerate(REPORTS, 1) if r.verdict("ai-train") == "partial"]
    assert _visible_sites(page) == expected

    # The overview's "tdm reserved 1" lists the sites it counts.
    page.evaluate("document.getElementById('reset').click()")
    page.evaluate(
        'document.querySelector(\'button.count[data-purpose="0"][data-verdict="reserved"]\').click()'
    )
    assert _visible_sites(page) == ["site-1"]
    assert page.evaluate("document.querySelector(\"select[data-filter='0']\").value") == "0"

    _set(page, "#fp", "e")  # with errors, on top of tdm=reserved: none
    assert _visible_sites(page) == []
    page.evaluate("document.getElementById('reset').click()")
    _set(page, "#fp", "e")
    assert _visible_sites(page) == ["site-3"]

    # Column heads sort (ties keep input order); a second press reverses.
    page.evaluate("document.getElementById('reset').click()")
    page.evaluate("document.querySelector('.list-head [data-sort=\"v1\"]').click()")
    rank = {v: i for i, v in enumerate(VERDICTS)}
    by_verdict = sorted(
        range(len(REPORTS)), key=lambda i: (rank[REPORTS[i].verdict("ai-train")], i)
    )
    assert _visible_sites(page) == [f"site-{i + 1}" for i in by_verdict]
    page.evaluate("document.querySelector('.list-head [data-sort=\"v1\"]').click()")
    reverse = sorted(range(len(REPORTS)), key=lambda i: (-rank[REPORTS[i].verdict("ai-train")], i))
    assert _visible_sites(page) == [f"site-{i + 1}" for i in reverse]
    assert page.evaluate("document.getElementById('sort').value") == "-v1"
    page.evaluate("document.querySelector('.list-head [data-sort=\"-r\"]').click()")
    assert _visible_sites(page)[0] == "site-1"  # news.example: 4 reservations
    assert _errors(page) == []
    page.close()


def _open_site(page: Page, number: int) -> dict[str, Any]:
    page.evaluate(f"document.querySelector('#site-{number} > summary').click()")
    info: dict[str, Any] = page.evaluate(
        f"""(() => {{
        const body = document.querySelector('#site-{number} > .body');
        return {{
          text: body.innerText,
          tags: [...new Set([...body.querySelectorAll('*')].map(e => e.tagName.toLowerCase()))],
          hrefs: [...body.querySelectorAll('a')].map(a => a.getAttribute('href')),
          ctl: [...body.querySelectorAll('.ctl')].map(e => e.textContent),
          findings: body.querySelectorAll('table.findings tbody tr').length,
          agentRows: body.querySelectorAll('table.agents tbody tr').length,
          folds: [...body.querySelectorAll('table.findings details.fold')].map(d => [
            d.querySelector('summary').textContent, d.querySelector('p').textContent]),
        }}; }})()"""
    )
    return info


def test_a_hostile_site_is_shown_as_text(browser: Chromium, report_file: Path) -> None:
    page = _open(browser, report_file.as_uri(), 1400)
    info = _open_site(page, 4)
    assert SCRIPT in info["text"]
    assert "<img src=x onerror=alert(1)>" in info["text"]
    assert JS_URL in info["text"]  # shown, never linked
    assert "لا تستخدم هذا المحتوى" in info["text"]
    assert "U+202E" in info["ctl"]
    assert not {"script", "img", "iframe", "object", "embed", "style"} & set(info["tags"])
    assert info["hrefs"]
    assert all(h.startswith(("https://", "http://")) for h in info["hrefs"]), info["hrefs"]
    assert not [h for h in info["hrefs"] if "javascript" in h.lower()]
    # A quote in a URL stays inside the href: no attribute came out of it.
    assert 'https://hostile.example/"onmouseover="alert(1)' in info["hrefs"]
    assert page.evaluate("document.querySelectorAll('[onmouseover], [onerror]').length") == 0
    # The site name in the row is text too, and nothing ran: no dialog, no error.
    assert page.evaluate("document.querySelector('#site-4 .name').textContent") == SAMPLES[3].site
    assert page.evaluate("document.querySelectorAll('body script').length") == len(REPORTS) + 2
    assert _errors(page) == []
    page.close()


def test_the_csp_is_enforced(browser: Chromium, report_file: Path) -> None:
    page = _open(browser, report_file.as_uri(), 1400)
    # Trusted Types: no HTML from strings, even for the page's own script.
    refused = page.evaluate(
        "(() => { try { document.body.insertAdjacentHTML('beforeend', '<b>x</b>');"
        " return 'parsed'; } catch (e) { return e.name; } })()"
    )
    assert refused == "TypeError"
    # No inline style attributes.
    colour = page.evaluate(
        "(() => { const h = document.querySelector('h1'); h.setAttribute('style', 'color: rgb(255, 0, 0)');"
        " return getComputedStyle(h).color; })()"
    )
    assert colour != "rgb(255, 0, 0)"
    assert any("Content Security Policy" in e for e in _errors(page))
    page.close()


def test_a_line_for_165_agents_is_one_finding_with_the_agents_folded(
    browser: Chromium, report_file: Path
) -> None:
    page = _open(browser, report_file.as_uri(), 1400)
    info = _open_site(page, 6)
    assert info["findings"] == 2
    assert info["agentRows"] == 1  # "165 agents fall to the * group"
    ((summary, tokens),) = info["folds"]
    assert summary == "disallowed for 165 agents"
    assert tokens.split(", ") == [f"Agent{n:03d}" for n in range(165)]
    assert "165 agents fall to the * group" in info["text"]
    page.close()


def test_a_site_link_opens_that_site(browser: Chromium, report_file: Path) -> None:
    page = _open(browser, report_file.as_uri() + "#site-3", 1400)
    assert page.evaluate("document.getElementById('site-3').open") is True
    text = page.evaluate("document.querySelector('#site-3 > .body').innerText")
    assert "robots.txt answered 503" in text
    assert page.evaluate("document.querySelectorAll('details.site[open]').length") == 1
    page.close()


def test_without_script_the_summary_still_reads(browser: Chromium, report_file: Path) -> None:
    page = browser.open(1400, 900)
    page.send("Emulation.setScriptExecutionDisabled", {"value": True})
    page.load(report_file.as_uri())
    rows = page.evaluate(
        "[...document.querySelectorAll('details.site > summary')].map(s =>"
        " [...s.querySelectorAll('.badge')].map(b => b.textContent))"
    )
    assert rows == [[r.verdict(p) for p in PURPOSES] for r in REPORTS]
    assert page.evaluate("document.getElementById('toolbar').hidden") is True
    page.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshots(browser: Chromium, report_file: Path, tmp_path: Path) -> None:
    shots = []
    page = _open(browser, report_file.as_uri(), 1400)
    page.evaluate("document.getElementById('site-1').open = true")
    shots.append(("report-1400.png", page.show(tmp_path / "a.png", width=1400, height=1900)))
    page.close()
    page = _open(browser, report_file.as_uri(), 390)
    shots.append(("report-390-overview.png", page.show(tmp_path / "b.png", width=390, height=1500)))
    page.evaluate("document.getElementById('site-1').open = true")
    top = page.evaluate("document.getElementById('sites').getBoundingClientRect().top + scrollY")
    shots.append(("report-390.png", page.show(tmp_path / "c.png", width=390, height=1900, top=top)))
    page.close()
    for name, data in shots:
        width = 1400 if "1400" in name else 390
        assert _png_size(data)[0] == width
        assert len(data) > 40_000  # a rendered page, not a blank one
        if UPDATE_SCREENSHOTS:
            if os.environ.get("CI"):
                pytest.fail("CRAWLCHECK_UPDATE_SCREENSHOTS is refused in CI: review them by hand")
            (DOCS / name).write_bytes(data)
    assert shutil.which(str(CHROMIUM))


def test_the_probe_sees_what_a_reader_would_complain_about(
    browser: Chromium, tmp_path: Path
) -> None:
    # A negative control: a page with the faults the probe looks for must show them.
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><meta name="viewport" content="width=device-width">'
        '<details class="site" open><summary style="display:flex">'
        '<span class="c-v" style="width:40px;display:block"><span class="badge"'
        ' style="display:inline-block;white-space:nowrap">not-reserved</span></span>'
        '<span class="c-v"><span class="badge">reserved</span></span></summary></details>'
        '<details class="site"><summary style="display:block"><span class="badge">partial</span>'
        '<span class="badge">unknown</span></summary></details>'
        '<table style="width:600px"><tr><td>wide</td></tr></table>'
        '<section><h2 style="height:10px;margin:0">A heading</h2>'
        '<p style="margin-top:-12px">a paragraph over it</p></section>',
        encoding="utf-8",
    )
    page = _open(browser, bad.as_uri(), 390)
    found = "\n".join(page.evaluate(_PROBE))
    page.close()
    assert "the page scrolls sideways" in found
    assert "badge 'not-reserved' sticks out of span.c-v" in found
    assert "h2 overlaps p" in found
    assert "verdicts touch: not-reserved" in found
    assert "run together: partialunknown" in found
