"""Tests for crawlcheck.crawl.addon: real Scrapy crawls of a third-party spider with the add-on.

Each crawl runs tests/scrapy_addon_crawl.py in a subprocess (the Twisted reactor cannot
be restarted in one process) against the fixture web (tests/fixtureweb/), and the test
reads what the spider saw (items, dropped requests, crawlcheck_decision signals, stats)
alongside the fixture web's own request log. Sites used, with what their YAML expects:

* www.daily-chronicle.example: robots.txt disallows GPTBot, CCBot, ClaudeBot… => reserved
* journal.tidewater-review.example: tdmrep.json reserves ``/`` => reserved (any agent)
* docs.open-trail.example: nothing reserved => allowed
* blog.quiet-garden.example: ``<meta name=robots content=noai>`` on two posts only
* www.overload-station.example: robots.txt 503 => unknown (fail closed)
* www.cutwire-radio.example: robots.txt connection dropped => unknown
* www.six-hops.example: robots.txt after 6 redirects => no rules => allowed
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from webfixture import FixtureWeb

from crawlcheck.crawl.addon import MIDDLEWARE_ORDER, CrawlcheckAddon
from crawlcheck.crawl.middleware import CrawlcheckMiddleware
from crawlcheck.crawl.middleware_settings import DEFAULTS

HERE = Path(__file__).parent
SCRIPT = HERE / "scrapy_addon_crawl.py"
CHRONICLE = "www.daily-chronicle.example"
TIDEWATER = "journal.tidewater-review.example"
OPEN_TRAIL = "docs.open-trail.example"
GARDEN = "blog.quiet-garden.example"
OVERLOAD = "www.overload-station.example"
CUTWIRE = "www.cutwire-radio.example"
SIX_HOPS = "www.six-hops.example"
NOAI_POSTS = ("/posts/sowing-sweet-peas", "/posts/winter-pruning")
PLAIN_POSTS = ("/posts/compost-basics", "/posts/rain-barrels")
MW_PATH = "crawlcheck.crawl.middleware.CrawlcheckMiddleware"


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(paths=[HERE / "fixtureweb"]) as served:
        yield served


def crawl(
    web: FixtureWeb, urls: list[str], *, via: str = "meta", settings: dict[str, Any] | None = None
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """Run the spider over *urls*; route it through the fixture web by meta or http_proxy."""
    config: dict[str, Any] = {"urls": urls, "settings": settings or {}}
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "no_proxy")}
    if via == "meta":
        config["proxy"] = web.proxy_url
    else:
        env["http_proxy"] = web.proxy_url
    result = subprocess.run(
        [sys.executable, str(SCRIPT), json.dumps(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result


def requested(web: FixtureWeb) -> Counter[tuple[str, str]]:
    return Counter((record.host, record.path) for record in web.requests)


# -- the default configuration, next to Scrapy's own robots.txt middleware -------------------


def _default_urls(web: FixtureWeb) -> list[str]:
    return [
        web.url(CHRONICLE, "/"),
        web.url(CHRONICLE, "/news/bridge-repairs"),
        web.url(TIDEWATER, "/"),
        web.url(TIDEWATER, "/articles/coral-survey"),
        web.url(OPEN_TRAIL, "/"),
        web.url(OPEN_TRAIL, "/guide/install"),
        web.url(GARDEN, "/"),
        *(web.url(GARDEN, path) for path in (*NOAI_POSTS, *PLAIN_POSTS)),
        web.url(OVERLOAD, "/"),
        web.url(OVERLOAD, "/menu"),
        web.url(CUTWIRE, "/"),
        web.url(SIX_HOPS, "/"),
    ]


@pytest.fixture(scope="module")
def default_run(web: FixtureWeb) -> tuple[dict[str, Any], Counter[tuple[str, str]]]:
    """Crawl every test URL with ADDONS only (plus ROBOTSTXT_OBEY), through http_proxy."""
    web.clear_log()
    seen, result = crawl(web, _default_urls(web), via="env")
    assert "crawlcheck/crawl/" not in result.stderr  # Scrapy logs its own download errors
    return seen, requested(web)


def test_reserved_and_unknown_requests_are_dropped_before_download(
    default_run: tuple[dict[str, Any], Counter[tuple[str, str]]],
) -> None:
    seen, log = default_run
    for host, path in [
        (CHRONICLE, "/"),
        (CHRONICLE, "/news/bridge-repairs"),
        (TIDEWATER, "/"),
        (TIDEWATER, "/articles/coral-survey"),
        (OVERLOAD, "/"),
        (OVERLOAD, "/menu"),
        (CUTWIRE, "/"),
    ]:
        assert log[(host, path)] == 0, f"{host}{path} was downloaded"
        assert f"http://{host}{path}" in seen["dropped"]
    stats = seen["stats"]
    assert stats["crawlcheck/request/reserved"] == 4
    assert stats["crawlcheck/request/unknown"] == 3
    assert stats["crawlcheck/request/dropped"] == 7


def test_allowed_pages_reach_the_spider_with_their_decision(
    default_run: tuple[dict[str, Any], Counter[tuple[str, str]]],
) -> None:
    seen, _ = default_run
    items = {item["url"]: item for item in seen["items"]}
    expected = {
        f"http://{OPEN_TRAIL}/",
        f"http://{OPEN_TRAIL}/guide/install",
        f"http://{GARDEN}/",
        *(f"http://{GARDEN}{path}" for path in PLAIN_POSTS),
    }
    assert set(items) == expected
    assert {item["decision"] for item in items.values()} == {"allowed"}
    assert seen["stats"]["crawlcheck/request/allowed"] == 7


def test_page_level_noai_drops_the_response_after_download(
    default_run: tuple[dict[str, Any], Counter[tuple[str, str]]],
) -> None:
    seen, log = default_run
    for path in NOAI_POSTS:
        assert log[(GARDEN, path)] == 1  # downloaded: only the page itself says noai
        assert f"http://{GARDEN}{path}" in seen["dropped"]
    stats = seen["stats"]
    assert stats["crawlcheck/response/reserved"] == 2
    assert stats["crawlcheck/response/dropped"] == 2
    assert stats["crawlcheck/response/allowed"] == 5


def test_a_signal_is_sent_for_every_decision(
    default_run: tuple[dict[str, Any], Counter[tuple[str, str]]],
) -> None:
    seen, _ = default_run
    events = seen["events"]
    by_stage = Counter(event["stage"] for event in events)
    assert by_stage == {"request": 14, "response": 7}
    assert all(e["has_response"] == (e["stage"] == "response") for e in events)
    noai = [e for e in events if e["url"] == f"http://{GARDEN}{NOAI_POSTS[0]}"]
    assert [(e["stage"], e["decision"]) for e in noai] == [
        ("request", "allowed"),
        ("response", "reserved"),
    ]


def test_scrapys_robots_middleware_runs_first_and_its_requests_pass(
    default_run: tuple[dict[str, Any], Counter[tuple[str, str]]],
) -> None:
    seen, log = default_run
    stats = seen["stats"]
    # Scrapy follows www.six-hops.example's robots.txt redirects past five hops to /r6
    # (Disallow: /) and forbids the home page: it never reaches crawlcheck, and neither do
    # Scrapy's robots.txt requests or their redirect hops.
    assert stats["robotstxt/forbidden"] == 1
    decided = {e["url"] for e in seen["events"]}
    assert f"http://{SIX_HOPS}/" not in decided
    hops = {f"http://{SIX_HOPS}/r{n}" for n in range(1, 7)}
    assert not [url for url in decided if url.endswith("/robots.txt") or url in hops]
    assert log[(SIX_HOPS, "/r6")] == 1  # read by Scrapy's middleware alone
    # Scrapy's robots.txt request and crawlcheck's are both made (each reads it itself).
    assert log[(OPEN_TRAIL, "/robots.txt")] == 2


def test_site_files_are_fetched_once_per_origin(
    default_run: tuple[dict[str, Any], Counter[tuple[str, str]]],
) -> None:
    seen, log = default_run
    hosts = {CHRONICLE, TIDEWATER, OPEN_TRAIL, GARDEN, OVERLOAD, CUTWIRE}
    for host in hosts:
        assert log[(host, "/ai.txt")] == 1
        assert log[(host, "/.well-known/tdmrep.json")] == 1
        assert log[(host, "/llms.txt")] == 0
    stats = seen["stats"]
    assert stats["crawlcheck/origin/fetched"] == len(hosts)
    assert stats["crawlcheck/origin/unreachable"] == 2
    assert stats["crawlcheck/origin/robots/unreachable"] == 2
    assert stats["crawlcheck/origin/robots/parsed"] == 4


# -- the settings: agent, keep, response checks, per-request proxy ---------------------------


@pytest.fixture(scope="module")
def tuned_run(web: FixtureWeb) -> tuple[dict[str, Any], Counter[tuple[str, str]]]:
    """Crawl with an agent, unknown kept, responses unchecked, no robots/retry middleware."""
    web.clear_log()
    urls = [
        web.url(CHRONICLE, "/"),
        web.url(CHRONICLE, "/admin/login"),
        web.url(TIDEWATER, "/"),
        web.url(GARDEN, NOAI_POSTS[0]),
        web.url(OVERLOAD, "/"),
        web.url(SIX_HOPS, "/"),
    ]
    settings = {
        "ROBOTSTXT_OBEY": False,
        "RETRY_ENABLED": False,
        "CRAWLCHECK_AGENT": "MyDatasetBot",
        "CRAWLCHECK_KEEP": ["allowed", "unknown"],
        "CRAWLCHECK_CHECK_RESPONSES": False,
    }
    seen, _ = crawl(web, urls, via="meta", settings=settings)
    return seen, requested(web)


def test_an_agent_is_decided_by_its_own_groups(
    tuned_run: tuple[dict[str, Any], Counter[tuple[str, str]]],
) -> None:
    seen, log = tuned_run
    decisions = {e["url"]: e["decision"] for e in seen["events"]}
    # MyDatasetBot falls to the * group: only /admin/ is disallowed for it.
    assert decisions[f"http://{CHRONICLE}/"] == "allowed"
    assert decisions[f"http://{CHRONICLE}/admin/login"] == "reserved"
    assert log[(CHRONICLE, "/admin/login")] == 0
    # tdmrep.json speaks for every agent.
    assert decisions[f"http://{TIDEWATER}/"] == "reserved"


def test_keep_unknown_lets_unknown_through_and_responses_can_go_unchecked(
    tuned_run: tuple[dict[str, Any], Counter[tuple[str, str]]],
) -> None:
    seen, log = tuned_run
    items = {item["url"]: item["decision"] for item in seen["items"]}
    assert items == {
        f"http://{CHRONICLE}/": "allowed",
        f"http://{OVERLOAD}/": "unknown",
        f"http://{GARDEN}{NOAI_POSTS[0]}": "allowed",
        f"http://{SIX_HOPS}/": "allowed",  # past 5 redirects: no rules (RFC 9309 §2.3.1.2)
    }
    assert log[(OVERLOAD, "/")] == 1
    assert {e["stage"] for e in seen["events"]} == {"request"}
    assert not any(key.startswith("crawlcheck/response/") for key in seen["stats"])


def test_site_files_follow_the_requests_proxy_and_are_fetched_once(
    tuned_run: tuple[dict[str, Any], Counter[tuple[str, str]]],
) -> None:
    seen, log = tuned_run
    for host in (CHRONICLE, TIDEWATER, GARDEN, OVERLOAD, SIX_HOPS):
        for path in ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json"):
            assert log[(host, path)] == 1, (host, path)
    # Five hops followed and recorded; the sixth is not: /r6 (Disallow: /) is never read.
    assert [log[(SIX_HOPS, f"/r{n}")] for n in range(1, 7)] == [1, 1, 1, 1, 1, 0]
    stats = seen["stats"]
    assert stats["crawlcheck/site_file/request_count"] == 5 * 3 + 5
    assert stats["crawlcheck/origin/robots/unavailable"] == 1


def test_a_bad_setting_stops_the_crawl_with_the_settings_name(web: FixtureWeb) -> None:
    web.clear_log()
    seen, result = crawl(
        web, [web.url(OPEN_TRAIL, "/")], settings={"CRAWLCHECK_PURPOSE": "ai-training"}
    )
    assert "CRAWLCHECK_PURPOSE: unknown purpose 'ai-training'" in result.stderr
    assert seen["items"] == []
    assert web.requests == []


def test_disabled_means_not_configured_and_nothing_checked(web: FixtureWeb) -> None:
    web.clear_log()
    seen, _ = crawl(web, [web.url(TIDEWATER, "/")], settings={"CRAWLCHECK_ENABLED": False})
    assert [(item["url"], item["decision"]) for item in seen["items"]] == [
        (f"http://{TIDEWATER}/", None)
    ]
    assert seen["events"] == []
    assert requested(web)[(TIDEWATER, "/.well-known/tdmrep.json")] == 0


# -- update_settings -------------------------------------------------------------------------


def test_the_addon_enables_the_middleware_just_after_robots_txt() -> None:
    settings = Settings()
    CrawlcheckAddon().update_settings(settings)
    # getwithbase, not Scrapy 2.16's get_component_priority_dict_with_base: 2.15 is supported.
    order = dict(settings.getwithbase("DOWNLOADER_MIDDLEWARES").items())
    robots = order["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"]
    assert order[CrawlcheckMiddleware] == MIDDLEWARE_ORDER
    others = [v for k, v in order.items() if k is not CrawlcheckMiddleware and v is not None]
    assert robots < MIDDLEWARE_ORDER < min(v for v in others if v > robots)
    assert settings.getbool("CRAWLCHECK_ENABLED") is True
    assert settings["CRAWLCHECK_PURPOSE"] == "ai-train"
    assert settings.getpriority("CRAWLCHECK_PURPOSE") == 15  # "addon"


def test_the_users_own_settings_win_over_the_addon() -> None:
    settings = Settings(
        {
            "DOWNLOADER_MIDDLEWARES": {MW_PATH: 543},
            "CRAWLCHECK_PURPOSE": "tdm",
            "CRAWLCHECK_ENABLED": False,
        }
    )
    CrawlcheckAddon().update_settings(settings)
    assert settings.getdict("DOWNLOADER_MIDDLEWARES")[MW_PATH] == 543
    assert settings["CRAWLCHECK_PURPOSE"] == "tdm"
    assert settings.getbool("CRAWLCHECK_ENABLED") is False


def test_every_setting_is_documented_in_order() -> None:
    doc = (HERE.parent / "docs" / "scrapy-addon.md").read_text(encoding="utf-8")
    table = doc.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert documented == sorted(DEFAULTS)
    assert 'ADDONS = {\n    "crawlcheck.crawl.addon.CrawlcheckAddon": 0,\n}' in doc
