"""Fixture-web site definitions: the YAML schema, its validation and the loaded sites.

:class:`SiteDef` holds one virtual site and its :class:`Resource` per path;
:func:`parse_site` and :func:`load_sites` read definitions (docs/fixture-web.md) and raise
:class:`FixtureError` naming the file and key. Re-exported by :mod:`crawlcheck.webfixture`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

#: Keys a resource may have; anything else is a typo and a validation error.
RESOURCE_KEYS = frozenset(
    {
        "status",
        "headers",
        "body",
        "body_hex",
        "generate",
        "content_type",
        "delay",
        "hang",
        "drop",
        "truncate",
        "redirect",
        "note",
    }
)
#: Keys a site may have.
SITE_KEYS = frozenset({"host", "port", "description", "expect", "resources"})
_CHUNK = 64 * 1024


class FixtureError(ValueError):
    """Raised when a site definition is malformed; the message names the file and the key."""

    def __init__(self, source: str, key: str, message: str) -> None:
        super().__init__(f"{source}: {key}: {message}")
        self.source = source
        self.key = key


@dataclass(frozen=True, slots=True, kw_only=True)
class Generate:
    """A body of exactly ``size`` bytes: ``head``, ``line`` repeated, padding, ``tail``.

    The filler is whole ``line`` repeats followed by one ``#…\\n`` comment line of the
    remaining length, so ``tail`` always starts on a line of its own.
    """

    size: int
    line: bytes
    head: bytes = b""
    tail: bytes = b""

    def chunks(self) -> Iterator[bytes]:
        """Yield the body in chunks of at most 64 KiB without building it in memory."""
        yield self.head
        filler = self.size - len(self.head) - len(self.tail)
        whole, rest = divmod(filler, len(self.line))
        block_lines = max(1, _CHUNK // len(self.line))
        while whole > 0:
            count = min(whole, block_lines)
            whole -= count
            yield self.line * count
        if rest:  # pad with a comment line so that the tail starts on a line of its own
            yield b"#" * (rest - 1) + b"\n"
        yield self.tail


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """One path's canned answer (or misbehaviour)."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    """Headers in order; a name may repeat. Content-Length is added unless given here."""
    body: bytes = b""
    generate: Generate | None = None
    delay: float = 0.0
    hang: bool = False
    drop: bool = False
    truncate: bool = False

    @property
    def length(self) -> int:
        """Return the number of body bytes this resource really sends."""
        return self.generate.size if self.generate is not None else len(self.body)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteDef:
    """One virtual site: its host name and its resources by path (path + query, exact)."""

    host: str
    """Lower-case host name without port."""
    resources: Mapping[str, Resource]
    description: str = ""
    expect: Mapping[str, Any] = field(default_factory=dict)
    """Free-form expectations for the tests (verdicts, agent states, problem codes)."""
    source: str = "<inline>"
    """Where the definition was read (file name), for error messages."""

    def resource(self, path: str) -> Resource | None:
        """Return the resource for *path* (exact match, else the ``"*"`` fallback)."""
        found = self.resources.get(path)
        return found if found is not None else self.resources.get("*")


# ---------------------------------------------------------------- loading and validation


def _guess_content_type(path: str) -> str:
    base = path.split("?", 1)[0].lower()
    if base.endswith((".txt", "/robots.txt")):
        return "text/plain; charset=utf-8"
    if base.endswith(".json"):
        return "application/json"
    if base.endswith(".xml"):
        return "application/xml"
    if base.endswith((".jpg", ".jpeg")):
        return "image/jpeg"
    if base.endswith(".png"):
        return "image/png"
    return "text/html; charset=utf-8"


def _headers(value: Any, source: str, key: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for name, item in value.items():
            items = item if isinstance(item, list) else [item]
            for one in items:
                if not isinstance(one, str | int | float) or isinstance(one, bool):
                    raise FixtureError(source, f"{key}.{name}", "header value must be a string")
                pairs.append((str(name), str(one)))
    elif isinstance(value, list):
        for index, pair in enumerate(value):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise FixtureError(source, f"{key}[{index}]", "must be a [name, value] pair")
            pairs.append((pair[0], str(pair[1])))
    else:
        raise FixtureError(source, key, "must be a mapping or a list of [name, value] pairs")
    for name, text in pairs:
        if not name or any(c in name for c in ":\r\n ") or any(c in text for c in "\r\n"):
            raise FixtureError(source, key, f"bad header {name!r}: {text!r}")
    return pairs


def _number(value: Any, source: str, key: str, *, integer: bool = False) -> float:
    kind = "integer" if integer else "number"
    allowed = isinstance(value, int) or (not integer and isinstance(value, float))
    if isinstance(value, bool) or not allowed or value < 0:
        raise FixtureError(source, key, f"must be a non-negative {kind}")
    return float(value)


def _flag(spec: Mapping[str, Any], name: str, source: str, key: str) -> bool:
    value = spec.get(name, False)
    if not isinstance(value, bool):
        raise FixtureError(source, f"{key}.{name}", "must be true or false")
    return value


def _text_bytes(value: Any, source: str, key: str) -> bytes:
    if not isinstance(value, str):
        raise FixtureError(source, key, "must be a string")
    return value.encode("utf-8")


def parse_resource(spec: Any, *, path: str, source: str, key: str) -> Resource:
    """Return the :class:`Resource` a YAML mapping describes; raise :class:`FixtureError`."""
    if not isinstance(spec, Mapping):
        raise FixtureError(source, key, "a resource must be a mapping")
    unknown = sorted(set(spec) - RESOURCE_KEYS)
    if unknown:
        raise FixtureError(source, f"{key}.{unknown[0]}", "unknown key")
    if sum(name in spec for name in ("body", "body_hex", "generate")) > 1:
        raise FixtureError(source, key, "give only one of body, body_hex, generate")
    status = int(_number(spec.get("status", 200), source, f"{key}.status", integer=True))
    if not 100 <= status <= 599:
        raise FixtureError(source, f"{key}.status", "must be between 100 and 599")
    headers = _headers(spec.get("headers", {}), source, f"{key}.headers")
    body = b""
    generate: Generate | None = None
    if "body" in spec:
        body = _text_bytes(spec["body"], source, f"{key}.body")
    elif "body_hex" in spec:
        raw = spec["body_hex"]
        try:
            body = bytes.fromhex("".join(str(raw).split()))
        except ValueError as exc:
            raise FixtureError(source, f"{key}.body_hex", f"not hexadecimal: {exc}") from None
    elif "generate" in spec:
        gen = spec["generate"]
        gkey = f"{key}.generate"
        if not isinstance(gen, Mapping) or set(gen) - {"size", "line", "head", "tail"}:
            raise FixtureError(source, gkey, "must be a mapping of size, line, head, tail")
        size = int(_number(gen.get("size"), source, f"{gkey}.size", integer=True))
        line = _text_bytes(gen.get("line", "#\n"), source, f"{gkey}.line")
        head = _text_bytes(gen.get("head", ""), source, f"{gkey}.head")
        tail = _text_bytes(gen.get("tail", ""), source, f"{gkey}.tail")
        if not line or len(head) + len(tail) > size:
            raise FixtureError(source, gkey, "line must be non-empty and head+tail fit in size")
        generate = Generate(size=size, line=line, head=head, tail=tail)
    if "redirect" in spec:
        red = spec["redirect"]
        rkey = f"{key}.redirect"
        if not isinstance(red, Mapping) or not isinstance(red.get("to"), str):
            raise FixtureError(source, rkey, "must be a mapping with a string 'to'")
        if "status" not in spec:
            status = int(_number(red.get("status", 301), source, f"{rkey}.status", integer=True))
        headers.append(("Location", red["to"]))
        if not body and generate is None:
            body = f"Moved to {red['to']}\n".encode()
    names = {name.lower() for name, _ in headers}
    if "content_type" in spec:
        ctype = spec["content_type"]
        if not isinstance(ctype, str):
            raise FixtureError(source, f"{key}.content_type", "must be a string ('' for none)")
        if "content-type" in names:
            raise FixtureError(source, key, "content_type and a Content-Type header both given")
        if ctype:
            headers.insert(0, ("Content-Type", ctype))
    elif "content-type" not in names and (body or generate is not None):
        headers.insert(0, ("Content-Type", _guess_content_type(path)))
    resource = Resource(
        status=status,
        headers=tuple(headers),
        body=body,
        generate=generate,
        delay=_number(spec.get("delay", 0), source, f"{key}.delay"),
        hang=_flag(spec, "hang", source, key),
        drop=_flag(spec, "drop", source, key),
        truncate=_flag(spec, "truncate", source, key),
    )
    if resource.hang + resource.drop + resource.truncate > 1:
        raise FixtureError(source, key, "give at most one of hang, drop, truncate")
    return resource


def parse_site(spec: Any, *, source: str = "<inline>", key: str = "site") -> SiteDef:
    """Return the :class:`SiteDef` a YAML mapping describes; raise :class:`FixtureError`."""
    if not isinstance(spec, Mapping):
        raise FixtureError(source, key, "a site must be a mapping")
    unknown = sorted(set(spec) - SITE_KEYS)
    if unknown:
        raise FixtureError(source, f"{key}.{unknown[0]}", "unknown key")
    host = spec.get("host")
    if not isinstance(host, str) or not host or "/" in host or ":" in host:
        raise FixtureError(source, f"{key}.host", "must be a host name without scheme or port")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise FixtureError(source, f"{key}.description", "must be a string")
    expect = spec.get("expect", {})
    if not isinstance(expect, Mapping):
        raise FixtureError(source, f"{key}.expect", "must be a mapping")
    resources_spec = spec.get("resources")
    if not isinstance(resources_spec, Mapping) or not resources_spec:
        raise FixtureError(source, f"{key}.resources", "must be a non-empty mapping")
    resources: dict[str, Resource] = {}
    for path, res in resources_spec.items():
        rkey = f"{key}.resources[{path!r}]"
        if not isinstance(path, str) or not (path.startswith("/") or path == "*"):
            raise FixtureError(source, rkey, "a path must start with '/' (or be '*')")
        resources[path] = parse_resource(res, path=path, source=source, key=rkey)
    return SiteDef(
        host=normal_host(host),
        resources=resources,
        description=description,
        expect=dict(expect),
        source=source,
    )


def _load_file(item: Path | Traversable) -> list[SiteDef]:
    source = str(item)
    try:
        data = yaml.safe_load(item.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FixtureError(source, "(file)", f"not valid YAML: {exc}") from None
    if isinstance(data, list):
        return [parse_site(one, source=source, key=f"[{i}]") for i, one in enumerate(data)]
    return [parse_site(data, source=source, key="site")]


def load_sites(path: Path | Traversable | str) -> list[SiteDef]:
    """Return the sites of one YAML file, or of every ``*.yaml``/``*.yml`` in a flat folder."""
    item: Path | Traversable = Path(path) if isinstance(path, str) else path
    if item.is_dir():
        files = sorted(
            (child for child in item.iterdir() if child.name.endswith((".yaml", ".yml"))),
            key=lambda child: child.name,
        )
        return [site for child in files for site in _load_file(child)]
    if not item.is_file():
        raise FixtureError(str(item), "(file)", "no such file or folder")
    return _load_file(item)


def normal_host(host: str) -> str:
    """Return *host* as sites are keyed: stripped, without a trailing dot, lower-case."""
    return host.strip().rstrip(".").lower()
