"""Run the real CLI in a subprocess: with pipes, or on a pseudo-terminal (for what a user sees).

Used by the CLI tests. A pseudo-terminal gets a window size (a terminal without one is 0
columns wide, where progress bars draw nothing) and ``TERM=xterm``. Reads wait on output,
never on time: :meth:`Terminal.wait_for` returns as soon as the text has appeared, and its
deadline only bounds a broken run.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def environment(proxy: str | None = None, **extra: str) -> dict[str, str]:
    """Return os.environ with the fixture web as proxy and no colour or terminal surprises."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    if proxy is not None:
        env.update(http_proxy=proxy, https_proxy=proxy, no_proxy="")
    env.update(extra)
    return env


def run_cli(
    args: Sequence[str],
    proxy: str | None = None,
    *,
    stdin: str | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m crawlcheck ARGS`` with pipes and return its result."""
    return subprocess.run(
        [sys.executable, "-m", "crawlcheck", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(env) if env is not None else environment(proxy),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


class Terminal:
    """``python -m crawlcheck ARGS`` with stdout and stderr on one pseudo-terminal."""

    def __init__(
        self,
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        cwd: Path | None = None,
        columns: int = 120,
        stdout_pipe: bool = False,
        new_session: bool = False,
    ) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        self.master = master
        self.output = b""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawlcheck", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else slave,
            stderr=slave,
            env={**env, "TERM": "xterm"},
            cwd=cwd,
            start_new_session=new_session,  # its own process group, as a shell's job is
        )
        os.close(slave)

    def _read(self, deadline: float) -> bool:
        """Read what is there (waiting until *deadline*); return False at end of output."""
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        """Return once *text* has been written to the terminal; fail after *timeout* s."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if time.monotonic() > deadline or not self._read(deadline):
                raise AssertionError(f"{text!r} never appeared; output so far:\n{self.text}")

    def finish(self, timeout: float = 60.0) -> int:
        """Read to the end, reap the process and return its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(deadline):
            pass
        os.close(self.master)
        return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))

    @property
    def text(self) -> str:
        """Return everything written so far, decoded, with the terminal's CR-LF as LF."""
        return self.output.decode("utf-8", "replace").replace("\r\n", "\n")
