"""`synvita tui --web`: loopback by default, and the app in a real headless Chromium.

The browser test starts the real CLI entry point on a free port, opens the page in Chromium driven over the
DevTools protocol (aiohttp's websocket client, which textual-serve already needs), waits until the app has sent
the runs table through textual-serve's websocket, and saves a screenshot. It is skipped without Chromium (CI
installs Debian's `chromium`). With `--snapshot-update` the screenshot also replaces docs/tui-web.png.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tui.web import RemoteBindRefused, app_command, is_loopback, serve

SYNVITA = Path(sys.executable).with_name("synvita")
CHROMIUM = next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "tui-web.png"

CAPTURE_SCREEN_STREAM = """
(() => {
  // Keep a copy of everything the app sends, so the test can wait for the runs table to arrive.
  window.__synvitaScreen = "";
  const decoder = new TextDecoder();
  const NativeWebSocket = window.WebSocket;
  class RecordingWebSocket extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", async (event) => {
        const data = event.data instanceof Blob ? await event.data.arrayBuffer() : event.data;
        window.__synvitaScreen += typeof data === "string" ? data : decoder.decode(data, {stream: true});
      });
    }
  }
  window.WebSocket = RecordingWebSocket;
})();
"""


class TestLoopbackOnly:
    @pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "::1", "localhost"])
    def test_loopback_hosts(self, host):
        assert is_loopback(host)

    @pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "login-node.example.org"])
    def test_other_hosts(self, host):
        assert not is_loopback(host)

    def test_serve_refuses_a_remote_host_before_listening(self, tmp_path):
        with pytest.raises(RemoteBindRefused, match="--allow-remote"):
            serve(tmp_path / "runs.db", host="0.0.0.0", port=1)

    def test_cli_says_so_in_one_line_and_exits_2(self, tmp_path):
        result = subprocess.run([str(SYNVITA), "--db", str(tmp_path / "runs.db"), "tui", "--web", "--host", "0.0.0.0"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert result.stderr.strip().count("\n") == 0 and "--allow-remote" in result.stderr

    def test_cli_options_reach_textual_serve(self, tmp_path, monkeypatch):
        """`synvita tui --web --read-only --port N` serves `python -m tui` on the --db database, on loopback."""
        from typer.testing import CliRunner

        import tui.web
        from synvita.cli.app import app

        served = []

        class FakeServer:
            def __init__(self, command, host, port, title):
                served.append((command, host, port))

            def serve(self):
                pass

        monkeypatch.setattr(tui.web, "Server", FakeServer)
        db = tmp_path / "runs.db"
        result = CliRunner().invoke(app, ["--db", str(db), "tui", "--read-only", "--web", "--port", "8123"])
        assert result.exit_code == 0, result.output
        assert served == [(app_command(db, read_only=True), "127.0.0.1", 8123)]
        remote = CliRunner().invoke(app, ["--db", str(db), "tui", "--web", "--host", "10.0.0.5", "--allow-remote"])
        assert remote.exit_code == 0 and served[-1][1] == "10.0.0.5"  # asked for explicitly

    def test_the_served_command_is_this_python_on_this_database(self, tmp_path):
        command = app_command(tmp_path / "my runs.db", read_only=True)
        assert command.startswith(sys.executable) and "-m tui --db" in command
        assert f"'{tmp_path / 'my runs.db'}'" in command and command.endswith("--read-only")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the process exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listened on port {port} within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group this test started (the server and the app it runs per tab), then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


class DevTools:
    """The few Chrome DevTools Protocol calls the test needs, over one page's websocket."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.last_id = 0

    async def call(self, method: str, **params) -> dict:
        self.last_id += 1
        await self.websocket.send_json({"id": self.last_id, "method": method, "params": params})
        async for message in self.websocket:
            reply = json.loads(message.data)
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply["result"]
        raise AssertionError(f"{method}: the browser closed the connection")

    async def evaluate(self, expression: str):
        return (await self.call("Runtime.evaluate", expression=expression, returnByValue=True))["result"].get("value")


async def page_websocket_url(devtools_port: int, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"http://127.0.0.1:{devtools_port}/json/list") as response:
                    pages = [t for t in await response.json() if t["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("Chromium's DevTools endpoint did not come up")


async def screenshot_when_shown(devtools_port: int, url: str, expected: list[str], timeout: float = 90.0) -> bytes:
    """Open `url` in the browser's page, wait until the app has sent every string of `expected`, then give xterm.js
    a moment to paint and return a PNG of the page."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(await page_websocket_url(devtools_port), max_msg_size=0) as websocket,
    ):
        page = DevTools(websocket)
        await page.call("Page.enable")
        await page.call("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE_SCREEN_STREAM)
        await page.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        received = ""
        while not all(text in received for text in expected):
            if time.monotonic() > deadline:
                raise AssertionError(f"{expected} never arrived; received {len(received)} characters")
            await asyncio.sleep(0.5)
            received = await page.evaluate("window.__synvitaScreen || ''") or ""
        await asyncio.sleep(2.0)
        return base64.b64decode((await page.call("Page.captureScreenshot", format="png"))["data"])


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_browser_shows_the_runs_table(demo_db, tmp_path, request):
    db, ids = demo_db
    port, devtools_port = free_port(), free_port()
    env = {**os.environ, "SYNVITA_HOME": str(tmp_path / "home")}
    server_log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([str(SYNVITA), "--db", str(db), "tui", "--read-only", "--web", "--port", str(port)],
                              env=env, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
    browser = None
    try:
        wait_for_port(port, server, timeout=60)
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'chromium'}", f"--remote-debugging-port={devtools_port}",
             "--window-size=1100,660", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        # the runs table: its newest row, a status cell, and the footer of the runs screen
        shot = asyncio.run(screenshot_when_shown(devtools_port, f"http://127.0.0.1:{port}/",
                                                 [ids["queued"], "succeeded", "Queue run"]))
    finally:
        if browser is not None:
            stop(browser)
        stop(server)
        server_log.close()
    assert shot.startswith(b"\x89PNG") and len(shot) > 10_000
    (tmp_path / "tui-web.png").write_bytes(shot)
    if request.config.getoption("--snapshot-update", default=False):
        DOCS_SCREENSHOT.write_bytes(shot)
