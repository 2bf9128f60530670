"""decide_url with an image or document's embedded signals (``media``) as an input.

The media results come from the real planner over real files: the IPTC reference image
(../shared/data/media) and images ExifTool writes in set-up.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from media_support import data_mining, with_xmp

from crawlcheck.decide import Plan, decide_url, plan_for, site_signals
from crawlcheck.media import scan_bytes, scan_path
from crawlcheck.media.signals import media_signals
from crawlcheck.model import Fetched, SiteFetches, UrlVerdict
from crawlcheck.ruleset import Ruleset, load_ruleset

ORIGIN = "https://example.com"
URL = ORIGIN + "/img/a.jpg"
VOCAB = "http://ns.useplus.org/ldf/vocab/"


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return load_ruleset()


def plan(ruleset: Ruleset, robots: str = "", purpose: str = "ai-train") -> Plan:
    def doc(path: str, body: str = "", status: int = 200) -> Fetched:
        return Fetched(
            url=ORIGIN + path, status=status, body=body.encode(), final_url=ORIGIN + path
        )

    fetches = SiteFetches(
        site="example.com",
        origin=ORIGIN,
        robots=doc("/robots.txt", robots),
        ai_txt=doc("/ai.txt", status=404),
        tdmrep=doc("/.well-known/tdmrep.json", status=404),
    )
    return plan_for(site_signals(fetches, ruleset), purpose=purpose, ruleset=ruleset)


def test_an_embedded_reservation_reserves_the_url(ruleset: Ruleset, shared_data: Path) -> None:
    iptc = shared_data / "media/iptc_images/sinfin_folio__IPTC-PhotometadataRef-Std2023.1.jpg"
    media = media_signals(scan_path(iptc, source=URL), URL)
    decision = decide_url(URL, plan(ruleset), media=media)
    assert decision.decision is UrlVerdict.RESERVED
    assert [r.signal for r in decision.reasons] == ["iptc-data-mining"]
    assert decide_url(URL, plan(ruleset)).decision is UrlVerdict.ALLOWED  # without media


def test_purposes_follow_the_value(ruleset: Ruleset, tmp_path: Path) -> None:
    image = with_xmp(tmp_path, "g.jpg", data_mining(VOCAB + "DMI-PROHIBITED-AIMLTRAINING"))
    media = media_signals(scan_path(image, source=URL), URL)
    assert decide_url(URL, plan(ruleset), media=media).decision is UrlVerdict.RESERVED
    search = plan(ruleset, purpose="search")
    assert decide_url(URL, search, media=media).decision is UrlVerdict.ALLOWED


def test_unreadable_media_is_unknown_unless_something_reserves(
    ruleset: Ruleset, tmp_path: Path
) -> None:
    image = with_xmp(tmp_path, "c.jpg", data_mining(VOCAB + "DMI-ALLOWED"))
    cut = image.read_bytes()[:300]
    media = media_signals(scan_bytes(cut, source=URL), URL)
    decision = decide_url(URL, plan(ruleset), media=media)
    assert decision.decision is UrlVerdict.UNKNOWN
    assert decision.problems[0].code == "media.truncated"
    shut = plan(ruleset, "User-agent: GPTBot\nDisallow: /\n", purpose="ai-train")
    with_agent = plan_for(shut.site, purpose="ai-train", agent="GPTBot", ruleset=ruleset)
    assert decide_url(URL, with_agent, media=media).decision is UrlVerdict.RESERVED


def test_a_file_not_read_at_all_is_unknown(ruleset: Ruleset) -> None:
    media = media_signals(None, URL, not_read="robots-disallowed")
    decision = decide_url(URL, plan(ruleset), media=media)
    assert decision.decision is UrlVerdict.UNKNOWN
    assert "robots-disallowed" in decision.problems[0].message


def test_an_embedded_permission_does_not_cancel_a_site_reservation(
    ruleset: Ruleset, tmp_path: Path
) -> None:
    image = with_xmp(tmp_path, "p.jpg", data_mining(VOCAB + "DMI-ALLOWED"))
    media = media_signals(scan_path(image, source=URL), URL)
    shut = plan(ruleset, "User-agent: *\nContent-Signal: ai-train=no\n")
    decision = decide_url(URL, shut, media=media)
    assert decision.decision is UrlVerdict.RESERVED
    assert "iptc-data-mining" in [r.signal for r in decision.reasons]  # shown, not counted
