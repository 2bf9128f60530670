"""``--ray`` on a real local cluster: a head and two worker nodes on 127.0.0.1 (tests/raycluster.py).

Against the fixture web through its proxy, with a few hundred generated sites whose
registrable domains have several hosts each: a snapshot built on the cluster equals the
one built by one process, an audit on the cluster equals the one-machine audit, a worker
node killed mid-job loses and duplicates nothing, no registrable domain is fetched by two
nodes (the request log names the node of every request), and the Ray Data recipe of
docs/scale.md runs as written. Every test shares the session's one cluster.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from raycluster import CPUS_PER_NODE, LocalCluster
from webfixture import FixtureWeb, RequestRecord, parse_site

from crawlcheck.model import SiteFetches
from crawlcheck.snapshot import MANIFEST, Snapshot, registrable_domain, shard_of

pytestmark = [pytest.mark.ray_cluster, pytest.mark.xdist_group("ray_cluster")]

#: Registrable domains of the generated web; each has 1 to 3 hosts.
DOMAINS = 120
HOSTS = ("www", "news", "shop")
SUFFIXES = ("co.uk", "com.au", "org")


def origins_of(domain: int) -> list[str]:
    name = f"fixture-{domain}.{SUFFIXES[domain % len(SUFFIXES)]}"
    return [f"http://{host}.{name}" for host in HOSTS[: 1 + domain % len(HOSTS)]]


#: Units of a job: 2 per CPU of the two worker nodes (crawlcheck.distributed.partition).
UNITS = 2 * 2 * CPUS_PER_NODE
ORIGINS = [origin for domain in range(DOMAINS) for origin in origins_of(domain)]


def site_spec(number: int, origin: str) -> dict[str, Any]:
    """A generated site: robots.txt of five kinds, some ai.txt, a home page with one link."""
    host = origin.removeprefix("http://")
    kind = number % 5
    resources: dict[str, Any] = {
        "/": {"body": '<!doctype html><title>home</title><a href="/a">a</a>'},
        "/a": {"body": "<!doctype html><title>a</title>"},
        "*": {"status": 404, "body": "not here"},
    }
    if kind == 0:
        resources["/robots.txt"] = {"body": "User-agent: GPTBot\nDisallow: /\n"}
    elif kind == 2:
        resources["/robots.txt"] = {
            "body": "User-agent: *\nDisallow: /private\nContent-Signal: ai-train=no\n"
        }
    elif kind == 3:
        resources["/robots.txt"] = {"status": 503, "body": "busy"}
    elif kind == 4:
        resources["/robots.txt"] = {"body": "User-agent: *\nAllow: /\n"}
        resources["/ai.txt"] = {"body": "User-Agent: *\nDisallow: /\n"}
    return {"host": host, "resources": resources}


@pytest.fixture(scope="session")
def web() -> Iterator[FixtureWeb]:
    sites = [parse_site(site_spec(n, o), source="generated") for n, o in enumerate(ORIGINS)]
    with FixtureWeb(sites) as served:
        yield served


@pytest.fixture(scope="session")
def cluster(web: FixtureWeb) -> Iterator[LocalCluster]:
    started = LocalCluster(web.port, workers=2)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="session")
def sites_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("input") / "sites.txt"
    path.write_text("".join(f"{origin}\n" for origin in ORIGINS), encoding="utf-8")
    return path


def run(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "crawlcheck", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def one_machine(web: FixtureWeb, cluster: LocalCluster) -> dict[str, str]:
    """The environment of a one-machine run: through the proxy, no node name."""
    env = cluster.environment()
    env["http_proxy"] = env["https_proxy"] = web.proxy_url
    env["no_proxy"] = env["NO_PROXY"] = ""
    return env


# -- helpers reading results -------------------------------------------------------------


def evidence(fetches: SiteFetches | None) -> list[tuple[object, ...]]:
    """What a capture says, without its times: each file's URL, status, digest and error."""
    assert fetches is not None
    files = [(name, doc) for name, doc in fetches.site_files() if doc is not None]
    return [(name, doc.url, doc.status, doc.sha256, doc.error) for name, doc in files] + [
        ("licence", doc.url, doc.status, doc.sha256, doc.error) for doc in fetches.licenses
    ]


def captures(path: Path) -> Counter[str]:
    """Count the capture rows of each origin over every shard of the snapshot at *path*."""
    counts: Counter[str] = Counter()
    for shard in sorted(path.glob("shard-*.sqlite3")):
        db = sqlite3.connect(shard)
        try:
            counts.update(row[0] for row in db.execute("SELECT origin FROM captures"))
        finally:
            db.close()
    return counts


def without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if not k.endswith(("_at", "_ms"))}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def nodes_per_domain(records: list[RequestRecord]) -> dict[str, set[str | None]]:
    nodes: dict[str, set[str | None]] = defaultdict(set)
    for record in records:
        nodes[registrable_domain(f"http://{record.host}")].add(LocalCluster.node_of(record))
    return nodes


def wait_for(condition: Any, what: str, limit: float = 120.0) -> Any:
    """Poll *condition* until it returns something true; fail naming *what* after *limit* s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


# -- the tests ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def single_snapshot(
    web: FixtureWeb,
    cluster: LocalCluster,
    sites_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    out = tmp_path_factory.mktemp("single") / "snap"
    run(
        "snapshot",
        "build",
        "-i",
        str(sites_file),
        "-o",
        str(out),
        "--timeout",
        "5",
        env=one_machine(web, cluster),
    )
    return out


def test_everything_listens_on_loopback(cluster: LocalCluster) -> None:
    pids = set(map(str, cluster.pids()))
    listening = subprocess.run(["ss", "-tlnpH"], capture_output=True, text=True, check=True)
    ours = [
        line for line in listening.stdout.splitlines() if any(f"pid={p}," in line for p in pids)
    ]
    assert ours, listening.stdout
    addresses = {line.split()[3].rpartition(":")[0] for line in ours}
    assert addresses <= {"127.0.0.1", "[::ffff:127.0.0.1]"}, ours
    assert {node.node_ip_address for node in cluster.nodes.values()} == {"127.0.0.1"}


def test_a_snapshot_built_on_the_cluster_equals_one_process_build(
    web: FixtureWeb, cluster: LocalCluster, sites_file: Path, single_snapshot: Path, tmp_path: Path
) -> None:
    web.clear_log()
    out = tmp_path / "snap"
    done = run(
        "snapshot",
        "build",
        "-i",
        str(sites_file),
        "-o",
        str(out),
        "--timeout",
        "5",
        "--ray",
        cluster.address,
        env=cluster.environment(),
    )
    assert f"{len(ORIGINS)} origin(s)" in done.stderr
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["origins"] == len(ORIGINS)
    assert manifest["shard_count"] == UNITS  # 2 per CPU of the two worker nodes
    assert captures(out) == Counter(ORIGINS)  # each origin once: nothing lost or duplicated
    with Snapshot(out) as distributed, Snapshot(single_snapshot) as single:
        ours = distributed.lookup_many(ORIGINS)
        theirs = single.lookup_many(ORIGINS)
        for origin in ORIGINS:
            assert evidence(ours[origin].fetches) == evidence(theirs[origin].fetches), origin
    # Politeness across workers: every registrable domain was fetched by one node only,
    # and both nodes worked.
    per_domain = nodes_per_domain(web.requests)
    assert all(len(nodes) == 1 for nodes in per_domain.values()), per_domain
    assert {node for nodes in per_domain.values() for node in nodes} == set(cluster.nodes)


AUDIT_OPTIONS = ("--pages", "1", "--media-sample", "0", "--timeout", "5")


def audit_rows(path: Path) -> list[Any]:
    return [without_times(json.loads(line)) for line in path.read_text().splitlines()]


@pytest.fixture(scope="session")
def single_audit(
    web: FixtureWeb,
    cluster: LocalCluster,
    sites_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> list[Any]:
    out = tmp_path_factory.mktemp("single") / "report.jsonl"
    run(
        "audit",
        "-i",
        str(sites_file),
        "-o",
        str(out),
        *AUDIT_OPTIONS,
        env=one_machine(web, cluster),
    )
    return audit_rows(out)


def test_an_audit_on_the_cluster_equals_the_one_machine_audit(
    web: FixtureWeb,
    cluster: LocalCluster,
    sites_file: Path,
    single_audit: list[Any],
    tmp_path: Path,
) -> None:
    web.clear_log()
    out = tmp_path / "report.jsonl"
    run(
        "audit",
        "-i",
        str(sites_file),
        "-o",
        str(out),
        *AUDIT_OPTIONS,
        "--ray",
        cluster.address,
        env=cluster.environment(),
    )
    rows = audit_rows(out)
    assert [row["site"] for row in rows] == ORIGINS  # input order, each site once
    for ours, theirs in zip(rows, single_audit, strict=True):
        assert {k: v for k, v in ours.items() if v != theirs.get(k)} == {}, theirs
    per_domain = nodes_per_domain(web.requests)
    assert all(len(nodes) == 1 for nodes in per_domain.values()), per_domain


def test_without_a_cluster_there_is_a_one_line_error(
    cluster: LocalCluster, sites_file: Path, tmp_path: Path
) -> None:
    done = run(
        "audit",
        "-i",
        str(sites_file),
        "-o",
        str(tmp_path / "r.jsonl"),
        "--ray",
        "127.0.0.1:1",
        env=cluster.environment(),
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "--ray 127.0.0.1:1: cannot connect" in done.stderr


# -- a worker node killed mid-job --------------------------------------------------------

#: The site held while its node is killed (a domain with three hosts).
HELD = ORIGINS[4].removeprefix("http://")
#: The held request must outlast the other units: it is never timed out before the kill.
HOLD_OPTIONS = ("--timeout", "90")


def kill_the_node_holding(
    web: FixtureWeb,
    cluster: LocalCluster,
    path: str,
    job: subprocess.Popen[str],
    others_done: Any,
) -> str:
    """Hold HELD's *path*; once a node asks for it and *others_done()* (every other unit is
    back), kill that node, then release the request.

    The held unit cannot finish before the kill, so the job is mid-way by construction.
    Then a fresh node joins, so the session's cluster has two workers again.
    """
    release = web.hold(HELD, path)
    try:
        record = wait_for(
            lambda: next((r for r in web.requests if (r.host, r.path) == (HELD, path)), None),
            f"the request for {HELD}{path}",
        )
        wait_for(others_done, "every other unit to finish")
        assert job.poll() is None
        node = LocalCluster.node_of(record)
        assert node in cluster.nodes
        cluster.remove_worker(node)
    finally:
        release.set()
    cluster.add_worker()
    return node


def held_unit() -> list[str]:
    """The origins of HELD's unit."""
    unit = shard_of(registrable_domain(f"http://{HELD}"), UNITS)
    return [o for o in ORIGINS if shard_of(registrable_domain(o), UNITS) == unit]


def assert_asked_once_outside_the_held_unit(web: FixtureWeb) -> None:
    """Every origin of the units that finished before the kill was fetched once, not again
    (robots.txt answering 503 is asked twice by the crawl itself)."""
    asked = Counter(r.host for r in web.requests if r.path == "/robots.txt")
    held = set(held_unit())
    expected = {
        o.removeprefix("http://"): 2 if n % 5 == 3 else 1
        for n, o in enumerate(ORIGINS)
        if o not in held
    }
    assert {host: asked[host] for host in expected} == expected


def assert_retried_elsewhere(asked: list[str | None], killed: str) -> None:
    """The held request was asked by the killed node (the crawl's own retries included),
    then, after the kill, by a node still alive: never by both at once."""
    first_other = next(i for i, node in enumerate(asked) if node != killed)
    assert first_other > 0, asked
    assert killed not in asked[first_other:], asked


def finish(job: subprocess.Popen[str]) -> str:
    _, stderr = job.communicate(timeout=240)
    assert job.returncode == 0, stderr[-3000:]
    return stderr


def test_a_node_killed_mid_build_loses_and_duplicates_nothing(
    web: FixtureWeb, cluster: LocalCluster, sites_file: Path, single_snapshot: Path, tmp_path: Path
) -> None:
    web.clear_log()
    out = tmp_path / "snap"
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawlcheck",
            "snapshot",
            "build",
            "-i",
            str(sites_file),
            "-o",
            str(out),
            *HOLD_OPTIONS,
            "--ray",
            cluster.address,
        ],
        env=cluster.environment(),
        stderr=subprocess.PIPE,
        text=True,
    )
    work = tmp_path / ".snap.ray"
    killed = kill_the_node_holding(
        web,
        cluster,
        "/robots.txt",
        job,
        lambda: len(list(work.glob("shard-*.sqlite3"))) == UNITS - 1,
    )
    finish(job)
    assert captures(out) == Counter(ORIGINS)
    with Snapshot(out) as distributed, Snapshot(single_snapshot) as single:
        ours, theirs = distributed.lookup_many(ORIGINS), single.lookup_many(ORIGINS)
        assert all(evidence(ours[o].fetches) == evidence(theirs[o].fetches) for o in ORIGINS)
    # The held unit ran again on a node still alive; the other units ran once.
    asked = [
        LocalCluster.node_of(r) for r in web.requests if (r.host, r.path) == (HELD, "/robots.txt")
    ]
    assert_retried_elsewhere(asked, killed)
    assert_asked_once_outside_the_held_unit(web)


def test_a_node_killed_mid_audit_loses_and_duplicates_nothing(
    web: FixtureWeb,
    cluster: LocalCluster,
    sites_file: Path,
    single_audit: list[Any],
    tmp_path: Path,
) -> None:
    web.clear_log()
    out = tmp_path / "report.jsonl"
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawlcheck",
            "audit",
            "-i",
            str(sites_file),
            "-o",
            str(out),
            *AUDIT_OPTIONS,
            *HOLD_OPTIONS,
            "--ray",
            cluster.address,
        ],
        env=cluster.environment(),
        stderr=subprocess.PIPE,
        text=True,
    )
    checkpoint = Path(f"{out}.checkpoint.jsonl")
    others = len(ORIGINS) - len(held_unit())

    def others_done() -> bool:
        return checkpoint.exists() and checkpoint.read_text().count("\n") == 1 + others

    killed = kill_the_node_holding(web, cluster, "/", job, others_done)
    finish(job)
    rows = audit_rows(out)
    assert [row["site"] for row in rows] == ORIGINS
    assert rows == single_audit
    asked = [LocalCluster.node_of(r) for r in web.requests if (r.host, r.path) == (HELD, "/")]
    assert_retried_elsewhere(asked, killed)
    assert_asked_once_outside_the_held_unit(web)


# -- Ray Data: the recipe of docs/scale.md as written ------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "scale.md"


def test_the_ray_data_recipe_decides_as_the_arrow_batch_api(
    cluster: LocalCluster, single_snapshot: Path, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crawlcheck.decide.checker import UrlChecker
    from crawlcheck.tables import annotate_table

    text = DOC.read_text(encoding="utf-8").split("## Decisions in Ray Data", 1)[1]
    recipe = re.findall(r"^```python\n(.*?)^```$", text, flags=re.M | re.S)[0]
    urls = [f"{origin}{path}" for origin in ORIGINS for path in ("/", "/private/x", "/a")]
    table = pa.table({"url": urls, "n": list(range(len(urls)))})
    pq.write_table(table, tmp_path / "urls.parquet")
    (tmp_path / "snap").symlink_to(single_snapshot)
    (tmp_path / "recipe.py").write_text(recipe, encoding="utf-8")
    env = {**cluster.environment(), "RAY_ADDRESS": cluster.address}
    done = subprocess.run(
        [sys.executable, "recipe.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    decided = pq.read_table(tmp_path / "decided").sort_by("n")
    with UrlChecker("GPTBot", snapshot=str(single_snapshot)) as checker:
        expected = annotate_table(table, origins=checker)
    assert decided.column_names == expected.column_names
    for name in ("url", "decision", "reasons", "problems"):
        assert decided[name].to_pylist() == expected[name].to_pylist(), name
    assert set(decided["decision"].to_pylist()) == {"allowed", "reserved", "unknown"}
