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
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=float,
        default=15.0,
        help="seconds allowed for one download (default: 15)",
    )
    add_address_argument(parser)


def add_address_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--allow-private-addresses`` (``audit``, ``check``, ``filter``)."""
    parser.add_argument(
        "--allow-private-addresses",
        action="store_true",
        help="also fetch what sites point to on loopback, private, link-local and cloud "
        "metadata addresses (refused by default; docs/crawl.md)",
    )


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
    decision = check_url(
        url,
        agent=args.agent,
        purpose=args.purpose,
        cache=cache_choice(args),
        options=options,
        ruleset=ruleset,
    )
    if args.format == "json":
        json.dump(decision_to_dict(decision), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(decision))
    return 0


def render_text(decision: UrlDecision) -> str:
    """Return *decision* as text: the verdict, then reasons grouped by where they came from."""
    who = f"agent {decision.agent}" if decision.agent else "any catalogued agent"
    lines = [
        decision.url,
        f"decision: {decision.decision}  (purpose {decision.purpose}, {who})",
    ]
    site, page = split_reasons(decision)
    lines += ["", "site-level files:"]
    lines += _reason_lines(site)
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
