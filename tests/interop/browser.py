"""Real headless Chromium (Debian's ``chromium``) driven over the Chrome DevTools protocol.

Started on loopback only (``--remote-debugging-address=127.0.0.1``, port chosen by
Chromium and read from ``DevToolsActivePort``), with every background network feature off,
and stopped by PID.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--password-store=basic",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "--window-size=1400,1000",
)


def chromium_path() -> str:
    """The chromium binary; fails loudly (scripts/setup.sh installs Debian's package)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("chromium not found: apt-get install -y chromium (scripts/setup.sh)")


def dump_dom(url: str, user_data_dir: Path, *, budget_ms: int = 5000, timeout: float = 60) -> str:
    """``chromium --headless --dump-dom`` after letting the page's scripts run."""
    args = [
        chromium_path(),
        *[f for f in FLAGS if not f.startswith("--remote-debugging")],
        f"--user-data-dir={user_data_dir}",
        f"--virtual-time-budget={budget_ms}",
        "--dump-dom",
        url,
    ]
    out = subprocess.run(args, capture_output=True, timeout=timeout, check=True)
    return out.stdout.decode("utf-8", errors="replace")


class Chromium:
    """One headless Chromium with one page, driven over CDP."""

    def __init__(self, user_data_dir: Path, url: str = "about:blank") -> None:
        from websockets.sync.client import connect

        user_data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={user_data_dir}", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port_file = user_data_dir / "DevToolsActivePort"
            deadline = time.monotonic() + 30
            while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("chromium did not open its DevTools port")
                time.sleep(0.05)
            port = int(port_file.read_text().splitlines()[0])
            page = self._page_target(port, deadline)
            self._conn = connect(page["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024)
            self.ws = self._conn.__enter__()
        except BaseException:
            self.close()
            raise
        self._ids = itertools.count(1)

    @staticmethod
    def _page_target(port: int, deadline: float) -> dict[str, Any]:
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                targets = json.loads(r.read())
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return dict(pages[0])
            if time.monotonic() > deadline:
                raise RuntimeError("chromium has no page target")
            time.sleep(0.05)

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        while True:
            reply = json.loads(self.ws.recv(timeout=30))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"CDP {method}: {reply['error']}")
                return dict(reply.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        res = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails']}")
        return res.get("result", {}).get("value")

    def navigate(self, url: str) -> None:
        self.send("Page.enable")
        self.send("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete'")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"page never satisfied: {expression}")
            time.sleep(0.05)

    def submit(
        self,
        button: str,
        result: str,
        *,
        values: dict[str, str],
        checks: dict[str, bool] | None = None,
        timeout: float = 60,
    ) -> dict[str, str]:
        """Fill a form as a user would (``values`` into text fields, then ``checks`` on check
        boxes, by element id), reset ``result``'s verdict, press ``button`` and wait for the
        verdict (its ``data-verdict`` past 'none' and 'running'): ``{verdict, text}``."""
        args = json.dumps(
            {"values": values, "checks": checks or {}, "button": button, "result": result}
        )
        self.evaluate(
            f"""(() => {{
            const a = {args};
            for (const [id, value] of Object.entries(a.values)) {{
                document.getElementById(id).value = value;
            }}
            for (const [id, on] of Object.entries(a.checks)) {{
                document.getElementById(id).checked = on;
            }}
            document.getElementById(a.result).dataset.verdict = 'none';
            document.getElementById(a.button).click();
            return true;
        }})()"""
        )
        shown = f"document.getElementById({json.dumps(result)})"
        self.wait_for(f"!['none', 'running'].includes({shown}.dataset.verdict)", timeout=timeout)
        return dict(
            self.evaluate(f"({{verdict: {shown}.dataset.verdict, text: {shown}.innerText}})")
        )

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.__exit__(None, None, None)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
