"""The hostile web: sites that misbehave as servers on the open web do, and what is honest.

Every :class:`Case` is one way a server (or a URL list) can try to turn doubt into
permission: a site file that fails in one of many ways, a robots.txt cut or mangled, a page
whose reservation cannot be read, a URL that names another path or host than it seems to.
For each, the honest per-URL answer is ``reserved`` or ``unknown`` and the honest site
verdict is anything but ``not-reserved``; tests/test_hostile_surfaces.py runs every case
through ``filter``, ``check``, the Scrapy add-on and ``audit`` and counts the fail-opens.
A few :data:`CONTROLS` are well-behaved sites whose honest answer is exact (``allowed``
too), so a broken harness (everything ``unknown``) cannot pass.

The sites are served by the fixture web (tests/webfixture.py) on 127.0.0.1 as an HTTP
proxy; the raw-byte faults (``raw_hex``, ``reset``, ``drip``, ``header_bytes``) are its
hostile-server keys (docs/fixture-web.md). Hosts are under ``.hostile.test`` (RFC 2606).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hostile_faults import (
    AI_TXT_RESERVE,
    ALLOW_ALL,
    ALLOW_PREFIX,
    DISALLOW_ALL,
    FAULTS,
    TDMREP_OPEN,
    TDMREP_RESERVE,
    gzip_gzip,
    hexed,
    padded,
    partial_then_reserve,
    text,
)
from webfixture import FixtureSite, parse_site

from crawlcheck.parsers.robots import MAX_BYTES as ROBOTS_MAX_BYTES

DOMAIN = "hostile.test"
#: The body cap of every file but robots.txt (crawlcheck.crawl.options.CrawlOptions).
FILE_CAP = 1024 * 1024
PLAIN_PAGE = (
    "<!doctype html><html><head><title>A page</title></head><body><p>Hello.</p></body></html>\n"
)
#: A page reserved by its robots meta, placed late in its head: a reader that uses part of
#: the body (a partial decode) misses it.
NOAI_PAGE = (
    "<!doctype html><html><head><title>Reserved</title><style>"
    + "p { margin: 0 }\n" * 800
    + '</style><meta name="robots" content="noai, noimageai"></head>'
    "<body><p>Not for training.</p></body></html>\n"
)
#: Addresses a redirect must never reach (SSRF): loopback, private, link-local metadata.
#: They are served by the fixture web as proxy hosts only; nothing is ever sent to them.
FORBIDDEN_HOSTS = ("127.0.0.2", "10.20.30.40", "169.254.169.254")

#: Surfaces (tests/test_hostile_surfaces.py).
FILTER = "filter"
CHECK = "check"
ADDON = "add-on"
AUDIT = "audit"
SURFACES = (FILTER, CHECK, ADDON, AUDIT)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One hostile situation, the URLs it affects, and the answers that are honest there."""

    name: str
    kind: str
    """``site-file``, ``robots``, ``page`` or ``url``: which part of the web misbehaves."""
    note: str
    """Why the honest answer is what it is (spec clause or reason)."""
    urls: tuple[str, ...]
    """URLs decided per URL (``filter``, ``check``: the first, the add-on)."""
    origin: str | None
    """The site ``audit`` audits (None: the case is about URLs, not a site)."""
    honest: frozenset[str] = frozenset({"reserved", "unknown"})
    """Per-URL decisions that are honest (never ``allowed`` for a hostile case)."""
    site_honest: frozenset[str] = frozenset({"reserved", "partial", "unknown"})
    """Site verdicts for ``ai-train`` that are honest (never ``not-reserved``)."""
    pages: bool = False
    """The answer is in the page itself: ``filter`` must read pages (``--pages``)."""
    surfaces: tuple[str, ...] = SURFACES
    """Where the case applies (a URL form Scrapy rewrites before the add-on sees it is no
    case for the add-on: the add-on decides on the URL Scrapy really fetches)."""
    xfail: Mapping[str, str] = field(default_factory=dict)
    """Surface -> reason, for fail-opens whose fix is another helper's (strict xfail)."""


# -- building sites ------------------------------------------------------------------------


def host(name: str) -> str:
    """Return the host name of case *name*."""
    return f"{name}.{DOMAIN}"


def url(name: str, path: str = "/page") -> str:
    """Return a URL on the host of case *name*."""
    return f"http://{host(name)}{path}"


def site(hostname: str, resources: Mapping[str, Mapping[str, Any]], note: str) -> FixtureSite:
    """Return a fixture site: a plain home page and ``/page``, plus *resources*."""
    absent = {"status": 404, "body": "Not here\n", "content_type": "text/plain"}
    base: dict[str, Mapping[str, Any]] = {
        "/robots.txt": {"body": ALLOW_ALL},
        "/ai.txt": absent,
        "/.well-known/tdmrep.json": absent,
        "/llms.txt": absent,
        "/sitemap.xml": absent,
        # Every other path is a page, so that whatever a surface lets through is fetched.
        "*": {"body": PLAIN_PAGE},
    }
    base.update(resources)
    return parse_site(
        {"host": hostname, "description": note, "resources": base}, source=f"<{hostname}>"
    )


# -- site files (ai.txt, tdmrep.json) --------------------------------------------------------

SITE_FILES = {
    "ai-txt": ("/ai.txt", "text/plain; charset=utf-8", AI_TXT_RESERVE),
    "tdmrep": ("/.well-known/tdmrep.json", "application/json", TDMREP_RESERVE),
}


def _site_file_body(slug: str, reserving: bool) -> bytes:
    _, _, reserve = SITE_FILES[slug]
    if slug == "tdmrep":
        # JSON has no valid prefix; a permissive file that arrives broken must never count.
        return text(reserve if reserving else TDMREP_OPEN)
    return text(reserve) if reserving else partial_then_reserve(reserve)


def site_file_cases() -> Iterator[tuple[Case, list[FixtureSite]]]:
    """Yield ai.txt and tdmrep.json failing in every way of :data:`FAULTS`, and more."""
    for fault_name, (fault, reserving) in FAULTS.items():
        for slug, (path, ctype, _) in SITE_FILES.items():
            name = f"{slug}-{fault_name}"
            resource = fault(_site_file_body(slug, reserving), ctype)
            note = (
                f"{path} {fault_name}: only a whole 2xx or a 4xx is an answer; anything "
                "else makes what the file says unknown (crawlcheck.access, issue 7 item 1/3)"
            )
            yield (
                Case(
                    name=name,
                    kind="site-file",
                    note=note,
                    urls=(url(name),),
                    origin=f"http://{host(name)}",
                ),
                [site(host(name), {path: resource}, note)],
            )
    # Larger than the body cap: cut, so never read as if whole.
    for slug, (path, ctype, reserve) in SITE_FILES.items():
        name = f"{slug}-over-cap"
        body = padded(ALLOW_PREFIX, reserve, 2 * FILE_CAP) if slug == "ai-txt" else None
        generate = (
            {"body_hex": hexed(body)}
            if body is not None
            else {"generate": {"size": 2 * FILE_CAP, "line": " \n", "head": "[", "tail": "]"}}
        )
        note = f"{path} larger than the {FILE_CAP:,}-byte cap: cut, never parsed as if whole"
        yield (
            Case(
                name=name,
                kind="site-file",
                note=note,
                urls=(url(name),),
                origin=f"http://{host(name)}",
            ),
            [site(host(name), {path: {**generate, "content_type": ctype}}, note)],
        )
    # A redirect chain that never ends, and a redirect with no usable Location.
    name = "ai-txt-redirect-loop"
    note = "/ai.txt redirects in a loop: the chain does not end, the file is unreadable"
    yield (
        Case(name=name, kind="site-file", note=note, urls=(url(name),), origin=_origin(name)),
        [
            site(
                host(name),
                {
                    "/ai.txt": {"redirect": {"to": "/ai2.txt", "status": 302}},
                    "/ai2.txt": {"redirect": {"to": "/ai.txt", "status": 302}},
                },
                note,
            )
        ],
    )
    name = "tdmrep-3xx-without-location"
    note = "tdmrep.json answers 302 without Location: not 2xx, not 4xx, so unreadable"
    yield (
        Case(name=name, kind="site-file", note=note, urls=(url(name),), origin=_origin(name)),
        [
            site(
                host(name),
                {"/.well-known/tdmrep.json": {"status": 302, "body": "moved\n"}},
                note,
            )
        ],
    )


def _origin(name: str) -> str:
    return f"http://{host(name)}"


# -- robots.txt ------------------------------------------------------------------------------

#: What a robots.txt fault may deliver: RFC 9309 §2.3.1.4 makes 5xx, network failures and
#: incomplete responses "unreachable" (assume complete disallow), i.e. unknown.
ROBOTS_FAULTS = {
    name: spec
    for name, spec in FAULTS.items()
    if name not in ("gzip-gzip",)  # decoded, it is a valid file: a control below
}


def robots_cases() -> Iterator[tuple[Case, list[FixtureSite]]]:
    """Yield robots.txt failing in every way of :data:`FAULTS`, cut mid-line, redirected."""
    ctype = "text/plain; charset=utf-8"
    for fault_name, (fault, reserving) in ROBOTS_FAULTS.items():
        name = f"robots-{fault_name}"
        body = text(DISALLOW_ALL) if reserving else partial_then_reserve(DISALLOW_ALL)
        note = (
            f"robots.txt {fault_name}: RFC 9309 §2.3.1.4 (5xx, network failure, incomplete or "
            "undecodable response) makes it unreachable: assume complete disallow, so unknown"
        )
        yield (
            Case(name=name, kind="robots", note=note, urls=(url(name),), origin=_origin(name)),
            [site(host(name), {"/robots.txt": fault(body, ctype)}, note)],
        )
    # Over 500 KiB, cut so that "Allow: /public/site.css" becomes "Allow: /" (issue 7 item 4).
    name = "robots-cut-mid-line"
    kept = "Allow: /"
    tail = "Allow: /public/site.css\n"
    head = "User-agent: *\nDisallow: /\n"
    before = ROBOTS_MAX_BYTES - len(kept)
    body = padded(head, "", before) + tail.encode() + padded("", "", 4096)
    note = (
        "robots.txt over the 500 KiB read limit, cut mid-line: the partial last line "
        "'Allow: /' must be dropped (RFC 9309 §2.5 lets a crawler stop at 500 KiB; a cut "
        "line is not a rule), so Disallow: / still holds"
    )
    yield (
        Case(
            name=name,
            kind="robots",
            note=note,
            urls=(url(name, "/private/x"),),
            origin=_origin(name),
            honest=frozenset({"reserved", "unknown"}),
            site_honest=frozenset({"reserved", "unknown"}),
        ),
        [site(host(name), {"/robots.txt": {"body_hex": hexed(body), "content_type": ctype}}, note)],
    )


# -- redirects to addresses a crawler must not reach (SSRF) -----------------------------------


def ssrf_cases() -> Iterator[tuple[Case, list[FixtureSite]]]:
    """Yield site files redirected to loopback, private and metadata addresses."""
    for address in FORBIDDEN_HOSTS:
        slug = address.replace(".", "-")
        for path, label in (("/robots.txt", "robots"), ("/ai.txt", "ai-txt")):
            name = f"{label}-redirect-to-{slug}"
            note = (
                f"{path} redirects to http://{address}{path}: loopback, private and link-local "
                "addresses are refused (issue 7, SSRF), so the file is unreadable: unknown"
            )
            yield (
                Case(
                    name=name,
                    kind="site-file" if label == "ai-txt" else "robots",
                    note=note,
                    urls=(url(name),),
                    origin=_origin(name),
                ),
                [
                    site(
                        host(name),
                        {path: {"redirect": {"to": f"http://{address}{path}", "status": 302}}},
                        note,
                    )
                ],
            )


def forbidden_sites() -> list[FixtureSite]:
    """Return what the forbidden addresses would serve: allow-all files (a trap)."""
    return [
        site(address, {"/ai.txt": {"body": ALLOW_ALL}}, "reached only by a crawler that follows")
        for address in FORBIDDEN_HOSTS
    ]


# -- pages whose reservation cannot be read -----------------------------------------------------

PAGE_FAULTS = ("gzip-cut-in-half", "gzip-garbage", "zstd", "gzip-gzip")


def page_cases() -> Iterator[tuple[Case, list[FixtureSite]]]:
    """Yield pages whose ``noai`` cannot be read (issue 7 item 6), or is past a cap."""
    ctype = "text/html; charset=utf-8"
    for fault_name in PAGE_FAULTS:
        fault, _ = FAULTS[fault_name]
        name = f"page-{fault_name}"
        body = NOAI_PAGE.encode()
        note = (
            f"the page's Content-Encoding {fault_name}: a body that does not decode to its end "
            "is not read, so its signals are unknown (issue 7 item 6; RFC 9110 §8.4)"
        )
        yield (
            Case(
                name=name,
                kind="page",
                note=note,
                urls=(url(name),),
                origin=_origin(name),
                pages=True,
            ),
            [site(host(name), {"/page": fault(body, ctype), "/": fault(body, ctype)}, note)],
        )
    name = "page-over-cap"
    note = (
        "a page larger than the 1 MiB body cap whose robots meta comes after the cap: what was "
        "not read may reserve, so the page is not read as if whole (as a cut site file)"
    )
    big = NOAI_PAGE.replace("p { margin: 0 }\n" * 800, "p { margin: 0 }\n" * 100_000)
    resource = {"body": big, "content_type": "text/html; charset=utf-8"}
    yield (
        Case(
            name=name, kind="page", note=note, urls=(url(name),), origin=_origin(name), pages=True
        ),
        [site(host(name), {"/page": resource, "/": resource}, note)],
    )
    name = "page-8mb-headers"
    note = (
        "8 MB of response headers before 'X-Robots-Tag: noai': more than the header cap, so the "
        "headers are not all known and the page is not read"
    )
    resource = {
        "body": PLAIN_PAGE,
        "header_bytes": 8 * 1024 * 1024,
        "headers": {"X-Robots-Tag": "noai"},
    }
    yield (
        Case(
            name=name, kind="page", note=note, urls=(url(name),), origin=_origin(name), pages=True
        ),
        [site(host(name), {"/page": resource, "/": resource}, note)],
    )


# -- URL forms ------------------------------------------------------------------------------------

FORMS = host("forms")
EVIL = host("evil")
OPEN = host("open")
IDN = "xn--bcher-kva." + DOMAIN  # bücher.hostile.test

#: (name, URL, surfaces, note). robots.txt of FORMS: Disallow: /private and /privé for all.
URL_FORMS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("dot-dot", f"http://{FORMS}/public/../private/x", SURFACES, "RFC 3986 §5.2.4"),
    ("dot", f"http://{FORMS}/./private/x", SURFACES, "RFC 3986 §5.2.4"),
    ("encoded-p", f"http://{FORMS}/%70rivate/x", SURFACES, "RFC 9309 §2.2.2, RFC 3986 §2.3"),
    ("encoded-mid", f"http://{FORMS}/pri%76ate/x", SURFACES, "RFC 3986 §2.3"),
    ("encoded-dots", f"http://{FORMS}/public/%2e%2e/private/x", SURFACES, "RFC 3986 §2.3, §5.2.4"),
    ("mixed-dots", f"http://{FORMS}/public/.%2E/private/x", SURFACES, "RFC 3986 §2.3, §5.2.4"),
    ("encoded-dot", f"http://{FORMS}/%2e/private/x", SURFACES, "RFC 3986 §2.3, §5.2.4"),
    (
        "backslash-path",
        f"http://{FORMS}/public\\..\\private/x",
        SURFACES,
        "WHATWG URL: '\\' is '/' in an http(s) path (Scrapy/w3lib, browsers send /private/x)",
    ),
    ("upper-scheme-host", f"HTTP://{FORMS.upper()}/private/x", SURFACES, "RFC 3986 §6.2.2.1"),
    ("userinfo", f"http://user:secret@{FORMS}/private/x", SURFACES, "RFC 3986 §3.2.1"),
    ("default-port", f"http://{FORMS}:80/private/x", SURFACES, "RFC 3986 §6.2.3"),
    ("other-port", f"http://{FORMS}:8080/private/x", SURFACES, "same robots.txt served there"),
    ("trailing-dot", f"http://{FORMS}./private/x", SURFACES, "a FQDN: the same host"),
    ("fragment", f"http://{FORMS}/private/x#top", SURFACES, "RFC 3986 §3.5"),
    ("non-ascii-path", f"http://{FORMS}/privé/x", SURFACES, "RFC 9309 §2.2.2 (UTF-8, escaped)"),
    ("idn-host", f"http://bücher.{DOMAIN}/private/x", SURFACES, "IDNA: xn--bcher-kva"),
    (
        "ideographic-dot",
        f"http://evil\u3002{DOMAIN}/x",
        SURFACES,
        "IDNA maps U+3002 to '.': evil.hostile.test",
    ),
    ("fullwidth-host", f"http://\uff45vil.{DOMAIN}/x", SURFACES, "IDNA maps fullwidth 'e'"),
    (
        "backslash-at",
        f"http://{EVIL}\\@{OPEN}/x",
        SURFACES,
        "WHATWG/urllib3 read host evil, RFC 3986 parsers open: ambiguous, malformed",
    ),
    (
        "port-as-userinfo",
        f"http://{OPEN}:80@{EVIL}/x",
        SURFACES,
        "userinfo 'open…:80', host evil (RFC 3986 §3.2)",
    ),
    (
        "percent-host",
        f"http://%65vil.{DOMAIN}/x",
        SURFACES,
        "browsers decode the host to evil; RFC 3986 parsers do not: malformed",
    ),
    (
        "single-slash",
        f"http:/{EVIL}/x",
        SURFACES,
        "WHATWG reads host evil; RFC 3986 no host: malformed",
    ),
    (
        "tab-in-path",
        f"http://{FORMS}/pri\tvate/x",
        SURFACES,
        "WHATWG strips tabs: /private/x; a URL with a control character is malformed",
    ),
    (
        "very-long",
        f"http://{EVIL}/" + "a" * 9000,
        SURFACES,
        "longer than crawlcheck's URL limit (8192): malformed, never passed undecided",
    ),
)


def url_cases() -> Iterator[tuple[Case, list[FixtureSite]]]:
    """Yield the tricky URL forms of issue 7 item 2, each against a reserving robots.txt."""
    robots = "User-agent: *\nDisallow: /private\nDisallow: /privé\n"
    sites = [
        site(FORMS, {"/robots.txt": {"body": robots}}, "Disallow: /private for every crawler"),
        site(IDN, {"/robots.txt": {"body": robots}}, "bücher: Disallow: /private"),
        site(EVIL, {"/robots.txt": {"body": DISALLOW_ALL}}, "reserves everything"),
        site(OPEN, {"/robots.txt": {"body": ALLOW_ALL}}, "reserves nothing"),
    ]
    for index, (name, target, surfaces, why) in enumerate(URL_FORMS):
        note = (
            f"{target!r} names (or is fetched as) a reserved path or host ({why}): the decision "
            "is made on every form a client may send, most restrictive wins, and a URL that "
            "parsers read differently is unknown (issue 7 item 2)"
        )
        case = Case(
            name=f"url-{name}",
            kind="url",
            note=note,
            urls=(target,),
            origin=None,
            surfaces=tuple(s for s in surfaces if s != AUDIT),
        )
        yield case, sites if index == 0 else []


# -- controls: well-behaved sites with an exact answer ------------------------------------------------


def control_cases() -> Iterator[tuple[Case, list[FixtureSite]]]:
    """Yield well-behaved sites: the suite must tell allowed from reserved, or it proves nothing."""
    ctype = "text/plain; charset=utf-8"
    name = "control-open"
    note = "every file present, readable and permissive: allowed (the suite can see allowed)"
    yield (
        Case(
            name=name,
            kind="control",
            note=note,
            urls=(url(name),),
            origin=_origin(name),
            honest=frozenset({"allowed"}),
            site_honest=frozenset({"not-reserved"}),
        ),
        [
            site(
                host(name),
                {
                    "/ai.txt": {"body": ALLOW_ALL},
                    "/.well-known/tdmrep.json": {"body": TDMREP_OPEN},
                },
                note,
            )
        ],
    )
    name = "control-gzip-open"
    note = "a whole gzip ai.txt and a 'gzip, gzip' robots.txt, both permissive: decoded, allowed"
    yield (
        Case(
            name=name,
            kind="control",
            note=note,
            urls=(url(name),),
            origin=_origin(name),
            honest=frozenset({"allowed"}),
            site_honest=frozenset({"not-reserved"}),
        ),
        [
            site(
                host(name),
                {
                    "/ai.txt": {
                        "body_hex": hexed(gzip.compress(ALLOW_ALL.encode(), mtime=0)),
                        "headers": {"Content-Encoding": "gzip"},
                        "content_type": ctype,
                    },
                    "/robots.txt": gzip_gzip(ALLOW_ALL.encode(), ctype),
                },
                note,
            )
        ],
    )
    name = "control-gzip-gzip-reserved"
    note = "robots.txt 'gzip, gzip' (RFC 9110 §8.4) that disallows everything: decoded, reserved"
    yield (
        Case(
            name=name,
            kind="control",
            note=note,
            urls=(url(name),),
            origin=_origin(name),
            honest=frozenset({"reserved"}),
            site_honest=frozenset({"reserved"}),
        ),
        [site(host(name), {"/robots.txt": gzip_gzip(DISALLOW_ALL.encode(), ctype)}, note)],
    )
    name = "control-deflate-tdmrep"
    note = "a whole deflate tdmrep.json reserving everything: decoded, reserved"
    yield (
        Case(
            name=name,
            kind="control",
            note=note,
            urls=(url(name),),
            origin=_origin(name),
            honest=frozenset({"reserved"}),
            site_honest=frozenset({"reserved"}),
        ),
        [
            site(
                host(name),
                {
                    "/.well-known/tdmrep.json": {
                        "body_hex": hexed(zlib.compress(TDMREP_RESERVE.encode())),
                        "headers": {"Content-Encoding": "deflate"},
                        "content_type": "application/json",
                    }
                },
                note,
            )
        ],
    )


# -- which cases ``check`` runs ----------------------------------------------------------------

#: URL forms ``check`` decides besides the malformed ones (which it refuses at once).
CHECKED_FORMS = frozenset(
    {"url-dot-dot", "url-encoded-p", "url-backslash-path", "url-non-ascii-path", "url-idn-host"}
)
#: Redirects to forbidden addresses and controls ``check`` runs.
CHECKED_OTHERS = frozenset(
    {
        "ai-txt-redirect-to-169-254-169-254",
        "robots-redirect-to-127-0-0-2",
        "ai-txt-over-cap",
        "ai-txt-redirect-loop",
        "tdmrep-3xx-without-location",
        "robots-cut-mid-line",
        "control-open",
        "control-gzip-gzip-reserved",
    }
)


def checked_names() -> frozenset[str]:
    """Return the cases ``check`` runs: every way of failing once, every page, every URL rule.

    A ``check`` costs two crawl processes (site files, then the page), so it runs each
    fault of :data:`FAULTS` once, on robots.txt, ai.txt and tdmrep.json in turn (the three
    share one access classification); ``filter``, the add-on and ``audit`` run them all.
    """
    names = set(CHECKED_FORMS | CHECKED_OTHERS)
    targets = ("robots", "ai-txt", "tdmrep")
    for index, fault_name in enumerate(FAULTS):
        target = targets[index % len(targets)]
        if target == "robots" and fault_name not in ROBOTS_FAULTS:
            target = "ai-txt"
        names.add(f"{target}-{fault_name}")
    names.update(f"page-{fault}" for fault in PAGE_FAULTS)
    names.update({"page-8mb-headers", "page-over-cap"})
    return frozenset(names)


def _malformed(case: Case) -> bool:
    from crawlcheck.urls import malformed_reason

    return case.kind == "url" and malformed_reason(case.urls[0]) is not None


#: Known fail-opens whose fix is not on main yet (strict xfail): none today. A case named here
#: runs as a strict xfail on every surface it applies to, so its fix cannot go unnoticed.
PENDING: dict[str, str] = {}


def catalogue() -> tuple[list[Case], list[FixtureSite]]:
    """Return every case and every site the hostile web serves."""
    cases: list[Case] = []
    sites: list[FixtureSite] = list(forbidden_sites())
    checked = checked_names()
    for make in (site_file_cases, robots_cases, ssrf_cases, page_cases, url_cases, control_cases):
        for case, case_sites in make():
            surfaces = case.surfaces
            if case.name not in checked and not _malformed(case):
                surfaces = tuple(s for s in surfaces if s != CHECK)
            pending = PENDING.get(case.name)
            xfail = dict.fromkeys(surfaces, pending) if pending else {}
            cases.append(replace(case, surfaces=surfaces, xfail=xfail))
            sites.extend(case_sites)
    return cases, sites
