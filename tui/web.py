"""`synvita tui --web`: the same Textual app served to a browser by textual-serve, reached through an SSH tunnel.

textual-serve runs `python -m tui --db …` once per browser tab and relays its screen over a websocket. Whoever
can reach the port drives the app with the rights of the user who started it, so the server binds to loopback
unless the caller explicitly allows another address; from a laptop, `ssh -L 8000:127.0.0.1:8000 login-node`
forwards the port (docs/tui.md).
"""

from __future__ import annotations

import ipaddress
import shlex
import sys
from pathlib import Path

from textual_serve.server import Server


class RemoteBindRefused(ValueError):
    """A non-loopback address was asked for without `allow_remote`."""


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address (127.0.0.0/8, ::1) or `localhost`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost: it may resolve to any interface
        return False


def app_command(db: str | Path, read_only: bool) -> str:
    """The shell command textual-serve starts for each browser session: this Python, this database."""
    args = [sys.executable, "-m", "tui", "--db", str(Path(db).resolve())] + (["--read-only"] if read_only else [])
    return shlex.join(args)


def serve(db: str | Path, *, read_only: bool = False, host: str = "127.0.0.1", port: int = 8000,
          allow_remote: bool = False) -> None:
    """Serve the app on http://host:port until interrupted. Raises RemoteBindRefused for a non-loopback host
    unless `allow_remote`."""
    if not (allow_remote or is_loopback(host)):
        raise RemoteBindRefused(
            f"--host {host} is not a loopback address: anyone who reaches it can drive the app as you. "
            "Forward the port over SSH instead, or pass --allow-remote"
        )
    Server(app_command(db, read_only), host=host, port=port, title="synvita").serve()
