"""The installed `synvita` console script as a subprocess: bad inputs give one stderr line, a documented exit code,
and leave the database and its other runs intact."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import snapshot

SYNVITA = Path(sys.executable).parent / "synvita"
pytestmark = pytest.mark.skipif(not SYNVITA.exists(), reason="console script not installed in this environment")


def synvita(*args, cwd=None, env_extra=None, timeout=60):
    env = {**os.environ, "NO_COLOR": "1", **(env_extra or {})}
    return subprocess.run([str(SYNVITA), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert result.stdout == ""


def test_help_version_and_json_listing(db_path, populated):
    assert synvita("--help").returncode == 0
    assert synvita("--version").stdout.strip()
    result = synvita("--db", db_path, "runs", "ls", "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert {row["id"] for row in rows} == set(populated.values())
    assert all({"id", "status", "stage", "experiment", "variant", "seed"} <= set(row) for row in rows)


def test_environment_selects_the_database(tmp_path, db_path, populated):
    result = synvita("runs", "ls", "--json", env_extra={"SYNVITA_DB": str(db_path)}, cwd=tmp_path)
    assert len(json.loads(result.stdout)) == len(populated)


@pytest.mark.parametrize(
    "case",
    ["missing-file", "malformed", "unknown-key", "unknown-generator", "negative-seeds", "negative-seeds-option", "unknown-name"],
)
def test_bad_experiment_inputs(tmp_path, db_path, populated, case):
    good = (Path(__file__).parents[2] / "experiments" / "quickstart.toml").read_text()
    path = tmp_path / "bad.toml"
    args = ["run", path, "--detach"]
    expected: tuple[int, tuple[str, ...]]
    if case == "missing-file":
        args[1] = tmp_path / "missing.toml"
        expected = (3, ("missing.toml", "does not exist"))
    elif case == "malformed":
        path.write_text(good.replace('seeds = [0]', 'seeds = [0'))
        expected = (2, (f"{path}:", "invalid TOML"))
    elif case == "unknown-key":
        path.write_text(good.replace("members = 2", "membres = 2"))
        expected = (2, ("unknown key 'membres' in [scorers]", "did you mean 'members'", "allowed keys"))
    elif case == "unknown-generator":
        path.write_text(good)
        args += ["--generator", "sora"]
        expected = (2, ("unknown generator 'sora'", "procedural", "cogvideox"))
    elif case == "negative-seeds":
        path.write_text(good.replace("seeds = [0]", "seeds = [0, -1]"))
        expected = (2, ("seed -1 is negative",))
    elif case == "negative-seeds-option":
        path.write_text(good)
        args += ["--seeds", "-2"]
        expected = (2, ("--seeds -2",))
    else:
        args[1] = "quickstrat"
        expected = (3, ("no experiment named 'quickstrat'", "did you mean 'quickstart'"))
    before = snapshot(db_path)
    result = synvita("--db", db_path, *args)
    assert_one_line_error(result, expected[0], *expected[1])
    assert snapshot(db_path) == before


def test_unwritable_database_location(tmp_path, experiment_file):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    result = synvita("--db", blocker / "sub" / "synvita.db", "run", experiment_file, "--detach")
    assert_one_line_error(result, 4, "cannot create the database directory")


def test_database_locked_by_another_writer(db_path, populated, experiment_file):
    before = snapshot(db_path)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        result = synvita("--db", db_path, "run", experiment_file, "--detach", env_extra={"SYNVITA_BUSY_TIMEOUT": "0.3"})
        assert_one_line_error(result, 4, "locked by another writer for more than 0.3s")
        cancel = synvita("--db", db_path, "runs", "cancel", populated["queued"], env_extra={"SYNVITA_BUSY_TIMEOUT": "0.3"})
        assert_one_line_error(cancel, 4, "locked")
        listing = synvita("--db", db_path, "runs", "ls", "--json")  # readers are not blocked (WAL)
        assert listing.returncode == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(db_path) == before


def test_run_id_that_does_not_exist(db_path, populated):
    before = snapshot(db_path)
    for args in (["runs", "show", "r-000000"], ["runs", "retry", "r-000000"], ["weights", "r-000000"]):
        assert_one_line_error(synvita("--db", db_path, *args), 3, "no run 'r-000000'")
    assert snapshot(db_path) == before


def test_debug_env_prints_a_traceback(tmp_path):
    result = synvita("run", tmp_path / "missing.toml", env_extra={"SYNVITA_DEBUG": "1"})
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_dry_run_of_the_default_experiment(tmp_path):
    result = synvita("run", "--dry-run", cwd=tmp_path)
    if result.returncode == 2 and "unknown benchmark" in result.stderr:
        pytest.fail("the six world benchmarks are not registered in synvita.registry.BENCHMARKS: " + result.stderr)
    assert result.returncode == 0, result.stderr
    assert "world" in result.stdout and "evaluate" in result.stdout
