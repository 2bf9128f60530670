"""Connect to a Ray cluster and run a job's tasks on it, a bounded number at a time.

The one place that imports Ray (with the rest of :mod:`crawlcheck.distributed`;
tests/test_core_imports.py keeps it so), and only when a job runs: Ray is the ``ray``
extra. A job is a list of *units*, each a task's arguments; :func:`run_units` submits them
as Ray tasks (``num_cpus=1``: one crawl per CPU of the cluster), no more at once than the
cluster has CPUs, so none waits behind a slow one on a busy node while another node idles
and the arguments in the object store stay bounded, and hands each result to
the caller as soon as it is ready, so a finished unit's result leaves the cluster at once
(a node lost later does not take it with it). Ray retries a task whose worker or node died
(``max_retries``), and one whose crawl process died; a task that still fails stops the job
with :class:`~crawlcheck.errors.DistributedJobError`.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

from crawlcheck.errors import CrawlWorkerError, DistributedJobError, UsageError

__all__ = ["EXTRA", "MAX_RETRIES", "cluster_cpus", "connected", "require_ray", "run_units"]

#: The optional dependency set that brings Ray.
EXTRA = "ray"
#: Times Ray runs a task again after its worker or node died, or its crawl process died.
MAX_RETRIES = 3
#: Seconds to wait for the cluster's address to accept a connection.
CONNECT_TIMEOUT = 10.0
_HOST_PORT = re.compile(r"^(?:ray://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[\w.-]+):(?P<port>\d{1,5})$")


def require_ray(what: str = "--ray") -> ModuleType:
    """Return the ``ray`` module, or raise a one-line UsageError naming the extra."""
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise UsageError(f"{what} needs Ray: install crawlcheck[{EXTRA}]") from exc


@contextlib.contextmanager
def connected(address: str | None) -> Iterator[ModuleType]:
    """Yield Ray connected to the cluster at *address* (as ``ray.init`` takes it).

    A process already connected (``ray.init`` called by the caller) is used as it is and
    stays connected; otherwise the connection made here is closed at the end. *address*
    None means "the one ``ray.init`` finds" (``RAY_ADDRESS``, else a new local instance).
    """
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    _check_reachable(address)
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"--ray {address}: cannot connect to the Ray cluster: {first}") from exc
    try:
        yield ray
    finally:
        ray.shutdown()


def _check_reachable(address: str | None) -> None:
    """Raise UsageError at once when *address* names a host and port nothing answers on.

    ``ray.init`` would retry for minutes; ``auto``, ``local`` and the like are left to it.
    """
    found = _HOST_PORT.match(address or "")
    if found is None:
        return
    host, port = found.group("host").strip("[]"), int(found.group("port"))
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise UsageError(
            f"--ray {address}: cannot connect to the Ray cluster: {exc.strerror or exc}"
        ) from exc


def cluster_cpus(ray: ModuleType) -> int:
    """Return the CPUs of the connected cluster (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def run_units(
    ray: ModuleType,
    task: Callable[..., Any],
    units: Sequence[tuple[Any, ...]],
    *,
    skip: Callable[[int], bool] = lambda index: False,
) -> Iterator[tuple[int, Any]]:
    """Run ``task(*unit)`` on the cluster for each unit not skipped; yield (index, result).

    Results come in completion order, each as soon as its task is done. A task that fails
    after :data:`MAX_RETRIES` retries raises DistributedJobError naming the unit; closing
    the generator early, or an error, cancels the tasks still pending.
    """
    remote = ray.remote(task).options(
        num_cpus=1,
        max_retries=MAX_RETRIES,
        retry_exceptions=[CrawlWorkerError],
        scheduling_strategy="SPREAD",
    )
    waiting = iter([index for index in range(len(units)) if not skip(index)])
    pending: dict[Any, int] = {}
    try:
        while True:
            # No more tasks than CPUs: a task never waits behind a slow one on a busy node
            # while another node idles (nodes that join or leave count from the next one).
            while len(pending) < cluster_cpus(ray):
                index = next(waiting, None)
                if index is None:
                    break
                pending[remote.remote(*units[index])] = index
            if not pending:
                return
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                index = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    lines = str(exc).strip().splitlines()
                    raise DistributedJobError(
                        f"task {index} of {len(units)} failed after {MAX_RETRIES} retries: "
                        + (lines[-1] if lines else type(exc).__name__)
                    ) from exc
                yield index, result
    finally:
        for ref in pending:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
