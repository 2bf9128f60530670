"""Validate the agents and signal meanings of a rules YAML file into frozen values.

Holds the rules' data types, the strict YAML loader and the per-entry checks;
:mod:`crawlcheck.ruleset` reads whole files, layers them and re-exports the types.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import yaml

from crawlcheck.errors import RuleFileError
from crawlcheck.model import PURPOSES, Effect, Signal

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


class RulesFile:
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


def read_agents(f: RulesFile, node: object, shipped: bool) -> tuple[tuple[int, Agent], ...]:
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


def read_signals(f: RulesFile, node: object, shipped: bool) -> dict[Signal, SignalRules]:
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
    f: RulesFile, node: object, where: str, shipped: bool
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
