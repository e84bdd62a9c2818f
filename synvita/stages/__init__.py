"""Stages: world, generate, pretrain, score, train, evaluate.

A stage is a function `run(ctx: StageContext) -> None` registered in `synvita.registry.STAGES`. It reads its
resolved config and the run directories of the runs it depends on, writes artifacts under its own run directory
and reports through `ctx.events` (see `synvita.events`). It never touches the store. It raises `StageError`
(or any exception) to fail; the runner records the message on the run.

Run directories are self-describing: `config.json` (this file's `StageContext` fields), `events.jsonl`,
`env.json` (git commit, versions, host), and the stage's artifacts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from synvita.errors import StageError, storage_failure
from synvita.events import EventWriter
from synvita.registry import STAGES

CONFIG_FILE = "config.json"


@dataclass
class StageContext:
    run_id: str
    stage: str
    run_dir: Path
    config: dict[str, Any]
    """The resolved experiment spec (all sections) plus this run's keys: variant, seed, generator."""
    inputs: dict[str, Path] = field(default_factory=dict)
    """Run directories of upstream runs by role: "world", "generate", "pretrain", "score", "train"."""
    events: EventWriter | None = None

    @property
    def seed(self) -> int:
        return int(self.config.get("seed", 0))

    def section(self, name: str) -> Any:
        """The typed [name] section of the spec (a `synvita.config` dataclass, defaults filled in)."""
        from synvita.config import section_from_dict

        return section_from_dict(name, self.config.get(name))

    def data_source(self) -> Any:
        """The experiment's data source ([data] source, configured by its own section), built from the registry."""
        from synvita.registry import DATA_SOURCES

        name = self.section("data").source
        return DATA_SOURCES.get(name).from_section(self.section(name), self)

    @cached_property
    def data(self) -> Any:
        """The dataset the upstream world run built (the data source's `load`), read once per stage."""
        return self.data_source().load(self.inputs["world"])

    @cached_property
    def synthetic(self) -> Any:
        """The synthetic set the upstream generate run wrote (`synvita.world.synthetic.SyntheticSet`)."""
        from synvita.world.synthetic import load_synthetic

        path = Path(self.inputs["generate"])
        return load_synthetic(path if (path / "synthetic.json").exists() else path / "synthetic")

    def write_config(self) -> None:
        payload = {
            "run_id": self.run_id,
            "stage": self.stage,
            "config": self.config,
            "inputs": {k: str(v) for k, v in self.inputs.items()},
        }
        tmp = self.run_dir / (CONFIG_FILE + ".tmp")
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))
        tmp.replace(self.run_dir / CONFIG_FILE)

    @classmethod
    def from_run_dir(cls, run_dir: str | Path) -> "StageContext":
        run_dir = Path(run_dir)
        payload = json.loads((run_dir / CONFIG_FILE).read_text())
        return cls(
            run_id=payload["run_id"],
            stage=payload["stage"],
            run_dir=run_dir,
            config=payload["config"],
            inputs={k: Path(v) for k, v in payload["inputs"].items()},
        )


def execute(run_dir: str | Path) -> None:
    """Run the stage described by `<run_dir>/config.json` (the entry point of `python -m synvita.stages`).

    A pretrain or train run with `[train] processes × nodes` > 1 runs as that many ranks (synvita.stages.ranks):
    started by srun or a launcher, this process is one of them; otherwise it launches them on this machine."""
    import os

    from synvita import preemption
    from synvita.stages.hardware import record_stage_hardware
    from synvita.stages.ranks import Ranks, failing_rank, launch_local, process_group, ranks_from_env, stage_world

    ctx = StageContext.from_run_dir(run_dir)
    stage_fn = STAGES.get(ctx.stage)
    processes, nodes = stage_world(ctx.stage, ctx.config)
    ranks = ranks_from_env(processes * nodes) if processes * nodes > 1 else Ranks()
    if ranks is None:
        if launch_local(execute, (str(ctx.run_dir),), processes, nodes) == preemption.PREEMPTED_EXIT:
            raise preemption.Preempted("preempted: the ranks wrote their checkpoint")
        return
    shared = bool(os.environ.get("SYNVITA_SHARD") or os.environ.get("SLURM_ARRAY_TASK_ID"))  # shards write together
    try:
        with EventWriter(ctx.run_dir, shared=shared) if ranks.main else SilentEvents() as events:
            ctx.events = events
            with process_group(ranks, ctx.section("train").device), failing_rank(ranks):
                try:
                    stage_fn(ctx)
                except preemption.Preempted as stopped:
                    events.log(f"{stopped}; the job is requeued and continues from it", level="warning")
                    raise
    except OSError as exc:  # a full disk, an unwritable folder, missing data: the run's error names the cause
        cause = storage_failure(exc, ctx.run_id, ctx.run_dir)
        if cause is None:
            raise
        raise StageError(cause) from exc
    finally:
        if ranks.main:
            record_stage_hardware(ctx.run_dir)  # the node's GPUs (seen by torch if the stage imported it), its threads


class SilentEvents(EventWriter):
    """The events of a rank other than 0 of a stage trained on several processes: rank 0 reports for all of them,
    the others write nothing."""

    def __init__(self) -> None:
        pass

    def emit(self, kind: str, **fields: Any) -> None:
        pass

    def close(self) -> None:
        pass


# Built-in stages (import paths; nothing heavy is imported here).
STAGES.register("world", "synvita.stages.world:run", "build the procedural world's datasets and benchmarks")
STAGES.register("generate", "synvita.stages.generate:run", "render a synthetic video for every negative caption")
STAGES.register("pretrain", "synvita.stages.pretrain:run", "train the scorer ensemble / init checkpoint on the pretrain corpus")
STAGES.register("score", "synvita.stages.score:run", "alignment weights ω for every synthetic video")
STAGES.register("train", "synvita.stages.train:run", "fine-tune the alignment model with one training variant")
STAGES.register("evaluate", "synvita.stages.evaluate:run", "the six benchmarks (x100), per-type AUC and controls")
STAGES.register("debug.noop", "synvita.stages.debug:noop", "does nothing (checks a worker or executor)")
STAGES.register("debug.sleep", "synvita.stages.debug:sleep", "sleeps config['seconds'] with progress events")
STAGES.register("debug.fail", "synvita.stages.debug:fail", "fails with config['message']")
