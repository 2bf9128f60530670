"""Audit sites on a Ray cluster: units of whole registrable domains, reports in input order.

Each task audits one unit (:mod:`~crawlcheck.distributed.partition`) with the one-machine
audit (:func:`crawlcheck.site_audit.iter_audit`: its own crawl process, the rules loaded
from ``options.rules``) and sends back the unit's report rows as JSON Lines, the rows of
``audit --format jsonl``. The driver checks each unit holds one row per site sent, in the
order sent, keeps it in a work file, and yields every report in input order as soon as it
and every one before it are back, reading the work files in step: memory holds one row per
unit, not the audit. :func:`audit_on_ray` has :func:`~crawlcheck.site_audit.iter_audit`'s
signature, so the ``audit`` command's report, checkpoint and ``--resume`` work unchanged.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.distributed.cluster import cluster_cpus, connected, run_units
from crawlcheck.distributed.partition import partition, unit_count
from crawlcheck.errors import DistributedJobError
from crawlcheck.model import SiteReport
from crawlcheck.report import render_site_jsonl
from crawlcheck.report.document import site_from_dict
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.site_audit import AuditTarget, iter_audit

__all__ = ["SITES_PER_UNIT", "audit_on_ray"]

#: Sites per task at most when the unit count is chosen for the cluster.
SITES_PER_UNIT = 2_000


def audit_on_ray(
    targets: Sequence[AuditTarget],
    options: CrawlOptions | None = None,
    ruleset: Ruleset | None = None,
    *,
    address: str | None,
    on_finished: Callable[[SiteReport], None] | None = None,
    units: int | None = None,
) -> Generator[SiteReport, None, None]:
    """Yield one report per target in input order, audited on the Ray cluster at *address*.

    *on_finished* sees each report as soon as its unit is back. The workers load the rules
    of ``options.rules`` (paths every node can read; *ruleset* is the driver's copy and is
    not sent). *units*: tasks (default: 2 per CPU of the cluster, at most 2,000 sites
    each). Raises DistributedJobError when a task fails after Ray's retries or a unit's
    rows are not its sites.
    """
    del ruleset  # rules travel as file paths: a Ruleset does not pickle
    options = options or CrawlOptions()
    options = replace(options, rules=tuple(os.path.abspath(path) for path in options.rules))
    if not targets:
        return
    with connected(address) as ray, tempfile.TemporaryDirectory(prefix="crawlcheck-ray-") as work:
        count = units or unit_count(len(targets), cluster_cpus(ray), SITES_PER_UNIT)
        parts = partition([t.origin for t in targets], count)
        owner = [0] * len(targets)
        for unit, part in enumerate(parts):
            for index in part:
                owner[index] = unit
        jobs = [([targets[i] for i in part], options) for part in parts]
        rows: dict[int, Generator[SiteReport, None, None]] = {}
        position = 0
        try:
            for unit, data in run_units(ray, _audit_unit, jobs):
                path = Path(work) / f"unit-{unit:05d}.jsonl"
                path.write_bytes(data)
                for report in _checked(path, [targets[i] for i in parts[unit]], unit):
                    if on_finished is not None:
                        on_finished(report)
                rows[unit] = _read(path)
                while position < len(targets) and owner[position] in rows:
                    yield next(rows[owner[position]])
                    position += 1
        finally:
            for reader in rows.values():
                reader.close()
    if position != len(targets):
        raise DistributedJobError(f"audit: {len(targets)} sites sent, {position} reported")


def _audit_unit(targets: list[AuditTarget], options: CrawlOptions) -> bytes:
    """The task: audit *targets* as one machine does; return their JSON Lines rows in order."""
    ruleset = load_ruleset(list(options.rules))
    lines = [render_site_jsonl(report) for report in iter_audit(targets, options, ruleset)]
    return "".join(lines).encode("utf-8")


def _read(path: Path) -> Generator[SiteReport, None, None]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield site_from_dict(json.loads(line))


def _checked(path: Path, sent: list[AuditTarget], unit: int) -> Iterator[SiteReport]:
    """Yield the reports of a unit's rows, checking they are the sites *sent*, in order."""
    count = 0
    for report in _read(path):
        if count >= len(sent) or report.site != sent[count].site:
            raise DistributedJobError(
                f"audit unit {unit}: row {count + 1} is {report.site!r}, not the site sent"
            )
        count += 1
        yield report
    if count != len(sent):
        raise DistributedJobError(f"audit unit {unit}: {len(sent)} sites sent, {count} returned")
