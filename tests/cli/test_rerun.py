"""`synvita runs rerun`: a new run from a recorded config, linked to the original; `diff` and `runs show` name the
recorded environment (GPUs, driver, CUDA, package versions)."""

from __future__ import annotations

import json
import os
import stat
from importlib import metadata
from pathlib import Path

from test_cli import debug_plan, invoke

from synvita.api import Api
from synvita.runs import plan
from synvita.stages import hardware


def test_rerun_enqueues_the_recorded_config_and_diff_shows_what_changed(db_path, experiment_file, monkeypatch):
    monkeypatch.setattr(plan, "plan_runs", debug_plan([("debug.noop", {}, []), ("debug.noop", {"train": {"lambda_scr": 1.0}}, [0])]))
    assert invoke(db_path, "run", str(experiment_file)).exit_code == 0
    first, original = sorted(Api(db=db_path).list_runs(), key=lambda r: r.created_at)

    result = invoke(db_path, "runs", "rerun", original.id, "--set", "train.lambda_scr=0.5")
    assert result.exit_code == 0, result.stderr
    new_id = result.stdout.strip()
    rerun = Api(db=db_path).get_run(new_id)
    assert new_id != original.id and rerun.status == "queued" and rerun.submission != original.submission
    assert (rerun.stage, rerun.seed, rerun.experiment, rerun.depends_on) == (original.stage, original.seed, original.experiment, [first.id])
    assert rerun.config["rerun_of"] == original.id and rerun.config["train"]["lambda_scr"] == 0.5
    assert f"synvita diff {original.id} {new_id}" in result.stderr

    assert invoke(db_path, "worker", "--submission", rerun.submission, "--until-idle").exit_code == 0
    assert Api(db=db_path).get_run(new_id).status == "succeeded"
    diff = invoke(db_path, "diff", original.id, new_id)
    assert diff.exit_code == 0, diff.stderr
    assert "train.lambda_scr" in diff.stdout and "1.0 → 0.5" in diff.stdout and f'null → "{original.id}"' in diff.stdout
    data = json.loads(invoke(db_path, "diff", original.id, new_id, "--json").stdout)
    assert all(e["key"] not in ("run_id", "prepared_at", "worker") for e in data["environment"])

    show = invoke(db_path, "runs", "show", new_id)
    assert show.exit_code == 0, show.stderr
    assert f"rerun of    {original.id}" in show.stdout and "environment" in show.stdout
    assert f"numpy=={metadata.version('numpy')}" in show.stdout
    gpu_line = next(line for line in show.stdout.splitlines() if line.strip().startswith("gpu"))
    assert gpu_line.split(None, 1)[1] == _describe(hardware.gpu_info())
    cpu = hardware.cpu_info()
    cpu_line = next(line for line in show.stdout.splitlines() if line.strip().startswith("cpu"))
    assert cpu_line.split(None, 1)[1] == f"{cpu['model']}  {cpu['cores']} of {cpu['cores_online']} cores usable"
    env = json.loads(invoke(db_path, "runs", "show", new_id, "--json").stdout)["environment"]
    assert env["installed"]["numpy"] == metadata.version("numpy") and "gpu" in env


def _describe(gpu) -> str:
    if not isinstance(gpu, dict):
        return gpu
    return f"{gpu['count']} × {', '.join(dict.fromkeys(gpu['models']))}  driver {gpu['driver'] or '?'}  CUDA {gpu['cuda'] or '?'}"


def test_rerun_of_an_unknown_key_is_a_usage_error(db_path, experiment_file, monkeypatch):
    monkeypatch.setattr(plan, "plan_runs", debug_plan([("debug.noop", {}, [])]))
    invoke(db_path, "run", str(experiment_file), "--detach")
    [run] = Api(db=db_path).list_runs()
    result = invoke(db_path, "runs", "rerun", run.id, "--set", "train.no_such_key=1")
    assert result.exit_code == 2 and "no_such_key" in result.stderr
    assert len(Api(db=db_path).list_runs()) == 1


FAKE_NVIDIA_SMI = """#!/bin/sh
case "$1" in
  --query-gpu*) printf 'NVIDIA H200, 550.54.15\\nNVIDIA H200, 550.54.15\\n' ;;
  *) echo '| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |' ;;
esac
"""


def test_gpu_info_without_torch_asks_nvidia_smi_or_says_none(tmp_path, monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "torch", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    hardware.gpu_info.cache_clear()
    try:
        assert hardware.gpu_info() == "none"
        tool = tmp_path / "nvidia-smi"
        tool.write_text(FAKE_NVIDIA_SMI)
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
        hardware.gpu_info.cache_clear()
        assert hardware.gpu_info() == {
            "count": 2, "models": ["NVIDIA H200", "NVIDIA H200"], "driver": "550.54.15", "cuda": "12.4", "source": "nvidia-smi",
        }
    finally:
        hardware.gpu_info.cache_clear()


def test_the_stage_process_records_the_gpus_it_sees(tmp_path):
    (tmp_path / "env.json").write_text(json.dumps({"host": "login", "gpu": "stale"}))
    hardware.record_stage_hardware(tmp_path)
    env = json.loads((tmp_path / "env.json").read_text())
    assert env["host"] == "login" and env["gpu"] == hardware.gpu_info()
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the thread count a stage ran with is recorded (it changes floating-point sums)
    try:
        hardware.record_stage_hardware(tmp_path)
    finally:
        torch.set_num_threads(threads)
    assert json.loads((tmp_path / "env.json").read_text())["torch_threads"] == 1
    hardware.record_stage_hardware(tmp_path / "missing")  # no env.json: nothing to update, no error
    assert not os.path.exists(Path(tmp_path / "missing"))
