"""The media report as data and text: JSON (``crawlcheck.media/1``), JSONL, CSV and plain text.

Findings and problems have the site report's shape (:mod:`crawlcheck.report.document`),
plus a ``note`` per finding (the rule's meaning: why a generative-only reservation is
narrower than an AI-training one). Keys may be added within ``crawlcheck.media/1``; the
contract's (``path`` or ``url``, ``media_type``, ``findings``, ``problems``) keep their names.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from crawlcheck._version import __version__
from crawlcheck.model import PURPOSES, MediaResult
from crawlcheck.report.csv_report import neutralise
from crawlcheck.report.document import finding_to_dict, problem_to_dict, scrub

SCHEMA_ID = "crawlcheck.media/1"

#: CSV columns; more may be added at the end only.
COLUMNS: tuple[str, ...] = (
    "path",
    "media_type",
    "row_type",
    "purpose",
    "state",
    "signal",
    "effect",
    "purposes",
    "key",
    "value",
    "evidence",
    "code",
    "level",
    "message",
)


def file_to_dict(result: MediaResult, *, key: str = "path") -> dict[str, Any]:
    """Return the ``files[]`` object of one result (*key*: ``path`` or ``url``)."""
    findings = []
    for finding, note in zip(result.findings, result.notes, strict=True):
        entry = finding_to_dict(finding)
        entry["note"] = note
        findings.append(entry)
    return {
        key: result.source,
        "media_type": result.media_type,
        "size": result.size,
        "bytes_read": result.bytes_read,
        "states": result.states(),
        "c2pa": result.c2pa,
        "findings": findings,
        "problems": [problem_to_dict(p) for p in result.problems],
        "remote_manifests": list(result.remote_manifests),
    }


def render_json(
    results: Sequence[MediaResult], *, generated_at: str, keys: Sequence[str] | None = None
) -> str:
    """Return the whole JSON document, files in the order given.

    *keys*: per file, ``path`` (the default) or ``url`` (a file read over HTTP).
    """
    names = keys if keys is not None else ["path"] * len(results)
    document = {
        "schema": SCHEMA_ID,
        "crawlcheck_version": __version__,
        "generated_at": generated_at,
        "files": [file_to_dict(r, key=k) for r, k in zip(results, names, strict=True)],
    }
    return scrub(json.dumps(document, ensure_ascii=False, indent=2)) + "\n"


def render_jsonl_line(result: MediaResult, *, key: str = "path") -> str:
    """Return one file as one JSON line (newline-terminated); *key* as in :func:`file_to_dict`."""
    line = json.dumps(file_to_dict(result, key=key), ensure_ascii=False, separators=(",", ":"))
    return scrub(line.translate({0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"})) + "\n"


def render_csv(results: Sequence[MediaResult]) -> str:
    """Return a CSV: per file one row per purpose, one per finding, one per problem."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\n", restval=""
    )
    writer.writeheader()
    for result in results:
        base = {"path": result.source, "media_type": result.media_type}
        rows: list[dict[str, str]] = [
            {**base, "row_type": "purpose", "purpose": purpose, "state": state}
            for purpose, state in result.states().items()
        ]
        rows += [
            {
                **base,
                "row_type": "finding",
                "signal": f.signal,
                "effect": str(f.effect),
                "purposes": " ".join(p for p in PURPOSES if p in f.purposes),
                "key": f.key,
                "value": f.value,
                "evidence": f.evidence,
            }
            for f in result.findings
        ]
        rows += [
            {**base, "row_type": "problem", "code": p.code, "level": p.level, "message": p.message}
            for p in result.problems
        ]
        for row in rows:
            writer.writerow({k: neutralise(scrub(v)) for k, v in row.items()})
    return out.getvalue()


def render_text(result: MediaResult) -> str:
    """Return one file as a few human-readable lines."""
    size = f"{result.size:,} bytes" if result.size is not None else "size unknown"
    lines = [
        f"{result.source}  {result.media_type or '(not read)'}  {size}, "
        f"{result.bytes_read:,} read"
        + (f", C2PA {result.c2pa}" if result.c2pa and result.c2pa != "absent" else "")
    ]
    lines.append("  " + "  ".join(f"{p}: {s}" for p, s in result.states().items()))
    for finding, note in zip(result.findings, result.notes, strict=True):
        purposes = ",".join(p for p in PURPOSES if p in finding.purposes) or "-"
        lines.append(
            f"  {finding.effect:<7} {purposes:<22} {finding.signal} {finding.key}={finding.value}"
        )
        lines.append(f"          {finding.evidence}")
        if note:
            lines.append(f"          note: {note}")
    for problem in result.problems:
        lines.append(f"  {problem.level} {problem.code}: {problem.message}")
    return scrub("\n".join(lines)) + "\n"
