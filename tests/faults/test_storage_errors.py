"""A full disk, a run directory that cannot be written and missing data end the run `failed` with the cause and the
fix as its error, instead of leaving it `running` (later `lost`, "worker died?"). /dev/full stands in for a full
disk everywhere; a real tmpfs of 64 KiB is used too where this process may mount one."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

from synvita.errors import StageError, storage_failure
from synvita.registry import STAGES
from synvita.runs.worker import Worker
from synvita.stages import StageContext, execute
from synvita.store import NewRun, Store


def one_run(db_path, stage="debug.noop"):
    with Store.open(db_path) as store:
        [run] = store.create_runs([NewRun(experiment="disk", submission="s-disk", stage=stage)])
    return run


def execute_all(db_path):
    worker = Worker(db_path, poll_s=0.05, heartbeat_s=0.5, lost_after_s=5)
    try:
        worker.run(until_idle=True)
    finally:
        worker.close()
    with Store.open(db_path) as store:
        return store.list_runs()


@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, "disk full writing /x/out.bin (No space left on device): free space there, then `synvita runs retry r-1`"),
    (errno.EACCES, "cannot write /x/out.bin (Permission denied): make its folder a writable directory"),
    (errno.EROFS, "cannot write /x/out.bin: the file system is read-only"),
    (errno.ENOENT, "missing /x/out.bin (No such file or directory): restore it"),
])
def test_each_storage_error_reads_as_its_cause_and_fix(code, words):
    assert words in storage_failure(OSError(code, os.strerror(code), "/x/out.bin"), "r-1")


def test_other_os_errors_keep_their_own_words():
    assert storage_failure(OSError(errno.ECONNRESET, "reset")) is None


def write_a_sample(ctx):
    """A stage that writes an artifact into its run directory."""
    (ctx.run_dir / "samples.bin").write_bytes(b"\0" * 65536)


def test_a_stage_that_fills_the_disk_fails_with_the_cause(tmp_path):
    run_dir = tmp_path / "r-full"
    run_dir.mkdir()
    (run_dir / "samples.bin").symlink_to("/dev/full")  # every write to it: ENOSPC
    StageContext(run_id="r-full", stage="test.write_a_sample", run_dir=run_dir, config={}).write_config()
    STAGES.register("test.write_a_sample", write_a_sample)
    try:
        with pytest.raises(StageError) as raised:
            execute(run_dir)
    finally:
        STAGES.unregister("test.write_a_sample")
    assert str(raised.value) == (f"disk full writing a file in {run_dir} (No space left on device): free space "
                                 "there, then `synvita runs retry r-full`")


def read_the_world(ctx):
    """A stage that reads a file of its upstream world run."""
    (ctx.inputs["world"] / "world.json").read_text()


def test_a_stage_missing_its_input_fails_naming_the_file(tmp_path):
    run_dir = tmp_path / "r-missing"
    run_dir.mkdir()
    StageContext(run_id="r-missing", stage="test.read_the_world", run_dir=run_dir, config={},
                 inputs={"world": tmp_path / "deleted-world"}).write_config()
    STAGES.register("test.read_the_world", read_the_world)
    try:
        with pytest.raises(StageError) as raised:
            execute(run_dir)
    finally:
        STAGES.unregister("test.read_the_world")
    assert str(raised.value).startswith(f"missing {tmp_path / 'deleted-world' / 'world.json'} (No such file or "
                                        "directory): restore it, or retry the run that writes it")


def test_the_worker_records_a_full_disk_while_preparing_the_run(db_path):
    run = one_run(db_path)
    Path(run.run_dir).mkdir(parents=True)
    (Path(run.run_dir) / "env.json.tmp").symlink_to("/dev/full")
    [finished] = execute_all(db_path)
    assert finished.status == "failed"
    assert finished.error == (f"could not start: disk full writing a file in {run.run_dir} (No space left on "
                              f"device): free space there, then `synvita runs retry {run.id}`")


def test_an_unwritable_runs_folder_fails_the_run_with_the_cause(db_path):
    run = one_run(db_path)
    runs_root = Path(run.run_dir).parent
    runs_root.write_text("a file where the runs folder belongs")  # even root cannot create a folder under a file
    [finished] = execute_all(db_path)
    assert finished.status == "failed"
    assert finished.error.startswith(f"could not start: cannot write {run.run_dir} (Not a directory)")
    assert f"`synvita runs retry {run.id}`" in finished.error


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file modes; the runs folder under a file covers it")
def test_a_read_only_runs_folder_fails_the_run_with_the_cause(db_path):
    run = one_run(db_path)
    runs_root = Path(run.run_dir).parent
    runs_root.mkdir(parents=True)
    runs_root.chmod(0o500)
    try:
        [finished] = execute_all(db_path)
    finally:
        runs_root.chmod(0o700)
    assert finished.status == "failed"
    assert finished.error.startswith(f"could not start: cannot write {run.run_dir} (Permission denied)")


@pytest.fixture
def tiny_tmpfs(db_path):
    """A 64 KiB tmpfs mounted as the database's runs folder, filled to the last byte; skipped where mounting is not
    permitted (not root, or a container without CAP_SYS_ADMIN)."""
    runs_root = db_path.parent / "runs"
    runs_root.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(runs_root)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        with open(runs_root / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        yield runs_root
    finally:
        subprocess.run(["umount", "-l", str(runs_root)], check=False)


def test_a_full_tmpfs_fails_the_run_with_the_cause(db_path, tiny_tmpfs):
    run = one_run(db_path)
    [finished] = execute_all(db_path)
    assert finished.status == "failed"
    assert finished.error.startswith("could not start: disk full writing ")
    assert run.run_dir in finished.error
    assert f"(No space left on device): free space there, then `synvita runs retry {run.id}`" in finished.error


def test_a_stage_that_died_without_an_error_line_on_a_full_disk_is_reported_as_such(tmp_path, monkeypatch):
    """On a full disk the stage's traceback may not reach stderr.log: the worker then names the full disk."""
    import shutil

    from synvita.runs import executors

    run_dir = tmp_path / "r-silent"
    run_dir.mkdir()
    monkeypatch.setattr(executors.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(1 << 30, 1 << 30, 0))
    assert executors._failure_error(run_dir, "stage exited with code 1") == (
        f"disk full at {run_dir} (0 bytes free, so the stage's error could not be written either): free space "
        "there, then `synvita runs retry r-silent`")
