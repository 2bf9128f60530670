"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (no new deps).

Headless Chromium reads protocol commands from file descriptor 3 and writes responses and
events to descriptor 4, each message a JSON object followed by a NUL byte (the
``--remote-debugging-pipe`` transport). That is all the report tests and
``bench/html_report_bench.py`` need: open a page at a given window size, wait for it to
load, evaluate script in it, and take screenshots.

Debian's ``chromium`` package (``apt-get install -y chromium``) provides /usr/bin/chromium.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")

#: The flags CI uses: headless, no sandbox (containers), nothing fetched behind our back.
FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


class ChromiumError(RuntimeError):
    """The browser answered a command with an error, died, or did not answer in time."""


class Chromium:
    """One headless browser with a fresh profile; use as a context manager."""

    def __init__(self, *, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._buffer = b""
        self._profile = Path(tempfile.mkdtemp(prefix="crawlcheck-chromium-"))
        # The pipe ends the browser sees as fds 3 and 4; the shell moves them into place
        # (subprocess keeps passed descriptors at their own numbers).
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        command = [
            "/bin/bash",  # dash takes single-digit descriptors only
            "-c",
            f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}',
            str(CHROMIUM),
            *FLAGS,
            f"--user-data-dir={self._profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        env = {**os.environ, "HOME": str(self._profile)}
        self._log = self._profile / "chromium.log"
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                pass_fds=(to_browser_r, from_browser_w),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
            )
        os.close(to_browser_r)
        os.close(from_browser_w)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the browser and remove its profile."""
        with contextlib.suppress(ChromiumError, OSError):
            self.send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            tail = self._log.read_text(errors="replace").strip().splitlines()[-8:]
        except OSError:
            return ""
        return ": " + " | ".join(tail) if tail else ""

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChromiumError(f"no answer from chromium in time{self._log_tail()}")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise ChromiumError(f"chromium closed the DevTools pipe{self._log_tail()}")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """Send one command (``session`` selects a page) and return its ``result``."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if kw.get("session"):
            message["sessionId"] = kw["session"]
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise ChromiumError(f"chromium has exited{self._log_tail()}") from None
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise ChromiumError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str | None = None) -> dict[str, Any]:
        """Return the first event named *method* (for *session*), waiting if needed."""
        deadline = time.monotonic() + self.timeout
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method and (
                    session is None or event.get("sessionId") == session
                ):
                    del self.events[index]
                    return event
            self.events.append(self._read_message(deadline))

    def open(self, width: int, height: int) -> Page:
        """Open a new tab with a *width* x *height* CSS-pixel viewport."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session, target)
        for domain in ("Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")
        page.resize(width, height)
        return page


class Page:
    """One tab of :class:`Chromium`."""

    def __init__(self, browser: Chromium, session: str, target: str) -> None:
        self.browser = browser
        self.session = session
        self.target = target

    def close(self) -> None:
        """Close this tab."""
        self.browser.send("Target.closeTarget", {"targetId": self.target})

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send a command to this tab."""
        return self.browser.send(method, params, session=self.session)

    def resize(self, width: int, height: int) -> None:
        """Emulate a *width* x *height* viewport (device scale factor 1, not mobile)."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def load(self, url: str) -> None:
        """Navigate to *url* and wait for its load event."""
        self.send("Page.navigate", {"url": url})
        self.browser.wait_for("Page.loadEventFired", self.session)

    def evaluate(self, expression: str) -> Any:
        """Return the JSON value of *expression* in the page (promises awaited)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise ChromiumError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def settle(self) -> None:
        """Wait until the page has rendered two more frames (after a change or a resize)."""
        self.evaluate(
            "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )

    def show(self, path: Path, *, width: int, height: int, top: int = 0) -> bytes:
        """Write a PNG of what a *width* x *height* window scrolled to *top* shows."""
        self.resize(width, height)
        self.evaluate(f"window.scrollTo(0, {int(top)})")
        self.settle()
        data = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        path.write_bytes(data)
        return data

    def events(self, method: str) -> list[dict[str, Any]]:
        """Return (and forget) the events named *method* received so far for this tab."""
        self.evaluate("0")  # a round trip: events sent before it have arrived
        mine = [
            e
            for e in self.browser.events
            if e.get("method") == method and e.get("sessionId") == self.session
        ]
        self.browser.events = [e for e in self.browser.events if e not in mine]
        return mine
