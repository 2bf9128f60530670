"""WAT metadata records (Common Crawl, ia-web-commons): page signals without the page.

A WAT record describes one WARC record in JSON: for an HTML response, its status, its
headers and the ``<meta>`` and ``<link>`` elements of its head. That is exactly what the
page-level signals need (``X-Robots-Tag``, ``<meta name=robots>``, TDMRep meta and headers,
``<link rel=license>``), so a WAT response record becomes a page capture whose body is
the head rebuilt from those elements; its evidence names the WAT record and the WARC
record it describes. A WAT record of anything but an HTML response (robots.txt, ai.txt…)
holds no content, so it yields nothing: a site file is never known from a WAT alone.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from crawlcheck.archive.captures import Capture, normalise_url, parse_warc_date, rfc3339
from crawlcheck.model import ArchiveRecord, Fetched, Problem

if TYPE_CHECKING:
    from crawlcheck.archive._frames import Frame

#: Head attributes that name a <meta> element, in the order WAT writers use them.
_META_NAMES = ("name", "property", "http-equiv")


def captures(frame: Frame, path: str) -> Iterator[Capture | Problem]:
    """Yield the page capture a WAT record describes, if it describes an HTML response."""
    where = f"{path} offset {frame.offset}"
    if not frame.whole:
        yield Problem(code="archive.wat-too-large", message="WAT record not read", source=where)
        return
    try:
        data = json.loads(frame.block)
        envelope = data["Envelope"]
        warc = envelope["WARC-Header-Metadata"]
        response = envelope["Payload-Metadata"].get("HTTP-Response-Metadata")
    except (ValueError, KeyError, TypeError, AttributeError):
        yield Problem(code="archive.wat-invalid", message="not a WAT JSON record", source=where)
        return
    if not isinstance(warc, dict) or not isinstance(response, dict):
        return  # request, warcinfo or metadata described: nothing about a page
    url = normalise_url(str(warc.get("WARC-Target-URI", "")))
    at = parse_warc_date(str(warc.get("WARC-Date", "")))
    page = response.get("HTML-Metadata")
    if warc.get("WARC-Type") != "response" or url is None or at is None:
        return
    if not isinstance(page, dict):
        return  # not HTML: the WAT holds no content to read signals from
    status_text = str(_dig(response, "Response-Message", "Status") or "")
    described = str(warc.get("WARC-Record-ID", ""))
    box = data.get("Container")
    container: dict[str, Any] = box if isinstance(box, dict) else {}
    if container.get("Filename"):
        described += f" ({container['Filename']} offset {container.get('Offset', '?')})"
    record = ArchiveRecord(
        file=path,
        offset=frame.offset,
        record_id=frame.header("WARC-Record-ID"),
        date=frame.header("WARC-Date"),
        record_type="metadata",
        refers_to=described.strip(),
    )
    fetched = Fetched(
        url=url,
        status=int(status_text) if status_text.isdigit() else None,
        headers=_headers(response.get("Headers")),
        body=_head_html(page),
        final_url=url,
        fetched_at=rfc3339(at),
        truncated="WARC-Truncated" in warc,
        record=record,
    )
    yield Capture(fetched=fetched, at=at)


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _headers(raw: Any) -> tuple[tuple[str, str], ...]:
    """Return WAT headers (an object; a list value for repeated names) as pairs."""
    if not isinstance(raw, dict):
        return ()
    pairs: list[tuple[str, str]] = []
    for name, value in raw.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(name), str(item)))
    return tuple(pairs)


def _head_html(page: dict[str, Any]) -> bytes:
    """Return an HTML head with the <meta> and <link> elements the WAT kept, in order."""
    found = page.get("Head")
    head: dict[str, Any] = found if isinstance(found, dict) else {}
    parts = ["<!doctype html><html><head>"]
    for meta in head.get("Metas") or []:
        if not isinstance(meta, dict) or "content" not in meta:
            continue
        attr = next((a for a in _META_NAMES if a in meta), None)
        if attr is None:
            continue
        name = html.escape(str(meta[attr]), quote=True)
        content = html.escape(str(meta["content"]), quote=True)
        parts.append(f'<meta {attr}="{name}" content="{content}">')
    for link in head.get("Link") or []:
        if isinstance(link, dict) and link.get("rel") and link.get("url"):
            rel = html.escape(str(link["rel"]), quote=True)
            href = html.escape(str(link["url"]), quote=True)
            parts.append(f'<link rel="{rel}" href="{href}">')
    parts.append("</head><body></body></html>")
    return "\n".join(parts).encode("utf-8")
