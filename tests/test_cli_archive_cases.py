"""``audit --from-warc`` on what real archives hold: revisits, stored redirects, truncation,
several captures (latest by default, ``--at`` for another moment). Archives are written with
warcio's own writer; the CLI runs as a subprocess."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cliproc import run_cli
from warc_helpers import Rec, write_warcio

SITE = "http://cases.example"
MOVED = "http://moved.example"
GPTBOT_OUT = b"User-agent: GPTBot\nDisallow: /\n"
ABSENT = ("/ai.txt", "/.well-known/tdmrep.json", "/llms.txt")


def absent_files(origin: str, date: str) -> list[Rec]:
    return [Rec(url=origin + p, date=date, status=404, body=b"no") for p in ABSENT]


def audit(archive: Path, *extra: str) -> dict[str, Any]:
    result = run_cli(["audit", SITE, "--format", "json", "--from-warc", str(archive), *extra])
    assert result.returncode == 0, result.stderr
    (site,) = json.loads(result.stdout)["sites"]
    return site


def test_the_latest_capture_speaks_unless_at_names_another(tmp_path: Path) -> None:
    archive = write_warcio(
        tmp_path / "a.warc.gz",
        [
            Rec(url=SITE + "/robots.txt", date="2023-01-01T00:00:00Z", body=b"User-agent: *\n"),
            *absent_files(SITE, "2023-01-01T00:00:00Z"),
            Rec(url=SITE + "/robots.txt", date="2023-05-01T00:00:00Z", body=GPTBOT_OUT),
            *absent_files(SITE, "2023-05-01T00:00:00Z"),
        ],
    )
    latest = audit(archive)
    assert latest["agents"]["GPTBot"]["robots"] == "disallowed"
    assert "2023-05-01T00:00:00Z" in latest["agents"]["GPTBot"]["evidence"]
    earlier = audit(archive, "--at", "2023-01-20")
    assert earlier["agents"]["GPTBot"]["robots"] == "allowed"
    before = audit(archive, "--at", "2022-06-01")
    assert set(before["verdicts"].values()) == {"unknown"}
    # 31 days after the only earlier capture: outside the 30-day window, so unknown…
    stale = audit(archive, "--at", "2023-02-01")
    assert stale["agents"]["GPTBot"]["robots"] == "unreachable"
    # … unless the window is widened.
    wide = audit(archive, "--at", "2023-02-01", "--window", "60d")
    assert wide["agents"]["GPTBot"]["robots"] == "allowed"


def test_a_truncated_robots_txt_is_unknown_never_a_permission(tmp_path: Path) -> None:
    archive = write_warcio(
        tmp_path / "t.warc.gz",
        [
            Rec(
                url=SITE + "/robots.txt",
                date="2023-01-01T00:00:00Z",
                body=b"User-agent: *\nAllow: /\n",
                warc_headers=(("WARC-Truncated", "length"),),
            ),
            *absent_files(SITE, "2023-01-01T00:00:00Z"),
        ],
    )
    site = audit(archive)
    assert site["agents"]["GPTBot"]["robots"] == "unreachable"
    assert site["verdicts"]["ai-train"] == "unknown"
    assert "archive.truncated" in {p["code"] for p in site["problems"]}


def test_a_revisit_reads_its_originals_payload(tmp_path: Path) -> None:
    digest = "sha1:" + base64.b32encode(hashlib.sha1(GPTBOT_OUT).digest()).decode()
    archive = write_warcio(
        tmp_path / "r.warc.gz",
        [
            Rec(url=SITE + "/robots.txt", date="2023-01-01T00:00:00Z", body=GPTBOT_OUT),
            Rec(
                url=SITE + "/robots.txt",
                date="2023-03-01T00:00:00Z",
                kind="revisit",
                headers=(("Content-Type", "text/plain"),),
                warc_headers=(
                    (
                        "WARC-Profile",
                        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
                    ),
                    ("WARC-Payload-Digest", digest),
                ),
            ),
            *absent_files(SITE, "2023-03-01T00:00:00Z"),
        ],
    )
    site = audit(archive)
    assert site["agents"]["GPTBot"]["robots"] == "disallowed"
    assert "archive revisit record" in site["agents"]["GPTBot"]["evidence"]


def test_a_stored_redirect_of_robots_txt_is_followed(tmp_path: Path) -> None:
    archive = write_warcio(
        tmp_path / "d.warc.gz",
        [
            Rec(
                url=SITE + "/robots.txt",
                date="2023-01-01T00:00:00Z",
                status=301,
                headers=(("Location", MOVED + "/robots.txt"),),
            ),
            Rec(url=MOVED + "/robots.txt", date="2023-01-01T00:00:05Z", body=GPTBOT_OUT),
            *absent_files(SITE, "2023-01-01T00:00:00Z"),
        ],
    )
    site = audit(archive)
    # RFC 9309 §2.3.1.2: the target's rules apply to the initial origin.
    assert site["agents"]["GPTBot"]["robots"] == "disallowed"
    (robots,) = [f for f in site["fetches"] if f["url"] == SITE + "/robots.txt"]
    assert robots["final_url"] == MOVED + "/robots.txt"
