"""``--agent`` and the add-on's agent settings: one reading of a crawler name (issue 7.5)."""

from __future__ import annotations

import pytest

from crawlcheck.agent_names import resolve_agent
from crawlcheck.errors import UsageError
from crawlcheck.ruleset import Ruleset, load_ruleset


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return load_ruleset()


@pytest.mark.parametrize(
    ("given", "token"),
    [
        ("GPTBot", "GPTBot"),
        ("gptbot", "GPTBot"),  # the catalogue's spelling
        ("GPTBot/1.2", "GPTBot"),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)", "Mozilla"),
        ("AI2Bot", "AI2Bot"),  # catalogued: taken whole, though Google's parser reads "AI"
        ("ai2bot/1.0", "AI2Bot"),
        ("ChatGPT Agent", "ChatGPT Agent"),  # a catalogued name with a space
        ("  CCBot  ", "CCBot"),
        ("MyCrawler/1.0 (+https://example.org/bot)", "MyCrawler"),
        ("my_crawler-2", "my_crawler-"),  # Google's [A-Za-z_-] prefix
    ],
)
def test_the_product_token_is_read_as_googles_parser_reads_it(
    ruleset: Ruleset, given: str, token: str
) -> None:
    assert resolve_agent(given, ruleset).token == token


@pytest.mark.parametrize("given", [None, "*", " * "])
def test_none_and_star_mean_any_catalogued_agent(ruleset: Ruleset, given: str | None) -> None:
    assert resolve_agent(given, ruleset).token is None


@pytest.mark.parametrize("given", ["", "  ", "123", "2.0", "/GPTBot", "(compatible)"])
def test_a_value_without_a_token_is_a_usage_error(ruleset: Ruleset, given: str) -> None:
    with pytest.raises(UsageError, match=r"^--agent: "):
        resolve_agent(given, ruleset)


def test_an_extracted_token_is_said(ruleset: Ruleset) -> None:
    (note,) = resolve_agent("GPTBot/1.2", ruleset).notes
    assert "'GPTBot'" in note
    assert "'GPTBot/1.2'" in note


def test_a_catalogued_name_says_nothing(ruleset: Ruleset) -> None:
    assert resolve_agent("ClaudeBot", ruleset).notes == ()


def test_a_typo_names_the_nearest_catalogued_agents_and_stays_usable(ruleset: Ruleset) -> None:
    choice = resolve_agent("GTPBot", ruleset, option="CRAWLCHECK_AGENT")
    assert choice.token == "GTPBot"
    (note,) = choice.notes
    assert note.startswith("CRAWLCHECK_AGENT: 'GTPBot' is not in the AI agent catalogue")
    assert "did you mean GPTBot" in note
