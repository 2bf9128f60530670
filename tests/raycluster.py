"""A real multi-node Ray cluster on loopback for the tests, every node named in the request log.

``LocalCluster`` starts a head node (no CPUs: it schedules, it does not crawl) and worker
nodes of one CPU each with :class:`ray.cluster_utils.Cluster`, Ray's own multi-node test
utility: each node is a raylet with its own worker processes, as on separate machines.
Everything listens on 127.0.0.1: ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` is in every
process's environment (this one, the nodes', the CLI runs'), which makes Ray take the
loopback address instead of the machine's interface.

Each worker node's environment sends its crawls through the fixture web's proxy as
``http://NODE:x@127.0.0.1:PORT``: Scrapy turns the user name into a ``Proxy-Authorization``
header, so the fixture web's request log says which node made each request
(:meth:`LocalCluster.node_of`) — the evidence for politeness across workers.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from webfixture import RequestRecord

#: Ray in single-machine mode: every address 127.0.0.1 (set in every process).
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
# Ray reads it once, when first imported: set it on import of this module, before Ray is.
os.environ.update(LOOPBACK)
#: Logical CPUs per worker node: two crawls at once, or a Ray Data actor and a write task.
CPUS_PER_NODE = 2
#: Ray's own connections never go through the fixture web's proxy.
NO_PROXY = "127.0.0.1,localhost"


class LocalCluster:
    """A head and worker nodes on 127.0.0.1; :meth:`close` stops every process it started."""

    def __init__(self, proxy_port: int, workers: int = 2, cpus: int = CPUS_PER_NODE) -> None:
        from ray._private import ray_constants
        from ray.cluster_utils import Cluster

        if ray_constants.ENABLE_RAY_CLUSTER:
            raise RuntimeError("Ray was imported before tests/raycluster.py: it is not on loopback")
        self.proxy_port = proxy_port
        self.cpus = cpus
        self.cluster = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 0, "include_dashboard": False},
        )
        self.nodes: dict[str, Any] = {}
        self._count = 0
        for _ in range(workers):
            self.add_worker()

    @property
    def address(self) -> str:
        """The head's GCS address, as ``ray.init(address=…)`` and ``--ray`` take it."""
        return str(self.cluster.address)

    def add_worker(self) -> str:
        """Start one more worker node (``cpus`` CPUs); return its name (``node-N``)."""
        self._count += 1
        name = f"node-{self._count}"
        proxy = f"http://{name}:x@127.0.0.1:{self.proxy_port}"
        env = {
            **LOOPBACK,
            "http_proxy": proxy,
            "https_proxy": proxy,
            "no_proxy": NO_PROXY,
            "NO_PROXY": NO_PROXY,
            "CRAWLCHECK_TEST_NODE": name,
        }
        self.nodes[name] = self.cluster.add_node(num_cpus=self.cpus, env_vars=env)
        self.cluster.wait_for_nodes()
        return name

    def remove_worker(self, name: str) -> None:
        """Kill worker node *name* and every process of it, at once (no graceful exit)."""
        self.cluster.remove_node(self.nodes.pop(name), allow_graceful=False)

    def pids(self) -> list[int]:
        """Return the process ids of every node's Ray processes."""
        found = []
        for node in [self.cluster.head_node, *self.nodes.values()]:
            for infos in node.all_processes.values():
                found.extend(info.process.pid for info in infos)
        return found

    def environment(self) -> dict[str, str]:
        """Return the environment of a CLI run that drives a job on this cluster."""
        env = {
            k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")
        }
        env.update(LOOPBACK)
        return env

    @staticmethod
    def node_of(record: RequestRecord) -> str | None:
        """Return the node that made *record* (its proxy user name), or None."""
        value = record.header("Proxy-Authorization")
        if not value or not value.lower().startswith("basic "):
            return None
        user = base64.b64decode(value.split(None, 1)[1]).decode("utf-8", "replace")
        return user.partition(":")[0]

    def close(self) -> None:
        """Stop the cluster: every process of every node."""
        self.cluster.shutdown()
