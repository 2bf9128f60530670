"""Site definitions of the demo web: YAML read and validated into frozen values.

A definition (docs/fixture-web.md) names a host and, per path, a canned response: status,
headers, content type and body. :class:`SiteReader` validates every key and raises
:class:`~crawlcheck.errors.SiteDefinitionError` naming the file and the key; the tests' fixture
web (tests/webfixture.py) subclasses it to add its fault keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar

import yaml

from crawlcheck.errors import SiteDefinitionError

#: Keys a site may have; anything else is a typo and a validation error.
SITE_KEYS = frozenset({"host", "description", "resources"})
#: Keys a resource may have.
RESOURCE_KEYS = frozenset({"status", "headers", "content_type", "body"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """One path's canned answer."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    """Headers in order; a name may repeat. Content-Length is added unless given here."""
    body: bytes = b""

    @property
    def length(self) -> int:
        """Return the number of body bytes this resource really sends."""
        return len(self.body)

    def chunks(self) -> Iterator[bytes]:
        """Yield the body to send, in pieces."""
        yield self.body


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteDef:
    """One virtual site: its host name and its resources by path (path + query, exact)."""

    host: str
    """Lower-case host name without port."""
    resources: Mapping[str, Resource]
    description: str = ""
    source: str = "<inline>"
    """Where the definition was read (file name), for error messages."""

    def resource(self, path: str) -> Resource | None:
        """Return the resource for *path* (exact match, else the ``"*"`` fallback)."""
        found = self.resources.get(path)
        return found if found is not None else self.resources.get("*")


def normal_host(host: str) -> str:
    """Return *host* as sites are keyed: stripped, without a trailing dot, lower-case."""
    return host.strip().rstrip(".").lower()


# ---------------------------------------------------------------- validating one value


def check_keys(spec: Any, allowed: frozenset[str], *, source: str, key: str, what: str) -> None:
    """Raise unless *spec* is a mapping whose keys are all *allowed*; *what* names it."""
    if not isinstance(spec, Mapping):
        raise SiteDefinitionError(source, key, f"{what} must be a mapping")
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise SiteDefinitionError(source, f"{key}.{unknown[0]}", "unknown key")


def read_number(value: Any, *, source: str, key: str, integer: bool = False) -> float:
    """Return *value* if it is a non-negative number (an integer if asked); else raise."""
    kind = "integer" if integer else "number"
    allowed = isinstance(value, int) or (not integer and isinstance(value, float))
    if isinstance(value, bool) or not allowed or value < 0:
        raise SiteDefinitionError(source, key, f"must be a non-negative {kind}")
    return float(value)


def read_status(value: Any, *, source: str, key: str) -> int:
    """Return *value* as an HTTP status (100 to 599); else raise."""
    status = int(read_number(value, source=source, key=key, integer=True))
    if not 100 <= status <= 599:
        raise SiteDefinitionError(source, key, "must be between 100 and 599")
    return status


def read_text(value: Any, *, source: str, key: str) -> bytes:
    """Return the string *value* as UTF-8 bytes; else raise."""
    if not isinstance(value, str):
        raise SiteDefinitionError(source, key, "must be a string")
    return value.encode("utf-8")


def read_headers(value: Any, *, source: str, key: str) -> list[tuple[str, str]]:
    """Return headers given as a mapping (a list value repeats the name) or as pairs."""
    pairs: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for name, item in value.items():
            items = item if isinstance(item, list) else [item]
            for one in items:
                if not isinstance(one, str | int | float) or isinstance(one, bool):
                    raise SiteDefinitionError(
                        source, f"{key}.{name}", "header value must be a string"
                    )
                pairs.append((str(name), str(one)))
    elif isinstance(value, list):
        for index, pair in enumerate(value):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise SiteDefinitionError(source, f"{key}[{index}]", "must be a [name, value] pair")
            pairs.append((pair[0], str(pair[1])))
    else:
        raise SiteDefinitionError(source, key, "must be a mapping or a list of [name, value] pairs")
    for name, text in pairs:
        if not name or any(c in name for c in ":\r\n ") or any(c in text for c in "\r\n"):
            raise SiteDefinitionError(source, key, f"bad header {name!r}: {text!r}")
    return pairs


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


def with_content_type(
    spec: Mapping[str, Any],
    headers: list[tuple[str, str]],
    *,
    path: str,
    has_body: bool,
    source: str,
    key: str,
) -> tuple[tuple[str, str], ...]:
    """Return *headers* led by the Content-Type that ``content_type`` gives or *path* suggests.

    ``content_type: ""`` sends none; without the key and without a Content-Type header, a
    resource with a body gets the type its path's extension suggests (HTML otherwise).
    """
    names = {name.lower() for name, _ in headers}
    if "content_type" in spec:
        ctype = spec["content_type"]
        if not isinstance(ctype, str):
            raise SiteDefinitionError(
                source, f"{key}.content_type", "must be a string ('' for none)"
            )
        if "content-type" in names:
            raise SiteDefinitionError(
                source, key, "content_type and a Content-Type header both given"
            )
        if ctype:
            return (("Content-Type", ctype), *headers)
    elif "content-type" not in names and has_body:
        return (("Content-Type", _guess_content_type(path)), *headers)
    return tuple(headers)


# ---------------------------------------------------------------- reading definitions


class SiteReader:
    """Read site definitions (a YAML mapping per site) into :class:`SiteDef` values.

    The tests' fixture web subclasses it: wider :attr:`site_keys` and :attr:`resource_keys`,
    its own :meth:`resource` (fault keys) and :meth:`site` (``expect``) built from the
    validators above; :meth:`load` then reads their definitions unchanged.
    """

    site_keys: ClassVar[frozenset[str]] = SITE_KEYS
    resource_keys: ClassVar[frozenset[str]] = RESOURCE_KEYS

    def resource(self, spec: Any, *, path: str, source: str, key: str) -> Resource:
        """Return the :class:`Resource` a YAML mapping describes; raise on a bad key."""
        check_keys(spec, self.resource_keys, source=source, key=key, what="a resource")
        status = read_status(spec.get("status", 200), source=source, key=f"{key}.status")
        headers = read_headers(spec.get("headers", {}), source=source, key=f"{key}.headers")
        body = read_text(spec["body"], source=source, key=f"{key}.body") if "body" in spec else b""
        return Resource(
            status=status,
            headers=with_content_type(
                spec, headers, path=path, has_body=bool(body), source=source, key=key
            ),
            body=body,
        )

    def site(self, spec: Any, *, source: str = "<inline>", key: str = "site") -> SiteDef:
        """Return the :class:`SiteDef` a YAML mapping describes; raise on a bad key."""
        check_keys(spec, self.site_keys, source=source, key=key, what="a site")
        host = spec.get("host")
        if not isinstance(host, str) or not host or "/" in host or ":" in host:
            raise SiteDefinitionError(
                source, f"{key}.host", "must be a host name without scheme or port"
            )
        description = spec.get("description", "")
        if not isinstance(description, str):
            raise SiteDefinitionError(source, f"{key}.description", "must be a string")
        resources_spec = spec.get("resources")
        if not isinstance(resources_spec, Mapping) or not resources_spec:
            raise SiteDefinitionError(source, f"{key}.resources", "must be a non-empty mapping")
        resources: dict[str, Resource] = {}
        for path, res in resources_spec.items():
            rkey = f"{key}.resources[{path!r}]"
            if not isinstance(path, str) or not (path.startswith("/") or path == "*"):
                raise SiteDefinitionError(source, rkey, "a path must start with '/' (or be '*')")
            resources[path] = self.resource(res, path=path, source=source, key=rkey)
        return SiteDef(
            host=normal_host(host), resources=resources, description=description, source=source
        )

    def load(self, path: Path | Traversable | str) -> list[SiteDef]:
        """Return the sites of one YAML file, or of every ``*.yaml``/``*.yml`` in a flat folder.

        A file holds one site (a mapping) or several (a list of mappings); a folder's files
        are read in file-name order.
        """
        item: Path | Traversable = Path(path) if isinstance(path, str) else path
        if item.is_dir():
            children = sorted(
                (child for child in item.iterdir() if child.name.endswith((".yaml", ".yml"))),
                key=lambda child: child.name,
            )
            return [site for child in children for site in self._load_file(child)]
        if not item.is_file():
            raise SiteDefinitionError(str(item), "(file)", "no such file or folder")
        return self._load_file(item)

    def _load_file(self, item: Path | Traversable) -> list[SiteDef]:
        source = str(item)
        try:
            data = yaml.safe_load(item.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise SiteDefinitionError(source, "(file)", f"not valid YAML: {exc}") from None
        if isinstance(data, list):
            return [self.site(one, source=source, key=f"[{i}]") for i, one in enumerate(data)]
        return [self.site(data, source=source, key="site")]


def bundled_sites() -> list[SiteDef]:
    """Return the demo web: the sites of every ``*.yaml`` bundled in this package."""
    return SiteReader().load(files("crawlcheck.demo"))
