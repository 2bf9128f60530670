"""Fetch outcomes of a site's files: the robots.txt access result and the fetch records.

RFC 9309 §2.3.1 decides what a robots.txt response means before any line is read: 2xx is
parsed, 4xx ("unavailable") means no rules, 5xx or a network failure ("unreachable") means
the crawler must assume complete disallow. crawlcheck keeps that outcome apart from the
file's content (standards.md §1.4) so that verdicts can say *why* they are ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawlcheck.access import REDIRECT_FAILURES, RobotsAccess
from crawlcheck.model import Fetched, FetchRecord, Problem, SiteFetches
from crawlcheck.urls import origin_of

#: The robots.txt outcomes (RFC 9309 §2.3.1), as crawlcheck.access classifies them.
PARSED = RobotsAccess.PARSED
NO_RULES = RobotsAccess.UNAVAILABLE
UNREACHABLE = RobotsAccess.UNREACHABLE


@dataclass(frozen=True, slots=True, kw_only=True)
class RobotsOutcome:
    """What the robots.txt response means, before its content is read."""

    state: str
    """``parsed`` (2xx), ``unavailable`` (4xx: no rules) or ``unreachable`` (5xx, network error…)."""
    source: str
    """The robots.txt URL requested (its rules apply to this URL's origin, §2.3.1.2)."""
    status: int | None
    reason: str
    """The outcome in plain words, with its RFC clause."""
    problems: tuple[Problem, ...] = ()


def robots_outcome(doc: Fetched | None, origin: str) -> RobotsOutcome:
    """Return the RFC 9309 §2.3.1 outcome of the robots.txt response *doc*."""
    if doc is None:
        source = origin.rstrip("/") + "/robots.txt"
        reason = "robots.txt was not fetched"
        return RobotsOutcome(
            state=UNREACHABLE,
            source=source,
            status=None,
            reason=reason,
            problems=(_problem("robots.not-fetched", reason, source, "error"),),
        )
    source = doc.url
    problems: list[Problem] = list(_redirect_problems(doc))
    status = doc.status
    if doc.error in REDIRECT_FAILURES or (status is not None and 300 <= status < 400):
        # RFC 9309 §2.3.1.2: past five hops (or a loop) robots.txt MAY be treated as
        # unavailable; Google treats it as a 404. So: no rules, everything allowed.
        what = doc.error or f"HTTP {status} without a usable Location"
        reason = (
            f"robots.txt redirects did not end ({what}): treated as unavailable, so no rules "
            "apply (RFC 9309 §2.3.1.2; Google: as a 404)"
        )
        problems.append(_problem("robots.redirect-failed", reason, source, "warning"))
        return RobotsOutcome(
            state=NO_RULES, source=source, status=status, reason=reason, problems=tuple(problems)
        )
    if doc.error is not None or status is None:
        what = doc.error or "no response"
        reason = (
            f"robots.txt unreachable ({what}): RFC 9309 §2.3.1.4 says a "
            "crawler must then assume complete disallow, so nothing can be concluded"
        )
        problems.append(_problem("robots.unreachable", reason, source, "error"))
        return RobotsOutcome(
            state=UNREACHABLE, source=source, status=status, reason=reason, problems=tuple(problems)
        )
    if 200 <= status < 300:
        if doc.truncated:
            problems.append(
                _problem(
                    "robots.too-large",
                    f"robots.txt is larger than the {len(doc.body):,} bytes read; the rest is "
                    "ignored, as RFC 9309 §2.5 allows (Google reads 500 KiB)",
                    source,
                    "warning",
                )
            )
        return RobotsOutcome(
            state=PARSED,
            source=source,
            status=status,
            reason=f"robots.txt HTTP {status}: parsed (RFC 9309 §2.3.1.1)",
            problems=tuple(problems),
        )
    if 400 <= status < 500:
        reason = (
            f"robots.txt HTTP {status} (unavailable): no rules apply, every crawler may "
            "fetch everything (RFC 9309 §2.3.1.3)"
        )
        if status in (401, 403):
            problems.append(
                _problem(
                    "robots.access-denied",
                    f"robots.txt answered HTTP {status}: RFC 9309 reads that as no rules "
                    "(allow all), but some crawlers treat 401/403 as disallow all",
                    source,
                    "warning",
                )
            )
        elif status == 429:
            problems.append(
                _problem(
                    "robots.rate-limited",
                    "robots.txt answered HTTP 429: RFC 9309 reads 4xx as no rules (allow "
                    "all), but Google treats 429 as unreachable (disallow all)",
                    source,
                    "warning",
                )
            )
        return RobotsOutcome(
            state=NO_RULES, source=source, status=status, reason=reason, problems=tuple(problems)
        )
    # 5xx, an unresolved 3xx or anything else: the file's content is undefined.
    kind = "server error" if status >= 500 else "unexpected status"
    reason = (
        f"robots.txt unreachable (HTTP {status}, {kind}): RFC 9309 §2.3.1.4 says a crawler "
        "must then assume complete disallow, so nothing can be concluded"
    )
    problems.append(_problem("robots.unreachable", reason, source, "error"))
    return RobotsOutcome(
        state=UNREACHABLE, source=source, status=status, reason=reason, problems=tuple(problems)
    )


def fetch_records(fetches: SiteFetches) -> tuple[FetchRecord, ...]:
    """Return one record per fetch of *fetches*, site files first, then pages, then licences."""
    kinds: list[tuple[str, Fetched | None]] = [
        ("robots.txt", fetches.robots),
        ("ai.txt", fetches.ai_txt),
        ("tdmrep.json", fetches.tdmrep),
        ("llms.txt", fetches.llms_txt),
    ]
    kinds += [("page", page) for page in fetches.pages]
    kinds += [("license", doc) for doc in fetches.licenses]
    return tuple(fetch_record(doc, kind) for kind, doc in kinds if doc is not None)


def fetch_record(doc: Fetched, kind: str) -> FetchRecord:
    """Return the report's record of one fetch."""
    answered = doc.status is not None
    return FetchRecord(
        url=doc.url,
        kind=kind,
        status=doc.status,
        final_url=doc.final_url or doc.url,
        sha256=doc.sha256 if answered else None,
        fetched_at=doc.fetched_at,
        error=doc.error,
        content_type=doc.content_type,
        size=len(doc.body),
        redirects=doc.redirects,
        elapsed_ms=doc.elapsed_ms,
        truncated=doc.truncated,
    )


def _redirect_problems(doc: Fetched) -> tuple[Problem, ...]:
    if not doc.redirects:
        return ()
    chain = " -> ".join([doc.url, *(f"{target} ({status})" for status, target in doc.redirects)])
    final = doc.final_url or (doc.redirects[-1][1] if doc.redirects else doc.url)
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
