"""A wrong agent name never silently means "nobody reserved anything" (issue 7 item 5).

The site disallows GPTBot alone. Asked for ``GPTBot/1.2`` or a full User-Agent string, every
surface decides for GPTBot (Google's parser matches groups on the leading ``[A-Za-z_-]``
characters of the name, RFC 9309 §2.2.1), so the answer is ``reserved``; a value with no
product token is refused (exit 2, one line); a token outside the catalogue is decided as
given, with a warning naming the nearest catalogued names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webfixture import FixtureWeb, parse_site

HERE = Path(__file__).parent
URL = "http://agents.hostile.test/page"
SITE = parse_site(
    {
        "host": "agents.hostile.test",
        "resources": {
            "/robots.txt": {"body": "User-agent: GPTBot\nDisallow: /\n"},
            "*": {"body": "<p>page</p>"},
        },
    }
)


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb([SITE]) as served:
        yield served


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("agents") / "cache.sqlite3"


def _env(web: FixtureWeb, home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
    }
    env["http_proxy"] = web.proxy_url
    env["XDG_CACHE_HOME"] = str(home)
    return env


def crawlcheck(
    web: FixtureWeb, cache: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawlcheck", *args, "--cache", str(cache), "--timeout", "15"],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(web, cache.parent),
        timeout=120,
        check=False,
    )


def filter_decision(web: FixtureWeb, cache: Path, agent: str) -> tuple[str, str]:
    """Return (decision, stderr) of ``filter --agent AGENT`` on the URL."""
    result = crawlcheck(web, cache, "filter", "--format", "jsonl", "--agent", agent, stdin=URL)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["decision"], result.stderr


def test_the_right_name_is_reserved(web: FixtureWeb, cache: Path) -> None:
    """The control: the site does reserve the URL from GPTBot, and only from it."""
    assert filter_decision(web, cache, "GPTBot")[0] == "reserved"
    assert filter_decision(web, cache, "CCBot")[0] == "allowed"


@pytest.mark.parametrize(
    "agent", ["GPTBot/1.2", "gptbot/1.2", "GPTBot/1.2 (+https://openai.com/gptbot)"]
)
def test_a_full_user_agent_string_is_read_as_its_product_token(
    web: FixtureWeb, cache: Path, agent: str
) -> None:
    decision, err = filter_decision(web, cache, agent)
    assert decision == "reserved"
    assert "GPTBot" in err  # says which token it used


def test_check_reads_the_product_token_too(web: FixtureWeb, cache: Path) -> None:
    result = crawlcheck(web, cache, "check", URL, "--format", "json", "--agent", "GPTBot/1.2")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["decision"] == "reserved"


def test_a_typo_is_warned_about_with_the_nearest_names(web: FixtureWeb, cache: Path) -> None:
    _, err = filter_decision(web, cache, "GTPBot")
    assert "GTPBot" in err
    assert "GPTBot" in err  # the nearest catalogued name
    assert all(line.startswith("crawlcheck") for line in err.splitlines())


@pytest.mark.parametrize("agent", ["123", "/1.2", "4chanBot"])
@pytest.mark.parametrize("command", ["filter", "check"])
def test_a_name_without_a_product_token_is_refused(
    web: FixtureWeb, cache: Path, agent: str, command: str
) -> None:
    args = ["filter"] if command == "filter" else ["check", URL]
    result = crawlcheck(web, cache, *args, "--agent", agent, stdin=URL)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--agent" in result.stderr
    assert result.stdout == ""


def _crawl(web: FixtureWeb, settings: dict[str, Any]) -> dict[str, Any]:
    config = {
        "urls": [URL],
        "settings": {"ROBOTSTXT_OBEY": False, "DOWNLOAD_TIMEOUT": 15, **settings},
    }
    env = _env(web, HERE)
    result = subprocess.run(
        [sys.executable, str(HERE / "scrapy_addon_crawl.py"), json.dumps(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen: dict[str, Any] = json.loads(result.stdout)
    return seen


def test_the_addon_reads_robotstxt_user_agent_as_its_product_token(web: FixtureWeb) -> None:
    seen = _crawl(web, {"ROBOTSTXT_USER_AGENT": "GPTBot/1.0 (+https://example.com/bot)"})
    assert [e["decision"] for e in seen["events"]] == ["reserved"]
    assert seen["items"] == []
