"""Run the crawl in a child process and stream its results back, site by site.

Twisted's reactor cannot be restarted inside one process, so every call starts
``python -m crawlcheck.crawl.worker``: the job goes to the child's stdin as JSON lines,
and each finished site (or URL) comes back as one JSON line on its stdout, as soon as it
finishes. Nothing here imports Scrapy or Twisted. The child's stderr (Scrapy's log) goes
to a temporary file, quoted only if the child fails. The child dies with its parent: it
exits when its stdin reaches end-of-file, which happens when the parent exits or closes
the generator early.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from crawlcheck.codec import fetched_from_json, media_fetch_from_json, site_from_json
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.errors import CrawlWorkerError
from crawlcheck.model import Fetched, MediaFetch, SiteFetches

#: Last lines of the child's stderr quoted in a :class:`CrawlWorkerError`.
_STDERR_TAIL = 4000


def crawl_sites(sites: Iterable[str], options: CrawlOptions | None = None) -> Iterator[SiteFetches]:
    """Yield one :class:`SiteFetches` per site, each as soon as that site finishes.

    *sites* are bare hosts (``example.com``, audited as ``https://example.com``) or origin
    URLs (``http://example.com:8080``). Every site given yields exactly one result, in
    completion order; a site's failures are inside its result, never raised.
    """
    for record in _run_worker("sites", sites, options or CrawlOptions()):
        yield site_from_json(record)


def fetch_urls(urls: Iterable[str], options: CrawlOptions | None = None) -> Iterator[Fetched]:
    """Yield one :class:`Fetched` per URL, in completion order, fetched politely.

    Each origin's robots.txt is fetched first (once); a URL it disallows for
    ``crawlcheck``, or whose robots.txt is unreachable, is not fetched and comes back with
    ``error`` ``robots-disallowed`` or ``robots-unreachable``.
    """
    for result in fetch_resources(urls, options):
        yield result if isinstance(result, Fetched) else _evidence(result)


def fetch_resources(
    urls: Iterable[str], options: CrawlOptions | None = None
) -> Iterator[Fetched | MediaFetch]:
    """Yield one result per URL, in completion order, as :func:`fetch_urls` fetches them.

    With ``options.media`` (``ranges`` or ``sniff``), a URL read as an image or document
    comes back as a :class:`MediaFetch`: the ranges fetched and what they embed, read in
    the crawl's process (docs/crawl.md, "Media"); any other as a :class:`Fetched`.
    """
    for kind, record in _run_worker_items("urls", urls, options or CrawlOptions()):
        yield media_fetch_from_json(record) if kind == "media" else fetched_from_json(record)


def _evidence(media: MediaFetch) -> Fetched:
    """Return a media read's evidence as the :class:`Fetched` of its URL."""
    return media.fetched or Fetched(url=media.url, error="not-fetched")


def _run_worker(mode: str, targets: Iterable[str], options: CrawlOptions) -> Iterator[Any]:
    """Yield the ``data`` of each result line the worker writes for *targets*."""
    for _, data in _run_worker_items(mode, targets, options):
        yield data


def _run_worker_items(
    mode: str, targets: Iterable[str], options: CrawlOptions
) -> Iterator[tuple[str, Any]]:
    """Yield (``kind``, ``data``) of each result line the worker writes for *targets*."""
    items = [str(target) for target in targets]
    if not items:
        return
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawlcheck.crawl.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=_child_environment(),
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        finished = False
        try:
            _send_job(proc.stdin, mode, items, options)
            for line in proc.stdout:
                message = json.loads(line)
                if message.get("kind") == "done":
                    finished = True
                    break
                yield str(message.get("kind")), message["data"]
        except BrokenPipeError:
            pass  # the child died early; its exit status and stderr say why
        finally:
            _stop(proc)
        if not finished:
            stderr.seek(0)
            tail = stderr.read().decode("utf-8", "replace")[-_STDERR_TAIL:]
            raise CrawlWorkerError(f"the crawl process exited with {proc.returncode}:\n{tail}")


def _send_job(stdin: IO[bytes], mode: str, items: list[str], options: CrawlOptions) -> None:
    """Write the job: a header line with the number of targets, then one JSON string each.

    The count, not an in-band marker, ends the job, so any string can be a target. stdin
    stays open afterwards: its end-of-file tells the child that the parent is gone.
    """
    header = {"mode": mode, "options": options.to_json(), "count": len(items)}
    stdin.write(json.dumps(header).encode() + b"\n")
    for item in items:
        stdin.write(json.dumps(item).encode() + b"\n")
    stdin.flush()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Close the child's stdin (it then exits) and reap it; kill it if it lingers."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _child_environment() -> dict[str, str]:
    """Return the environment for the child: ours (proxies included), unbuffered."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env
