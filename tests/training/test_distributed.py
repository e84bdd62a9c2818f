"""Training on several processes (gloo on CPU, launched like a local stage's ranks): the same losses and weights as one
process on the same global batch, only rank 0 writes, and a rank that fails ends the run with its error, no hang."""

import json
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from synvita.stages.ranks import RankFailed, Ranks, failing_rank, launch_local, process_group, ranks_from_env
from synvita.training.loop import CHECKPOINT, train

sys.path.insert(0, str(Path(__file__).parent))
from test_loop import cfg, tiny_data, tiny_model  # noqa: E402

CONFIG = dict(batch_size=5, steps=4, broken_time=0.5, extra_negatives=True, checkpoint_every=2)
"""Every loss term and row kind: synthetic rows, copies (consistency), extra and broken-time negatives; an odd batch,
so that the ranks' shares differ."""


def _train_rank(out: str, variant: str, fail_at: tuple[int, int, str] | None = None) -> None:
    """One rank: train the tiny model; rank 0 writes the logged losses and the weights under `out`."""
    torch.set_num_threads(1)
    ranks = ranks_from_env(int(os.environ["WORLD_SIZE"]))

    def on_step(step, metrics):
        logged.append((step, metrics))
        if fail_at and ranks.rank == fail_at[0] and step == fail_at[1]:
            if fail_at[2] == "exit":
                os._exit(3)
            raise ValueError(f"rank {ranks.rank} broke at step {step}")

    logged = []
    model = tiny_model()
    with process_group(ranks, "cpu"), failing_rank(ranks):
        train(model, tiny_data(), cfg(variant, **CONFIG), run_dir=Path(out) / "run", callback=on_step)
    if ranks.rank == 0:
        (Path(out) / "logged.json").write_text(json.dumps(logged))
        torch.save(model.state_dict(), Path(out) / "weights.pt")


def _wrapper_dropped_in_the_group(out: str) -> None:
    """One rank: a DistributedDataParallel step in a function that returns (as `train` does) inside the process
    group, with automatic garbage collection off; writes whether the wrapper was still alive when the group was
    destroyed."""
    import gc
    import weakref

    import torch.distributed as dist

    def step_once() -> torch.nn.Module:
        net = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1), device_ids=None,
                                                        find_unused_parameters=True)
        net(torch.randn(3, 4)).sum().backward()
        return net

    ranks = ranks_from_env(int(os.environ["WORLD_SIZE"]))
    gc.disable()  # what a collection at a random moment would otherwise decide
    destroy, alive = dist.destroy_process_group, []

    def watched_destroy(*args, **kwargs):
        alive.append(wrapper() is not None)
        return destroy(*args, **kwargs)

    dist.destroy_process_group = watched_destroy
    with process_group(ranks, "cpu"):
        wrapper = weakref.ref(step_once())
    (Path(out) / f"rank{ranks.rank}.json").write_text(json.dumps(alive))


def test_a_wrapper_left_in_reference_cycles_is_freed_before_its_group_is_destroyed(tmp_path):
    """DistributedDataParallel stays in reference cycles after the code that made it returns; freed only at the
    interpreter's exit, after its group, it made gloo abort a rank that had trained to the end (SIGABRT)."""
    assert launch_local(_wrapper_dropped_in_the_group, (str(tmp_path),), processes=2) == 0
    for rank in (0, 1):
        assert json.loads((tmp_path / f"rank{rank}.json").read_text()) == [False], rank


@pytest.mark.parametrize("variant", ["synvita", "none"])
def test_two_processes_train_like_one_on_the_same_global_batch(tmp_path, variant):
    torch.set_num_threads(1)
    logged = []
    one = tiny_model()
    train(one, tiny_data(), cfg(variant, **CONFIG), callback=lambda step, m: logged.append((step, m)))

    assert launch_local(_train_rank, (str(tmp_path), variant), processes=2) == 0
    two = json.loads((tmp_path / "logged.json").read_text())
    assert [s for s, _ in two] == [s for s, _ in logged] == [1, 2, 3, 4]
    for (_, a), (_, b) in zip(logged, two):
        for key in ("loss_real", "loss_synth", "loss_scr", "loss", "lr"):
            assert b[key] == pytest.approx(a[key], abs=1e-5, rel=1e-5), key
    if variant == "synvita":
        assert any(m["loss_scr"] > 0 for _, m in two) and any(m["loss_synth"] > 0 for _, m in two)
    # The same model: the same scores, and the same weights up to AdamW's scaling of rounding noise (the attention key
    # biases get a gradient that is zero but for rounding, which Adam turns into steps of up to lr = 1e-3).
    two_model = tiny_model(seed=1)
    two_model.load_state_dict(torch.load(tmp_path / "weights.pt", weights_only=True))
    for key, value in one.state_dict().items():
        torch.testing.assert_close(two_model.state_dict()[key], value, rtol=0, atol=1e-4, msg=key)
    data = tiny_data()
    index, captions = np.repeat(data.pairs.video, 2), [c for p in zip(data.pairs.caption_pos, data.pairs.caption_neg) for c in p]
    np.testing.assert_allclose(two_model.predict(data.real_frames, index, captions),
                               one.predict(data.real_frames, index, captions), rtol=0, atol=1e-5)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [CHECKPOINT]  # rank 0's checkpoint only


@pytest.mark.parametrize("how, says", [("raise", "rank 1 of 2 failed: ValueError: rank 1 broke at step 2"),
                                        ("exit", "rank 1 of 2 failed: exited with code 3")])
def test_a_rank_that_fails_fails_the_launch_with_its_error_and_ends_the_others(tmp_path, how, says):
    outcome = []

    def launch():
        try:
            launch_local(_train_rank, (str(tmp_path), "none", (1, 2, how)), processes=2)
        except RankFailed as failed:
            outcome.append(failed.what)

    thread = threading.Thread(target=launch, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the launch hangs after a rank failed"
    assert outcome == [says]
    assert not (tmp_path / "logged.json").exists()  # rank 0 was ended, it did not finish


def test_a_launcher_with_another_number_of_processes_is_refused():
    from synvita.errors import UserInputError

    with pytest.raises(UserInputError, match="srun started 4 processes but train.processes × train.nodes = 2"):
        ranks_from_env(2, {"SLURM_STEP_ID": "0", "SLURM_PROCID": "1", "SLURM_NTASKS": "4", "SLURM_LOCALID": "1"})
    assert ranks_from_env(2, {"SLURM_STEP_ID": "0", "SLURM_PROCID": "1", "SLURM_NTASKS": "2", "SLURM_LOCALID": "0"}) \
        == Ranks(rank=1, world=2, local_rank=0)
    assert ranks_from_env(2, {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"}) == Ranks(1, 2, 1)
    assert ranks_from_env(2, {"SLURM_PROCID": "0", "SLURM_NTASKS": "1"}) is None  # a batch script, not an srun step


@pytest.mark.slow
def test_a_train_run_on_two_processes_reports_the_curve_and_benchmarks_of_one(tmp_path):
    """The stage end to end: `python -m synvita.stages` launches the two ranks of a `processes = 2` run."""
    import subprocess

    from synvita.events import read_events
    from synvita.runs.plan import plan_runs
    from synvita.specs import spec_from_dict
    from synvita.stages import StageContext, execute

    def planned(processes):
        return plan_runs(spec_from_dict({
            "name": "ddp", "world": {"preset": "tiny"}, "scorers": {"members": 1, "steps": 2, "batch_size": 4},
            "evaluate": {"benchmarks": ["entail-llm", "retrieval-temporal"], "controls": []},
            "train": {"variants": ["none"], "steps": 4, "batch_size": 6, "processes": processes}}))

    def prepare(name, run):
        run_dir = tmp_path / name
        run_dir.mkdir()
        StageContext(run_id=name, stage=run.stage, run_dir=run_dir, config=run.config,
                     inputs={stage: tmp_path / stage for stage in ("world", "pretrain", "train")
                             if (tmp_path / stage).exists() and stage != run.stage}).write_config()
        return run_dir

    env = dict(os.environ, OMP_NUM_THREADS="1")
    for processes in (1, 2):
        plan = {p.stage: p for p in planned(processes)}
        if processes == 1:
            for stage in ("world", "pretrain"):
                execute(prepare(stage, plan[stage]))
        train = prepare("train", plan["train"])
        done = subprocess.run([sys.executable, "-m", "synvita.stages", str(train)], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        evaluate = prepare("evaluate", plan["evaluate"])
        subprocess.run([sys.executable, "-m", "synvita.stages", str(evaluate)], env=env, check=True, timeout=300)
        (tmp_path / "train").rename(tmp_path / f"train-{processes}")
        (tmp_path / "evaluate").rename(tmp_path / f"evaluate-{processes}")

    def events(name, kind):
        return [e for e in read_events(tmp_path / name) if e["kind"] == kind]

    one, two = events("train-1", "metric"), events("train-2", "metric")
    keys = [(e["name"], e["step"]) for e in one if e["name"] != "train_s"]
    assert keys == [(e["name"], e["step"]) for e in two if e["name"] != "train_s"]  # each once: rank 0 reports
    for a, b in zip((e for e in one if e["name"] != "train_s"), (e for e in two if e["name"] != "train_s")):
        assert b["value"] == pytest.approx(a["value"], abs=1e-5, rel=1e-5), (a["name"], a["step"])
    table_one = {(r["benchmark"], r["subset"]): r["value"] for r in events("evaluate-1", "result")}
    table_two = {(r["benchmark"], r["subset"]): r["value"] for r in events("evaluate-2", "result")}
    assert table_one.keys() == table_two.keys() and len(table_one) > 2
    for key, value in table_one.items():
        assert table_two[key] == pytest.approx(value, abs=1e-3), key
    assert json.loads((tmp_path / "train-2" / "train.json").read_text())["steps"] == 4
