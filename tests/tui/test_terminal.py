"""Smoke test in a real terminal: `synvita tui` inside tmux, driven by keys, read back with capture-pane.

Skipped when tmux is not installed (CI installs it: `apt-get install -y tmux`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

SYNVITA = Path(sys.executable).with_name("synvita")


class Tmux:
    """One detached tmux session running a command, on its own server socket."""

    def __init__(self, command: list[str], env: dict[str, str], size: tuple[int, int] = (100, 30)) -> None:
        self.socket = f"synvita-test-{uuid.uuid4().hex[:8]}"
        self.env = env
        self._tmux("new-session", "-d", "-s", "main", "-x", str(size[0]), "-y", str(size[1]),
                   " ".join(f"'{part}'" for part in command))

    def _tmux(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], env=self.env, capture_output=True, text=True,
                              timeout=20)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "main").stdout

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "main", *keys)
        if keys[-1] == "Escape":
            time.sleep(0.5)  # a key right after ESC would arrive as alt+key

    def wait_for(self, predicate, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if predicate(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"screen never matched; last screen:\n{self.screen()}")

    def alive(self) -> bool:
        return self._tmux("has-session", "-t", "main").returncode == 0

    def kill(self) -> None:
        self._tmux("kill-server")


def test_synvita_tui_in_tmux(demo_db, tmp_path):
    """Start the real CLI entry point, filter the runs, open help, quit with `q`."""
    db, ids = demo_db
    env = {**os.environ, "TERM": "xterm-256color", "SYNVITA_HOME": str(tmp_path / "home")}
    env.pop("NO_COLOR", None)
    session = Tmux([str(SYNVITA), "--db", str(db), "tui"], env)
    try:
        session.wait_for(lambda s: ids["queued"] in s and "Queue run" in s)
        session.keys("/")
        session.wait_for(lambda s: "stat:running" in s)  # the filter box's placeholder
        session.keys("status:failed", "Enter")
        screen = session.wait_for(lambda s: ids["failed"] in s and ids["queued"] not in s)
        assert "failed" in screen and "1 run" in screen
        session.keys("Enter")
        session.wait_for(lambda s: "StageError: loss is NaN" in s)  # the run's error on the detail screen
        session.keys("Escape")
        session.keys("?")
        session.wait_for(lambda s: "synvita TUI" in s)
        session.keys("Escape")
        session.keys("q")
        deadline = time.monotonic() + 15
        while session.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not session.alive(), f"the app did not exit on q:\n{session.screen()}"
    finally:
        session.kill()
