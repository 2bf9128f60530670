"""What a site-level file's fetch means before a line of it is read.

One classification for the crawl (which obeys robots.txt for its own page fetches), the
evaluator and the per-URL decisions, so that they never disagree.

robots.txt follows RFC 9309 §2.3.1: 2xx is parsed, 4xx ("unavailable") means no rules,
5xx or a network failure ("unreachable") means the crawler must assume complete disallow.
Every other file that can reserve content (ai.txt, tdmrep.json, RSL licences) has only two
answers: a whole 2xx body is read, a 4xx means the file is absent. Anything else (5xx, a
network failure, an incomplete or undecodable body, a body cut at the size limit, a
redirect that does not end) means what the file says is *unknown*: it never counts as
absent, because an absent file reserves nothing and a failed one might.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crawlcheck.model import Fetched, Problem, Signal
from crawlcheck.urls import origin_of

#: Fetched.error codes of a redirect chain that did not end (docs/crawl.md, "Errors").
REDIRECT_FAILURES = frozenset({"too-many-redirects", "redirect-loop", "redirect-invalid"})


class RobotsAccess(StrEnum):
    """The access result of a robots.txt fetch (RFC 9309 §2.3.1)."""

    PARSED = "parsed"
    """2xx: the rules in the body apply (§2.3.1.1)."""
    UNAVAILABLE = "unavailable"
    """4xx, or redirects that do not end (§2.3.1.2 MAY; Google: as a 404): no rules apply."""
    UNREACHABLE = "unreachable"
    """5xx, a network failure or an incomplete response: assume complete disallow (§2.3.1.4)."""


class FileAccess(StrEnum):
    """The access result of any other site-level file's fetch."""

    READ = "read"
    """A whole 2xx body: parse it."""
    ABSENT = "absent"
    """4xx: the site has no such file, so it reserves nothing."""
    UNREADABLE = "unreadable"
    """Anything else: the file may reserve something, and what is unknown."""


def robots_access(robots: Fetched) -> RobotsAccess:
    """Return what the robots.txt response *robots* means for crawling.

    >>> robots_access(Fetched(url="https://e.com/robots.txt", status=404))
    <RobotsAccess.UNAVAILABLE: 'unavailable'>
    >>> robots_access(Fetched(url="https://e.com/robots.txt", error="timeout"))
    <RobotsAccess.UNREACHABLE: 'unreachable'>
    """
    if robots.error in REDIRECT_FAILURES:
        return RobotsAccess.UNAVAILABLE
    if robots.error is not None or robots.status is None:
        return RobotsAccess.UNREACHABLE
    if 200 <= robots.status < 300:
        return RobotsAccess.PARSED
    # A 3xx left over is a redirect that could not be followed (no usable Location).
    if 300 <= robots.status < 500:
        return RobotsAccess.UNAVAILABLE
    return RobotsAccess.UNREACHABLE


def file_access(doc: Fetched) -> FileAccess:
    """Return what the response *doc* for a site-level file other than robots.txt means.

    >>> file_access(Fetched(url="https://e.com/ai.txt", status=404))
    <FileAccess.ABSENT: 'absent'>
    >>> file_access(Fetched(url="https://e.com/ai.txt", status=200, truncated=True))
    <FileAccess.UNREADABLE: 'unreadable'>
    """
    if doc.error is not None or doc.status is None:
        return FileAccess.UNREADABLE
    if 200 <= doc.status < 300:
        # A cut file is never read as if whole: the rest may hold a reservation.
        return FileAccess.UNREADABLE if doc.truncated else FileAccess.READ
    if 400 <= doc.status < 500:
        return FileAccess.ABSENT
    return FileAccess.UNREADABLE


@dataclass(frozen=True, slots=True, kw_only=True)
class RobotsOutcome:
    """What the robots.txt response means, before its content is read."""

    access: RobotsAccess
    source: str
    """The robots.txt URL requested (its rules apply to this URL's origin, §2.3.1.2)."""
    status: int | None
    reason: str
    """The outcome in plain words, with its RFC clause."""
    problems: tuple[Problem, ...] = ()

    @property
    def reachable(self) -> bool:
        """Return False when robots.txt was unreachable (RFC 9309 §2.3.1.4)."""
        return self.access is not RobotsAccess.UNREACHABLE


@dataclass(frozen=True, slots=True, kw_only=True)
class FileOutcome:
    """What the fetch of one other site-level file means, before its content is read."""

    signal: Signal
    access: FileAccess
    source: str
    reason: str
    """Why the file is unreadable, in plain words ('' when it was read or is absent)."""

    def problem(self) -> Problem:
        """Return the error a reader of the report sees for an unreadable file."""
        prefix = _CODE_PREFIXES.get(self.signal, self.signal.value)
        return Problem(
            code=f"{prefix}.unreadable",
            message=self.reason,
            source=self.source,
            level="error",
            signal=self.signal,
        )


#: The problem-code prefix each file's parser uses (``ai-txt.…``, ``tdmrep.…``).
_CODE_PREFIXES = {
    Signal.AI_TXT: "ai-txt",
    Signal.TDMREP_FILE: "tdmrep",
    Signal.RSL: "rsl",
    Signal.LLMS_TXT: "llms",
}


def robots_outcome(doc: Fetched | None, origin: str) -> RobotsOutcome:
    """Return the RFC 9309 §2.3.1 outcome of the robots.txt response *doc*."""
    if doc is None:
        source = origin.rstrip("/") + "/robots.txt"
        reason = "robots.txt was not fetched"
        return RobotsOutcome(
            access=RobotsAccess.UNREACHABLE,
            source=source,
            status=None,
            reason=reason,
            problems=(_problem("robots.not-fetched", reason, source, "error"),),
        )
    access = robots_access(doc)
    source = doc.url
    status = doc.status
    problems: list[Problem] = list(_redirect_problems(doc))
    if access is RobotsAccess.PARSED:
        if doc.truncated:
            problems.append(
                _problem(
                    "robots.too-large",
                    f"robots.txt is larger than the {len(doc.body):,} bytes read; the rest "
                    "(and a line cut at the limit) is ignored, as RFC 9309 §2.5 allows "
                    "(Google reads 500 KiB)",
                    source,
                    "warning",
                )
            )
        reason = f"robots.txt HTTP {status}: parsed (RFC 9309 §2.3.1.1)"
    elif access is RobotsAccess.UNAVAILABLE and (status is None or status < 400):
        # RFC 9309 §2.3.1.2: past five hops (or a loop) robots.txt MAY be treated as
        # unavailable; Google treats it as a 404. So: no rules, everything allowed.
        what = doc.error or f"HTTP {status} without a usable Location"
        reason = (
            f"robots.txt redirects did not end ({what}): treated as unavailable, so no rules "
            "apply (RFC 9309 §2.3.1.2; Google: as a 404)"
        )
        problems.append(_problem("robots.redirect-failed", reason, source, "warning"))
    elif access is RobotsAccess.UNAVAILABLE:
        reason = (
            f"robots.txt HTTP {status} (unavailable): no rules apply, every crawler may "
            "fetch everything (RFC 9309 §2.3.1.3)"
        )
        problems.extend(_unavailable_problems(status, source))
    else:
        if doc.error is not None or status is None:
            what = doc.error or "no response"
        else:
            what = f"HTTP {status}, {'server error' if status >= 500 else 'unexpected status'}"
        reason = (
            f"robots.txt unreachable ({what}): RFC 9309 §2.3.1.4 says a crawler must then "
            "assume complete disallow, so nothing can be concluded"
        )
        problems.append(_problem("robots.unreachable", reason, source, "error"))
    return RobotsOutcome(
        access=access, source=source, status=status, reason=reason, problems=tuple(problems)
    )


def file_outcome(doc: Fetched, signal: Signal) -> FileOutcome:
    """Return what the response *doc* for the site-level file of *signal* means."""
    access = file_access(doc)
    reason = ""
    if access is FileAccess.UNREADABLE:
        name = doc.url.rsplit("/", 1)[-1] or doc.url
        if doc.error == "blocked-address":
            what = "not fetched: it is on a loopback, private, link-local or metadata address"
        elif doc.error is not None:
            what = f"fetch failed: {doc.error}"
        elif doc.status is None:
            what = "no response"
        elif doc.truncated:
            what = f"larger than the {len(doc.body):,} bytes read, so only part of it is known"
        else:
            what = f"HTTP {doc.status}"
        reason = (
            f"{name} could not be read ({what}): what it reserves is unknown, so the "
            "purposes it speaks to are unknown (only 2xx and 4xx are answers)"
        )
    return FileOutcome(signal=signal, access=access, source=doc.url, reason=reason)


def _unavailable_problems(status: int | None, source: str) -> list[Problem]:
    if status in (401, 403):
        return [
            _problem(
                "robots.access-denied",
                f"robots.txt answered HTTP {status}: RFC 9309 reads that as no rules "
                "(allow all), but some crawlers treat 401/403 as disallow all",
                source,
                "warning",
            )
        ]
    if status == 429:
        return [
            _problem(
                "robots.rate-limited",
                "robots.txt answered HTTP 429: RFC 9309 reads 4xx as no rules (allow "
                "all), but Google treats 429 as unreachable (disallow all)",
                source,
                "warning",
            )
        ]
    return []


def _redirect_problems(doc: Fetched) -> tuple[Problem, ...]:
    if not doc.redirects:
        return ()
    chain = " -> ".join([doc.url, *(f"{target} ({status})" for status, target in doc.redirects)])
    final = doc.final_url or doc.redirects[-1][1]
    where = (
        "another origin; its rules are applied to the origin first asked"
        if origin_of(final) != origin_of(doc.url)
        else "the same origin"
    )
    return (
        _problem(
            "robots.redirected",
            f"robots.txt redirected {len(doc.redirects)} time(s) to {where} "
            f"(RFC 9309 §2.3.1.2): {chain}",
            doc.url,
            "info",
        ),
    )


def _problem(code: str, message: str, source: str, level: str) -> Problem:
    return Problem(code=code, message=message, source=source, level=level)
