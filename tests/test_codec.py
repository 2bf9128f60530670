"""Tests for crawlcheck.codec: the worker's wire format round-trips every field."""

from __future__ import annotations

import json

from crawlcheck.codec import fetched_from_json, fetched_to_json, site_from_json, site_to_json
from crawlcheck.model import ArchiveRecord, Fetched, SiteFetches


def test_site_round_trip_keeps_every_field_and_every_byte() -> None:
    doc = Fetched(
        url="http://e.com/robots.txt",
        status=200,
        headers=(("Content-Type", "text/plain"), ("Link", "<a>"), ("Link", "<b>")),
        body=bytes(range(256)),
        final_url="http://cdn.e.com/robots.txt",
        redirects=((301, "http://cdn.e.com/robots.txt"),),
        fetched_at="2026-01-01T00:00:00.000Z",
        elapsed_ms=1.5,
        truncated=True,
    )
    failed = Fetched(url="http://e.com/", error="timeout")
    site = SiteFetches(
        site="e.com",
        origin="https://e.com",
        robots=doc,
        llms_txt=failed,
        pages=(doc, failed),
        licenses=(doc,),
        skipped=(("http://e.com/x", "disallowed"),),
        started_at="a",
        finished_at="b",
    )
    wire = json.loads(json.dumps(site_to_json(site)))
    assert site_from_json(wire) == site
    assert fetched_from_json(json.loads(json.dumps(fetched_to_json(failed)))) == failed


def test_archive_record_round_trips_and_old_rows_without_it_still_read() -> None:
    record = ArchiveRecord(
        file="crawl.warc.gz",
        offset=1841,
        record_id="<urn:uuid:19AA6549-0B28-4674-BFF8-47ED07E2B48D>",
        date="2013-10-21T21:53:07Z",
        record_type="revisit",
        refers_to="<urn:uuid:a>",
    )
    doc = Fetched(url="http://e.com/robots.txt", status=200, body=b"x", record=record)
    wire = json.loads(json.dumps(fetched_to_json(doc)))
    assert fetched_from_json(wire) == doc
    old = fetched_to_json(Fetched(url="http://e.com/"))
    del old["record"]
    assert fetched_from_json(old) == Fetched(url="http://e.com/")


def test_media_reads_round_trip_with_their_result_and_old_rows_still_read() -> None:
    from crawlcheck.codec import media_fetch_from_json, media_fetch_to_json
    from crawlcheck.media import scan_bytes
    from crawlcheck.model import MediaFetch, RangeRead

    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40  # cut short: a result with problems
    result = scan_bytes(data, source="http://e.com/a.png")
    assert result.problems
    doc = Fetched(
        url="http://e.com/a.png",
        status=206,
        headers=(("Content-Range", "bytes 0-47/48"),),
        body=data,
        ranges=((0, 48),),
    )
    media = MediaFetch(
        url="http://e.com/a.png",
        fetched=doc,
        result=result,
        reads=(RangeRead(asked="bytes=0-16383", status=206, content_range="x", received=48),),
        found_on="http://e.com/",
        how="img",
    )
    wire = json.loads(json.dumps(media_fetch_to_json(media, digests=True)))
    assert media_fetch_from_json(wire) == media
    site = SiteFetches(site="e.com", origin="http://e.com", media=(media,))
    assert site_from_json(json.loads(json.dumps(site_to_json(site)))) == site
    # A site row written before media sampling has no "media"; a fetch none of "ranges".
    old = site_to_json(SiteFetches(site="e.com", origin="http://e.com"))
    assert "media" not in old
    assert site_from_json(old).media == ()
    assert "ranges" not in fetched_to_json(Fetched(url="http://e.com/"))
