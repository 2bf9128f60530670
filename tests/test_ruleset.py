"""Tests for crawlcheck.ruleset: the shipped rules, validation errors, layering, classify."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
import yaml

from crawlcheck.errors import RuleFileError, UsageError
from crawlcheck.model import PURPOSES, Effect, Evidence, Observation, Signal
from crawlcheck.ruleset import MAX_RULES_BYTES, Ruleset, load_ruleset

DATA = Path(__file__).parent / "data" / "rules"
BAD = sorted((DATA / "bad").glob("*.yaml"))
RFC_TOKEN = re.compile(r"[A-Za-z_-]+")  # RFC 9309 §2.2.1 product-token identifier

#: standards.md §3.4: the 21 dataset names that are not RFC 9309 product tokens.
INVALID_TOKENS = {
    "AI2Bot", "AI2Bot-DeepResearchEval", "Ai2Bot-Dolma", "bigsur.ai", "Brightbot 1.0",
    "Channel3Bot", "ChatGPT Agent", "Crawl4AI", "Datenbank Crawler", "Echobot Bot",
    "iaskspider/2.0", "img2dataset", "Kangaroo Bot", "Linguee Bot", "MistralAI-User/1.0",
    "netEstate Imprint Crawler", "panscient.com", "Poseidon Research Crawler", "quillbot.com",
    "Sidetrade indexer bot", "Terra Cotta",
}  # fmt: skip


@pytest.fixture(scope="module")
def rules() -> Ruleset:
    return load_ruleset()


def _dataset_tokens() -> list[str]:
    return (DATA / "ai-robots-tokens.txt").read_text(encoding="utf-8").splitlines()


# --- the shipped files ---------------------------------------------------------------------


def test_shipped_files_are_package_resources() -> None:
    names = {entry.name for entry in files("crawlcheck.rules").iterdir()}
    assert {"agents.yaml", "signals.yaml"} <= names


def test_shipped_ruleset_loads_and_is_cached(rules: Ruleset) -> None:
    assert load_ruleset() is rules
    assert rules.catalogue_date == "2026-08-22"
    assert rules.catalogue_curated == "2026-11-26"
    assert "738c80d" in rules.catalogue_source
    assert "MIT" in rules.catalogue_source
    assert [Path(f).name for f in rules.files] == ["agents.yaml", "signals.yaml"]


def test_catalogue_names_every_dataset_token_exactly_once(rules: Ruleset) -> None:
    tokens = _dataset_tokens()
    assert len(tokens) == 166
    names = [n for a in rules.agents for n in {x.casefold() for x in (a.token, *a.aliases)}]
    for token in tokens:
        assert names.count(token.casefold()) == 1, token
        assert rules.agent(token) is not None, token
    unique = {t.casefold() for t in tokens}
    assert len(unique) == 163  # three case duplicates, each one entry with an alias
    in_source = [a for a in rules.agents if a.in_source]
    assert len(in_source) == 163
    assert {a.token.casefold() for a in in_source} <= unique


def test_case_duplicates_keep_the_other_spelling_as_alias(rules: Ruleset) -> None:
    for token, alias in [
        ("meta-externalagent", "Meta-ExternalAgent"),
        ("meta-externalfetcher", "Meta-ExternalFetcher"),
        ("Webzio-Extended", "webzio-extended"),
    ]:
        agent = rules.agent(alias)
        assert agent is not None
        assert agent.token == token
        assert agent.aliases == (alias,)


def test_search_crawlers_outside_the_dataset(rules: Ruleset) -> None:
    outside = {a.token: a for a in rules.agents if not a.in_source}
    assert set(outside) == {"bingbot", "Googlebot"}
    assert all(a.purposes == ("search",) and a.category == "search" for a in outside.values())


def test_valid_token_is_the_rfc_product_token_syntax(rules: Ruleset) -> None:
    for agent in rules.agents:
        assert agent.valid_token is bool(RFC_TOKEN.fullmatch(agent.token)), agent.token
    assert {a.token for a in rules.agents if not a.valid_token} == INVALID_TOKENS


def test_every_agent_field_is_curated(rules: Ruleset) -> None:
    for agent in rules.agents:
        assert agent.purposes, agent.token
        assert set(agent.purposes) <= set(PURPOSES) - {"tdm"}, agent.token
        assert agent.purposes_basis in ("vendor-doc", "heuristic"), agent.token
        assert agent.respects_robots in ("yes", "no", "unclear"), agent.token
        assert agent.operator, agent.token
        assert "](" not in agent.operator, agent.token
        assert agent.docs_url is None or agent.docs_url.startswith("http"), agent.token


def test_key_vendor_classifications(rules: Ruleset) -> None:
    def purposes(token: str) -> tuple[str, ...]:
        agent = rules.agent(token)
        assert agent is not None
        return agent.purposes

    assert purposes("GPTBot") == ("ai-train",)
    assert purposes("ClaudeBot") == ("ai-train",)
    assert purposes("CCBot") == ("ai-train",)
    assert purposes("Google-Extended") == ("ai-train", "ai-input")
    assert purposes("Applebot-Extended") == ("ai-train",)
    assert purposes("OAI-SearchBot") == ("ai-input", "search")
    assert purposes("ChatGPT-User") == ("ai-input",)
    assert purposes("Perplexity-User") == ("ai-input",)
    perplexity_user = rules.agent("Perplexity-User")
    assert perplexity_user is not None
    assert perplexity_user.respects_robots == "no"
    google_extended = rules.agent("google-extended")
    assert google_extended is not None
    assert google_extended.category == "control-token"
    assert "Grounding with Google Search" in google_extended.note
    applebot = rules.agent("Applebot")
    assert applebot is not None
    assert "Googlebot" in applebot.note


def test_agents_file_is_sorted_by_token() -> None:
    raw = yaml.safe_load((files("crawlcheck.rules") / "agents.yaml").read_text(encoding="utf-8"))
    tokens = [entry["token"] for entry in raw["agents"]]
    assert tokens == sorted(tokens, key=str.casefold)


def test_every_signal_is_described(rules: Ruleset) -> None:
    for signal in Signal:
        described = rules.signals[signal]
        assert described.signal is signal
        assert described.status in ("STD", "CG-FINAL", "ID", "SPEC", "VENDOR", "DE-FACTO")
        assert described.spec.startswith("https://")
        assert described.meanings, signal
        for meaning in described.meanings.values():
            assert meaning.note, (signal, meaning)
            assert meaning.spec, (signal, meaning)


@pytest.mark.parametrize(
    ("signal", "purposes"),
    [
        (Signal.AI_TXT, {"ai-train"}),
        (Signal.TDMREP_FILE, {"tdm", "ai-train"}),
        (Signal.LLMS_TXT, set()),
        (Signal.ROBOTS, {"ai-train", "ai-input", "search"}),
    ],
)
def test_purposes_a_signal_speaks_to(rules: Ruleset, signal: Signal, purposes: set[str]) -> None:
    """What becomes unknown when the signal cannot be read (crawlcheck.access)."""
    assert rules.purposes_of(signal) == purposes


# --- meanings and classify -----------------------------------------------------------------

CLASSIFY = [
    # (signal, key, value, agents) -> effect, purposes
    ("content-signal", "ai-train", "no", ("*",), "reserve", ("ai-train",)),
    ("content-signal", "AI-Train", "Yes", ("*",), "permit", ("ai-train",)),
    ("content-signal", "search", "no", ("*",), "reserve", ("search",)),
    ("content-signal", "ai-input", "no", ("*",), "reserve", ("ai-input",)),
    ("content-signal", "use", "reference", ("*",), "info", ()),
    ("content-signal", "ai-train", "maybe", ("*",), "info", ()),
    ("content-usage", "train-ai", "n", ("*",), "reserve", ("ai-train",)),
    ("content-usage", "train-ai", "y", ("*",), "permit", ("ai-train",)),
    ("content-usage", "search", "n", ("*",), "reserve", ("search",)),
    ("content-usage", "search", "y", ("*",), "permit", ("search",)),
    ("tdmrep.json", "tdm-reservation", "1", ("*",), "reserve", ("tdm", "ai-train")),
    ("tdm-header", "tdm-reservation", "0", ("*",), "permit", ("tdm", "ai-train")),
    ("tdm-meta", "tdm-reservation", "1", ("*",), "reserve", ("tdm", "ai-train")),
    ("tdm-header", "tdm-reservation", "2", ("*",), "info", ()),
    ("tdm-meta", "tdm-policy", "https://example.com/p.json", ("*",), "info", ()),
    ("x-robots-tag", "noai", "", ("*",), "reserve", ("ai-train",)),
    ("meta-robots", "NOAI", "", ("*",), "reserve", ("ai-train",)),
    ("meta-robots", "noimageai", "", ("*",), "reserve", ("ai-train",)),
    ("x-robots-tag", "noml", "", ("*",), "info", ()),
    ("x-robots-tag", "noarchive", "", ("bingbot",), "info", ()),
    ("meta-robots", "nocache", "", ("*",), "info", ()),
    ("meta-robots", "noindex", "", ("*",), "info", ()),
    ("x-robots-tag", "max-snippet", "0", ("*",), "info", ()),
    ("ai.txt", "disallow", "*.jpg", ("*",), "reserve", ("ai-train",)),
    ("ai.txt", "allow", "/", ("*",), "permit", ("ai-train",)),
    ("rsl", "prohibits", "ai-train", ("*",), "reserve", ("ai-train",)),
    ("rsl", "prohibits", "ai-index", ("*",), "reserve", ("ai-input",)),
    ("rsl", "prohibits", "ai-all", ("*",), "reserve", ("ai-train", "ai-input")),
    ("rsl", "prohibits", "all", ("*",), "reserve", PURPOSES),
    ("rsl", "permits", "search", ("*",), "permit", ("search",)),
    ("rsl", "payment", "free", ("*",), "info", ()),
    ("rsl", "license", "https://example.com/license.xml", ("*",), "info", ()),
    ("llms.txt", "present", "", ("*",), "info", ()),
    ("robots.txt", "disallow", "/", ("GPTBot",), "reserve", ("ai-train",)),
    ("robots.txt", "disallow", "/", ("ChatGPT-User", "oai-searchbot"), "reserve", ("ai-input", "search")),
    ("robots.txt", "disallow", "/", ("*",), "reserve", ("ai-train", "ai-input", "search")),
    ("robots.txt", "disallow", "/", ("SomeUnknownBot",), "reserve", ()),
    ("robots.txt", "allow", "/", ("Googlebot",), "permit", ("search",)),
    ("robots.txt", "sitemap", "https://example.com/s.xml", ("*",), "info", ()),
]  # fmt: skip


@pytest.mark.parametrize(("signal", "key", "value", "agents", "effect", "purposes"), CLASSIFY)
def test_classify(
    rules: Ruleset,
    signal: str,
    key: str,
    value: str,
    agents: tuple[str, ...],
    effect: str,
    purposes: tuple[str, ...],
) -> None:
    evidence = Evidence(source="https://example.com/x", text=f"{key} {value}", line=3)
    obs = Observation(
        signal=Signal(signal), key=key, value=value, agents=agents, scope="/p", evidence=evidence
    )
    finding = rules.classify(obs)
    assert finding.effect == Effect(effect)
    assert finding.purposes == purposes
    assert finding.signal == signal
    assert finding.source == "https://example.com/x"
    assert finding.agents == agents
    assert finding.scope == "/p"
    assert finding.evidence == f"line 3: {key} {value}"
    assert finding.line == 3
    assert (finding.key, finding.value) == (key, value)


def test_meaning_falls_back_to_info(rules: Ruleset) -> None:
    assert rules.meaning("no-such-signal", "noai", "").effect is Effect.INFO
    assert rules.meaning(Signal.CONTENT_USAGE, "train-genai", "n").purposes == ()
    noarchive = rules.meaning(Signal.X_ROBOTS_TAG, "noarchive", "")
    assert "Bing" in noarchive.note
    assert "Amazon" in noarchive.note


def test_agent_lookup_and_purpose_filter(rules: Ruleset) -> None:
    assert rules.agent("gptbot") is rules.agent("GPTBot")
    assert rules.agent(" GPTBot ") is not None
    assert rules.agent("NoSuchBot") is None
    searchers = {a.token for a in rules.agents_for("search")}
    assert {"Googlebot", "bingbot", "OAI-SearchBot"} <= searchers
    assert "GPTBot" not in searchers
    assert rules.agents_for("tdm") == ()
    with pytest.raises(UsageError, match="unknown purpose"):
        rules.agents_for("training")


# --- validation errors ---------------------------------------------------------------------


def _expectation(path: Path) -> tuple[str, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    key, message = first.removeprefix("# expect: ").split(" | ", 1)
    return key, message


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_file_error_names_file_and_key_path(path: Path) -> None:
    key, message = _expectation(path)
    with pytest.raises(RuleFileError) as caught:
        load_ruleset([path])
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: {key}: "), text
    assert message in text, text
    assert caught.value.path == str(path)
    assert caught.value.key == key


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(RuleFileError, match=r"missing\.yaml: \(document\): cannot read"):
        load_ruleset([missing])
    with pytest.raises(RuleFileError, match=r": \(document\): cannot read"):
        load_ruleset([tmp_path])
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("agents: []\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(RuleFileError, match=r"latin1\.yaml: \(document\): not UTF-8"):
        load_ruleset([latin1])


def test_a_rules_file_over_the_size_cap_fails_without_reading_it_whole(tmp_path: Path) -> None:
    """Issue 7: a 100 MB --rules file took 6.4 GB; now at most MAX_RULES_BYTES are read."""
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: no 100 MB written to the disk
    with pytest.raises(RuleFileError, match=r"huge\.yaml: \(document\): larger than 2 MiB"):
        load_ruleset([huge])
    exact = tmp_path / "exact.yaml"
    exact.write_bytes(b"agents: []\n" + b"#" * (MAX_RULES_BYTES - 12) + b"\n")
    assert load_ruleset([exact]).files[-1] == str(exact)


# --- layering ------------------------------------------------------------------------------


def test_layering_replaces_and_adds(rules: Ruleset) -> None:
    layered = load_ruleset([DATA / "good" / "override.yaml"])
    gptbot = layered.agent("GPTBot")
    assert gptbot is not None
    assert gptbot.operator == "OpenAI (local view)"
    assert gptbot.purposes == ("ai-train", "ai-input")
    assert gptbot.purposes_basis == "user"
    assert gptbot.in_source is False
    assert gptbot.docs_url is None
    # A token that is a shipped alias replaces that agent; the old spelling is gone.
    meta = layered.agent("meta-externalagent")
    assert meta is not None
    assert meta.token == "Meta-ExternalAgent"
    assert [a.token.casefold() for a in layered.agents].count("meta-externalagent") == 1
    example = layered.agent("example-bot")
    assert example is not None
    assert example.token == "ExampleBot"
    assert example.respects_robots == "no"
    assert layered.agent("Example2Bot") is not None
    assert not layered.agent("Example2Bot").valid_token  # type: ignore[union-attr]
    assert len(layered.agents) == len(rules.agents) + 2
    tokens = [a.token for a in layered.agents]
    assert tokens == sorted(tokens, key=str.casefold)
    assert "override.yaml" in layered.catalogue_source
    # Signals: a changed meaning, a new one, a renamed signal with its meanings kept.
    assert layered.meaning("x-robots-tag", "noml", "").effect is Effect.RESERVE
    assert layered.meaning("x-robots-tag", "NoGPT", "").purposes == ("ai-train", "ai-input")
    assert layered.meaning("x-robots-tag", "noai", "").effect is Effect.RESERVE
    assert layered.meaning("meta-robots", "noml", "").effect is Effect.INFO  # other signal
    assert layered.signals[Signal.LLMS_TXT].name == "llms.txt (renamed)"
    assert layered.signals[Signal.LLMS_TXT].status == "DE-FACTO"
    # The shipped, cached ruleset is untouched.
    assert load_ruleset() is rules
    shipped_gptbot = rules.agent("GPTBot")
    assert shipped_gptbot is not None
    assert shipped_gptbot.purposes == ("ai-train",)
    assert rules.meaning("x-robots-tag", "noml", "").effect is Effect.INFO


def test_later_files_win() -> None:
    layered = load_ruleset([DATA / "good" / "override.yaml", str(DATA / "good" / "second.yaml")])
    example = layered.agent("ExampleBot")
    assert example is not None
    assert example.operator == "Example Corp (second file)"
    assert example.purposes == ("search",)
    assert layered.agent("Example-Bot") is None  # the replacement has no aliases
    assert layered.meaning("x-robots-tag", "noml", "").effect is Effect.INFO
    assert len(layered.files) == 4
