"""crawlcheck.archive.snapshot: visits become rows, no capture is lost, licences are read."""

from __future__ import annotations

import math
from pathlib import Path

from warc_helpers import Rec, write_fastwarc, write_warcio

from crawlcheck.archive.index import CaptureIndex
from crawlcheck.archive.snapshot import build_from_archives, index_site_files
from crawlcheck.snapshot import Snapshot

SITE = "http://visits.example"


def test_a_crawlers_visit_is_one_row_and_a_refetch_starts_another(tmp_path: Path) -> None:
    archive = write_warcio(
        tmp_path / "v.warc.gz",
        [
            # One visit: robots.txt, ai.txt and tdmrep.json seconds apart.
            Rec(url=SITE + "/robots.txt", date="2023-01-01T00:00:00Z", body=b"User-agent: *\n"),
            Rec(url=SITE + "/ai.txt", date="2023-01-01T00:00:02Z", status=404),
            Rec(url=SITE + "/.well-known/tdmrep.json", date="2023-01-01T00:00:03Z", status=404),
            # robots.txt again two minutes later: a new visit (its own row).
            Rec(url=SITE + "/robots.txt", date="2023-01-01T00:02:00Z", body=b"User-agent: X\n"),
            # An hour later: another visit.
            Rec(url=SITE + "/ai.txt", date="2023-01-01T01:00:00Z", status=404),
        ],
    )
    index = CaptureIndex.build([str(archive)], pages=False)
    ends = [stamp.isoformat() for stamp in index.visits(SITE)]
    assert ends == [
        "2023-01-01T00:00:03+00:00",
        "2023-01-01T00:02:00+00:00",
        "2023-01-01T01:00:00+00:00",
    ]
    manifest, problems = build_from_archives([str(archive)], tmp_path / "snap")
    assert (manifest.origins, manifest.captures, problems) == (1, 3, [])
    with Snapshot(tmp_path / "snap", max_age=math.inf) as snapshot:
        rows = snapshot.captures(SITE)
    bodies = [row.fetches.robots.body if row.fetches.robots else b"" for row in rows]
    assert bodies == [b"User-agent: *\n", b"User-agent: X\n", b"User-agent: X\n"]


def test_robots_txt_licences_are_read_in_a_second_pass(tmp_path: Path) -> None:
    licence = (
        b'<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license/></content></rsl>'
    )
    archive = write_fastwarc(
        tmp_path / "l.warc.gz",
        [
            Rec(
                url=SITE + "/robots.txt",
                date="2023-01-01T00:00:00Z",
                body=b"License: /licence.xml\nUser-agent: *\nAllow: /\n",
            ),
            Rec(
                url=SITE + "/licence.xml",
                date="2023-01-01T00:00:01Z",
                headers=(("Content-Type", "application/rsl+xml"),),
                body=licence,
            ),
            Rec(url="http://other.example/page", date="2023-01-01T00:00:01Z", body=b"x"),
        ],
    )
    index = index_site_files([str(archive)])
    assert index.history(SITE + "/licence.xml")  # read, though not a site-level file
    assert not index.history("http://other.example/page")  # never read
    view = index.site_at(SITE, site_files_only=True)
    (doc,) = view.fetches.licenses
    assert doc.body == licence
    assert doc.record is not None


def test_a_licence_without_a_capture_is_a_failed_fetch_never_absent(tmp_path: Path) -> None:
    archive = write_warcio(
        tmp_path / "n.warc.gz",
        [Rec(url=SITE + "/robots.txt", date="2023-01-01T00:00:00Z", body=b"License: /l.xml\n")],
    )
    view = index_site_files([str(archive)]).site_at(SITE, site_files_only=True)
    (doc,) = view.fetches.licenses
    assert doc.error == "no-capture"
