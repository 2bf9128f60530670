"""``crawlcheck filter`` over tables and compressed lists, run as a real process against the
fixture web: every input kind, every output format, the errors that name what is wrong."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from webfixture import FixtureWeb, load_sites

from crawlcheck.tables.arrow import decision_schema
from crawlcheck.tables.readers import TEXT_LINE_BYTES
from crawlcheck.tables.sniff import zstd

SITES = Path(__file__).parent / "data" / "urlcheck" / "sites.yaml"
#: (url, decision without --agent): the fixture sites of tests/data/urlcheck/sites.yaml.
ROWS = [
    ("http://gptbot.example/a", "reserved"),
    ("http://open.example/a", "allowed"),
    ("not a url", "unknown"),
    ("http://down.example/x", "unknown"),
    ("http://tdm.example/books/1", "reserved"),
    ("http://tdm.example/blog", "allowed"),
]
URLS = [url for url, _ in ROWS]
ADDED = ["decision", "reasons", "purpose", "agent", "problems"]


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(load_sites(SITES)) as server:
        yield server


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory, web: FixtureWeb) -> Path:
    path = tmp_path_factory.mktemp("tables") / "cache.sqlite3"
    warm = run_filter(web, path, stdin="\n".join(URLS).encode())
    assert warm.returncode == 0, warm.stderr
    return path


def run_filter(
    web: FixtureWeb, cache: Path, *args: str, stdin: bytes = b"", cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "https_proxy")}
    env["http_proxy"] = web.proxy_url
    return subprocess.run(
        [sys.executable, "-m", "crawlcheck", "filter", "--cache", str(cache), *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _jsonl(run: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.decode().splitlines()]


def _inputs(tmp: Path) -> dict[str, tuple[Path, list[str]]]:
    """Write the same rows in every input kind; return name → (file, extra arguments)."""
    text = "".join(f"{url}\n" for url in URLS).encode()
    records = [{"id": n, "url": url, "meta": {"url": url}} for n, url in enumerate(URLS)]
    files: dict[str, tuple[Path, list[str]]] = {}
    for name, data in (
        ("urls.txt", text),
        ("urls.txt.gz", gzip.compress(text)),
        ("urls.zst", zstd.compress(text)),  # no telling extension: content says zstd
    ):
        (tmp / name).write_bytes(data)
        files[name] = (tmp / name, [])
    for name, delimiter in (("urls.csv", ","), ("urls.tsv", "\t")):
        with (tmp / name).open("w", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(["id", "url", "note"])
            writer.writerows([n, url, "two\nlines, quoted"] for n, url in enumerate(URLS))
        files[name] = (tmp / name, [])
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    (tmp / "docs.jsonl.gz").write_bytes(gzip.compress(lines))
    files["docs.jsonl.gz"] = (tmp / "docs.jsonl.gz", ["--column", "meta.url"])
    table = pa.Table.from_pylist(records)
    pq.write_table(table, tmp / "urls.parquet", row_group_size=4)  # two row groups
    files["urls.parquet"] = (tmp / "urls.parquet", [])
    pq.write_table(table.rename_columns(["id", "link", "meta"]), tmp / "nested.parquet")
    files["nested.parquet"] = (tmp / "nested.parquet", ["--column", "meta.url"])
    return files


def test_every_input_kind_gives_the_same_rows_in_input_order(
    web: FixtureWeb, cache: Path, tmp_path: Path
) -> None:
    for name, (path, extra) in _inputs(tmp_path).items():
        rows = _jsonl(run_filter(web, cache, "-i", str(path), "--format", "jsonl", *extra))
        urls = [r["url"] if "url" in r else r["link"] for r in rows]
        assert [(u, r["decision"]) for u, r in zip(urls, rows, strict=True)] == ROWS, name
        if name.startswith("urls.txt") or name == "urls.zst":
            assert list(rows[0]) == ["url", *ADDED], name
        else:
            assert list(rows[0])[-5:] == ADDED, name
            assert [r["id"] for r in rows] == [str(n) if "sv" in name else n for n in range(6)]
    web.clear_log()


def test_text_list_in_jsonl_out_is_what_filter_always_wrote(web: FixtureWeb, cache: Path) -> None:
    run = run_filter(web, cache, "--format", "jsonl", stdin="\n".join(URLS).encode())
    first = json.loads(run.stdout.decode().splitlines()[0])
    assert list(first) == ["url", "decision", "reasons", "purpose", "agent", "problems"]
    assert first["reasons"][0]["signal"] == "robots.txt"


def test_parquet_out_keeps_every_column_and_structures_the_reasons(
    web: FixtureWeb, cache: Path, tmp_path: Path
) -> None:
    source = _inputs(tmp_path)["urls.parquet"][0]
    out = tmp_path / "decided.parquet"
    run = run_filter(web, cache, "-i", str(source), "-o", str(out), "--agent", "GPTBot")
    assert run.returncode == 0, run.stderr
    assert run.stdout == b""
    table = pq.read_table(out)
    assert table.column_names == ["id", "url", "meta", *ADDED]
    assert table.schema.field("meta").type == pq.read_schema(source).field("meta").type
    assert pa.schema(list(table.schema)[3:]) == decision_schema()
    rows = table.to_pylist()
    assert [(r["url"], r["decision"]) for r in rows] == ROWS
    robots = rows[0]["reasons"][0]
    assert (robots["signal"], robots["effect"], robots["scope"], robots["line"]) == (
        "robots.txt",
        "reserve",
        "/",
        2,
    )
    assert robots["agents"] == ["GPTBot"]
    assert rows[0]["agent"] == "GPTBot"
    assert rows[0]["purpose"] == "ai-train"
    assert rows[3]["problems"][0]["code"] == "robots.unreachable"
    assert rows[2]["problems"][0]["code"] == "url.malformed"
    assert not list(tmp_path.glob(".*partial"))


def test_only_kept_writes_the_kept_rows_of_a_table(
    web: FixtureWeb, cache: Path, tmp_path: Path
) -> None:
    source = _inputs(tmp_path)["urls.csv"][0]
    out = tmp_path / "kept.parquet"
    run = run_filter(
        web, cache, "-i", str(source), "-o", str(out), "--only-kept", "--keep", "allowed,unknown"
    )
    assert run.returncode == 0, run.stderr
    kept = pq.read_table(out).to_pylist()
    # unknown is kept as asked, but a malformed URL never is
    assert [r["url"] for r in kept] == [URLS[1], URLS[3], URLS[5]]
    assert kept[0]["note"] == "two\nlines, quoted"


def test_csv_out_writes_reasons_as_json_text(web: FixtureWeb, cache: Path, tmp_path: Path) -> None:
    source = _inputs(tmp_path)["urls.tsv"][0]
    run = run_filter(web, cache, "-i", str(source), "--format", "csv")
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout.decode())))
    assert list(rows[0]) == ["id", "url", "note", *ADDED]
    assert rows[0]["note"] == "two\nlines, quoted"
    assert json.loads(rows[0]["reasons"])[0]["signal"] == "robots.txt"
    assert rows[1]["agent"] == ""
    assert json.loads(rows[1]["problems"]) == []
    text = run_filter(web, cache, "-i", str(source))
    assert text.stdout.decode().splitlines() == [URLS[1], URLS[5]]


def test_format_follows_the_output_extension(web: FixtureWeb, cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "decided.csv"
    run = run_filter(web, cache, "-o", str(out), stdin="\n".join(URLS).encode())
    assert run.returncode == 0, run.stderr
    assert out.read_text().splitlines()[0] == "url," + ",".join(ADDED)


def test_rows_without_a_url_are_unknown_rows_naming_their_line(
    web: FixtureWeb, cache: Path, tmp_path: Path
) -> None:
    lines = [
        '{"url": "http://open.example/a", "n": 1}',
        "[1, 2]",
        "{not json",
        '{"link": "http://open.example/a"}',
        '{"url": null}',
        "",
        '{"url": "http://open.example/\\ud800"}',
        '{"url": "http://tdm.example/blog"}',
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n")
    rows = _jsonl(run_filter(web, cache, "-i", str(path), "--format", "jsonl"))
    assert [r["decision"] for r in rows] == ["allowed", *["unknown"] * 5, "allowed"]
    assert rows[0]["n"] == 1
    messages = [r["problems"][0]["message"] for r in rows[1:6]]
    assert messages == [
        "line 2: a JSON list, not an object",
        messages[1],
        "line 4: no 'url'",
        "missing (null)",
        "line 7: the URL is not valid Unicode",
    ]
    assert messages[1].startswith("line 3: not JSON (")
    assert "link" in rows[3]  # the row itself is kept
    run = run_filter(web, cache, "-i", str(path))
    assert run.stdout.decode().splitlines() == ["http://open.example/a", "http://tdm.example/blog"]
    assert "5 malformed row(s) in " in run.stderr.decode()


@pytest.mark.parametrize(
    ("name", "data", "args", "message"),
    [
        ("urls.txt.bz2", bz2.compress(b"http://open.example/a\n"), [], "is bzip2-compressed"),
        ("urls.txt", b"http://open.example/a\n\x00\x00", [], "is binary (a NUL byte"),
        ("t.csv", b"id,link\n1,http://open.example/a\n", [], "no column 'url' in"),
        ("t.csv", b"id,link\n1,x\n", ["--column", "href"], "its columns: 'id', 'link'"),
        ("t.csv", b"url,url\n", [], "names 'url' twice"),
        ("t.csv", b"url,decision\n", ["--format", "csv"], "already has a column 'decision'"),
        ("urls.txt", b"http://open.example/a\n", ["--column", "url"], "is a URL list"),
        ("urls.txt", b"http://open.example/a\n", ["--format", "parquet"], "needs -o PATH"),
        ("d.jsonl", b'{"text": "x", "metadata": {"url": "u"}}\n', [], "--column metadata.url"),
        (
            "cut.txt.gz",
            gzip.compress(b"http://open.example/a\n" * 500, mtime=0)[:-20],
            [],
            "cannot read",
        ),
        (
            "bad.zst",
            zstd.compress(b"http://open.example/a\n" * 500)[:-9] + b"\xff" * 9,
            [],
            "cannot read",
        ),
    ],
)
def test_input_errors_exit_2_with_one_line(
    web: FixtureWeb,
    cache: Path,
    tmp_path: Path,
    name: str,
    data: bytes,
    args: list[str],
    message: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    run = run_filter(web, cache, "-i", str(path), *args)
    assert run.returncode == 2, run.stderr
    err = run.stderr.decode()
    assert message in err
    assert err.count("\n") == 1
    assert run.stdout == b""


def test_parquet_errors_exit_2(web: FixtureWeb, cache: Path, tmp_path: Path) -> None:
    source = _inputs(tmp_path)["urls.parquet"][0]
    cases = [
        (["-i", "-"], source.read_bytes(), "is Parquet, which is read from its footer"),
        (["-i", str(source), "--column", "id"], b"", "'id' in "),
        (["-i", str(source), "-o", str(source)], b"", "is the input file"),
    ]
    for args, stdin, message in cases:
        run = run_filter(web, cache, *args, stdin=stdin)
        assert run.returncode == 2, args
        assert message in run.stderr.decode(), run.stderr
    assert pq.read_table(source).num_rows == len(URLS)


def test_a_huge_line_in_a_gzip_list_is_one_malformed_row_in_bounded_memory(
    web: FixtureWeb, cache: Path, tmp_path: Path
) -> None:
    # 512 MiB on one line, as gzip members of 1 MiB each (the file is under 1 MiB).
    member = gzip.compress(b"h" * 2**20)
    path = tmp_path / "huge.txt.gz"
    with path.open("wb") as handle:
        handle.write(gzip.compress(b"http://open.example/a\n"))
        for _ in range(512):
            handle.write(member)
        handle.write(gzip.compress(b"\nhttp://tdm.example/blog\n"))
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "https_proxy")}
    env["http_proxy"] = web.proxy_url
    probe = (
        "import resource, subprocess, sys\n"
        "run = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "sys.stderr.buffer.write(run.stderr)\n"
        "sys.stdout.buffer.write(run.stdout)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
        "sys.stderr.write(f'peak {peak} MiB\\n')\n"
        "sys.exit(run.returncode)\n"
    )
    command = [sys.executable, "-m", "crawlcheck", "filter", "--cache", str(cache)]
    run = subprocess.run(
        [sys.executable, "-c", probe, *command, "-i", str(path), "--format", "jsonl"],
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )
    rows = _jsonl(run)
    assert [r["decision"] for r in rows] == ["allowed", "unknown", "allowed"]
    assert rows[1]["problems"][0]["message"] == (
        f"line 2: longer than {TEXT_LINE_BYTES} bytes (the rest of the line was skipped)"
    )
    peak = int(run.stderr.decode().rsplit("peak ", 1)[1].split()[0])
    assert peak < 256, f"{peak} MiB for a 512 MiB line"


def test_pages_are_read_for_table_rows_too(web: FixtureWeb, cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "pages.csv"
    path.write_text("url,n\nhttp://open.example/a,1\nhttp://open.example/noai-header,2\n,3\n")
    rows = _jsonl(run_filter(web, cache, "-i", str(path), "--pages", "--format", "jsonl"))
    assert [(r["n"], r["decision"]) for r in rows] == [
        ("1", "allowed"),
        ("2", "reserved"),  # its own X-Robots-Tag: noai
        ("3", "unknown"),
    ]
    assert rows[1]["reasons"][0]["signal"] == "x-robots-tag"
