"""Split a job's sites into units by registrable domain: the key that keeps politeness.

Every host of one registrable domain (``news.example.co.uk``, ``shop.example.co.uk``, any
scheme or port) lands in the same unit, so it is crawled by one crawl process at a time,
with that process's per-host limit, whatever the number of workers: no two workers ever
fetch from one domain at once. The unit of an origin is its snapshot shard
(:func:`crawlcheck.snapshot.format.shard_of` of :func:`~crawlcheck.snapshot.format.
registrable_domain`), so a distributed snapshot build writes shard *i* from unit *i*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from crawlcheck.snapshot.format import registrable_domain, shard_of

__all__ = ["UNITS_PER_CPU", "partition", "unit_count"]

#: Units per CPU of the cluster at least: a unit lost with its node costs a part of a
#: worker's share, and the progress line moves often.
UNITS_PER_CPU = 2


def unit_count(sites: int, cpus: int, per_unit: int) -> int:
    """Return how many units to split *sites* into: enough for *cpus*, at most *per_unit* each.

    >>> unit_count(3000, 2, 2000), unit_count(1_000_000, 2, 2000), unit_count(4, 2, 2000)
    (4, 500, 4)
    """
    wanted = max(UNITS_PER_CPU * cpus, math.ceil(sites / per_unit))
    return max(1, min(sites, wanted))


def partition(origins: Sequence[str], units: int) -> list[list[int]]:
    """Return, per unit, the indices of *origins* it holds, each list in input order.

    >>> origins = ["http://a.example.com", "http://b.example.com", "http://other.org"]
    >>> [len(unit) for unit in partition(origins, 1)]
    [3]
    >>> parts = partition(origins, 4)
    >>> any(0 in part and 1 in part for part in parts)  # one domain, one unit
    True
    """
    parts: list[list[int]] = [[] for _ in range(units)]
    for index, origin in enumerate(origins):
        parts[shard_of(registrable_domain(origin), units)].append(index)
    return parts
