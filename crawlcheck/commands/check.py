"""``crawlcheck check URL``: the decision for one URL, with every reason behind it."""

from __future__ import annotations

import argparse
import datetime
import logging
import math
import os
import sys
import time
from collections.abc import Iterable

from crawlcheck.agent_names import resolve_agent
from crawlcheck.cache import ENV_VAR
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.decide import FETCH_DISALLOWED
from crawlcheck.decide.checker import DEFAULT, CacheChoice, UrlChecker
from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, Effect, Finding, UrlDecision
from crawlcheck.report.document import decision_to_dict
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.safe_text import dumps, safe_text
from crawlcheck.snapshot.reader import DEFAULT_MAX_AGE, Snapshot
from crawlcheck.urls import malformed_reason

logger = logging.getLogger(__name__)

#: Agents a text reason names before it gives their count (``--format json`` has them all).
AGENTS_SHOWN = 8

NAME = "check"
HELP = (
    "Decide one URL (reserved, allowed or unknown) for a purpose and optionally one agent, "
    "with every reason: the site-level files and the page itself (its headers and meta)."
)


def add_decision_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options ``check`` and ``filter`` share: agent, purpose, rules, cache, network."""
    parser.add_argument(
        "--agent",
        metavar="TOKEN",
        help="decide for this crawler token only (default: reserved if any catalogued agent "
        "of the purpose is kept out, or any agent-independent signal reserves the URL)",
    )
    parser.add_argument(
        "--purpose",
        choices=PURPOSES,
        default="ai-train",
        help="the use to decide for (default: ai-train)",
    )
    add_rules_argument(parser)
    fresh = parser.add_mutually_exclusive_group()
    fresh.add_argument(
        "--max-age",
        metavar="SECONDS",
        type=float,
        help="use cached site-level files only when fetched at most SECONDS ago (default: as "
        "long as the cache keeps them: robots.txt's Cache-Control, at most 24 h; 10 min "
        "after a failure); with --snapshot, the oldest capture used (default: 86400, "
        "RFC 9309 section 2.4)",
    )
    fresh.add_argument(
        "--refresh",
        action="store_true",
        help="fetch every origin's site-level files anew, whatever the cache holds (and "
        "store them; default: off)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--cache",
        metavar="PATH",
        help=f"per-origin cache file (default: ${ENV_VAR}, else "
        "$XDG_CACHE_HOME/crawlcheck/origins.sqlite3)",
    )
    where.add_argument(
        "--no-cache",
        action="store_true",
        help="keep nothing after the run (each origin is still fetched only once per run; "
        "default: off)",
    )
    where.add_argument(
        "--snapshot",
        metavar="PATH",
        help="decide from this origin snapshot (a directory or URL; `snapshot build`), "
        "with no network: an origin it lacks, or holds only a stale capture of, is unknown "
        "(default: none, site files are fetched or taken from the cache)",
    )
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=float,
        default=15.0,
        help="seconds allowed for one download (default: 15)",
    )
    add_address_argument(parser)


def add_rules_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--rules`` (every command that reads the catalogue; :func:`load_rules` reads it)."""
    parser.add_argument(
        "--rules",
        metavar="PATH",
        action="append",
        default=[],
        help="a rules YAML file layered over the shipped catalogue (repeatable; docs/rules.md; "
        "default: none)",
    )


def add_address_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--allow-private-addresses`` (``audit``, ``check``, ``filter``)."""
    parser.add_argument(
        "--allow-private-addresses",
        action="store_true",
        help="also fetch licences, sitemaps and redirect targets that a site points to on "
        "loopback, private, link-local or cloud metadata addresses (default: off, they are "
        "refused; docs/crawl.md)",
    )


def max_age(args: argparse.Namespace) -> float | None:
    """Return the oldest cached copy (seconds) ``--max-age``/``--refresh`` accept, or None."""
    if args.refresh:
        return 0.0
    value: float | None = args.max_age
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise UsageError(f"--max-age: must be a number of seconds >= 0, not {value}")
    return value


def snapshot_choice(args: argparse.Namespace) -> Snapshot | None:
    """Return the snapshot ``--snapshot`` names, opened with ``--max-age``; None without."""
    path: str | None = getattr(args, "snapshot", None)
    if path is None:
        return None
    if not path.strip():
        raise UsageError("--snapshot: empty path")
    if args.refresh:
        raise UsageError("--refresh fetches site files anew; --snapshot decides with no network")
    oldest = max_age(args)
    return Snapshot(path, max_age=DEFAULT_MAX_AGE if oldest is None else oldest)


def cache_choice(args: argparse.Namespace) -> CacheChoice:
    """Return the ``cache=`` value the options ask for."""
    if args.no_cache:
        return None
    path: str | None = args.cache
    if path is not None:
        if not path.strip():
            raise UsageError("--cache: empty path")
        return os.path.expanduser(path)
    return DEFAULT


def crawl_options(args: argparse.Namespace) -> CrawlOptions:
    """Return the crawl options the arguments ask for."""
    timeout = args.timeout
    if not math.isfinite(timeout) or timeout <= 0:
        raise UsageError(f"--timeout: must be a positive number of seconds, not {timeout}")
    allow = bool(getattr(args, "allow_private_addresses", False))
    concurrency = getattr(args, "concurrency", None)
    if concurrency is None:
        return CrawlOptions(timeout=timeout, allow_private_addresses=allow)
    if concurrency < 1:
        raise UsageError(f"--concurrency: must be at least 1, not {concurrency}")
    return CrawlOptions(timeout=timeout, concurrency=concurrency, allow_private_addresses=allow)


def load_rules(args: argparse.Namespace) -> Ruleset:
    """Return the ruleset with the ``--rules`` files layered on top."""
    return load_ruleset(args.rules)


def chosen_agent(args: argparse.Namespace, ruleset: Ruleset) -> str | None:
    """Return the crawler token ``--agent`` names (None: any); warn on stderr as needed."""
    choice = resolve_agent(args.agent, ruleset)
    for note in choice.notes:
        logger.warning(note)
    return choice.token


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument("url", metavar="URL", help="absolute http(s) URL to decide")
    add_decision_arguments(parser)
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )


def run(args: argparse.Namespace) -> int:
    """Decide the URL and print the decision; return 0 whatever the decision is."""
    url = args.url.strip()
    reason = malformed_reason(url)
    if reason is not None:
        raise UsageError(f"URL {url!r}: {reason}")
    options = crawl_options(args)
    ruleset = load_rules(args)
    snapshot = snapshot_choice(args)
    if snapshot is not None:
        with (
            snapshot,
            UrlChecker(
                chosen_agent(args, ruleset), args.purpose, snapshot=snapshot, ruleset=ruleset
            ) as checker,
        ):
            decision = next(checker.check([url], 1))
        if args.format == "json":
            sys.stdout.write(dumps(decision_to_dict(decision), indent=2) + "\n")
        else:
            note = f"not fetched (snapshot {snapshot.location})"
            sys.stdout.write(render_text(decision, page_note=note))
        return 0
    with UrlChecker(
        chosen_agent(args, ruleset),
        args.purpose,
        pages=True,
        media=True,  # an image or document: what it embeds counts too (docs/media.md)
        cache=cache_choice(args),
        options=options,
        ruleset=ruleset,
        max_age=max_age(args),
    ) as checker:
        decision = next(checker.check([url], 1))
        stats = checker.stats
    cached_at = stats.oldest_cached if stats.origins_cached else None
    if args.format == "json":
        document = decision_to_dict(decision)
        document["site_files"] = {
            "from_cache": cached_at is not None,
            "fetched_at": _rfc3339(cached_at) if cached_at is not None else None,
        }
        sys.stdout.write(dumps(document, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(decision, cached_at=cached_at))
    return 0


def render_text(
    decision: UrlDecision, *, cached_at: float | None = None, page_note: str | None = None
) -> str:
    """Return *decision* as text: the verdict, then reasons grouped by where they came from.

    *cached_at* (epoch seconds) says the site-level files came from the cache, fetched then;
    *page_note* says why the page itself was not read (a snapshot).
    """
    who = f"agent {decision.agent}" if decision.agent else "any catalogued agent"
    lines = [
        decision.url,
        f"decision: {decision.decision}  (purpose {decision.purpose}, {who})",
    ]
    reserving = [r for r in decision.reasons if r.effect is Effect.RESERVE]
    if reserving and all(r.key == FETCH_DISALLOWED for r in reserving):
        lines.append(
            "  robots.txt forbids every crawler to fetch it (a crawl rule, not an AI "
            "reservation): excluded all the same"
        )
    site, page = split_reasons(decision)
    if page_note is not None:
        lines += ["", "site-level files (from the snapshot):"]
    elif cached_at is None:
        lines += ["", "site-level files (fetched now):"]
    else:
        age = _age(time.time() - cached_at)
        lines += [
            "",
            f"site-level files (from the cache, fetched {_rfc3339(cached_at)}, {age} ago; "
            "--refresh fetches them anew):",
        ]
    lines += _reason_lines(site)
    if page_note is not None and not page:
        lines += ["", f"the page itself: {page_note}"]
    else:
        lines += ["", "the page itself:"]
        lines += _reason_lines(page)
    if decision.problems:
        lines += ["", "problems:"]
        for problem in decision.problems:
            where = f" ({problem.source}{'' if problem.line is None else f':{problem.line}'})"
            lines.append(f"  {problem.level}: {problem.code}: {problem.message}{where}")
    # Every value may come from a website: no control or bidi character reaches a terminal.
    return "".join(safe_text(line) + "\n" for line in lines)


def _rfc3339(moment: float) -> str:
    stamp = datetime.datetime.fromtimestamp(moment, datetime.UTC).isoformat(timespec="seconds")
    return stamp.replace("+00:00", "Z")


def _age(seconds: float) -> str:
    """Return an age as ``42 s``, ``17 min`` or ``3 h 05 min``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    hours, rest = divmod(int(seconds) // 60, 60)
    return f"{hours} h {rest:02d} min"


def split_reasons(decision: UrlDecision) -> tuple[list[Finding], list[Finding]]:
    """Return the reasons from site-level files, and those the page itself carries."""
    site: list[Finding] = []
    page: list[Finding] = []
    for reason in decision.reasons:
        (page if reason.scope == "page" or _same_url(reason.source, decision.url) else site).append(
            reason
        )
    return site, page


def _same_url(source: str, url: str) -> bool:
    return source.split("#", 1)[0] == url.split("#", 1)[0]


def _reason_lines(reasons: Iterable[Finding]) -> list[str]:
    lines = []
    for reason in reasons:
        agents = ",".join(reason.agents[:AGENTS_SHOWN])
        if len(reason.agents) > AGENTS_SHOWN:
            agents = f"{len(reason.agents)} agents ({agents}, …)"
        purposes = ",".join(reason.purposes) or "-"
        lines.append(
            f"  {reason.effect.value:<7} {reason.signal:<14} agents {agents}; "
            f"purposes {purposes}; scope {reason.scope}"
        )
        lines.append(f"          {reason.evidence}")
        lines.append(f"          from {reason.source}")
    return lines or ["  (nothing applies)"]
