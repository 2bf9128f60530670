"""Load the AI agent catalogue and the signal meanings: the shipped YAML, then user files.

The shipped files are ``rules/agents.yaml`` and ``rules/signals.yaml``, installed as the
package ``crawlcheck.rules`` and read only through :mod:`importlib.resources`. Each user
file (``--rules PATH``) is layered on top: an agent with a known token (or alias) replaces
that agent, a new one is added; a signal meaning replaces the one with the same key and
value. Everything is validated on load into frozen values; any defect of a file is a
:class:`~crawlcheck.errors.RuleFileError` naming the file and the key path (entries are
checked by :mod:`crawlcheck._rules_schema`). Schema: docs/rules.md.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from types import MappingProxyType

from crawlcheck._rules_schema import AGENT_PURPOSES as AGENT_PURPOSES
from crawlcheck._rules_schema import BASES as BASES
from crawlcheck._rules_schema import CATEGORIES as CATEGORIES
from crawlcheck._rules_schema import DOCUMENT as DOCUMENT
from crawlcheck._rules_schema import FROM_AGENTS as FROM_AGENTS
from crawlcheck._rules_schema import PRODUCT_TOKEN as PRODUCT_TOKEN
from crawlcheck._rules_schema import RESPECTS as RESPECTS
from crawlcheck._rules_schema import STATUSES as STATUSES
from crawlcheck._rules_schema import Agent, RulesFile, SignalMeaning, read_agents, read_signals
from crawlcheck._rules_schema import SignalRules as SignalRules
from crawlcheck.errors import RuleFileError, UsageError
from crawlcheck.model import PURPOSES, Effect, Finding, Observation, Signal

__all__ = ["Agent", "Ruleset", "SignalMeaning", "load_ruleset"]

#: Bytes read of a user's rules file at most: more is an error, never a partial read.
MAX_RULES_BYTES = 2 * 1024 * 1024
#: The wildcard key or value.
ANY = "*"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Layer:
    """One rules file, validated."""

    path: str
    shipped: bool
    digest: str = ""
    """SHA-256 of the file's text (the rules digest is made of these)."""
    source: str = ""
    date: str = ""
    curated: str = ""
    agents: tuple[tuple[int, Agent], ...] = ()
    """Each agent with its index in the file's ``agents`` list (for error messages)."""
    signals: Mapping[Signal, SignalRules] = field(default_factory=dict)


def _read_layer(path: str, text: str, *, shipped: bool, kind: str = "") -> _Layer:
    """Return the validated contents of one rules file (*kind* names a shipped file)."""
    f = RulesFile(path)
    doc = f.parse(text)
    if doc is None:
        raise f.fail(DOCUMENT, "empty file; expected a mapping with agents: and/or signals:")
    if kind == "agents.yaml":
        top = f.mapping(doc, "", frozenset({"source", "date", "agents"}), frozenset({"curated"}))
    elif kind == "signals.yaml":
        top = f.mapping(doc, "", frozenset({"signals"}), frozenset())
    else:
        top = f.mapping(doc, "", frozenset(), frozenset({"agents", "signals"}))
        if not top:
            raise f.fail(DOCUMENT, "expected agents: and/or signals:")
    agents = read_agents(f, top["agents"], shipped) if "agents" in top else ()
    signals = read_signals(f, top["signals"], shipped) if "signals" in top else {}
    if kind == "signals.yaml":
        for signal in Signal:
            if signal not in signals:
                raise f.fail("signals", f"missing signal {signal.value!r}")
    return _Layer(
        path=path,
        shipped=shipped,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=f.text(top["source"], "source") if "source" in top else "",
        date=f.text(top["date"], "date") if "date" in top else "",
        curated=f.text(top["curated"], "curated") if "curated" in top else "",
        agents=agents,
        signals=signals,
    )


#: The meaning of an observation no rule speaks to.
_NO_MEANING = SignalMeaning(effect=Effect.INFO, purposes=(), note="no rule for this observation")


@dataclass(frozen=True, slots=True, kw_only=True)
class Ruleset:
    """The agent catalogue and signal meanings in use, after layering."""

    agents: tuple[Agent, ...]
    """Every catalogued agent, sorted by token (case-insensitive)."""
    catalogue_source: str
    catalogue_date: str
    """Date of the dataset the catalogue starts from."""
    catalogue_curated: str
    """Date crawlcheck last curated the catalogue."""
    files: tuple[str, ...]
    """Every rules file loaded, shipped ones first."""
    digest: str = ""
    """``sha256:`` of every loaded file's text, in load order: which rules were in use
    (recorded with snapshots, so a decision can name the rules behind its evidence)."""
    signals: Mapping[Signal, SignalRules] = field(repr=False)
    _by_name: Mapping[str, Agent] = field(repr=False)

    def agent(self, token: str) -> Agent | None:
        """Return the agent named *token* or one of its aliases (case-insensitive), or None."""
        return self._by_name.get(token.strip().casefold())

    def agents_for(self, purpose: str) -> tuple[Agent, ...]:
        """Return the catalogued agents that serve *purpose*, in catalogue order."""
        if purpose not in PURPOSES:
            raise UsageError(f"unknown purpose {purpose!r}; expected one of {', '.join(PURPOSES)}")
        return tuple(agent for agent in self.agents if purpose in agent.purposes)

    def meaning(self, signal: Signal | str, key: str, value: str) -> SignalMeaning:
        """Return what *key* = *value* means for *signal*: exact value, then ``*``, else info.

        Keys and values compare case-insensitively; a ``*`` key catches every other key.
        """
        try:
            rules = self.signals[Signal(signal)]
        except ValueError:
            return _NO_MEANING
        k, v = key.strip().lower(), value.strip().lower()
        for candidate in ((k, v), (k, ANY), (ANY, ANY)):
            found = rules.meanings.get(candidate)
            if found is not None:
                return found
        return _NO_MEANING

    def classify(self, obs: Observation) -> Finding:
        """Return *obs* with its meaning: the report's finding."""
        meaning = self.meaning(obs.signal, obs.key, obs.value)
        purposes = self._agent_purposes(obs.agents) if meaning.from_agents else meaning.purposes
        return Finding(
            signal=obs.signal,
            source=obs.evidence.source,
            effect=meaning.effect,
            purposes=purposes,
            agents=obs.agents,
            scope=obs.scope,
            evidence=obs.evidence.describe(),
            line=obs.evidence.line,
            key=obs.key,
            value=obs.value,
        )

    def purposes_of(self, signal: Signal) -> frozenset[str]:
        """Return the purposes *signal* can reserve or permit: what is unknown when it fails.

        >>> sorted(map(str, load_ruleset().purposes_of(Signal.TDMREP_FILE)))
        ['ai-train', 'tdm']
        """
        rules = self.signals.get(signal)
        if rules is None:
            return frozenset()
        found: set[str] = set()
        for meaning in rules.meanings.values():
            if meaning.effect is Effect.INFO:
                continue
            if meaning.from_agents:
                found.update(p for agent in self.agents for p in agent.purposes)
            else:
                found.update(meaning.purposes)
        return frozenset(found)

    def _agent_purposes(self, tokens: Sequence[str]) -> tuple[str, ...]:
        # robots.txt: a group speaks to the uses of the crawlers it names; "*" names them all.
        pool = self.agents if "*" in tokens else [a for t in tokens if (a := self.agent(t))]
        served = {purpose for agent in pool for purpose in agent.purposes}
        return tuple(purpose for purpose in PURPOSES if purpose in served)


def load_ruleset(extra: Sequence[str | os.PathLike[str]] = ()) -> Ruleset:
    """Return the shipped rules with each file of *extra* layered on top, in order.

    Raises RuleFileError when a file is unreadable or does not follow docs/rules.md.
    """
    if not extra:
        return _shipped_ruleset()
    catalogue, signals = _shipped_layers()
    merged = _Merge(catalogue, signals)
    for path in extra:
        name = os.fspath(path)
        merged.add(_read_layer(name, _read_user_file(name), shipped=False))
    return merged.build()


@functools.cache
def _shipped_ruleset() -> Ruleset:
    return _Merge(*_shipped_layers()).build()


@functools.cache
def _shipped_layers() -> tuple[_Layer, _Layer]:
    package = files("crawlcheck.rules")
    layers = []
    for name in ("agents.yaml", "signals.yaml"):
        resource = package / name
        try:
            text = resource.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:  # pragma: no cover - a broken install
            raise RuleFileError(str(resource), DOCUMENT, f"cannot read: {exc}") from exc
        layers.append(_read_layer(str(resource), text, shipped=True, kind=name))
    return layers[0], layers[1]


def _read_user_file(path: str) -> str:
    """Return a user's rules file, read at most :data:`MAX_RULES_BYTES` (docs/rules.md)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_RULES_BYTES + 1)
    except OSError as exc:
        raise RuleFileError(path, DOCUMENT, f"cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_RULES_BYTES:
        raise RuleFileError(
            path,
            DOCUMENT,
            f"larger than {MAX_RULES_BYTES // (1024 * 1024)} MiB, the limit for a rules file "
            "(the shipped catalogue is under 64 KiB)",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleFileError(path, DOCUMENT, f"not UTF-8 text ({exc.reason})") from exc


class _Merge:
    """Agents and signal meanings being layered, file after file."""

    def __init__(self, catalogue: _Layer, signals: _Layer) -> None:
        self.source = catalogue.source
        self.date = catalogue.date
        self.curated = catalogue.curated
        self.files: list[str] = []
        self.digests: list[str] = []
        self.agents: dict[str, Agent] = {}
        self.names: dict[str, str] = {}
        """Every token and alias, case-folded → the case-folded token of its agent."""
        self.signals: dict[Signal, SignalRules] = {}
        self.user_agent_files: list[str] = []
        self.add(catalogue)
        self.add(signals)

    def add(self, layer: _Layer) -> None:
        self.files.append(layer.path)
        self.digests.append(layer.digest)
        for index, agent in layer.agents:
            self._add_agent(layer.path, index, agent)
        if layer.agents and not layer.shipped:
            self.user_agent_files.append(layer.path)
        for signal, rules in layer.signals.items():
            old = self.signals.get(signal)
            self.signals[signal] = rules if old is None else old.overlaid(rules)

    def _add_agent(self, path: str, index: int, agent: Agent) -> None:
        names = [agent.token, *agent.aliases]
        hits = {self.names[n.casefold()] for n in names if n.casefold() in self.names}
        if len(hits) > 1:
            tokens = " and ".join(sorted(self.agents[hit].token for hit in hits))
            raise RuleFileError(
                path, f"agents[{index}]", f"its token and aliases name different agents: {tokens}"
            )
        for hit in hits:  # the same agent: the later layer replaces it whole
            old = self.agents.pop(hit)
            for name in (old.token, *old.aliases):
                self.names.pop(name.casefold(), None)
        key = agent.token.casefold()
        self.agents[key] = agent
        for name in names:
            self.names[name.casefold()] = key

    def build(self) -> Ruleset:
        agents = tuple(sorted(self.agents.values(), key=lambda a: a.token.casefold()))
        by_name = {name: self.agents[key] for name, key in self.names.items()}
        source = self.source
        if self.user_agent_files:
            source += " + " + ", ".join(self.user_agent_files)
        return Ruleset(
            agents=agents,
            catalogue_source=source,
            catalogue_date=self.date,
            catalogue_curated=self.curated,
            files=tuple(self.files),
            digest="sha256:" + hashlib.sha256("\n".join(self.digests).encode()).hexdigest(),
            signals=MappingProxyType(dict(self.signals)),
            _by_name=MappingProxyType(by_name),
        )
