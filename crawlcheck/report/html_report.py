"""HTML: one self-contained page that stays quick and readable from one site to thousands.

The page (``report.html``, ``report.css``, ``report.js``: package data, loaded with
``importlib.resources``, filled with ``string.Template``, which substitutes once, so a
``$`` in site text stays text) holds:

- the run and a legend of the four verdicts;
- an overview: verdicts per purpose and AI operators kept out, as patterned bar charts
  with every number written out (:mod:`._html_overview`);
- the site list: one row per site, filtered and sorted by the script, each opening into
  its details, which the script builds from embedded JSON when opened
  (:mod:`._html_sites`).

Safety: site text reaches the page only escaped (:mod:`._html`), and a
Content-Security-Policy admits exactly this page's one script and one style sheet by
their SHA-256 hashes, no ``style`` attributes, no loads from anywhere, and (Trusted Types)
no HTML parsed from strings, so even a mistake in escaping could neither run script nor
load anything.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from string import Template

from crawlcheck.model import PURPOSES, SiteReport
from crawlcheck.report._html import attr, inline, script_json, text
from crawlcheck.report._html_overview import Lengths, overview
from crawlcheck.report._html_sites import Catalogue, site_data_block, site_row
from crawlcheck.report.document import HIDDEN, SCHEMA_ID, VERDICTS, ReportMeta

_LEGEND = (
    ("reserved", "reserved for every crawler, for the whole site"),
    ("partial", "reserved for some agents, paths, media types or pages"),
    ("not-reserved", "every signal was read; none reserves this purpose"),
    ("unknown", "could not be determined (robots.txt unreachable, fetches failed)"),
)

#: The sort orders the site list offers: (value, label). ``-`` sorts descending.
_SORTS: tuple[tuple[str, str], ...] = (
    ("n", "as given"),
    ("site", "site A to Z"),
    ("-site", "site Z to A"),
    *((f"v{i}", f"{p}: reserved first") for i, p in enumerate(PURPOSES)),
    *((f"-v{i}", f"{p}: unknown first") for i, p in enumerate(PURPOSES)),
    ("-r", "most reservations"),
    ("r", "fewest reservations"),
    ("-p", "most problems"),
    ("p", "fewest problems"),
)


@cache
def _resource(name: str) -> str:
    return files("crawlcheck.report").joinpath(name).read_text(encoding="utf-8")


def csp_hash(source: str) -> str:
    """Return the CSP source expression that admits an inline element holding *source*.

    >>> csp_hash("")
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(script: str, style: str) -> str:
    """Return the page's policy: its one script and one style sheet, and nothing else."""
    return (
        f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(style)}; "
        "base-uri 'none'; form-action 'none'; "
        "require-trusted-types-for 'script'; trusted-types 'none'"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _legend() -> str:
    entries = "".join(
        f'<div><span class="badge v-{v}">{v}</span> {text(meaning)}</div>' for v, meaning in _LEGEND
    )
    return f'<div class="legend" role="note" aria-label="verdicts">{entries}</div>'


def _toolbar(count: int) -> str:
    verdicts = "".join(f'<option value="{i}">{v}</option>' for i, v in enumerate(VERDICTS))
    filters = "".join(
        f'<label>{p} <select data-filter="{i}"><option value="">any</option>{verdicts}</select>'
        "</label>"
        for i, p in enumerate(PURPOSES)
    )
    sorts = "".join(f'<option value="{attr(v)}">{text(label)}</option>' for v, label in _SORTS)
    return (
        '<div class="toolbar" id="toolbar" role="search" hidden>\n'
        '<label class="search">search <input type="search" id="q" autocomplete="off"'
        ' spellcheck="false" placeholder="site or origin"></label>\n'
        f'<div class="filters">{filters}'
        '<label>problems <select id="fp"><option value="">any</option>'
        '<option value="e">with errors</option><option value="w">with errors or warnings</option>'
        '<option value="n">none</option></select></label>'
        f'<label>sort <select id="sort">{sorts}</select></label></div>\n'
        '<div class="actions"><button type="button" id="reset">Reset</button>'
        '<button type="button" id="open-all">Open all shown</button>'
        '<button type="button" id="close-all">Close all</button></div>\n'
        "</div>\n"
        f'<p class="shown" id="shown" aria-live="polite">{_plural(count, "site")}</p>\n'
    )


def _sites(reports: Sequence[SiteReport]) -> str:
    if not reports:
        return '<h2 id="sites">Sites</h2>\n<p class="empty">No sites were audited.</p>'
    heads = "".join(
        f'<button type="button" class="c-v" data-sort="v{i}">{p}</button>'
        for i, p in enumerate(PURPOSES)
    )
    rows = "".join(site_row(n, r) for n, r in enumerate(reports, 1))
    return (
        '<h2 id="sites">Sites</h2>\n'
        '<noscript><p class="note">Filtering, sorting and the per-site details need this'
        " page's script, which your browser did not run. The JSON report"
        " (<code>--format json</code>) holds every detail.</p></noscript>\n"
        f"{_toolbar(len(reports))}"
        f'<div class="list-head"><button type="button" class="c-site" data-sort="site">site</button>'
        f'{heads}<button type="button" class="c-n" data-sort="-r">reservations</button>'
        '<button type="button" class="c-p" data-sort="-p">problems</button></div>\n'
        f'<div id="site-list" data-purposes="{" ".join(PURPOSES)}">\n{rows}</div>'
    )


def _data(reports: Sequence[SiteReport]) -> str:
    """Return the agent catalogue and every site's details as data blocks (after the script)."""
    catalogue = Catalogue(reports)
    blocks = "".join(site_data_block(n, r, catalogue) for n, r in enumerate(reports, 1))
    return f'<script type="application/json" id="catalogue">{script_json(catalogue.data())}</script>\n{blocks}'


def render(reports: Sequence[SiteReport], meta: ReportMeta) -> str:
    """Return the HTML report: one self-contained page."""
    title = ", ".join(r.site for r in reports[:3]) + (" …" if len(reports) > 3 else "")
    meta_line = (
        f"Generated {text(meta.generated_at)} by crawlcheck {text(meta.crawlcheck_version)}"
        f" · AI agent catalogue: {inline(meta.catalogue_source)} ({text(meta.catalogue_date)},"
        f" {_plural(meta.catalogue_count, 'agent')}) · {_plural(len(reports), 'site')}"
    )
    if meta.command:
        meta_line += f'<br><span class="mono">{text(meta.command)}</span>'
    lengths = Lengths()
    charts = overview(reports, lengths)
    style = _resource("report.css") + lengths.css()
    script = _resource("report.js")
    return Template(_resource("report.html")).substitute(
        # Fixed words and base64 hashes: nothing to escape, and no '"' to end the attribute.
        csp=content_security_policy(script, style),
        version=text(meta.crawlcheck_version),
        # <title> is RCDATA: no markup, so hidden characters are spelled out as text.
        title=attr(HIDDEN.sub(lambda m: f"U+{ord(m.group()):04X}", title or "no sites")),
        css=style,
        meta=meta_line,
        schema=SCHEMA_ID,
        legend=_legend(),
        overview=charts,
        sites=_sites(reports),
        js=script,
        data=_data(reports),
    )
