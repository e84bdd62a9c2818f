"""Stages refuse configurations they cannot honour, with one clear line, instead of silently doing something else."""

from pathlib import Path

import pytest

from synvita.errors import UserInputError
from synvita.events import EventWriter
from synvita.stages import StageContext


def test_train_stage_refuses_a_video_llm_without_weights(tmp_path: Path):
    from synvita.stages.train import run

    ctx = StageContext(run_id="r-x", stage="train", run_dir=tmp_path,
                       config={"model": {"name": "videollm", "path": str(tmp_path / "gone")}, "variant": "none"}, inputs={})
    with EventWriter(tmp_path) as ev:
        ctx.events = ev
        with pytest.raises(UserInputError, match="model.path .*gone is not a directory") as err:
            run(ctx)
    assert "\n" not in err.value.one_line()
