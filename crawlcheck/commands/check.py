"""``crawlcheck check URL``: the decision for one URL, with every reason behind it."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Iterable

from crawlcheck.cache import ENV_VAR
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.decide.checker import DEFAULT, CacheChoice, check_url
from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, Finding, UrlDecision
from crawlcheck.report.document import decision_to_dict
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.snapshot.reader import DEFAULT_MAX_AGE, Snapshot
from crawlcheck.urls import malformed_reason

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
    parser.add_argument(
        "--rules", metavar="PATH", action="append", default=[], help="extra rules YAML file"
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
        help="keep nothing after the run (each origin is still fetched only once per run)",
    )
    where.add_argument(
        "--snapshot",
        metavar="PATH",
        help="decide from this origin snapshot (a directory or URL; `snapshot build`), "
        "with no network: an origin it lacks, or holds only a stale capture of, is unknown",
    )
    parser.add_argument(
        "--max-age",
        metavar="DURATION",
        type=parse_duration,
        default=None,
        help="with --snapshot: the oldest capture used, e.g. 3600, 90m, 24h, 7d "
        "(default: 24h, RFC 9309 section 2.4)",
    )
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=float,
        default=15.0,
        help="seconds allowed for one download (default: 15)",
    )


def parse_duration(text: str) -> float:
    """Return the seconds *text* names: a number with an optional unit s, m, h or d.

    >>> parse_duration("90m"), parse_duration("24h"), parse_duration("3600")
    (5400.0, 86400.0, 3600.0)
    """
    value = text.strip().lower()
    scale = _UNITS.get(value[-1:], 0.0) if value else 0.0
    number = value[:-1] if scale else value
    try:
        seconds = float(number) * (scale or 1.0)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 3600, 90m, 24h or 7d, not {text!r}"
        )
    return seconds


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def snapshot_choice(args: argparse.Namespace) -> Snapshot | None:
    """Return the snapshot ``--snapshot`` names, opened with ``--max-age``; None without."""
    path: str | None = getattr(args, "snapshot", None)
    max_age: float | None = getattr(args, "max_age", None)
    if path is None:
        if max_age is not None:
            raise UsageError("--max-age: only with --snapshot")
        return None
    if not path.strip():
        raise UsageError("--snapshot: empty path")
    return Snapshot(path, max_age=DEFAULT_MAX_AGE if max_age is None else max_age)


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
    concurrency = getattr(args, "concurrency", None)
    if concurrency is None:
        return CrawlOptions(timeout=timeout)
    if concurrency < 1:
        raise UsageError(f"--concurrency: must be at least 1, not {concurrency}")
    return CrawlOptions(timeout=timeout, concurrency=concurrency)


def load_rules(args: argparse.Namespace) -> Ruleset:
    """Return the ruleset with the ``--rules`` files layered on top."""
    return load_ruleset(args.rules)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument("url", metavar="URL", help="absolute http(s) URL to decide")
    add_decision_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    """Decide the URL and print the decision; return 0 whatever the decision is."""
    url = args.url.strip()
    reason = malformed_reason(url)
    if reason is not None:
        raise UsageError(f"URL {url!r}: {reason}")
    options = crawl_options(args)
    ruleset = load_rules(args)
    snapshot = snapshot_choice(args)
    if snapshot is None:
        decision = check_url(
            url,
            agent=args.agent,
            purpose=args.purpose,
            cache=cache_choice(args),
            options=options,
            ruleset=ruleset,
        )
    else:
        with snapshot:
            decision = check_url(
                url, agent=args.agent, purpose=args.purpose, snapshot=snapshot, ruleset=ruleset
            )
    if args.format == "json":
        json.dump(decision_to_dict(decision), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        note = None if snapshot is None else f"not fetched (snapshot {snapshot.location})"
        sys.stdout.write(render_text(decision, page_note=note))
    return 0


def render_text(decision: UrlDecision, page_note: str | None = None) -> str:
    """Return *decision* as text: the verdict, then reasons grouped by where they came from.

    *page_note* replaces the page's reasons when the page was not read (a snapshot).
    """
    who = f"agent {decision.agent}" if decision.agent else "any catalogued agent"
    lines = [
        decision.url,
        f"decision: {decision.decision}  (purpose {decision.purpose}, {who})",
    ]
    site, page = split_reasons(decision)
    lines += ["", "site-level files:"]
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
    return "\n".join(lines) + "\n"


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
        agents = ",".join(reason.agents)
        purposes = ",".join(reason.purposes) or "-"
        lines.append(
            f"  {reason.effect.value:<7} {reason.signal:<14} agents {agents}; "
            f"purposes {purposes}; scope {reason.scope}"
        )
        lines.append(f"          {reason.evidence}")
        lines.append(f"          from {reason.source}")
    return lines or ["  (nothing applies)"]
