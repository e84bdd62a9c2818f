"""`--executor local` runs a sharded generate run as parallel processes: the set equals one process's, byte for byte,
each run records its attempt and resources, and a failed shard is started again on its own."""

import hashlib
from pathlib import Path

import pytest

from synvita.runs.executors import LocalExecutor
from synvita.runs.plan import plan_runs
from synvita.runs.worker import Worker
from synvita.specs import spec_from_dict
from synvita.store import NewRun

TINY = {"name": "shards", "world": {"preset": "tiny"}, "evaluate": {"benchmarks": []}, "train": {"variants": ["naive"]}}


def _config(spec, stage):
    return next(p for p in plan_runs(spec) if p.stage == stage).config


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in ("synthetic.json", "videocon_train.csv")}


@pytest.mark.slow
def test_local_shards_make_the_same_set_as_one_process(store, db_path):
    one = spec_from_dict(TINY)
    three = spec_from_dict({**TINY, "generation": {"shards": 3, "shard_parallel": 2}})
    world, gen1, gen3 = store.create_runs([
        NewRun("shards", "s", "world", config=_config(one, "world")),
        NewRun("shards", "s", "generate", generator="procedural", config=_config(one, "generate"), depends_on=[0]),
        NewRun("shards", "s", "generate", generator="procedural", config=_config(three, "generate"), depends_on=[0]),
    ])
    worker = Worker(db_path, executor=LocalExecutor(max_parallel=1), poll_s=0.05, heartbeat_s=0.5, lost_after_s=60)
    worker.run(until_idle=True)
    worker.close()
    for run in (world, gen1, gen3):
        assert store.get_run(run.id).status == "succeeded", store.get_run(run.id).error
    assert _checksums(Path(gen1.run_dir) / "synthetic") == _checksums(Path(gen3.run_dir) / "synthetic")
    assert not (Path(gen3.run_dir) / "generate-parts").exists()
    (attempt,) = store.attempts(gen3.id)
    assert attempt.end_reason == "succeeded" and attempt.resources == {"shards": 3, "at_once": 2}
    assert len(attempt.job_id.split(",")) == 2  # the first two shard processes
