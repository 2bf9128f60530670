"""Tests for crawlcheck.decide.checker: real crawls of the fixture web through its proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from webfixture import FixtureWeb, load_sites, parse_site

from crawlcheck.cache import OriginCache
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.decide.checker import (
    LARGEST_SITE_WINDOW,
    MALFORMED,
    PAGE_WINDOW,
    SITE_WINDOW,
    UrlChecker,
    check_url,
    check_urls,
)
from crawlcheck.demo.sites import SiteDef
from crawlcheck.errors import UsageError
from crawlcheck.model import Fetched, SiteFetches
from crawlcheck.parsers.pattern import path_of
from crawlcheck.report.document import decision_to_dict
from crawlcheck.urls import decision_paths, malformed_reason, origin_of, origins_and_paths

SITES = Path(__file__).parent / "data" / "urlcheck" / "sites.yaml"
MANY = 24  # generated origins for the input-order test


def many_sites() -> list[SiteDef]:
    """Return MANY small sites: even ones shut GPTBot out, odd ones are open."""
    sites = []
    for i in range(MANY):
        rules = "User-agent: GPTBot\nDisallow: /\n" if i % 2 == 0 else "User-agent: *\nDisallow:\n"
        spec = {
            "host": f"n{i}.example",
            "resources": {
                "/robots.txt": {"body": rules},
                "*": {"status": 404, "content_type": "text/plain", "body": "no\n"},
            },
        }
        sites.append(parse_site(spec))
    return sites


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb([*load_sites(SITES), *many_sites()]) as server:
        yield server


@pytest.fixture(scope="module")
def options(web: FixtureWeb) -> CrawlOptions:
    return CrawlOptions(proxy=web.proxy_url, timeout=5, retries=0)


def robots_requests(web: FixtureWeb) -> list[str]:
    return sorted(r.host for r in web.requests if r.path == "/robots.txt")


# -- malformed input: no network at all ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://example.com/a?b#c", "https://example.com"),
        ("HTTP://Example.COM:80/x", "http://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://user:pw@example.com/", "http://example.com"),
        ("http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080"),
        ("http://bücher.example/", "http://xn--bcher-kva.example"),
    ],
)
def test_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("ftp://example.com/", "scheme 'ftp'"),
        ("example.com/a", "not an absolute URL"),
        ("http:///a", "no host"),
        ("http://exa mple.com/", "whitespace"),
        ("http://example.com/\x00", "control"),
        ("http://example.com:99999/", "invalid port"),
        ("http://example.com:0/", "invalid port"),
        ("http://[::1/", "cannot be parsed"),
        ("http://example.com/" + "a" * 9000, "longer than"),
    ],
)
def test_malformed_urls_are_problems(url: str, message: str) -> None:
    assert origin_of(url) is None
    reason = malformed_reason(url)
    assert reason is not None
    assert message in reason
    [decision] = check_urls([url], cache=None)
    assert decision.decision == "unknown"
    assert [p.code for p in decision.problems] == [MALFORMED]


@given(st.one_of(st.text(), st.from_regex(r"https?://[^/]{0,20}(:[0-9]{0,7})?/.{0,10}")))
def test_origin_of_never_raises(url: str) -> None:
    found = origin_of(url)
    assert (found is None) == (malformed_reason(url) is not None)
    assert found is None or found.startswith(("http://", "https://"))


_URL_PIECES = st.sampled_from(
    [
        "https://",
        "http://",
        "HTTP://",
        "a.test",
        "A.Test",
        ":8080",
        ":443",
        ":0",
        "/",
        "?",
        "#",
        "%41",
        "%2f",
        ".",
        "..",
        "/./",
        "\\",
        " ",
        "\x00",
        "é",
        ";",
        "@",
        "*",
        "$",
        "x",
    ]
)


@given(st.lists(_URL_PIECES, max_size=12).map("".join))
def test_a_plain_url_read_in_one_pass_has_one_decision_path(url: str) -> None:
    """origins_and_paths reads origins as origin_of does; a path it gives is the only form."""
    url = "https://a.test/" + url if not url.startswith("http") else url
    [origin], [path] = origins_and_paths([url])
    assert origin == origin_of(url)
    if path is not None:
        assert path == path_of(url)
        assert decision_paths(path) == (path,)


def test_malformed_input_is_unknown_never_raised_and_fetches_nothing(web: FixtureWeb) -> None:
    web.clear_log()
    items: list[object] = ["not a url", b"\xff\xfe", 42, "mailto:a@b.c"]
    decisions = list(check_urls(items, cache=None))  # type: ignore[arg-type]
    assert [d.decision for d in decisions] == ["unknown"] * 4
    assert all(d.problems[0].code == MALFORMED for d in decisions)
    assert decisions[1].url == "\\xff\\xfe"
    assert decisions[2].problems[0].message == "not a string: int"
    assert web.requests == []


def test_unknown_purpose_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown purpose 'training'"):
        list(check_urls(["https://example.com/"], purpose="training", cache=None))


# -- site-level files -------------------------------------------------------------------


def test_decisions_cache_and_expiry(web: FixtureWeb, options: CrawlOptions, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite3"
    urls = [
        "http://open.example/a",
        "http://open.example/noai-header",  # its header is not read without pages
        "http://gptbot.example/anything",
        "http://tdm.example/books/1",
        "http://tdm.example/blog",
        "http://down.example/",
        "http://maxage.example/x",
        "http://undefined-host.example/",  # the fixture answers 502: unreachable
        "ftp://nope",
    ]
    web.clear_log()
    first = {d.url: d for d in check_urls(iter(urls), cache=cache, options=options)}
    assert list(first) == urls
    decisions = {url: d.decision for url, d in first.items()}
    assert decisions == {
        "http://open.example/a": "allowed",
        "http://open.example/noai-header": "allowed",
        "http://gptbot.example/anything": "reserved",
        "http://tdm.example/books/1": "reserved",
        "http://tdm.example/blog": "allowed",
        "http://down.example/": "unknown",
        "http://maxage.example/x": "allowed",
        "http://undefined-host.example/": "unknown",
        "ftp://nope": "unknown",
    }
    gpt = first["http://gptbot.example/anything"].reasons[0]
    assert (gpt.signal, gpt.agents, gpt.source) == (
        "robots.txt",
        ("GPTBot",),
        "http://gptbot.example/robots.txt",
    )
    assert "line 2: Disallow: /" in gpt.evidence
    assert first["http://tdm.example/books/1"].reasons[0].signal == "tdmrep.json"
    assert first["http://down.example/"].problems[0].code == "robots.unreachable"
    hosts = {"open", "gptbot", "tdm", "down", "maxage", "undefined-host"}
    assert robots_requests(web) == sorted(f"{h}.example" for h in hosts)
    assert not [r for r in web.requests if r.path in ("/a", "/noai-header")]

    # Second run: everything comes from the cache except the max-age=0 robots.txt.
    web.clear_log()
    second = list(check_urls(urls, cache=cache, options=options))
    assert [d.decision for d in second] == list(decisions.values())
    assert robots_requests(web) == ["maxage.example"]
    with OriginCache(cache) as stored:
        assert len(stored) == len(hosts)


def test_agent_specific_and_default(web: FixtureWeb, options: CrawlOptions, tmp_path: Path) -> None:
    cache = OriginCache(tmp_path / "c.sqlite3")
    url = "http://gptbot.example/page"
    by_agent = {
        agent: next(check_urls([url], agent, cache=cache, options=options)).decision
        for agent in (None, "GPTBot", "gptbot", "ClaudeBot")
    }
    assert by_agent == {
        None: "reserved",  # GPTBot is a catalogued ai-train agent
        "GPTBot": "reserved",
        "gptbot": "reserved",  # user-agent values match case-insensitively
        "ClaudeBot": "allowed",
    }
    # search: GPTBot is no search crawler, so the file reserves nothing for it.
    assert next(check_urls([url], purpose="search", cache=cache, options=options)).decision == (
        "allowed"
    )
    cache.close()


def test_input_order_with_many_origins_and_windows(web: FixtureWeb, options: CrawlOptions) -> None:
    urls = [f"http://n{(i * 7) % MANY}.example/p{i}" for i in range(3 * MANY)]
    web.clear_log()

    def generate() -> Iterator[str]:
        yield from urls

    checker_out = list(check_urls(generate(), cache=None, options=options, window=10))
    assert [d.url for d in checker_out] == urls
    for decision in checker_out:
        site = int(decision.url.split(".")[0].removeprefix("http://n"))
        assert decision.decision == ("reserved" if site % 2 == 0 else "allowed"), decision
    # Once per run, although origins recur across windows and nothing is cached.
    assert robots_requests(web) == sorted(f"n{i}.example" for i in range(MANY))


# -- the pages themselves ---------------------------------------------------------------


def test_pages_read_their_own_headers_and_meta(
    web: FixtureWeb, options: CrawlOptions, tmp_path: Path
) -> None:
    urls = [
        "http://open.example/a",
        "http://open.example/noai-header",
        "http://open.example/noai-meta",
        "http://open.example/missing",
    ]
    decisions = list(check_urls(urls, pages=True, cache=tmp_path / "c", options=options))
    assert [d.decision for d in decisions] == ["allowed", "reserved", "reserved", "unknown"]
    header = decisions[1].reasons[0]
    assert (header.signal, header.source) == ("x-robots-tag", "http://open.example/noai-header")
    assert header.evidence == "header X-Robots-Tag: noai"
    assert decisions[2].reasons[0].signal == "meta-robots"
    assert decisions[3].problems[0].code == "page.http-error"


def test_check_url_reads_the_page_and_never_fetches_what_robots_disallows(
    web: FixtureWeb, options: CrawlOptions, tmp_path: Path
) -> None:
    web.clear_log()
    decision = check_url("http://open.example/private/x", cache=tmp_path / "c", options=options)
    assert decision.url == "http://open.example/private/x"
    # The * group's Disallow: /private keeps every catalogued ai-train agent out; it keeps
    # crawlcheck out as well, so the page itself is not fetched.
    assert decision.decision == "reserved"
    assert decision.reasons[0].signal == "robots.txt"
    assert [p.code for p in decision.problems] == ["page.fetch-failed"]
    assert "/private/x" not in [r.path for r in web.requests]
    data = decision_to_dict(decision)
    assert list(data)[:3] == ["url", "decision", "reasons"]


def test_windows_grow_while_their_origins_fit_in_memory(tmp_path: Path) -> None:
    """Windows double up to the largest while a window meets few origins, then halve."""
    origins = [f"https://w{n}.test" for n in range(3)]
    with OriginCache(tmp_path / "cache.sqlite3") as cache:
        cache.put_many(
            SiteFetches(
                site=origin,
                origin=origin,
                robots=Fetched(
                    url=f"{origin}/robots.txt",
                    status=200,
                    body=b"User-agent: GPTBot\nDisallow: /\n",
                    final_url=f"{origin}/robots.txt",
                    fetched_at="2026-01-01T00:00:00Z",
                ),
            )
            for origin in origins
        )
    with UrlChecker("GPTBot", cache=tmp_path / "cache.sqlite3", memory_origins=4) as checker:
        sizes = checker.window_sizes()
        seen = [next(sizes)]
        for _ in range(5):
            checker.plans(origins[:2])  # 2 origins: half the memory or less
            seen.append(next(sizes))
        checker.plans(origins)  # 3 origins: more than half
        seen.append(next(sizes))
        assert seen == [
            SITE_WINDOW,
            *(min(LARGEST_SITE_WINDOW, SITE_WINDOW * 2**n) for n in range(1, 6)),
            LARGEST_SITE_WINDOW // 2,
        ]
        assert checker.stats.origins_fetched == 0  # every plan from the cache
    with UrlChecker("GPTBot", pages=True) as fetching:
        assert next(fetching.window_sizes()) == PAGE_WINDOW
