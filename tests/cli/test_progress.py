"""One progress for the whole submission: ETA from the cost of finished runs, a bar that never goes backwards."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import textwrap
import time

from synvita.cli._progress import ExperimentProgress
from synvita.entities import Run


def make_run(run_id: str, stage: str) -> Run:
    return Run(id=run_id, experiment="e", submission="s", stage=stage, status="running", seed=0)


def test_eta_comes_from_the_measured_cost_of_finished_runs_of_each_stage():
    progress = ExperimentProgress(stages=["world", "train", "train", "evaluate"])
    assert progress.total == 4 and progress.eta_s(now=0) is None  # nothing measured yet
    world, train_a, train_b = make_run("r-w", "world"), make_run("r-a", "train"), make_run("r-b", "train")
    progress.on_event(world, {"kind": "status", "status": "running"}, now=0)
    progress.on_event(world, {"kind": "status", "status": "succeeded"}, now=10)
    assert progress.eta_s(now=10) == 30  # three runs left, each as costly as the one measured
    progress.on_event(train_a, {"kind": "status", "status": "running"}, now=10)
    progress.on_event(train_a, {"kind": "status", "status": "succeeded"}, now=50)
    progress.on_event(train_b, {"kind": "status", "status": "running"}, now=50)
    # train b: 40 s expected, 10 s spent; evaluate: no measure of its own, the mean of all finished runs (25 s)
    assert progress.eta_s(now=60) == 30 + 25
    assert progress.done == 2


def test_completed_never_decreases_when_a_run_starts_a_new_phase():
    progress = ExperimentProgress(total=2)
    run = make_run("r-1", "train")
    progress.on_event(run, {"kind": "status", "status": "running"})
    progress.on_event(run, {"kind": "progress", "done": 8, "total": 10})
    high = progress.completed()
    progress.on_event(run, {"kind": "progress", "done": 1, "total": 10, "msg": "phase 2"})
    assert progress.completed() >= high and progress.running_lines()[0].startswith("r-1 train seed 0 10% · phase 2")


CHILD = textwrap.dedent("""
    import time
    from synvita.cli._progress import RichReporter, make_reporter
    from synvita.entities import Run

    stages = ["world", "train", "train", "evaluate", "evaluate", "report"]
    reporter = make_reporter(stages=stages)
    assert isinstance(reporter, RichReporter)
    with reporter:
        for i, stage in enumerate(stages):
            run = Run(id=f"r-{i}", experiment="e", submission="s", stage=stage, status="running", seed=0)
            reporter.on_event(run, {"kind": "status", "status": "running"})
            for phase in ("load", "fit"):  # each phase counts from 0 again
                for done in range(0, 11, 2):
                    reporter.on_event(run, {"kind": "progress", "done": done, "total": 10, "msg": phase})
                    time.sleep(0.06)
            reporter.on_event(run, {"kind": "status", "status": "succeeded"})
""")


def test_the_bar_on_a_terminal_never_goes_backwards():
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "30", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert child.wait(timeout=30) == 0, b"".join(chunks).decode(errors="replace")
    os.close(leader)
    text = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode(errors="replace"))  # colours
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\n", text)  # cursor moves: each redraw on lines of its own
    bars = [line for line in re.split(r"[\r\n]", screen) if re.search(r"\d+/6\b", line) and line.lstrip().startswith("runs")]
    shown = [(int(re.search(r"(\d+)%", line).group(1)), int(re.search(r"(\d+)/6\b", line).group(1))) for line in bars]
    assert len(shown) >= 5, screen
    assert shown == sorted(shown) and shown[-1] == (100, 6)
    assert any("train seed 0" in line and "fit" in line for line in screen.splitlines())  # the running run, below
