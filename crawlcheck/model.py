"""Frozen value types shared by the parsers, the evaluator and the reports.

Everything here is plain data: no I/O, no Scrapy. A parser turns a :class:`Fetched`
document into observations and problems; the rules (``rules/signals.yaml``) give each
observation an effect and purposes, which makes it a :class:`Finding`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from enum import StrEnum


class Purpose(StrEnum):
    """The uses a reservation speaks to (contract: "Vocabulary")."""

    TDM = "tdm"
    AI_TRAIN = "ai-train"
    AI_INPUT = "ai-input"
    SEARCH = "search"


#: The questions every report answers, in report order (contract: "Vocabulary").
PURPOSES: tuple[Purpose, ...] = tuple(Purpose)


class SiteVerdict(StrEnum):
    """The site verdict for one purpose (contract: "Vocabulary"), most reserved first."""

    RESERVED = "reserved"
    PARTIAL = "partial"
    NOT_RESERVED = "not-reserved"
    UNKNOWN = "unknown"


class UrlVerdict(StrEnum):
    """The decision for one URL and one purpose (contract: "Per URL")."""

    RESERVED = "reserved"
    ALLOWED = "allowed"
    UNKNOWN = "unknown"


class RobotsState(StrEnum):
    """How robots.txt treats one catalogued agent (contract: "Per agent")."""

    DISALLOWED = "disallowed"
    RESTRICTED = "restricted"
    ALLOWED = "allowed"
    UNREACHABLE = "unreachable"


class Effect(StrEnum):
    """What a finding does to a purpose."""

    RESERVE = "reserve"
    PERMIT = "permit"
    INFO = "info"


class Signal(StrEnum):
    """The kinds of evidence crawlcheck reads; values are the report's ``signal`` names."""

    ROBOTS = "robots.txt"
    AI_TXT = "ai.txt"
    TDMREP_FILE = "tdmrep.json"
    TDM_HEADER = "tdm-header"
    TDM_META = "tdm-meta"
    X_ROBOTS_TAG = "x-robots-tag"
    META_ROBOTS = "meta-robots"
    CONTENT_SIGNAL = "content-signal"
    CONTENT_USAGE = "content-usage"
    RSL = "rsl"
    LLMS_TXT = "llms.txt"
    IPTC_DATA_MINING = "iptc-data-mining"
    """XMP ``plus:DataMining`` embedded in an image or document (contract: "Additions")."""
    C2PA_TRAINING_MINING = "c2pa-training-mining"
    """CAWG ``cawg.training-mining`` or legacy ``c2pa.training-mining`` in a C2PA manifest."""
    XMP_TDMREP = "xmp-tdmrep"
    """TDMRep ``tdm:reservation`` / ``tdm:policy`` in XMP (PDF, images) or EPUB metadata."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """Where a statement was read, and its raw text."""

    source: str
    """URL (or local path) of the document the evidence came from."""
    text: str
    """The raw line, header value or element, as found (decoded, never normalised)."""
    line: int | None = None
    """1-based line number, for line-oriented files."""
    where: str = ""
    """How to find it in the document: ``"header X-Robots-Tag"``, ``"<meta name=robots>"``…"""

    def describe(self) -> str:
        """Return the evidence as one human-readable string (the report's ``evidence``)."""
        if self.line is not None:
            return f"line {self.line}: {self.text}"
        if self.where:
            return f"{self.where}: {self.text}"
        return self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """A defect of what a website served: recorded, never raised."""

    code: str
    """Stable dotted code, e.g. ``robots.html-served`` or ``tdmrep.invalid-json``."""
    message: str
    source: str
    line: int | None = None
    level: str = "warning"
    """``error`` (the signal could not be read), ``warning`` (read, but defective) or ``info``."""
    signal: Signal | None = None
    """The signal the problem is about, when one is: with level ``error``, the purposes that
    signal speaks to are unknown (fail closed)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """One statement a signal makes, before the rules give it a meaning."""

    signal: Signal
    key: str
    """Directive, category or property: ``noai``, ``ai-train``, ``tdm-reservation``, ``usage``."""
    value: str = ""
    """Its value as written (``no``, ``n``, ``1``); empty for bare directives such as ``noai``."""
    agents: tuple[str, ...] = ("*",)
    """Crawler tokens the statement is scoped to; ``("*",)`` for everyone."""
    scope: str = "/"
    """What it covers: a path pattern, ``page``, or a media-type glob such as ``*.jpg``."""
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """An observation with its meaning: the report's ``findings[]`` entry."""

    signal: Signal
    source: str
    effect: Effect
    purposes: tuple[str, ...]
    agents: tuple[str, ...]
    scope: str
    evidence: str
    line: int | None = None
    key: str = ""
    value: str = ""


def split_effects(findings: Iterable[Finding], purpose: str) -> tuple[list[Finding], list[Finding]]:
    """Return (reservations, permissions) among *findings* for *purpose*; info is dropped."""
    reserves: list[Finding] = []
    permits: list[Finding] = []
    for finding in findings:
        if purpose not in finding.purposes:
            continue
        if finding.effect is Effect.RESERVE:
            reserves.append(finding)
        elif finding.effect is Effect.PERMIT:
            permits.append(finding)
    return reserves, permits


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveRecord:
    """Where in a web archive a :class:`Fetched` was read: the evidence a finding cites."""

    file: str
    """The archive file as given (WARC, WARC.gz or ARC)."""
    offset: int
    """Byte offset of the record in the file (of its gzip member, for a .gz file)."""
    record_id: str
    """``WARC-Record-ID`` as written ('' for ARC, whose records have none)."""
    date: str
    """``WARC-Date`` as written: when the capture was made."""
    record_type: str = "response"
    """``response``, ``resource``, ``revisit``, or ``metadata`` (a WAT record)."""
    refers_to: str = ""
    """The record whose payload was used (a revisit's original), or that a WAT describes."""

    def describe(self) -> str:
        """Return the record as one line for a report's evidence.

        >>> ArchiveRecord(file="a.warc.gz", offset=7, record_id="<urn:x>", date="2024").describe()
        'archive record <urn:x> (a.warc.gz offset 7, 2024)'
        """
        via = f", payload from {self.refers_to}" if self.refers_to else ""
        kind = "" if self.record_type == "response" else f"{self.record_type} "
        name = f" {self.record_id}" if self.record_id else ""  # ARC records have no id
        return f"archive {kind}record{name} ({self.file} offset {self.offset}, {self.date}{via})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetched:
    """One HTTP exchange as crawlcheck saw it: the input of every parser.

    A network failure is a value too: ``status`` is ``None`` and ``error`` names it.
    """

    url: str
    """The URL requested first."""
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    """Every response header in order received; names as sent."""
    body: bytes = b""
    final_url: str = ""
    """URL of the response that was read, after redirects (``url`` when none)."""
    redirects: tuple[tuple[int, str], ...] = ()
    """Every redirect hop as (status, Location target), in order."""
    error: str | None = None
    """Machine code of a failure: ``timeout``, ``dns``, ``connection``, ``too-many-redirects``…"""
    fetched_at: str = ""
    """RFC 3339 time the response arrived."""
    elapsed_ms: float | None = None
    truncated: bool = False
    """The body was cut at the size limit."""
    record: ArchiveRecord | None = None
    """The web-archive record this was read from (None: fetched from the network)."""
    ranges: tuple[tuple[int, int], ...] = ()
    """Byte ranges of the file that ``body`` holds, as ``[start, end)`` offsets in body order
    (an image or document read with range requests); empty: ``body`` is the file from its
    first byte."""

    def header(self, name: str) -> str | None:
        """Return the first value of header *name* (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_values(self, name: str) -> tuple[str, ...]:
        """Return every value of header *name* (case-insensitive), in order."""
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key.lower() == wanted)

    @property
    def content_type(self) -> str:
        """Return the media type without parameters, lower-cased ('' when absent)."""
        raw = self.header("Content-Type") or ""
        return raw.split(";", 1)[0].strip().lower()

    @property
    def sha256(self) -> str:
        """Return the hex SHA-256 of the body as received."""
        return hashlib.sha256(self.body).hexdigest()

    @property
    def ok(self) -> bool:
        """Return True for a 2xx response."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True, kw_only=True)
class RangeRead:
    """One HTTP request of a media read: the range asked for, and what came back."""

    asked: str
    """The ``Range`` header sent (``""``: none, the whole body was asked for)."""
    status: int | None
    """HTTP status (``None``: no response)."""
    content_range: str = ""
    """The ``Content-Range`` header of the response, as sent."""
    received: int = 0
    """Body bytes received (before any were dropped as past the budget)."""
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaResult:
    """Every embedded signal of one file, classified, with what could not be read."""

    source: str
    media_type: str
    """Detected from the bytes (``""`` when not a container crawlcheck reads)."""
    size: int | None
    bytes_read: int
    """Bytes the planner held when it answered (the cost of the answer)."""
    findings: tuple[Finding, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    """Each finding's rule note, in finding order (why GENAIMLTRAINING is narrower…)."""
    c2pa: str = ""
    """C2PA state: ``absent``, ``valid``, ``valid-untrusted``, ``invalid``, ``unreadable``,
    ``remote``, ``not-installed``, ``unchecked`` (too large), or ``""`` (not looked for)."""
    remote_manifests: tuple[str, ...] = ()
    """C2PA manifest URLs the file names (XMP ``dcterms:provenance``)."""

    def state(self, purpose: str) -> str:
        """Return ``reserved``, ``permitted``, ``not-reserved`` or ``unknown`` for *purpose*.

        A reservation wins; otherwise any error (metadata not fully read, a value outside
        the vocabulary) makes it unknown; otherwise a permission; otherwise not reserved.
        """
        effects = {f.effect for f in self.findings if purpose in f.purposes}
        if Effect.RESERVE in effects:
            return "reserved"
        if any(p.level == "error" for p in self.problems):
            return "unknown"
        if Effect.PERMIT in effects:
            return "permitted"
        return "not-reserved"

    def states(self) -> dict[str, str]:
        """Return purpose -> state for every purpose, in ``PURPOSES`` order."""
        return {purpose: self.state(purpose) for purpose in PURPOSES}


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaFetch:
    """One image or document read over HTTP: every range fetched, and what it embeds.

    ``fetched`` is the evidence (the bytes received, at ``fetched.ranges``, and the first
    response's headers); ``result`` what the bounded-read planner made of them, computed in
    the crawl's process (the C2PA SDK runs there, never in the caller's). ``result`` is None
    when the file was not fetched at all (``skipped`` says why).
    """

    url: str
    fetched: Fetched | None = None
    result: MediaResult | None = None
    reads: tuple[RangeRead, ...] = ()
    """Every request made for the file, in order (redirect hops not included)."""
    found_on: str = ""
    """The page that embeds or links it (audit samples)."""
    how: str = ""
    """How the page names it: ``img``, ``srcset``, ``og:image``, ``link`` (audit samples)."""
    skipped: str = ""
    """Why it was not fetched (robots.txt of its host, …); ``""`` when it was."""

    @property
    def received(self) -> int:
        """Return the body bytes received over every request."""
        return sum(read.received for read in self.reads)


@dataclass(frozen=True, slots=True)
class SiteFile:
    """One of an origin's site-level files: where it is, and which signal it carries."""

    field: str
    """The :class:`SiteFetches` attribute that holds its fetch."""
    path: str
    signal: Signal


#: The site-level files of every origin, robots.txt first (it is fetched before the others).
SITE_FILES: tuple[SiteFile, ...] = (
    SiteFile("robots", "/robots.txt", Signal.ROBOTS),
    SiteFile("ai_txt", "/ai.txt", Signal.AI_TXT),
    SiteFile("tdmrep", "/.well-known/tdmrep.json", Signal.TDMREP_FILE),
    SiteFile("llms_txt", "/llms.txt", Signal.LLMS_TXT),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteFetches:
    """Everything the crawl fetched for one site: the input of the evaluator.

    The crawl (``crawlcheck.crawl``) produces it; nothing after it does I/O.
    """

    site: str
    """The site as the user gave it."""
    origin: str
    """``scheme://host[:port]`` actually audited."""
    robots: Fetched | None = None
    """/robots.txt; its ``redirects`` hold every hop (RFC 9309 §2.3.1.2)."""
    ai_txt: Fetched | None = None
    tdmrep: Fetched | None = None
    """/.well-known/tdmrep.json."""
    llms_txt: Fetched | None = None
    pages: tuple[Fetched, ...] = ()
    """Sampled pages, the home page first."""
    licenses: tuple[Fetched, ...] = ()
    """Licence documents (RSL) that robots.txt or a page pointed to."""
    skipped: tuple[tuple[str, str], ...] = ()
    """Pages not sampled, as (url, reason) — e.g. disallowed for crawlcheck by robots.txt."""
    blocked: tuple[tuple[str, str], ...] = ()
    """Fetches refused because the site pointed at a non-public address (SSRF), as (url,
    why): a licence, a sitemap or a redirect hop (crawlcheck.addresses)."""
    started_at: str = ""
    finished_at: str = ""
    media: tuple[MediaFetch, ...] = ()
    """Images and documents the sampled pages embed or link, sampled and read (docs/media.md)."""

    def site_files(self) -> Iterator[tuple[SiteFile, Fetched | None]]:
        """Yield each site-level file with its fetch (None when it was not fetched)."""
        for site_file in SITE_FILES:
            yield site_file, getattr(self, site_file.field)


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The site verdict for one purpose, with the reasons behind it."""

    purpose: Purpose
    verdict: SiteVerdict
    reasons: tuple[str, ...] = ()
    """Plain-language reasons, each naming the finding(s) behind the verdict."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentReport:
    """How robots.txt treats one catalogued AI agent."""

    token: str
    robots: RobotsState
    purposes: tuple[str, ...]
    operator: str = ""
    evidence: str = ""
    """The deciding line(s), e.g. ``line 12: Disallow: / (group: line 10 User-agent: GPTBot)``."""
    group: str = ""
    """Which group applied: ``own`` (a group naming it), ``*``, ``none``, or ``""`` (no rules read)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchRecord:
    """One fetch of the audit, as the report's ``fetches[]`` shows it."""

    url: str
    kind: str
    """``robots.txt``, ``ai.txt``, ``tdmrep.json``, ``llms.txt``, ``page``, ``sitemap``, ``license``."""
    status: int | None
    final_url: str
    sha256: str | None
    fetched_at: str
    error: str | None
    content_type: str = ""
    size: int = 0
    redirects: tuple[tuple[int, str], ...] = ()
    elapsed_ms: float | None = None
    truncated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaRecord:
    """One sampled image or document, as the report's ``media_sampled[]`` shows it."""

    url: str
    found_on: str
    how: str
    media_type: str
    """Detected from the bytes (``""``: not read, or not an image or document)."""
    content_type: str
    """As served (``Content-Type`` without parameters)."""
    status: int | None
    error: str | None
    size: int | None
    """The file's size when known (``Content-Range``, ``Content-Length``)."""
    bytes_fetched: int
    """Body bytes received over every request for it."""
    requests: int
    states: tuple[tuple[str, str], ...] = ()
    """(purpose, ``reserved``/``permitted``/``not-reserved``/``unknown``), in PURPOSES order;
    empty when it was not read."""
    c2pa: str = ""
    skipped: str = ""
    """Why it was not fetched; ``""`` when it was."""
    problems: tuple[str, ...] = ()
    """Codes of the problems that made it unreadable (error level)."""

    def state(self, purpose: str) -> str:
        """Return the file's state for *purpose* (``unknown`` when it was not read)."""
        return dict(self.states).get(purpose, "unknown")


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteReport:
    """The audit of one site: the JSON report's ``sites[]`` entry."""

    site: str
    origin: str
    verdicts: tuple[Verdict, ...]
    """One per purpose, in ``PURPOSES`` order."""
    agents: tuple[AgentReport, ...]
    findings: tuple[Finding, ...]
    fetches: tuple[FetchRecord, ...]
    problems: tuple[Problem, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    """Pages not sampled, as (url, reason)."""
    started_at: str = ""
    finished_at: str = ""
    inputs: tuple[str, ...] = ()
    """Every input that named this site (the same origin given several ways)."""
    media: tuple[MediaRecord, ...] = ()
    """The images and documents sampled from its pages (``media_sampled[]``)."""

    def verdict(self, purpose: str) -> SiteVerdict:
        """Return the verdict for *purpose* (``unknown`` if it was not evaluated)."""
        for verdict in self.verdicts:
            if verdict.purpose == purpose:
                return verdict.verdict
        return SiteVerdict.UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlDecision:
    """The decision for one URL and one purpose: ``reserved``, ``allowed`` or ``unknown``."""

    url: str
    purpose: Purpose
    agent: str | None
    decision: UrlVerdict
    reasons: tuple[Finding, ...] = ()
    """The findings behind the decision (reservations first); empty when nothing applies."""
    problems: tuple[Problem, ...] = ()
    """Why the decision is ``unknown``, or defects met on the way."""

    def for_url(self, url: str) -> UrlDecision:
        """Return this decision for *url*, another URL its site's files decide alike.

        Filtering builds one per URL from a decision its plan shares, so the slots are set
        directly (as the frozen dataclass's ``__init__`` does, at under half its cost).
        """
        decision: UrlDecision = object.__new__(UrlDecision)
        set_url, set_purpose, set_agent, set_decision, set_reasons, set_problems = _URL_SLOTS
        set_url(decision, url)
        set_purpose(decision, self.purpose)
        set_agent(decision, self.agent)
        set_decision(decision, self.decision)
        set_reasons(decision, self.reasons)
        set_problems(decision, self.problems)
        return decision


#: The slot setters of UrlDecision's fields, in order (UrlDecision.for_url).
_URL_SLOTS: tuple[Callable[[UrlDecision, object], None], ...] = tuple(
    getattr(UrlDecision, field.name).__set__ for field in fields(UrlDecision)
)
