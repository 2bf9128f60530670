"""Load the AI agent catalogue and the signal meanings: the shipped YAML, then user files.

The shipped files are ``rules/agents.yaml`` and ``rules/signals.yaml``, installed as the
package ``crawlcheck.rules`` and read only through :mod:`importlib.resources`. Each user
file (``--rules PATH``) is layered on top: an agent with a known token (or alias) replaces
that agent, a new one is added; a signal meaning replaces the one with the same key and
value. Everything is validated on load into frozen values; any defect of a file is a
:class:`~crawlcheck.errors.RuleFileError` naming the file and the key path. Schema:
docs/rules.md.
"""

from __future__ import annotations

import datetime
import functools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from types import MappingProxyType
from typing import TYPE_CHECKING

import yaml

from crawlcheck.errors import RuleFileError, UsageError
from crawlcheck.model import PURPOSES, Effect, Finding, Observation, Signal

__all__ = ["Agent", "Ruleset", "SignalMeaning", "load_ruleset"]

#: Purposes an agent may serve (``tdm`` is a property of content, not of a crawler).
AGENT_PURPOSES: tuple[str, ...] = ("ai-train", "ai-input", "search")
CATEGORIES: tuple[str, ...] = (
    "training",
    "ai-search",
    "search",
    "user-fetcher",
    "agent",
    "data-provider",
    "control-token",
    "undocumented",
    "other",
)
RESPECTS: tuple[str, ...] = ("yes", "no", "unclear")
BASES: tuple[str, ...] = ("vendor-doc", "heuristic", "user")
STATUSES: tuple[str, ...] = ("STD", "CG-FINAL", "ID", "SPEC", "VENDOR", "DE-FACTO")
#: Product-token syntax, RFC 9309 §2.2.1: ``identifier = 1*(%x2D / %x41-5A / %x5F / %x61-7A)``.
PRODUCT_TOKEN = re.compile(r"[A-Za-z_-]+")
#: The ``purposes`` value that takes the purposes of the agents an observation names.
FROM_AGENTS = "from-agents"
#: The wildcard key or value.
ANY = "*"
#: The key path of a whole file.
DOCUMENT = "(document)"

_AGENT_REQUIRED = frozenset({"token", "operator", "purposes", "category"})
_AGENT_SHIPPED = frozenset({"purposes_basis", "respects_robots", "docs_url"})
_AGENT_OPTIONAL = _AGENT_SHIPPED | {"aliases", "note", "valid_token", "in_source"}
_MEANING_REQUIRED = frozenset({"key", "value", "effect", "purposes"})
_MEANING_OPTIONAL = frozenset({"note", "spec"})
_SIGNAL_KEYS = frozenset({"name", "status", "spec", "meanings"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Agent:
    """One catalogued crawler or control token."""

    token: str
    """The name as robots.txt groups use it (``GPTBot``)."""
    operator: str
    purposes: tuple[str, ...]
    """What its fetches serve: a subset of ``ai-train``, ``ai-input``, ``search``."""
    respects_robots: str
    """``yes``, ``no`` or ``unclear``."""
    docs_url: str | None
    valid_token: bool
    """The token is an RFC 9309 product token (``[A-Za-z_-]+``)."""
    category: str
    aliases: tuple[str, ...] = ()
    note: str = ""
    purposes_basis: str = "user"
    """``vendor-doc``, ``heuristic`` (from the dataset's prose) or ``user``."""
    in_source: bool = True
    """The token is in the ai-robots.txt dataset the catalogue starts from."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalMeaning:
    """What one (signal, key, value) observation means."""

    effect: Effect
    purposes: tuple[str, ...]
    note: str = ""
    spec: str = ""
    """Where the meaning is defined: URL and clause."""
    from_agents: bool = False
    """The purposes are those of the agents the observation names (robots.txt groups)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalRules:
    """One signal's description and its meanings by (key, value), both lower-cased."""

    signal: Signal
    name: str
    status: str
    spec: str
    meanings: Mapping[tuple[str, str], SignalMeaning]

    def overlaid(self, top: SignalRules) -> SignalRules:
        """Return these rules with *top*'s description (where given) and meanings on top."""
        return SignalRules(
            signal=self.signal,
            name=top.name or self.name,
            status=top.status or self.status,
            spec=top.spec or self.spec,
            meanings=MappingProxyType({**self.meanings, **top.meanings}),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Layer:
    """One rules file, validated."""

    path: str
    shipped: bool
    source: str = ""
    date: str = ""
    curated: str = ""
    agents: tuple[tuple[int, Agent], ...] = ()
    """Each agent with its index in the file's ``agents`` list (for error messages)."""
    signals: Mapping[Signal, SignalRules] = field(default_factory=dict)


# libyaml's parser when PyYAML was built with it (about 10x faster on agents.yaml).
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):
    """A safe YAML loader that rejects a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[object, object] = super().construct_mapping(node, deep=deep)
        return mapping


class _File:
    """Validation helpers that raise RuleFileError naming this file and a key path."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> RuleFileError:
        return RuleFileError(self.path, where or DOCUMENT, message)

    def parse(self, text: str) -> object:
        try:
            return yaml.load(text, Loader=_StrictLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.fail(DOCUMENT, f"invalid YAML{at}: {' '.join(problem.split())}") from exc

    def mapping(
        self, node: object, where: str, required: frozenset[str], optional: frozenset[str]
    ) -> dict[str, object]:
        if not isinstance(node, dict):
            raise self.fail(where, f"expected a mapping, got {_kind(node)}")
        for key in node:
            if not isinstance(key, str) or key not in required | optional:
                allowed = ", ".join(sorted(required | optional))
                raise self.fail(_join(where, str(key)), f"unknown key; allowed here: {allowed}")
        missing = sorted(required - node.keys())
        if missing:
            raise self.fail(where, f"missing required key {missing[0]!r}")
        return node

    def items(self, node: object, where: str) -> list[object]:
        if not isinstance(node, list):
            raise self.fail(where, f"expected a list, got {_kind(node)}")
        return node

    def text(self, node: object, where: str, *, empty: bool = False) -> str:
        if isinstance(node, datetime.date):  # an unquoted 2026-08-22
            return node.isoformat()
        if isinstance(node, bool) or not isinstance(node, str | int):
            hint = (
                " (quote yes/no: bare, YAML reads them as booleans)"
                if isinstance(node, bool)
                else ""
            )
            raise self.fail(where, f"expected a string, got {_kind(node)}{hint}")
        value = str(node).strip()
        if not value and not empty:
            raise self.fail(where, "must not be empty")
        return value

    def choice(self, node: object, where: str, choices: Sequence[str]) -> str:
        value = self.text(node, where)
        if value not in choices:
            raise self.fail(where, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def flag(self, node: object, where: str) -> bool:
        if not isinstance(node, bool):
            raise self.fail(where, f"expected true or false, got {_kind(node)}")
        return node

    def purposes(self, node: object, where: str, allowed: Sequence[str]) -> tuple[str, ...]:
        given = [
            self.choice(item, f"{where}[{i}]", allowed)
            for i, item in enumerate(self.items(node, where))
        ]
        for i, purpose in enumerate(given):
            if purpose in given[:i]:
                raise self.fail(f"{where}[{i}]", f"{purpose!r} given twice")
        return tuple(p for p in PURPOSES if p in given)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(node: object) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }
    return names.get(type(node), type(node).__name__)


def _read_layer(path: str, text: str, *, shipped: bool, kind: str = "") -> _Layer:
    """Return the validated contents of one rules file (*kind* names a shipped file)."""
    f = _File(path)
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
    agents = _read_agents(f, top["agents"], shipped) if "agents" in top else ()
    signals = _read_signals(f, top["signals"], shipped) if "signals" in top else {}
    if kind == "signals.yaml":
        for signal in Signal:
            if signal not in signals:
                raise f.fail("signals", f"missing signal {signal.value!r}")
    return _Layer(
        path=path,
        shipped=shipped,
        source=f.text(top["source"], "source") if "source" in top else "",
        date=f.text(top["date"], "date") if "date" in top else "",
        curated=f.text(top["curated"], "curated") if "curated" in top else "",
        agents=agents,
        signals=signals,
    )


def _read_agents(f: _File, node: object, shipped: bool) -> tuple[tuple[int, Agent], ...]:
    required = _AGENT_REQUIRED | _AGENT_SHIPPED if shipped else _AGENT_REQUIRED
    agents: list[tuple[int, Agent]] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(f.items(node, "agents")):
        where = f"agents[{i}]"
        raw = f.mapping(item, where, required, _AGENT_OPTIONAL - required)
        token = f.text(raw["token"], f"{where}.token")
        valid = PRODUCT_TOKEN.fullmatch(token) is not None
        if "valid_token" in raw and f.flag(raw["valid_token"], f"{where}.valid_token") != valid:
            raise f.fail(
                f"{where}.valid_token",
                f"must be {str(valid).lower()}: {token!r} "
                f"{'is' if valid else 'is not'} an RFC 9309 product token ([A-Za-z_-]+)",
            )
        aliases = tuple(
            f.text(a, f"{where}.aliases[{j}]")
            for j, a in enumerate(f.items(raw.get("aliases", []), f"{where}.aliases"))
        )
        # A spelling that differs only in case (meta-externalagent) is the same name.
        own: set[str] = set()
        for j, name in enumerate((token, *aliases)):
            at = f"{where}.token" if j == 0 else f"{where}.aliases[{j - 1}]"
            folded = name.casefold()
            if folded in seen and folded not in own:
                raise f.fail(at, f"{name!r} already names an agent at {seen[folded]}")
            seen[folded] = where
            own.add(folded)
        purposes = f.purposes(raw["purposes"], f"{where}.purposes", AGENT_PURPOSES)
        if not purposes:
            raise f.fail(f"{where}.purposes", "must name at least one purpose")
        docs = raw.get("docs_url")
        if docs is not None:
            docs = f.text(docs, f"{where}.docs_url")
            if not docs.startswith(("https://", "http://")):
                raise f.fail(f"{where}.docs_url", "must be an http(s) URL or null")
        agent = Agent(
            token=token,
            operator=f.text(raw["operator"], f"{where}.operator"),
            purposes=purposes,
            respects_robots=f.choice(
                raw.get("respects_robots", "unclear"), f"{where}.respects_robots", RESPECTS
            ),
            docs_url=docs,
            valid_token=valid,
            category=f.choice(raw["category"], f"{where}.category", CATEGORIES),
            aliases=aliases,
            note=f.text(raw.get("note", ""), f"{where}.note", empty=True),
            purposes_basis=f.choice(
                raw.get("purposes_basis", "user"), f"{where}.purposes_basis", BASES
            ),
            in_source=f.flag(raw.get("in_source", shipped), f"{where}.in_source"),
        )
        agents.append((i, agent))
    return tuple(agents)


def _read_signals(f: _File, node: object, shipped: bool) -> dict[Signal, SignalRules]:
    names = frozenset(s.value for s in Signal)
    if not isinstance(node, dict):
        raise f.fail("signals", f"expected a mapping of signal names, got {_kind(node)}")
    result: dict[Signal, SignalRules] = {}
    for name, entry in node.items():
        where = _join("signals", str(name))
        if name not in names:
            raise f.fail(where, f"unknown signal; expected one of {', '.join(sorted(names))}")
        required = _SIGNAL_KEYS if shipped else frozenset()
        raw = f.mapping(entry, where, required, _SIGNAL_KEYS - required)
        meanings: dict[tuple[str, str], SignalMeaning] = {}
        for i, item in enumerate(f.items(raw.get("meanings", []), f"{where}.meanings")):
            at = f"{where}.meanings[{i}]"
            key_value, meaning = _read_meaning(f, item, at, shipped)
            if key_value in meanings:
                raise f.fail(at, f"key {key_value[0]!r} with value {key_value[1]!r} given twice")
            meanings[key_value] = meaning
        result[Signal(name)] = SignalRules(
            signal=Signal(name),
            name=f.text(raw.get("name", ""), f"{where}.name", empty=not shipped),
            status=f.choice(raw["status"], f"{where}.status", STATUSES) if "status" in raw else "",
            spec=f.text(raw.get("spec", ""), f"{where}.spec", empty=not shipped),
            meanings=MappingProxyType(meanings),
        )
    return result


def _read_meaning(
    f: _File, node: object, where: str, shipped: bool
) -> tuple[tuple[str, str], SignalMeaning]:
    required = _MEANING_REQUIRED | _MEANING_OPTIONAL if shipped else _MEANING_REQUIRED
    raw = f.mapping(node, where, required, _MEANING_OPTIONAL - required)
    key = f.text(raw["key"], f"{where}.key").lower()
    value = f.text(raw["value"], f"{where}.value", empty=True).lower()
    effect = Effect(f.choice(raw["effect"], f"{where}.effect", [e.value for e in Effect]))
    from_agents = raw["purposes"] == FROM_AGENTS
    purposes = () if from_agents else f.purposes(raw["purposes"], f"{where}.purposes", PURPOSES)
    if effect is not Effect.INFO and not purposes and not from_agents:
        raise f.fail(f"{where}.purposes", f"a {effect.value} meaning needs at least one purpose")
    if effect is Effect.INFO and (purposes or from_agents):
        raise f.fail(f"{where}.purposes", "an info meaning has no purposes; use []")
    return (key, value), SignalMeaning(
        effect=effect,
        purposes=purposes,
        note=f.text(raw.get("note", ""), f"{where}.note", empty=not shipped),
        spec=f.text(raw.get("spec", ""), f"{where}.spec", empty=not shipped),
        from_agents=from_agents,
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
            signal=obs.signal.value,
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

    def describe_signal(self, signal: Signal | str) -> dict[str, object]:
        """Return the signal's name, status tag, spec and meanings as plain data."""
        rules = self.signals[Signal(signal)]
        return {
            "signal": rules.signal.value,
            "name": rules.name,
            "status": rules.status,
            "spec": rules.spec,
            "meanings": [
                {
                    "key": key,
                    "value": value,
                    "effect": meaning.effect.value,
                    "purposes": FROM_AGENTS if meaning.from_agents else list(meaning.purposes),
                    "note": meaning.note,
                    "spec": meaning.spec,
                }
                for (key, value), meaning in rules.meanings.items()
            ],
        }

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
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError as exc:
        raise RuleFileError(path, DOCUMENT, f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise RuleFileError(path, DOCUMENT, f"cannot read: {exc.strerror}") from exc


class _Merge:
    """Agents and signal meanings being layered, file after file."""

    def __init__(self, catalogue: _Layer, signals: _Layer) -> None:
        self.source = catalogue.source
        self.date = catalogue.date
        self.curated = catalogue.curated
        self.files: list[str] = []
        self.agents: dict[str, Agent] = {}
        self.names: dict[str, str] = {}
        """Every token and alias, case-folded → the case-folded token of its agent."""
        self.signals: dict[Signal, SignalRules] = {}
        self.user_agent_files: list[str] = []
        self.add(catalogue)
        self.add(signals)

    def add(self, layer: _Layer) -> None:
        self.files.append(layer.path)
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
            signals=MappingProxyType(dict(self.signals)),
            _by_name=MappingProxyType(by_name),
        )
