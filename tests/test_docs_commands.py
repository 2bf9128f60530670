"""Every shell command shown in README.md and docs/ runs as written, so the docs cannot drift.

Each ```sh (or ```bash) block is run as one bash script, from a directory that looks like
the repository root (its top-level entries linked, so written files land elsewhere), with
the virtualenv's ``crawlcheck`` and ``python`` first on PATH, ``http_proxy`` pointing at
the fixture web (which serves tests/fixtureweb and the demo web's sites: docs/fixture-web.md)
and a throw-away cache. In ```console blocks the ``$ `` lines are the commands.

A command passes when it exits 0, or 1 (the documented "a gate failed" status), and writes
no traceback. A block that cannot run offline (it needs the internet, installs the project,
or runs for minutes) says so on the line before its fence, where a reader sees it in the
source and nothing in the rendered page::

    <!-- docs-test: skip — needs the internet -->
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from webfixture import FixtureWeb

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*(?:—|-|:)\s*(?P<why>[^>]*?)\s*-->\s*$")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
RUN = ("sh", "bash", "console")
#: Exit statuses of a command that ran: 0, and 1 for "a requested gate failed".
RAN = (0, 1)


@dataclass(frozen=True, slots=True)
class Block:
    """One shell block of a document."""

    path: Path
    line: int
    lang: str
    text: str
    skip: str | None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def commands(self) -> list[str]:
        """Return the block's commands, continuation lines joined."""
        lines = self.text.splitlines()
        if self.lang == "console":
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        commands: list[str] = []
        pending = ""
        for line in lines:
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            command = (pending + line).strip()
            pending = ""
            if command and not command.startswith("#"):
                commands.append(command)
        return commands


def shell_blocks() -> Iterator[Block]:
    """Yield every ```sh, ```bash and ```console block of README.md and docs/."""
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        index = 0
        while index < len(lines):
            fence = FENCE.match(lines[index])
            if fence is None:
                index += 1
                continue
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            if fence.group("lang") in RUN:
                marker = SKIP.search(lines[index - 1]) if index else None
                yield Block(
                    path=path,
                    line=index + 1,
                    lang=fence.group("lang"),
                    text="\n".join(lines[index + 1 : end]) + "\n",
                    skip=marker.group("why") if marker else None,
                )
            index = end + 1


BLOCKS = list(shell_blocks())


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(paths=[ROOT / "tests" / "fixtureweb", ROOT / "crawlcheck" / "demo"]) as served:
        yield served


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """Return a directory that looks like the repository root; what commands write stays in it."""
    root = tmp_path / "repo"
    root.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in (".git", ".venv") and not entry.name.startswith("."):
            (root / entry.name).symlink_to(entry)
    return root


def _script(block: Block, status_file: Path) -> str:
    """Return *block* as a bash script that records each command's exit status."""
    lines = ["set -u"]
    for number, command in enumerate(block.commands()):
        lines.append(command)
        if not command.rstrip().endswith("&"):  # a background server has no status yet
            lines.append(f"echo {number} $? >> {status_file}")
    return "\n".join(lines) + "\n"


def test_the_docs_have_shell_blocks() -> None:
    assert len([b for b in BLOCKS if b.skip is None]) >= 4


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_every_shell_command_in_the_docs_runs(
    block: Block, web: FixtureWeb, checkout: Path, tmp_path: Path
) -> None:
    if block.skip is not None:
        assert block.skip, f"{block.id}: a skipped block says why"
        pytest.skip(block.skip)
    status_file = tmp_path / "status"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "http_proxy": web.proxy_url,
        "https_proxy": web.proxy_url,
        "no_proxy": "",
        "CRAWLCHECK_CACHE": str(tmp_path / "cache.sqlite3"),
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        ["bash", "-c", _script(block, status_file)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    commands = block.commands()
    statuses = (
        dict(line.split(" ", 1) for line in status_file.read_text().splitlines())
        if status_file.exists()
        else {}
    )
    for number, command in enumerate(commands):
        if command.rstrip().endswith("&"):
            continue
        status = statuses.get(str(number))
        assert status is not None, f"{block.id}: {command!r} did not run\n{result.stderr}"
        assert int(status) in RAN, (
            f"{block.id}: {command!r} exited {status}\n{result.stdout}\n{result.stderr}"
        )
    assert "Traceback" not in result.stderr, f"{block.id}:\n{result.stderr}"


def test_the_rules_example_file_is_the_one_the_docs_show() -> None:
    doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    shown = doc.split("```yaml\n# my-rules.yaml (shipped as crawlcheck/examples/rules.yaml)\n")[1]
    shipped = (ROOT / "crawlcheck" / "examples" / "rules.yaml").read_text(encoding="utf-8")
    assert shipped.split("\n", 1)[1] == shown.split("```", 1)[0]
