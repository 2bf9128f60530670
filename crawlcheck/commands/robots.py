"""``crawlcheck robots FILE [--agent TOKEN] [URL...]``: evaluate a local robots.txt offline."""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from dataclasses import dataclass
from typing import Any

from crawlcheck.agent_names import resolve_agent
from crawlcheck.commands.check import add_rules_argument
from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES
from crawlcheck.parsers.robots import Decision, RobotsTxt, parse_robots
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.safe_text import dumps, safe_text

logger = logging.getLogger(__name__)

NAME = "robots"
HELP = (
    "Evaluate a local robots.txt: with URLs, print 'allowed URL' or 'disallowed URL' per URL "
    "(exit 1 if any is disallowed); without, the per-agent table for the AI catalogue and lint."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument("file", metavar="FILE", help="robots.txt file to read ('-' for stdin)")
    parser.add_argument("urls", metavar="URL", nargs="*", help="URLs (or paths) to decide")
    parser.add_argument(
        "--agent",
        metavar="TOKEN",
        help="crawler product token (as Google's parser matches it); default: every "
        "catalogued agent of --purpose, and a URL is disallowed if any of them is kept from it",
    )
    parser.add_argument(
        "--purpose",
        choices=PURPOSES,
        default="ai-train",
        help="purpose whose catalogued agents are checked when --agent is not given "
        "(default: ai-train)",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    add_rules_argument(parser)
    parser.set_defaults(_extras="urls")


def run(args: argparse.Namespace) -> int:
    """Run the command; return 1 when any URL is disallowed, else 0."""
    body = _read(args.file)
    ruleset = load_ruleset(args.rules)
    choice = resolve_agent(args.agent, ruleset)
    for note in choice.notes:
        logger.warning(note)
    robots = parse_robots(body, source=args.file)
    if args.urls:
        results = [
            _decide_url(robots, ruleset, url, choice.token, args.purpose) for url in args.urls
        ]
        if args.format == "json":
            _print_json({"file": args.file, "urls": [r.as_dict() for r in results]})
        else:
            for result in results:
                # stdout keeps the contract's one line per URL; why goes to stderr.
                print(safe_text(f"{'allowed' if result.allowed else 'disallowed'} {result.url}"))
                sys.stdout.flush()
                for decision in result.decisions:
                    print(safe_text(f"  {why(decision)}"), file=sys.stderr)
        return 0 if all(r.allowed for r in results) else 1
    report = _file_report(robots, ruleset, body, args.file, choice.token)
    if args.format == "json":
        _print_json(report)
    else:
        _print_table(report)
    return 0


def _read(path: str) -> bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read robots.txt file '{path}': {exc.strerror or exc}") from exc


def why(decision: Decision) -> str:
    """Return which agent, group and line decided *decision*, on one line."""
    group = next(
        (g for g in decision.groups if decision.rule is not None and decision.rule in g.rules),
        decision.groups[0] if decision.groups else None,
    )
    where = f" (group {group.describe()})" if group is not None else ""
    return f"{decision.agent}: {decision.explain()}{where}"


@dataclass(frozen=True, slots=True)
class _UrlResult:
    url: str
    allowed: bool
    decisions: tuple[Decision, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "allowed": self.allowed,
            "agents": [
                {
                    "agent": d.agent,
                    "allowed": d.allowed,
                    "line": d.rule.line if d.rule else None,
                    "rule": d.rule.text.strip() if d.rule else None,
                    "explanation": d.explain(),
                }
                for d in self.decisions
            ],
        }


def _decide_url(
    robots: RobotsTxt, ruleset: Ruleset, url: str, agent: str | None, purpose: str
) -> _UrlResult:
    if agent is not None:
        decision = robots.decide(agent, url)
        return _UrlResult(url, decision.allowed, (decision,))
    # Contract "Defaults": without --agent, disallowed when any catalogued agent of the
    # purpose is kept from the URL.
    decisions = tuple(robots.decide(a.token, url) for a in ruleset.agents_for(purpose))
    blocked = tuple(d for d in decisions if not d.allowed)
    return _UrlResult(url, not blocked, blocked or decisions[:1])


def _file_report(
    robots: RobotsTxt, ruleset: Ruleset, body: bytes, path: str, agent: str | None
) -> dict[str, Any]:
    tokens = [agent] if agent else [a.token for a in ruleset.agents]
    agents: dict[str, Any] = {}
    for token in tokens:
        state = robots.agent_state(token)
        known = ruleset.agent(token)
        deciding = state.rules[0] if state.rules else None
        agents[token] = {
            "robots": state.state,
            "purposes": list(known.purposes) if known else [],
            "group": "own" if state.specific else ("*" if state.groups else "none"),
            "group_lines": [n for g in state.groups for n in g.agent_lines],
            "evidence": f"line {deciding.line}: {deciding.text.strip()}" if deciding else "",
        }
    return {
        "file": path,
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "groups": len(robots.groups),
        "agents_catalogue": {
            "source": ruleset.catalogue_source,
            "date": ruleset.catalogue_date,
            "count": len(ruleset.agents),
        },
        "agents": agents,
        "records": [
            {"line": r.line, "name": r.name, "value": r.value}
            for r in sorted(
                (
                    *robots.sitemaps,
                    *robots.licenses,
                    *robots.outside_records,
                    *(rec for g in robots.groups for rec in g.records),
                ),
                key=lambda rec: rec.line,
            )
            if r.name in ("sitemap", "license", "content-signal", "content-usage")
        ],
        "problems": [
            {"code": p.code, "level": p.level, "line": p.line, "message": p.message}
            for p in robots.problems
        ],
    }


_STATE_ORDER = {"disallowed": 0, "restricted": 1, "allowed": 2}


def _print_table(report: dict[str, Any]) -> None:
    _say(
        f"{report['file']}: {report['size']:,} bytes, {report['groups']} groups, "
        f"sha256 {report['sha256'][:16]}…"
    )
    # Agents with a group of their own first: they are what the publisher wrote about.
    rows = sorted(
        report["agents"].items(),
        key=lambda kv: (kv[1]["group"] != "own", _STATE_ORDER[kv[1]["robots"]], kv[0].lower()),
    )
    width = max([len(token) for token, _ in rows] + [5])
    _say()
    _say(f"{'AGENT'.ljust(width)}  {'STATE':<10}  {'GROUP':<5}  {'PURPOSES':<24}  EVIDENCE")
    for token, info in rows:
        purposes = ",".join(info["purposes"]) or "-"
        _say(
            f"{token.ljust(width)}  {info['robots']:<10}  {info['group']:<5}  {purposes:<24}  "
            f"{info['evidence']}"
        )
    counts = {state: sum(1 for _, i in rows if i["robots"] == state) for state in _STATE_ORDER}
    catalogue = report["agents_catalogue"]
    _say()
    _say(
        f"{counts['disallowed']} disallowed, {counts['restricted']} restricted, "
        f"{counts['allowed']} allowed (catalogue: {catalogue['count']} agents, "
        f"{catalogue['source']}, {catalogue['date']})"
    )
    if report["records"]:
        _say()
        _say("Records:")
        for record in report["records"]:
            _say(f"  line {record['line']}: {record['name']}: {record['value']}")
    if report["problems"]:
        _say()
        _say("Lint:")
        for problem in report["problems"]:
            where = f"line {problem['line']}: " if problem["line"] else ""
            _say(f"  {where}{problem['level']} {problem['code']}: {problem['message']}")


def _say(text: str = "") -> None:
    """Print one line of the table; every value may come from the file, so make it inert."""
    print(safe_text(text))


def _print_json(data: dict[str, Any]) -> None:
    print(dumps(data, indent=2))
