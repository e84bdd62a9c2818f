"""The CLI through Typer's CliRunner on a real database: every command, --json shapes, errors as one stderr line."""

from __future__ import annotations

import io
import json
import sys
import types

import pytest
from cli_helpers import snapshot
from typer.testing import CliRunner

from synvita import specs
from synvita.runs import plan
from synvita.api import Api
from synvita.cli import _utils
from synvita.cli.app import app
from synvita.errors import UserInputError

RUN_KEYS = {"id", "status", "stage", "experiment", "variant", "seed"}


def invoke(db_path, *args, env=None):
    result = CliRunner().invoke(app, ["--db", str(db_path), *args], env=env)
    return result


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


#### synvita run ####


def test_run_dry_run_prints_the_plan_and_touches_no_database(db_path, experiment_file):
    result = invoke(db_path, "run", str(experiment_file), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "world" in result.stdout and "evaluate" in result.stdout and "synvita" in result.stdout
    assert "nothing enqueued" in result.stderr
    assert not db_path.exists()
    data = json.loads(invoke(db_path, "run", str(experiment_file), "--dry-run", "--json").stdout)
    assert data["experiment"]["name"] == "tiny-cli" and len(data["runs"]) == len(plan.plan_runs(specs.load_spec(experiment_file)))


def debug_plan(stages):
    """A stand-in expansion: the experiment becomes a chain of debug stages (no ML)."""

    def planned(spec):
        return [
            plan.PlannedRun(stage=stage, config={"experiment": spec.name, **cfg}, variant=None, seed=0, depends_on=deps)
            for stage, cfg, deps in stages
        ]

    return planned


def test_run_executes_the_submission_in_the_foreground(db_path, experiment_file, monkeypatch):
    monkeypatch.setattr(plan, "plan_runs", debug_plan([("debug.noop", {}, []), ("debug.sleep", {"seconds": 0.2}, [0])]))
    result = invoke(db_path, "run", str(experiment_file))
    assert result.exit_code == 0, result.stderr
    assert "enqueued 2 runs" in result.stderr and "done: 2 runs succeeded in " in result.stderr
    assert "succeeded" in result.stderr  # plain progress lines (not a terminal)
    runs = Api(db=db_path).list_runs()
    assert sorted(r.status for r in runs) == ["succeeded", "succeeded"]
    logs = invoke(db_path, "runs", "logs", next(r.id for r in runs if r.stage == "debug.noop"))
    assert "noop stage ran" in logs.stdout


def test_run_exits_1_naming_the_failed_run(db_path, experiment_file, monkeypatch):
    monkeypatch.setattr(
        plan, "plan_runs",
        debug_plan([("debug.fail", {"message": "kaboom on purpose"}, []), ("debug.noop", {}, [0])]),
    )
    result = invoke(db_path, "run", str(experiment_file))
    assert result.exit_code == 1
    failed = next(r for r in Api(db=db_path).list_runs() if r.stage == "debug.fail")
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 1 run(s)") and failed.id in last and "kaboom on purpose" in last
    blocked = next(r for r in Api(db=db_path).list_runs() if r.stage == "debug.noop")
    assert blocked.status == "cancelled"


def test_detach_then_worker_until_idle(db_path, experiment_file, monkeypatch):
    monkeypatch.setattr(plan, "plan_runs", debug_plan([("debug.noop", {}, []), ("debug.noop", {}, [0])]))
    result = invoke(db_path, "run", str(experiment_file), "--detach")
    assert result.exit_code == 0, result.stderr
    submission = result.stdout.strip()
    assert submission.startswith("s-")
    assert {r.status for r in Api(db=db_path).list_runs(submission=submission)} == {"queued"}
    result = invoke(db_path, "worker", "--until-idle")
    assert result.exit_code == 0, result.stderr
    assert "executed 2 runs" in result.stderr
    assert {r.status for r in Api(db=db_path).list_runs(submission=submission)} == {"succeeded"}


#### runs ####


def test_runs_ls_text_and_json(db_path, populated):
    result = invoke(db_path, "runs", "ls")
    assert result.exit_code == 0
    assert populated["queued"] in result.stdout and "evaluate" in result.stdout
    data = json.loads(invoke(db_path, "runs", "ls", "--json").stdout)
    assert len(data) == len(populated)
    assert all(RUN_KEYS <= set(row) for row in data)
    evaluate = json.loads(invoke(db_path, "runs", "ls", "--json", "--stage", "evaluate", "--status", "succeeded").stdout)
    assert {row["id"] for row in evaluate} == {v for k, v in populated.items() if k[0] in "ns"} - {populated["score"]}
    assert json.loads(invoke(db_path, "runs", "ls", "--json", "--status", "queued,failed").stdout)[0]["id"] == populated["queued"]
    limited = invoke(db_path, "runs", "ls", "-n", "2")
    assert len(limited.stdout.strip().splitlines()) == 3 and "2 of 6 runs shown" in limited.stderr


def test_runs_ls_bad_status_is_one_line(db_path, populated):
    result = invoke(db_path, "runs", "ls", "--status", "doing")
    assert result.exit_code == 2 and "unknown run status 'doing'" in one_error_line(result)


def test_runs_show_text_and_json(db_path, populated):
    rid = populated["synvita-1"]
    text = invoke(db_path, "runs", "show", rid)
    assert text.exit_code == 0 and rid in text.stdout and "results" in text.stdout and "evaluating synvita 1" in text.stdout
    data = json.loads(invoke(db_path, "runs", "show", rid, "--json").stdout)
    assert RUN_KEYS <= set(data) and data["variant"] == "synvita" and data["seed"] == 1
    assert data["metrics"]["loss"]["value"] == pytest.approx(0.4)
    assert len(data["results"]) == 7 and data["config"]["train"]["lambda_scr"] == 0.5


def test_runs_logs_json_and_follow_of_a_finished_run(db_path, populated):
    rid = populated["none-0"]
    lines = invoke(db_path, "runs", "logs", rid, "--all", "--json").stdout.strip().splitlines()
    kinds = [json.loads(line)["kind"] for line in lines]
    assert kinds[0] == "log" and "result" in kinds and "metric" in kinds
    followed = invoke(db_path, "runs", "logs", rid, "-f")
    assert followed.exit_code == 0 and "evaluating none 0" in followed.stdout and "succeeded" in followed.stderr


def test_cancel_and_retry(db_path, populated):
    rid = populated["queued"]
    result = invoke(db_path, "runs", "cancel", rid)
    assert result.exit_code == 0 and result.stdout.strip() == f"{rid} cancelled"
    result = invoke(db_path, "runs", "retry", rid)
    assert result.exit_code == 0 and result.stdout.startswith(f"{rid} queued (attempt 2)")
    again = invoke(db_path, "runs", "retry", rid)
    assert again.exit_code == 2 and "only failed, lost, cancelled or preempted" in one_error_line(again)
    done = invoke(db_path, "runs", "cancel", populated["none-0"])
    assert done.exit_code == 2 and "already succeeded" in one_error_line(done)


@pytest.mark.parametrize(
    "args",
    [["runs", "show", "r-nope"], ["runs", "logs", "r-nope"], ["runs", "cancel", "r-nope"], ["runs", "retry", "r-nope"],
     ["weights", "r-nope"], ["diff", "r-nope", "r-nada"], ["table", "r-nope"]],
)
def test_unknown_run_id_exits_3_with_one_line(db_path, populated, args):
    before = snapshot(db_path)
    result = invoke(db_path, *args)
    assert result.exit_code == 3
    assert "no run 'r-n" in one_error_line(result) and result.stdout == ""
    assert snapshot(db_path) == before


#### results ####


def test_table_text_json_and_formats(db_path, populated):
    text = invoke(db_path, "table", "--submission", "s-cli")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert any(line.startswith("none ") for line in lines) and any(line.startswith("synvita ") for line in lines)
    assert "↑1.50" in text.stdout and "60.50±0.71" in text.stdout
    data = json.loads(invoke(db_path, "table", "--submission", "s-cli", "--json").stdout)
    rows = {r["variant"]: r for r in data["rows"]}
    synvita_cell = rows["synvita"]["cells"]["entail-llm"]
    assert {k: synvita_cell[k] for k in ("mean", "std", "n", "values", "delta", "best")} == pytest.approx(
        {"mean": 62.0, "std": 0.7071, "n": 2, "values": [61.5, 62.5], "delta": 1.5, "best": True}, abs=1e-3
    )
    assert {"low", "high", "delta_low", "delta_high", "delta_n", "significant"} <= set(synvita_cell)
    assert data["interval_rule"] and "chance" in data and "at_chance" in data
    md = invoke(db_path, "table", "--submission", "s-cli", "--format", "md").stdout
    assert md.startswith("| variant | n |")
    latex = invoke(db_path, "table", populated["none-0"], populated["synvita-0"], "--format", "latex").stdout
    assert r"\begin{tabular}" in latex
    csv_out = invoke(db_path, "table", "--experiment", "exp", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("row,variant")
    controls = invoke(db_path, "table", "--submission", "s-cli", "--controls").stdout
    assert "[control: shuffled]" in controls
    bad = invoke(db_path, "table", "--format", "html")
    assert bad.exit_code == 2 and "--format html" in one_error_line(bad)


def test_weights_text_and_json(db_path, populated):
    result = invoke(db_path, "weights", populated["score"])
    assert result.exit_code == 0
    assert "flip" in result.stdout and "count" in result.stdout and "faithful" in result.stdout
    data = json.loads(invoke(db_path, "weights", populated["score"], "--json", "--bins", "5").stdout)
    assert data["count"] == 15 and data["by_type"]["flip"]["count"] == 10
    assert len(data["by_type"]["flip"]["diff_hist"]["counts"]) == 5
    assert data["by_faithful"]["flip"]["unfaithful"]["count"] == 5
    tall = invoke(db_path, "weights", populated["score"], "--hist", "omega", "--height", "3")
    assert tall.exit_code == 0 and "histogram of ω" in tall.stdout


def test_diff(db_path, populated):
    result = invoke(db_path, "diff", populated["none-0"], populated["synvita-1"])
    assert result.exit_code == 0
    assert "train.lambda_scr" in result.stdout and "1.0 → 0.5" in result.stdout and "↑2.5" in result.stdout
    data = json.loads(invoke(db_path, "diff", populated["none-0"], populated["synvita-0"], "--json").stdout)
    assert [c["key"] for c in data["config"]] == ["train.lambda_scr"]


#### the rest ####


def test_doctor_and_db_commands(db_path, populated):
    result = invoke(db_path, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["schema"]["ok"] and "runs" in checks["schema"]["detail"]
    assert result.exit_code == (0 if all(c["ok"] or not c["required"] for c in checks.values()) else 1)
    assert invoke(db_path, "db", "path").stdout.strip() == str(db_path)
    upgraded = invoke(db_path, "db", "upgrade")
    assert upgraded.exit_code == 0 and "up to date" in upgraded.stderr


def test_tui_imports_the_app_lazily_and_passes_db_and_read_only(db_path, populated, monkeypatch):
    calls = []
    fake = types.ModuleType("tui.app")
    fake.run = lambda db, read_only: calls.append((db, read_only))
    monkeypatch.setitem(sys.modules, "tui.app", fake)
    result = invoke(db_path, "tui", "--read-only")
    assert result.exit_code == 0 and calls == [(str(db_path), True)]


def test_world_commands_are_mounted_when_present(db_path):
    try:
        import synvita.cli.world  # noqa: F401
    except ModuleNotFoundError:
        pytest.skip("synvita.cli.world not written yet")
    assert invoke(db_path, "world", "--help").exit_code == 0


def test_debug_env_shows_the_traceback(db_path):
    result = invoke(db_path, "run", "no-such-experiment", env={"SYNVITA_DEBUG": "1"})
    assert result.exit_code != 0 and result.exception is not None and "no experiment named" in str(result.exception)


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert _utils.use_color(Tty()) and not _utils.use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _utils.use_color(Tty())


def test_commands_raise_domain_errors_not_exit(monkeypatch, db_path):
    """A command that raises UserInputError exits 2 through the root group's single mapping."""

    def boom(*args, **kwargs):
        raise UserInputError("bad thing", hint="fix it")

    monkeypatch.setattr(Api, "doctor", boom)
    result = invoke(db_path, "doctor")
    assert result.exit_code == 2 and one_error_line(result) == "error: bad thing (fix it)"


def test_plain_progress_lines_are_throttled_and_rich_display_handles_events(capsys):
    from synvita.cli._progress import PlainReporter, RichReporter
    from synvita.entities import Run

    run = Run(id="r-1", experiment="e", submission="s", stage="train", status="running", variant="synvita", seed=0)
    stream = io.StringIO()
    plain = PlainReporter(total=2, every_s=3600, stream=stream)
    events = [{"kind": "status", "status": "running"}] + [
        {"kind": "progress", "done": i, "total": 10, "msg": "step"} for i in range(10)
    ] + [{"kind": "status", "status": "failed", "error": "nan loss"}]
    for event in events:
        plain.on_event(run, event)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3  # started, one progress line (throttled), failed
    assert "train synvita seed 0: started" in lines[0] and "0%" in lines[1]
    assert lines[2].split(" ", 1)[1].startswith("[1/2] r-1 train synvita seed 0: failed") and "nan loss" in lines[2]
    with RichReporter(total=2) as rich:
        for event in events:
            rich.on_event(run, event)
        assert rich.progress.tasks[0].completed == 1 and not rich.state.running


def test_plain_reporter_names_quiet_running_runs():
    import time as _time

    from synvita.cli._progress import PlainReporter
    from synvita.entities import Run

    run = Run(id="r-2", experiment="e", submission="s", stage="pretrain", status="running")
    stream = io.StringIO()
    with PlainReporter(total=1, stream=stream, quiet_s=0.05) as plain:
        plain.on_event(run, {"kind": "status", "status": "running"})
        deadline = _time.time() + 10
        while "still running" not in stream.getvalue() and _time.time() < deadline:
            _time.sleep(0.05)
    assert "r-2 pretrain: still running after" in stream.getvalue()


def test_weights_range_option(db_path, populated):
    auto = json.loads(invoke(db_path, "weights", populated["score"], "--json").stdout)
    assert auto["overall"]["diff_hist"]["edges"][-1] == 1.0  # |Δ| reaches 0.8 in the fixture
    fixed = json.loads(invoke(db_path, "weights", populated["score"], "--json", "--range", "0.5").stdout)
    assert fixed["overall"]["diff_hist"]["edges"][0] == -0.5
    bad = invoke(db_path, "weights", populated["score"], "--range", "-1")
    assert bad.exit_code == 2 and "--range -1" in one_error_line(bad)


#### reading reaps a dead worker's runs; tables over several experiments ####


def _claimed_by_a_dead_worker(db_path, submission: str, beat_age_s: float = 300.0) -> str:
    """A run claimed by worker w-dead, whose last heartbeat is `beat_age_s` old (the worker was killed)."""
    import sqlite3
    import time as _time

    from synvita.store import NewRun

    with Api(db=db_path) as api:
        [run] = api.store.create_runs([NewRun(experiment="exp", submission=submission, stage="train", variant="naive")])
        assert api.store.claim_next("w-dead", submission=submission).id == run.id
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (_time.time() - beat_age_s, run.id))
    return run.id


def test_runs_ls_marks_a_dead_workers_runs_lost(db_path, populated):
    dead = _claimed_by_a_dead_worker(db_path, "s-dead")
    alive = _claimed_by_a_dead_worker(db_path, "s-alive", beat_age_s=1.0)
    result = invoke(db_path, "runs", "ls", "--json")
    assert result.exit_code == 0, result.stderr
    status = {r["id"]: r["status"] for r in json.loads(result.stdout)}
    assert status[dead] == "lost" and status[alive] == "running"
    assert f"{dead} lost: no heartbeat from worker w-dead for 30s" in result.stderr
    again = invoke(db_path, "runs", "ls")
    assert again.exit_code == 0 and "no heartbeat" not in again.stderr  # reaped once


def test_runs_show_reaps_and_the_timeout_comes_from_the_environment(db_path, populated):
    dead = _claimed_by_a_dead_worker(db_path, "s-dead", beat_age_s=100.0)
    patient = invoke(db_path, "runs", "show", dead, "--json", env={"SYNVITA_LOST_AFTER": "600"})
    assert json.loads(patient.stdout)["status"] == "running"
    before = snapshot(db_path)
    off = invoke(db_path, "runs", "ls", env={"SYNVITA_LOST_AFTER": "0"})
    assert off.exit_code == 0 and snapshot(db_path) == before
    shown = invoke(db_path, "runs", "show", dead)
    assert shown.exit_code == 0 and "status      lost" in shown.stdout and "no heartbeat from worker w-dead" in shown.stdout


def test_runs_show_of_an_unknown_run_reaps_nothing(db_path, populated):
    dead = _claimed_by_a_dead_worker(db_path, "s-dead")
    assert invoke(db_path, "runs", "show", "r-nope").exit_code == 3
    with Api(db=db_path) as api:
        assert api.get_run(dead).status == "running"


def test_table_takes_several_experiments(db_path, populated):
    from cli_helpers import finish_run

    with Api(db=db_path) as api:
        other = finish_run(api, "s-other", "evaluate", experiment="other",
                           events=[{"kind": "result", "benchmark": "qa-hard", "metric": "auc", "value": 5.0,
                                    "subset": None, "control": None}], variant="none", seed=0)
    both = json.loads(invoke(db_path, "table", "--experiment", "exp", "-e", "other", "--json").stdout)
    rows = {r["label"]: r for r in both["rows"]}
    assert set(rows) == {"exp · none", "exp · synvita", "other · none"}
    assert rows["other · none"]["runs"] == [other]
    comma = json.loads(invoke(db_path, "table", "--experiment", "exp,other", "--json").stdout)
    assert comma == both
    typo = invoke(db_path, "table", "-e", "exp", "-e", "othre")
    assert typo.exit_code == 3 and "no runs of experiment 'othre'" in one_error_line(typo)


@pytest.mark.parametrize("args, needle", [
    (["runs", "ls", "-n", "abc"], "'--limit' / '-n'"),
    (["runs", "ls", "--bogus"], "No such option: --bogus"),
    (["rerun", "r-000000"], "No such command 'rerun'"),
])
def test_a_usage_error_is_one_line_naming_the_command_and_exit_2(db_path, args, needle):
    result = invoke(db_path, *args)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert needle in line and "-h` lists what it takes" in line
