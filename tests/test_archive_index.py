"""crawlcheck.archive.index: the capture chosen for a time, redirects, revisits, WAT, evaluation."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from warc_helpers import Rec, write_fastwarc, write_warcio

from crawlcheck.archive.captures import Capture, parse_warc_date
from crawlcheck.archive.index import CaptureIndex, select_capture
from crawlcheck.evaluate import evaluate_site
from crawlcheck.model import Fetched
from crawlcheck.ruleset import load_ruleset

ORIGIN = "https://site.example"
DISALLOW_GPTBOT = b"User-agent: GPTBot\nDisallow: /\n"
ALLOW_ALL = b"User-agent: *\nAllow: /\n"
DAY = datetime.timedelta(days=1)


def at(text: str) -> datetime.datetime:
    stamp = parse_warc_date(text)
    assert stamp is not None
    return stamp


def index_of(tmp_path: Path, records: list[Rec], name: str = "a.warc.gz") -> CaptureIndex:
    return CaptureIndex.build([str(write_warcio(tmp_path / name, records))])


def robots_history(tmp_path: Path) -> CaptureIndex:
    """robots.txt: allow-all in January, GPTBot disallowed from March, a 503 in June.

    March also has the other site files (all 404) and the home page.
    """
    absent = [
        Rec(url=f"{ORIGIN}{path}", date="2024-03-01T00:00:01Z", status=404)
        for path in ("/ai.txt", "/.well-known/tdmrep.json", "/llms.txt")
    ]
    return index_of(
        tmp_path,
        [
            *absent,
            Rec(url=f"{ORIGIN}/robots.txt", date="2024-03-01T00:00:00Z", body=DISALLOW_GPTBOT),
            Rec(url=f"{ORIGIN}/robots.txt", date="2024-01-01T00:00:00Z", body=ALLOW_ALL),
            Rec(url=f"{ORIGIN}/robots.txt", date="2024-06-01T00:00:00Z", status=503),
            Rec(
                url=f"{ORIGIN}/",
                date="2024-03-01T00:00:05Z",
                headers=(("Content-Type", "text/html"),),
                body=b"<html><head><title>x</title></head></html>",
            ),
        ],
    )


@pytest.mark.parametrize(
    ("when", "body", "status"),
    [
        ("2024-01-01T00:00:00Z", ALLOW_ALL, 200),  # the capture's own second
        ("2024-01-20T00:00:00Z", ALLOW_ALL, 200),
        ("2024-03-10T12:00:00Z", DISALLOW_GPTBOT, 200),
        ("2024-03-31T00:00:00Z", DISALLOW_GPTBOT, 200),  # 30 days after: still in the window
        ("2024-06-02T00:00:00Z", b"", 503),  # the latest word, even unreadable, decides
    ],
)
def test_the_latest_capture_at_or_before_the_time_decides(
    tmp_path: Path, when: str, body: bytes, status: int
) -> None:
    index = robots_history(tmp_path)
    chosen = select_capture(index.history(f"{ORIGIN}/robots.txt"), at(when), 30 * DAY)
    assert chosen is not None
    assert (chosen.fetched.status, chosen.fetched.body) == (status, body)


@pytest.mark.parametrize(
    ("when", "window"),
    [
        ("2023-12-31T23:59:59Z", 30 * DAY),  # before the first capture
        ("2024-04-01T00:00:01Z", 30 * DAY),  # the March capture is 31 days old
        ("2024-01-02T00:00:01Z", DAY),  # RFC 9309 §2.4's 24 hours
    ],
)
def test_no_capture_in_the_window_is_none(
    tmp_path: Path, when: str, window: datetime.timedelta
) -> None:
    index = robots_history(tmp_path)
    assert select_capture(index.history(f"{ORIGIN}/robots.txt"), at(when), window) is None


def test_no_capture_is_unknown_never_allowed(tmp_path: Path) -> None:
    index = robots_history(tmp_path)
    site = index.site_at(ORIGIN, at("2024-05-15T00:00:00Z"))
    assert site.fetches.robots is not None
    assert site.fetches.robots.error == "no-capture"
    report = evaluate_site(site.fetches, load_ruleset([]))
    assert {v.verdict for v in report.verdicts} == {"unknown"}
    assert {a.robots for a in report.agents} == {"unreachable"}


def test_each_time_gets_its_own_answer(tmp_path: Path) -> None:
    index = robots_history(tmp_path)
    ruleset = load_ruleset([])
    january = evaluate_site(index.site_at(ORIGIN, at("2024-01-15T00:00:00Z")).fetches, ruleset)
    march = evaluate_site(index.site_at(ORIGIN, at("2024-03-15T00:00:00Z")).fetches, ruleset)
    gptbot = {r.token: r.robots for r in march.agents}["GPTBot"]
    assert gptbot == "disallowed"
    assert {r.token: r.robots for r in january.agents}["GPTBot"] == "allowed"
    assert march.verdict("ai-train") == "partial"
    # January has no capture of the other site files nor of a page in the window: what
    # they say is unknown, so no verdict can be "not-reserved".
    assert january.verdict("ai-train") == "unknown"
    assert january.verdict("search") == "unknown"


def test_which_capture_decided_is_named(tmp_path: Path) -> None:
    index = robots_history(tmp_path)
    site = index.site_at(ORIGIN, at("2024-03-15T00:00:00Z"))
    decided = dict(site.decided_by)
    (record,) = decided[f"{ORIGIN}/robots.txt"]
    assert record.date == "2024-03-01T00:00:00Z"
    (ai_txt,) = decided[f"{ORIGIN}/ai.txt"]
    assert ai_txt.date == "2024-03-01T00:00:01Z"
    later = dict(index.site_at(ORIGIN, at("2024-06-15T00:00:00Z")).decided_by)
    assert later[f"{ORIGIN}/ai.txt"] == ()  # the March capture is out of the window by June


def test_latest_view_without_a_time(tmp_path: Path) -> None:
    index = robots_history(tmp_path)
    site = index.site_at(ORIGIN)
    assert site.at == at("2024-06-01T00:00:00Z")
    assert site.fetches.robots is not None
    assert site.fetches.robots.status == 503


def redirect(url: str, target: str, date: str, status: int = 301) -> Rec:
    return Rec(url=url, date=date, status=status, headers=(("Location", target),))


def test_wget_sample_robots_redirect_is_followed_across_origins(shared_data: Path) -> None:
    path = shared_data / "media" / "warc" / "iipc_webarchive-commons__IAH-urls-wget.warc.gz"
    index = CaptureIndex.build([str(path)])
    robots = index.site_at("http://www.archive.org").fetches.robots
    assert robots is not None
    assert robots.status == 200
    assert robots.redirects == ((302, "http://archive.org/robots.txt"),)
    assert robots.url == "http://www.archive.org/robots.txt"
    assert robots.final_url == "http://archive.org/robots.txt"
    report = evaluate_site(index.site_at("http://www.archive.org").fetches, load_ruleset([]))
    # RFC 9309 §2.3.1.2: the target's rules apply to the first origin.
    assert report.findings
    assert {f.source for f in report.findings if f.signal == "robots.txt"} == {
        "http://archive.org/robots.txt"
    }


def test_five_hops_are_followed_a_sixth_is_too_many(tmp_path: Path) -> None:
    date = "2025-01-01T00:00:00Z"
    hops = [f"{ORIGIN}/robots.txt", *(f"https://h{i}.example/robots.txt" for i in range(6))]
    records = [redirect(hops[i], hops[i + 1], date) for i in range(6)]
    records.append(Rec(url=hops[6], date=date, body=DISALLOW_GPTBOT))
    index = index_of(tmp_path, records)
    too_many = index.resolve(hops[0], at(date)).fetched
    assert too_many.error == "too-many-redirects"
    assert len(too_many.redirects) == 6
    five = index.resolve(hops[1], at(date)).fetched
    assert (five.status, five.body, five.error, len(five.redirects)) == (
        200,
        DISALLOW_GPTBOT,
        None,
        5,
    )


def test_redirect_loop_and_missing_target(tmp_path: Path) -> None:
    date = "2025-01-01T00:00:00Z"
    index = index_of(
        tmp_path,
        [
            redirect(f"{ORIGIN}/robots.txt", f"{ORIGIN}/r.txt", date),
            redirect(f"{ORIGIN}/r.txt", f"{ORIGIN}/robots.txt", date),
            redirect("https://gone.example/robots.txt", "https://nowhere.example/robots.txt", date),
            Rec(url="https://bad.example/robots.txt", date=date, status=302),
        ],
    )
    assert index.resolve(f"{ORIGIN}/robots.txt", at(date)).fetched.error == "redirect-loop"
    missing = index.resolve("https://gone.example/robots.txt", at(date)).fetched
    assert (missing.error, missing.final_url) == (
        "no-capture",
        "https://nowhere.example/robots.txt",
    )
    no_location = index.resolve("https://bad.example/robots.txt", at(date)).fetched
    assert no_location.error == "redirect-invalid"


def test_a_redirect_target_is_the_capture_nearest_the_hop(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        [
            redirect(
                f"{ORIGIN}/robots.txt", "https://cdn.example/robots.txt", "2025-01-01T00:00:00Z"
            ),
            Rec(url="https://cdn.example/robots.txt", date="2024-12-01T00:00:00Z", body=ALLOW_ALL),
            Rec(
                url="https://cdn.example/robots.txt",
                date="2025-01-01T00:00:02Z",
                body=DISALLOW_GPTBOT,
            ),
        ],
    )
    fetched = index.resolve(f"{ORIGIN}/robots.txt", at("2025-01-01T00:00:00Z")).fetched
    assert fetched.body == DISALLOW_GPTBOT


def test_pages_do_not_follow_redirects_off_their_origin(tmp_path: Path) -> None:
    date = "2025-01-01T00:00:00Z"
    index = index_of(tmp_path, [redirect(f"{ORIGIN}/", "https://elsewhere.example/", date)])
    assert index.resolve(f"{ORIGIN}/", at(date), page=True).fetched.error == "offsite-redirect"


def test_revisits_take_their_original_payload(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / "media" / "warc" / "webrecorder_warcio__example.warc.gz"
    index = CaptureIndex.build([str(path)])
    first, second = index.history("http://example.com/")
    resolved = index.resolve("http://example.com/", second.at).fetched
    assert resolved.status == 200
    assert b"Example Domain" in resolved.body
    assert resolved.record is not None
    assert resolved.record.record_type == "revisit"
    assert resolved.record.refers_to == first.fetched.record.record_id  # type: ignore[union-attr]


def test_a_revisit_of_robots_txt_without_its_original_is_unknown(tmp_path: Path) -> None:
    date = "2025-01-01T00:00:00Z"
    revisit = Rec(
        url=f"{ORIGIN}/robots.txt",
        date=date,
        kind="revisit",
        warc_headers=(
            ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
            ("WARC-Payload-Digest", "sha1:AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH"),
        ),
    )
    index = index_of(tmp_path, [revisit])
    site = index.site_at(ORIGIN, at(date))
    assert site.fetches.robots is not None
    assert site.fetches.robots.error == "revisit-unresolved"
    assert [p.code for p in site.problems] == ["archive.revisit-unresolved"]
    report = evaluate_site(site.fetches, load_ruleset([]))
    assert {a.robots for a in report.agents} == {"unreachable"}


def test_revisit_resolved_by_refers_to_across_files(tmp_path: Path) -> None:
    original = write_fastwarc(
        tmp_path / "one.warc.gz",
        [Rec(url=f"{ORIGIN}/robots.txt", date="2025-01-01T00:00:00Z", body=DISALLOW_GPTBOT)],
    )
    first = CaptureIndex.build([str(original)]).history(f"{ORIGIN}/robots.txt")[0]
    assert first.fetched.record is not None
    revisit = write_warcio(
        tmp_path / "two.warc.gz",
        [
            Rec(
                url=f"{ORIGIN}/robots.txt",
                date="2025-02-01T00:00:00Z",
                kind="revisit",
                warc_headers=(("WARC-Refers-To", first.fetched.record.record_id),),
            )
        ],
    )
    index = CaptureIndex.build([str(revisit), str(original)])
    fetched = index.resolve(f"{ORIGIN}/robots.txt", at("2025-02-02T00:00:00Z")).fetched
    assert (fetched.body, fetched.fetched_at) == (DISALLOW_GPTBOT, "2025-02-01T00:00:00.000Z")


def wat_record(url: str, metas: list[dict[str, str]], headers: dict[str, str]) -> bytes:
    """Return a WAT JSON record as ia-web-commons writes one for an HTML response."""
    return json.dumps(
        {
            "Container": {"Filename": "CC-MAIN-x.warc.gz", "Offset": "1234"},
            "Envelope": {
                "WARC-Header-Metadata": {
                    "WARC-Type": "response",
                    "WARC-Date": "2024-05-18T01:58:10Z",
                    "WARC-Record-ID": "<urn:uuid:described>",
                    "WARC-Target-URI": url,
                },
                "Payload-Metadata": {
                    "HTTP-Response-Metadata": {
                        "Response-Message": {"Status": "200", "Version": "HTTP/1.1"},
                        "Headers": headers,
                        "HTML-Metadata": {"Head": {"Title": "t", "Metas": metas}},
                    }
                },
            },
        }
    ).encode()


def test_wat_metadata_gives_the_page_signals_with_both_records(tmp_path: Path) -> None:
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "x.warc.wat.gz"
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, body in (
            (f"{ORIGIN}/", wat_record(f"{ORIGIN}/", [{"name": "robots", "content": "noai"}], {})),
            (
                f"{ORIGIN}/robots.txt",
                b'{"Envelope": {"WARC-Header-Metadata": {}, '
                b'"Payload-Metadata": {"HTTP-Response-Metadata": {}}}}',
            ),
        ):
            record = writer.create_warc_record(
                url,
                "metadata",
                payload=io.BytesIO(body),
                warc_content_type="application/json",
                warc_headers_dict={"WARC-Date": "2024-05-31T01:17:49Z"},
                length=len(body),
            )
            writer.write_record(record)
    index = CaptureIndex.build([str(path)])
    assert index.history(f"{ORIGIN}/robots.txt") == ()  # a WAT never stands for a site file
    (page,) = index.history(f"{ORIGIN}/")
    assert page.fetched.fetched_at == "2024-05-18T01:58:10.000Z"  # the response's time
    site = index.site_at(ORIGIN, at("2024-05-20T00:00:00Z"))
    report = evaluate_site(site.fetches, load_ruleset([]))
    noai = [f for f in report.findings if f.signal == "meta-robots" and f.key == "noai"]
    assert noai
    record = site.fetches.pages[0].record
    assert record is not None
    assert record.refers_to == "<urn:uuid:described> (CC-MAIN-x.warc.gz offset 1234)"


def test_damaged_files_are_problems_of_the_index(tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"not an archive")
    index = CaptureIndex.build([str(junk), str(tmp_path / "missing.warc.gz")])
    assert [p.code for p in index.problems] == ["archive.not-an-archive", "archive.unreadable"]
    assert index.origins() == []


def test_captures_are_fetched_values(tmp_path: Path) -> None:
    index = robots_history(tmp_path)
    for capture in index.history(f"{ORIGIN}/robots.txt"):
        assert isinstance(capture, Capture)
        assert isinstance(capture.fetched, Fetched)


def test_findings_name_the_record_they_were_read_from(shared_data: Path) -> None:
    from crawlcheck.archive.evidence import cite_records

    path = shared_data / "media" / "warc" / "iipc_webarchive-commons__IAH-urls-wget.warc.gz"
    view = CaptureIndex.build([str(path)]).site_at("http://www.archive.org")
    report = cite_records(evaluate_site(view.fetches, load_ruleset([])), view.fetches)
    robots = [f for f in report.findings if f.source == "http://archive.org/robots.txt"]
    assert robots
    assert all("<urn:uuid:19AA6549-0B28-4674-BFF8-47ED07E2B48D>" in f.evidence for f in robots)
    assert all("offset 1841" in f.evidence for f in robots)


@pytest.mark.parametrize("text", ["", "30", "d", "0d", "-1d", "3w", "1.5d"])
def test_bad_windows_are_usage_errors(text: str) -> None:
    from crawlcheck.archive.index import parse_window
    from crawlcheck.errors import UsageError

    with pytest.raises(UsageError):
        parse_window(text)


def test_bad_times_are_usage_errors() -> None:
    from crawlcheck.archive.index import parse_time
    from crawlcheck.errors import UsageError

    with pytest.raises(UsageError):
        parse_time("last tuesday")
    assert parse_time("2023-06-15T12:00:00+02:00") == at("2023-06-15T10:00:00Z")


def test_site_files_only_index_skips_pages(tmp_path: Path) -> None:
    path = write_warcio(
        tmp_path / "a.warc.gz",
        [
            Rec(url=f"{ORIGIN}/robots.txt", date="2024-01-01T00:00:00Z", body=ALLOW_ALL),
            Rec(url=f"{ORIGIN}/", date="2024-01-01T00:00:01Z", body=b"<html></html>"),
        ],
    )
    index = CaptureIndex.build([str(path)], pages=False)
    assert len(index.history(f"{ORIGIN}/robots.txt")) == 1
    assert index.history(f"{ORIGIN}/") == ()


def test_a_revisit_without_http_head_takes_the_original_head_by_digest(tmp_path: Path) -> None:
    original = write_warcio(
        tmp_path / "one.warc.gz",
        [Rec(url=f"{ORIGIN}/robots.txt", date="2025-01-01T00:00:00Z", body=DISALLOW_GPTBOT)],
    )
    (first,) = CaptureIndex.build([str(original)]).history(f"{ORIGIN}/robots.txt")
    digest = first.payload_digest
    revisit = write_fastwarc(
        tmp_path / "two.warc.gz",
        [
            Rec(
                url=f"{ORIGIN}/robots.txt",
                date="2025-03-01T00:00:00Z",
                kind="revisit",
                raw_http=b"",
                warc_headers=(("WARC-Payload-Digest", digest),),
            )
        ],
    )
    index = CaptureIndex.build([str(original), str(revisit)])
    fetched = index.resolve(f"{ORIGIN}/robots.txt", at("2025-03-02T00:00:00Z")).fetched
    assert (fetched.status, fetched.body, fetched.error) == (200, DISALLOW_GPTBOT, None)
    assert fetched.fetched_at == "2025-03-01T00:00:00.000Z"
