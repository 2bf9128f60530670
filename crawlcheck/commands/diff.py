"""``crawlcheck diff OLD NEW``: what changed between two audit reports (JSON or JSONL)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from crawlcheck.commands.audit import UNREACHABLE, parse_gates
from crawlcheck.diff import (
    CHANGE_KINDS,
    FindingChange,
    Gate,
    ReportDiff,
    SiteDiff,
    diff_reports,
    gate_matches,
    load_report,
)
from crawlcheck.errors import UsageError
from crawlcheck.report.document import AGENT_STATES

NAME = "diff"
HELP = (
    "Compare two audit reports (JSON or JSONL) site by site: verdicts, agent states and "
    "findings that appeared, disappeared or changed; --fail-on gates for CI."
)
FORMATS = ("text", "json", "md")
SCHEMA = "crawlcheck.diff/1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument("old", metavar="OLD", help="the earlier report (JSON or JSONL)")
    parser.add_argument("new", metavar="NEW", help="the later report (JSON or JSONL)")
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--fail-on",
        metavar="WHAT[,…]",
        help="exit 1 when a change matches: 'any', 'verdicts', 'agents', 'findings', 'sites', "
        "a VERDICT or PURPOSE=VERDICT a site newly has (e.g. 'ai-train=reserved'), or "
        "AGENT=STATE an agent newly has (e.g. 'GPTBot=disallowed'; default: none)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="also list the sites that did not change (default: off)",
    )


def run(args: argparse.Namespace) -> int:
    """Compare the reports; return 1 when a --fail-on gate matched, else 0."""
    gates = parse_diff_gates(args.fail_on)
    result = diff_reports(load_report(args.old), load_report(args.new))
    matched = [
        (site.origin, gate) for site in result.sites for gate in gates if gate_matches(gate, site)
    ]
    render = {"text": render_text, "json": render_json, "md": render_markdown}[args.format]
    sys.stdout.write(render(result, args.old, args.new, matched, args.all))
    sys.stdout.flush()
    return 1 if matched else 0


def parse_diff_gates(value: str | None) -> list[Gate]:
    """Return the gates of a ``--fail-on`` value; UsageError naming a bad one.

    Verdict gates are read by ``audit --fail-on``'s own parser, so ``VERDICT`` and
    ``PURPOSE=VERDICT`` mean the same in both commands (here: the site *newly* has it).
    """
    gates: list[Gate] = []
    for part in (p.strip() for p in (value or "").split(",") if p.strip()):
        name, sep, wanted = part.rpartition("=")
        if part in CHANGE_KINDS:
            gates.append(Gate(kind=part))
        elif sep and wanted in AGENT_STATES and name:
            gates.append(Gate(kind="agent", subject=name, value=wanted))
        else:
            try:
                verdict_gate = parse_gates(part)[0]
                if verdict_gate.verdict == UNREACHABLE:  # a site state, not a change
                    raise UsageError(part)
                purpose, verdict = verdict_gate.purpose, verdict_gate.verdict
            except UsageError as exc:
                raise UsageError(
                    f"--fail-on: {part!r} is not {', '.join(CHANGE_KINDS)}, VERDICT, "
                    f"PURPOSE=VERDICT or AGENT=STATE (states: {', '.join(AGENT_STATES)})"
                ) from exc
            gates.append(Gate(kind="verdict", subject=purpose, value=verdict))
    return gates


def describe_gate(gate: Gate) -> str:
    """Return a gate as the user wrote it."""
    if gate.kind in ("verdict", "agent"):
        return f"{gate.subject}={gate.value}" if gate.subject else str(gate.value)
    return gate.kind


# -- renderers (pure)


def render_text(
    result: ReportDiff, old: str, new: str, matched: list[tuple[str, Gate]], everything: bool
) -> str:
    """Return the diff as plain text: a summary line, then one block per changed site."""
    counts = result.counts()
    lines = [
        f"crawlcheck diff {old} -> {new}",
        f"{counts['changed']} changed, {counts['added']} added, {counts['removed']} removed, "
        f"{counts['unchanged']} unchanged",
    ]
    for site in result.sites if everything else result.changed():
        lines.append("")
        lines.append(f"{_mark(site)} {site.origin}" + _status_note(site))
        lines += [f"    verdict {p}: {_v(a)} -> {_v(b)}" for p, a, b in site.verdicts]
        lines += [f"    agent {t}: {_v(a)} -> {_v(b)}" for t, a, b in site.agents]
        lines += [f"    {_finding_line(change)}" for change in site.findings]
    if matched:
        lines.append("")
        lines += [f"fail-on {describe_gate(g)}: {origin}" for origin, g in matched]
    return "\n".join(lines) + "\n"


def render_json(
    result: ReportDiff, old: str, new: str, matched: list[tuple[str, Gate]], everything: bool
) -> str:
    """Return the diff as one JSON document, schema ``crawlcheck.diff/1``."""
    sites = result.sites if everything else tuple(result.changed())
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "old": old,
        "new": new,
        "counts": result.counts(),
        "sites": [_site_json(site) for site in sites],
        "failed_gates": [{"gate": describe_gate(g), "origin": o} for o, g in matched],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render_markdown(
    result: ReportDiff, old: str, new: str, matched: list[tuple[str, Gate]], everything: bool
) -> str:
    """Return the diff as Markdown for a CI job page or a pull-request comment."""
    counts = result.counts()
    lines = [
        f"## crawlcheck diff: `{_md(old)}` → `{_md(new)}`",
        "",
        f"**{counts['changed']}** changed, **{counts['added']}** added, "
        f"**{counts['removed']}** removed, {counts['unchanged']} unchanged.",
    ]
    for site in result.sites if everything else result.changed():
        lines += ["", f"### {_mark(site)} {_md(site.origin)}{_status_note(site)}", ""]
        rows = [("verdict " + p, a, b) for p, a, b in site.verdicts]
        rows += [("agent " + t, a, b) for t, a, b in site.agents]
        if rows:
            lines += ["| what | old | new |", "|---|---|---|"]
            lines += [f"| {_md(w)} | {_md(_v(a))} | {_md(_v(b))} |" for w, a, b in rows]
        if site.findings:
            lines.append("")
            lines += [f"- {_md(_finding_line(change))}" for change in site.findings]
    if matched:
        lines += ["", "**Failed gates:**", ""]
        lines += [f"- `{describe_gate(g)}`: {_md(o)}" for o, g in matched]
    return "\n".join(lines) + "\n"


def _site_json(site: SiteDiff) -> dict[str, Any]:
    return {
        "origin": site.origin,
        "status": site.status,
        "verdicts": {p: {"old": a, "new": b} for p, a, b in site.verdicts},
        "agents": {t: {"old": a, "new": b} for t, a, b in site.agents},
        "findings": {
            "added": [dict(c.new) for c in site.findings if c.old is None and c.new is not None],
            "removed": [dict(c.old) for c in site.findings if c.new is None and c.old is not None],
            "changed": [
                {"old": dict(c.old), "new": dict(c.new)}
                for c in site.findings
                if c.old is not None and c.new is not None
            ],
        },
    }


def _mark(site: SiteDiff) -> str:
    return {"added": "+", "removed": "-", "changed": "~"}.get(site.status, "=")


def _status_note(site: SiteDiff) -> str:
    return f" ({site.status})" if site.status in ("added", "removed") else ""


def _v(value: str | None) -> str:
    return "(none)" if value is None else value


def _finding_line(change: FindingChange) -> str:
    if change.old is None and change.new is not None:
        return "+ finding " + _finding_text(change.new)
    if change.new is None and change.old is not None:
        return "- finding " + _finding_text(change.old)
    assert change.old is not None
    assert change.new is not None
    before = f"{change.old.get('effect')} {change.old.get('value') or ''}".strip()
    after = f"{change.new.get('effect')} {change.new.get('value') or ''}".strip()
    return f"~ finding {_finding_text(change.new)} (was {before}, now {after})"


def _finding_text(finding: Any) -> str:
    agents = finding.get("agents") or []
    agent_text = ",".join(str(a) for a in agents) if isinstance(agents, list) else str(agents)
    key = f" {finding.get('key')}" if finding.get("key") else ""
    value = f"={finding.get('value')}" if finding.get("value") else ""
    return (
        f"{finding.get('signal')}{key}{value} {finding.get('effect')} [{agent_text}] "
        f"{finding.get('scope')}: {finding.get('evidence')}"
    )


def _md(text: str) -> str:
    """Return *text* safe inside a Markdown table cell or list item."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")
