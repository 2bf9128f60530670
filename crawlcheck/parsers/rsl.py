"""RSL 1.0 (Really Simple Licensing, https://rslstandard.org/rsl): discovery and licence XML.

Discovery (in :mod:`crawlcheck.parsers._rsl_links`, re-exported here): the ``Link``
response header and ``<link rel="license">`` of a page (robots.txt ``License:`` records
are read by :mod:`crawlcheck.parsers.robots`). The licence document
is XML in the ``https://rslstandard.org/rsl`` namespace; it is parsed with ``defusedxml``
so a hostile file cannot declare entities (billion laughs, external entities reading
local files) — such a file is reported, never expanded — and nothing is ever fetched.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from crawlcheck.model import Evidence, Fetched, Observation, Problem, Signal
from crawlcheck.parsers._rsl_links import MEDIA_TYPE, LicenseLink, license_links
from crawlcheck.parsers.pattern import compile_pattern, escape_pattern, path_of
from crawlcheck.parsers.text import looks_like_html
from crawlcheck.urls import origin_of

__all__ = [
    "MAX_BYTES",
    "MEDIA_TYPE",
    "NAMESPACE",
    "USAGE_TOKENS",
    "USER_TOKENS",
    "LicenseLink",
    "RslContent",
    "RslLicense",
    "RslTerm",
    "license_links",
    "parse_rsl",
]

NAMESPACE = "https://rslstandard.org/rsl"
#: RSL 1.0 usage vocabulary (spec §"permits"/"prohibits", type="usage").
USAGE_TOKENS: frozenset[str] = frozenset(
    {"all", "ai-all", "ai-train", "ai-input", "ai-index", "search"}
)
#: User classes (type="user"); geo values are ISO 3166 codes and are not checked.
USER_TOKENS: frozenset[str] = frozenset(
    {"commercial", "non-commercial", "education", "government", "personal"}
)
#: Licence documents are small; a larger body is not parsed.
MAX_BYTES = 1024 * 1024
_XML_TYPES = frozenset({MEDIA_TYPE, "application/xml", "text/xml", ""})


@dataclass(frozen=True, slots=True, kw_only=True)
class RslTerm:
    """One ``<permits>``, ``<prohibits>`` or ``<payment>`` element."""

    kind: str
    """``permits``, ``prohibits`` or ``payment``."""
    type: str
    """The ``type`` attribute: ``usage``/``user``/``geo``, or a payment type."""
    values: tuple[str, ...]
    """Tokens of a permits/prohibits element (split on whitespace and commas)."""
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class RslContent:
    """One ``<content>`` element: a URL pattern and the licence terms for it."""

    url: str
    server: str | None
    permits: frozenset[str]
    """Known usage tokens permitted (``type="usage"``)."""
    prohibits: frozenset[str]
    payment: tuple[str, ...]
    """Payment types in document order; empty means free (spec: no payment element)."""
    evidence: Evidence
    terms: tuple[RslTerm, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RslLicense:
    """A parsed RSL licence document."""

    source: str
    usable: bool
    """The document was read as RSL and has at least one ``<content>`` with a URL."""
    contents: tuple[RslContent, ...]
    problems: tuple[Problem, ...]

    def terms_for(self, url: str) -> RslContent | None:
        """Return the ``<content>`` whose URL pattern matches *url*, or None (no RSL terms).

        Patterns follow RFC 9309 matching (``*``, ``$``); a full-URL pattern must also have
        *url*'s scheme, host and port; a server path applies to any host. The longest
        matching path pattern wins (as in robots.txt); on a tie, the first in the document.
        """
        index = self.match(url)
        return None if index is None else self.contents[index]

    def match(self, url: str) -> int | None:
        """Return the index in :attr:`contents` of the terms for *url* (see :meth:`terms_for`)."""
        path = path_of(url)
        best: int | None = None
        best_len = -1
        for index, content in enumerate(self.contents):
            pattern = _path_pattern(content.url, url)
            if pattern is None or not compile_pattern(pattern)(path):
                continue
            if len(pattern) > best_len:
                best, best_len = index, len(pattern)
        return best

    def observations(self) -> tuple[Observation, ...]:
        """Return one observation per usage token, user/geo condition, payment and server."""
        found: list[tuple[str, str, Evidence, str]] = []
        for content in self.contents:
            for term in content.terms:
                if term.kind == "payment":
                    found.append(("payment", term.type, term.evidence, content.url))
                    continue
                for value in term.values:
                    if term.type == "usage" and value in USAGE_TOKENS:
                        found.append((term.kind, value, term.evidence, content.url))
                    elif term.type in ("user", "geo"):
                        key = f"{term.kind}-{term.type}"
                        found.append((key, value, term.evidence, content.url))
            if not content.payment:  # spec: no <payment> element means free
                found.append(("payment", "free", content.evidence, content.url))
            if content.server:
                found.append(("server", content.server, content.evidence, content.url))
        return tuple(
            Observation(signal=Signal.RSL, key=key, value=value, scope=scope, evidence=evidence)
            for key, value, evidence, scope in found
        )


def parse_rsl(doc: Fetched) -> RslLicense:
    """Return the licence terms of an RSL document; never raises, never fetches.

    >>> body = b'''<rsl xmlns="https://rslstandard.org/rsl"><content url="/">
    ...   <license><prohibits type="usage">ai-train</prohibits></license></content></rsl>'''
    >>> lic = parse_rsl(Fetched(url="https://e.com/license.xml", status=200, body=body))
    >>> lic.usable, sorted(lic.terms_for("https://e.com/a").prohibits)
    (True, ['ai-train'])
    """
    source = doc.url
    problems: list[Problem] = []

    def fail(code: str, message: str, line: int | None = None, level: str = "error") -> RslLicense:
        # "error": the document may hold terms nobody could read (crawlcheck.access);
        # "warning": it is not an RSL licence at all, so it licenses and reserves nothing.
        problems.append(Problem(code=code, message=message, source=source, line=line, level=level))
        return RslLicense(source=source, usable=False, contents=(), problems=tuple(problems))

    if not doc.ok:
        reason = doc.error or f"HTTP status {doc.status}"
        level = "warning" if doc.status is not None and 400 <= doc.status < 500 else "error"
        return fail("rsl.fetch-failed", f"the licence could not be fetched ({reason})", None, level)
    if len(doc.body) > MAX_BYTES:
        return fail("rsl.too-large", f"licence is {len(doc.body):,} bytes; not parsed")
    if doc.truncated:
        problems.append(
            Problem(
                code="rsl.truncated", message="the body was cut at the size limit", source=source
            )
        )
    if looks_like_html(doc.body, doc.content_type):
        return fail(
            "rsl.html-served", "an HTML page was served, not an RSL document", None, "warning"
        )
    if doc.content_type not in _XML_TYPES:
        problems.append(
            Problem(
                code="rsl.content-type",
                message=f"served as '{doc.content_type}', expected {MEDIA_TYPE}",
                source=source,
                level="info",
            )
        )
    try:
        root, lines = _parse_xml(doc.body)
    except DefusedXmlException as exc:
        return fail("rsl.unsafe-xml", f"refused: the XML declares entities or a DTD ({exc})")
    except ET.ParseError as exc:
        return fail("rsl.invalid-xml", f"not well-formed XML ({exc})", exc.position[0])
    except Exception as exc:  # expat raises a few other errors on odd encodings
        return fail("rsl.invalid-xml", f"not readable as XML ({type(exc).__name__}: {exc})")
    namespace, name = _split_tag(root.tag)
    if name != "rsl":
        return fail("rsl.not-rsl", f"root element is <{name}>, not <rsl>", None, "warning")
    if namespace != NAMESPACE:
        problems.append(
            Problem(
                code="rsl.namespace",
                message=f"<rsl> is not in the {NAMESPACE} namespace"
                + (f" (found '{namespace}')" if namespace else " (none declared)")
                + "; read anyway",
                source=source,
            )
        )
    reader = _ContentReader(source, lines, problems)
    read = (reader.read(e) for e in root if _split_tag(e.tag)[1] == "content")
    contents = tuple(content for content in read if content is not None)
    if not contents:
        problems.append(
            Problem(
                code="rsl.no-content",
                message="no <content url> element: the licence covers nothing",
                source=source,
                level="error",
            )
        )
    return RslLicense(
        source=source, usable=bool(contents), contents=contents, problems=tuple(problems)
    )


class _ContentReader:
    """Turn ``<content>`` elements into :class:`RslContent`, collecting problems."""

    def __init__(self, source: str, lines: dict[int, int], problems: list[Problem]) -> None:
        self.source = source
        self.lines = lines
        self.problems = problems

    def read(self, element: ET.Element) -> RslContent | None:
        url = (element.get("url") or "").strip()
        server = (element.get("server") or "").strip() or None
        line = self.lines.get(id(element))
        start = f'<content url="{url}"' + (f' server="{server}"' if server else "") + ">"
        evidence = Evidence(source=self.source, text=start, line=line)
        if not url:
            self._problem("rsl.content-without-url", "<content> without url: ignored", line)
            return None
        licenses = [e for e in element if _split_tag(e.tag)[1] == "license"]
        if not licenses:
            self._problem("rsl.no-license", f"<content url={url}> has no <license>", line)
        elif len(licenses) > 1:
            self._problem(
                "rsl.several-licenses",
                f"<content url={url}> offers {len(licenses)} licences; their terms are merged "
                "(permits and prohibits united)",
                line,
                level="info",
            )
        terms = tuple(
            self._term(child)
            for child in element.iter()
            if _split_tag(child.tag)[1] in ("permits", "prohibits", "payment")
        )
        permits = self._usage(terms, "permits")
        prohibits = self._usage(terms, "prohibits")
        return RslContent(
            url=url,
            server=server,
            permits=permits,
            prohibits=prohibits,
            payment=tuple(t.type for t in terms if t.kind == "payment"),
            evidence=evidence,
            terms=terms,
        )

    def _term(self, element: ET.Element) -> RslTerm:
        kind = _split_tag(element.tag)[1]
        line = self.lines.get(id(element))
        type_ = (element.get("type") or "").strip().lower()
        text = " ".join((element.text or "").split())
        raw = f'<{kind} type="{type_}">{text}</{kind}>' if type_ else f"<{kind}>{text}</{kind}>"
        evidence = Evidence(source=self.source, text=raw, line=line)
        if kind == "payment":
            return RslTerm(kind=kind, type=type_ or "unspecified", values=(), evidence=evidence)
        if not type_:
            self._problem("rsl.missing-type", f"{raw}: no type attribute; read as usage", line)
            type_ = "usage"
        values = tuple(text.replace(",", " ").split())
        if type_ != "geo":  # geo values are ISO 3166 codes, conventionally upper-case
            values = tuple(value.lower() for value in values)
        if "," in text:
            self._problem(
                "rsl.comma-separated", f"{raw}: values should be space-separated", line, "info"
            )
        known = {"usage": USAGE_TOKENS, "user": USER_TOKENS}.get(type_)
        if type_ not in ("usage", "user", "geo"):
            self._problem("rsl.unknown-type", f"{raw}: unknown type '{type_}'", line)
        elif known is not None:
            for value in values:
                if value not in known:
                    self._problem("rsl.unknown-token", f"{raw}: unknown {type_} '{value}'", line)
        return RslTerm(kind=kind, type=type_, values=values, evidence=evidence)

    @staticmethod
    def _usage(terms: tuple[RslTerm, ...], kind: str) -> frozenset[str]:
        return frozenset(
            value
            for term in terms
            if term.kind == kind and term.type == "usage"
            for value in term.values
            if value in USAGE_TOKENS
        )

    def _problem(self, code: str, message: str, line: int | None, level: str = "warning") -> None:
        self.problems.append(
            Problem(code=code, message=message, source=self.source, line=line, level=level)
        )


class _LineTreeBuilder(ET.TreeBuilder):
    """Build the tree and remember each element's line (evidence needs line numbers)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[int, int] = {}
        self.expat: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        if self.expat is not None:
            self.lines[id(element)] = self.expat.CurrentLineNumber
        return element


def _parse_xml(body: bytes) -> tuple[ET.Element, dict[int, int]]:
    """Parse *body* with entity declarations and external references forbidden."""
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    builder.expat = parser.parser
    parser.feed(body)
    root = parser.close()
    return root, builder.lines


def _split_tag(tag: object) -> tuple[str, str]:
    """Return (namespace, local name) of an ElementTree tag such as ``{ns}content``."""
    if not isinstance(tag, str):  # comments and processing instructions
        return "", ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _path_pattern(content_url: str, url: str) -> str | None:
    """Return the path pattern of a ``<content url>`` that can apply to *url*, or None."""
    if content_url.startswith("/"):
        return escape_pattern(content_url.encode("utf-8"))
    if "://" in content_url:
        if origin_of(content_url) != origin_of(url) or origin_of(url) is None:
            return None
        return escape_pattern(path_of(content_url).encode("utf-8"))
    # Neither a server path nor a full URL (e.g. "*"): read it as a server path.
    raw = content_url if content_url.startswith("*") else "/" + content_url
    return escape_pattern(raw.encode("utf-8"))
