"""``crawlcheck agents``: print the AI agent catalogue in use (contract: "Command line")."""

from __future__ import annotations

import argparse
import dataclasses
import json

from crawlcheck.commands.check import add_rules_argument
from crawlcheck.model import PURPOSES
from crawlcheck.ruleset import Agent, Ruleset, load_ruleset

NAME = "agents"
HELP = "List the AI agent catalogue in use: token, operator, purposes, source."

_COLUMNS = ("TOKEN", "OPERATOR", "PURPOSES", "RESPECTS ROBOTS.TXT", "VALID TOKEN")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's options to *parser*."""
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--purpose",
        choices=PURPOSES,
        help="only the agents whose fetches serve this purpose (default: every agent)",
    )
    add_rules_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Print the catalogue and return 0; a bad --rules file raises RuleFileError."""
    ruleset = load_ruleset(args.rules)
    agents = ruleset.agents_for(args.purpose) if args.purpose else ruleset.agents
    if args.format == "json":
        print(render_json(ruleset, agents, args.purpose))
    else:
        print(render_text(ruleset, agents), end="")
    return 0


def render_text(ruleset: Ruleset, agents: tuple[Agent, ...]) -> str:
    """Return *agents* as an aligned table followed by the catalogue's source line."""
    rows = [_COLUMNS] + [
        (
            agent.token,
            agent.operator,
            ",".join(agent.purposes),
            agent.respects_robots,
            "yes" if agent.valid_token else "no",
        )
        for agent in agents
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.append("")
    lines.append(
        f"{len(agents)} agents; source: {ruleset.catalogue_source}; "
        f"dataset date {ruleset.catalogue_date}, curated {ruleset.catalogue_curated}"
    )
    return "\n".join(lines) + "\n"


def render_json(ruleset: Ruleset, agents: tuple[Agent, ...], purpose: str | None) -> str:
    """Return the catalogue as a JSON document (every agent field)."""
    document = {
        "source": ruleset.catalogue_source,
        "date": ruleset.catalogue_date,
        "curated": ruleset.catalogue_curated,
        "purpose": purpose,
        "count": len(agents),
        "agents": [dataclasses.asdict(agent) for agent in agents],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
