"""The audit's media sample in the site report: claims, findings, problems and records.

The rules (docs/verdicts.md, "Media"): what a sampled image or document embeds speaks for
that file, never for the whole site, so a reservation found in the sample makes a purpose
``partial`` at most, with a reason saying what was sampled ("3 of 8 sampled images
(image/jpeg) reserve ai-train (IPTC Data Mining)"). A sampled file that could not be read
is a problem of the report, not a site-level ``unknown``: the site's verdict rests on the
site's own signals, and the reason says how many files were not read.
"""

from __future__ import annotations

from collections.abc import Sequence

from crawlcheck.evaluate._claims import Claim
from crawlcheck.model import (
    PURPOSES,
    Finding,
    MediaFetch,
    MediaRecord,
    Problem,
    SiteVerdict,
    Verdict,
    split_effects,
)

#: How reasons name each embedded signal.
_SIGNAL_NAMES = {
    "iptc-data-mining": "IPTC Data Mining",
    "c2pa-training-mining": "C2PA training-mining",
    "xmp-tdmrep": "TDMRep XMP",
}
#: Sampled files named in a reason, at most.
_NAMED = 3


def _read(media: Sequence[MediaFetch]) -> list[MediaFetch]:
    """Return the sampled files whose bytes were read as an image or document."""
    return [m for m in media if m.result is not None and m.result.media_type]


def _kind(media: Sequence[MediaFetch]) -> str:
    types = {m.result.media_type for m in media if m.result is not None}
    if all(t.startswith("image/") for t in types):
        return "images"
    if not any(t.startswith("image/") for t in types):
        return "documents"
    return "images and documents"


def media_claims(media: Sequence[MediaFetch], purpose: str) -> list[Claim]:
    """Return the media sample's claim for *purpose*: always partial (some media types)."""
    read = _read(media)
    reserving = [m for m in read if m.result is not None and m.result.state(purpose) == "reserved"]
    if not reserving:
        return []
    types = ", ".join(sorted({m.result.media_type for m in reserving if m.result is not None}))
    signals = sorted(
        {
            _SIGNAL_NAMES.get(f.signal, f.signal)
            for m in reserving
            if m.result is not None
            for f in split_effects(m.result.findings, purpose)[0]
        }
    )
    named = ", ".join(m.url for m in reserving[:_NAMED])
    more = f" and {len(reserving) - _NAMED} more" if len(reserving) > _NAMED else ""
    tail = _rest(media, read)
    return [
        Claim(
            "media",
            False,
            f"{len(reserving)} of {len(read)} sampled {_kind(read)} ({types}) reserve {purpose} "
            f"({', '.join(signals)}): {named}{more}{tail}",
        )
    ]


def _rest(media: Sequence[MediaFetch], read: Sequence[MediaFetch]) -> str:
    """Return "; N more could not be read, M not fetched" for the rest of the sample."""
    skipped = sum(1 for m in media if m.skipped)
    unread = len(media) - len(read) - skipped
    parts = [f"{unread} more could not be read"] if unread else []
    parts += [f"{skipped} not fetched (robots.txt of its host…)"] if skipped else []
    return "; " + ", ".join(parts) if parts else ""


def media_findings(media: Sequence[MediaFetch]) -> list[Finding]:
    """Return every finding read from the sampled files."""
    return [f for m in media if m.result is not None for f in m.result.findings]


def media_problems(media: Sequence[MediaFetch]) -> list[Problem]:
    """Return a problem per sampled file not read (warning) or not fetched (info)."""
    problems: list[Problem] = []
    for item in media:
        where = f" (linked from {item.found_on})" if item.found_on else ""
        if item.skipped:
            problems.append(
                Problem(
                    code="media.not-sampled",
                    message=f"sampled file not fetched{where}: {item.skipped}",
                    source=item.url,
                    level="info",
                )
            )
            continue
        result = item.result
        errors = [p for p in result.problems if p.level == "error"] if result is not None else []
        if result is None or errors or not result.media_type:
            why = errors[0].message if errors else "not an image or document crawlcheck reads"
            problems.append(
                Problem(
                    code="media.unreadable",
                    message=f"sampled file{where} could not be read: {why}; its embedded "
                    "signals are unknown (a sampled file, not the site: no site-level unknown)",
                    source=item.url,
                    level="warning",
                )
            )
    return problems


def with_media_reason(verdict: Verdict, media: Sequence[MediaFetch]) -> Verdict:
    """Return a ``not-reserved`` verdict with the media sample's scope in its reasons."""
    if verdict.verdict is not SiteVerdict.NOT_RESERVED or not media:
        return verdict
    read = _read(media)
    text = f"{len(read)} sampled image(s)/document(s) read, none reserves {verdict.purpose}"
    text += _rest(media, read) + (" (see problems)" if len(read) < len(media) else "")
    return Verdict(
        purpose=verdict.purpose, verdict=verdict.verdict, reasons=(*verdict.reasons, text)
    )


def media_records(media: Sequence[MediaFetch]) -> tuple[MediaRecord, ...]:
    """Return the report's ``media_sampled[]`` records."""
    records: list[MediaRecord] = []
    for item in media:
        result, doc = item.result, item.fetched
        errors = [p.code for p in result.problems if p.level == "error"] if result else []
        records.append(
            MediaRecord(
                url=item.url,
                found_on=item.found_on,
                how=item.how,
                media_type=result.media_type if result is not None else "",
                content_type=doc.content_type if doc is not None else "",
                status=doc.status if doc is not None else None,
                error=doc.error if doc is not None else None,
                size=result.size if result is not None else None,
                bytes_fetched=item.received,
                requests=len(item.reads),
                states=tuple((p, result.state(p)) for p in PURPOSES) if result else (),
                c2pa=result.c2pa if result is not None else "",
                skipped=item.skipped,
                problems=tuple(dict.fromkeys(errors)),
            )
        )
    return tuple(records)
