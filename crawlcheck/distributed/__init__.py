"""Past one machine on Ray: snapshots built and sites audited by many workers, and URL
decisions in Ray Data (docs/scale.md).

* :func:`build_snapshot_on_ray` — ``crawlcheck snapshot build --ray ADDRESS``;
* :func:`audit_on_ray` — ``crawlcheck audit --ray ADDRESS`` (reports in input order);
* :class:`CrawlcheckDecisions` — ``ray.data.Dataset.map_batches(CrawlcheckDecisions, …)``.

Work is split by registrable domain (:mod:`~crawlcheck.distributed.partition`), so one
domain's hosts are only ever crawled by one worker at a time. Ray is the ``ray`` extra,
imported only when a job runs (:mod:`~crawlcheck.distributed.cluster`, the one module
that imports it).
"""

from __future__ import annotations

from crawlcheck.distributed.audit import audit_on_ray
from crawlcheck.distributed.data import CrawlcheckDecisions
from crawlcheck.distributed.snapshot import build_snapshot_on_ray

__all__ = ["CrawlcheckDecisions", "audit_on_ray", "build_snapshot_on_ray"]
