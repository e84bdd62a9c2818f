"""A stage process's tie to the worker that started it: no process of a stage outlives its worker.

The local executor starts every stage as the leader of a new process group, so the stage and everything it starts
(the pretrain stage's pool processes, a resource tracker, a tool it runs) share one group id, the stage's pid.
Three paths end that group:

* the worker stops the job (cancel, lost, its own exit): SIGTERM to the group, SIGKILL to what is left after a
  grace period (the executor's `kill`); a stage that ended leaves nothing behind either (its `poll`);
* the worker is killed (kill -9): Linux sends the stage SIGTERM (PR_SET_PDEATHSIG, set by the executor), and the
  stage's handler (`install`) passes it on to its whole group before it exits;
* the parent death signal did not come (not Linux, or the worker thread that started the stage has ended): a
  daemon thread in the stage notices that its parent pid changed and ends the group the same way;
* a newer attempt of the run took the run directory over (this stage's worker stalled past the heartbeat timeout
  and the run was retried): the new attempt got an events.jsonl of its own (`synvita.runs.ingest`), and the same
  thread, seeing the file it started with replaced, ends the group the same way, so two attempts never work in
  one run directory for longer than a poll.

A stage that does not lead its own group (a Slurm job step, whose processes Slurm ends itself) keeps the default
SIGTERM behaviour; the parent watch still makes it exit when its parent is gone.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

GRACE_S = 2.0
"""How long the processes of a group get to exit after SIGTERM before the rest is killed."""

PARENT_POLL_S = 1.0
"""How often a stage checks that its parent is still there and that its run directory is still its own."""


def group_members(pgid: int) -> set[int] | None:
    """Pids of the live processes in process group `pgid` (Linux /proc); None where that cannot be read."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    members = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            after_name = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if after_name[0] != "Z" and int(after_name[2]) == pgid:  # state, ppid, pgrp, ...
            members.add(int(entry.name))
    return members


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to every process of group `pgid`; False when none is left (or none may be signalled)."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def end_group(pgid: int, *, spare: int, grace_s: float = GRACE_S) -> None:
    """SIGTERM every process of group `pgid`, wait up to `grace_s` for them to exit, SIGKILL the ones left,
    except `spare` (the calling stage, which ignores SIGTERM meanwhile and then exits on its own terms).
    Where the members cannot be listed (no /proc) the group only gets the SIGTERM."""
    if not signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace_s
    left = _others(pgid, spare)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _others(pgid, spare)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _others(pgid: int, spare: int) -> set[int]:
    members = group_members(pgid)
    return set() if members is None else members - {spare}


def _leads_own_group() -> bool:
    return os.getpgrp() == os.getpid()


def _end_own_group_and_exit(signum: int, frame: object) -> None:
    """SIGTERM handler of a stage that leads its group: end every other process of the group, then die of the
    signal as if no handler had been installed (the worker reads the exit status)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end_group(os.getpid(), spare=os.getpid(), grace_s=GRACE_S)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _file_identity(path: Path | None) -> tuple[int, int] | None:
    """(device, inode) of `path`; None when there is no such file."""
    try:
        st = os.stat(path) if path is not None else None
    except OSError:
        return None
    return None if st is None else (st.st_dev, st.st_ino)


def _watch(parent_pid: int, poll_s: float, events_path: Path | None) -> None:
    own_events = _file_identity(events_path)
    while os.getppid() == parent_pid:
        time.sleep(poll_s)
        now = _file_identity(events_path)
        own_events = own_events or now
        if now is not None and now != own_events:
            break  # superseded: a newer attempt owns the run directory
    # The parent is gone, or the run directory is another attempt's now: the main thread's handler ends the group;
    # if that thread is stuck in native code and cannot run it, everything (this process included) is killed after
    # twice the grace period.
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(2 * GRACE_S + 1.0)
    if _leads_own_group():
        signal_group(os.getpid(), signal.SIGKILL)
    os._exit(128 + signal.SIGTERM)


def install(*, poll_s: float = PARENT_POLL_S, events_path: str | Path | None = None) -> None:
    """Tie this (stage) process to its parent: SIGTERM ends its whole process group when it leads one, and a
    daemon thread exits it once its parent pid changes (the parent died) or the `events_path` it started with is
    replaced (a newer attempt of the run started). Call once, from the main thread."""
    if _leads_own_group():
        signal.signal(signal.SIGTERM, _end_own_group_and_exit)
    parent = os.getppid()
    path = Path(events_path) if events_path is not None else None
    threading.Thread(target=_watch, args=(parent, poll_s, path), name="parent-watch", daemon=True).start()
