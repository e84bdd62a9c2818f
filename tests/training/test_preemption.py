"""Slurm's warning signal: a checkpointing loop writes its checkpoint after the current step and stops with
`Preempted`; the resumed run equals an uninterrupted one bit for bit (CPU, tiny model)."""

import os
import signal

import pytest
import torch

from synvita import preemption
from synvita.training.loop import CHECKPOINT, train

from test_loop import cfg, tiny_data, tiny_model


@pytest.fixture
def usr1_handler():
    previous = signal.getsignal(signal.SIGUSR1)
    preemption.install()
    yield
    signal.signal(signal.SIGUSR1, previous)
    preemption._requested = None


def test_the_warning_signal_checkpoints_and_the_resumed_run_equals_an_uninterrupted_one(tmp_path, usr1_handler):
    full = tiny_model()
    train(full, tiny_data(), cfg("synvita"), run_dir=tmp_path / "full")

    def warn_at_step_2(step, metrics):
        if step == 2:
            os.kill(os.getpid(), signal.SIGUSR1)

    part = tiny_model()
    config = cfg("synvita", checkpoint_every=100)  # no periodic checkpoint at step 2: the signal makes it
    with pytest.raises(preemption.Preempted) as stopped, preemption.checkpointing():
        train(part, tiny_data(), config, run_dir=tmp_path / "part", callback=warn_at_step_2)
    assert stopped.value.exit_code == preemption.PREEMPTED_EXIT and "step 2" in str(stopped.value)
    assert torch.load(tmp_path / "part" / CHECKPOINT, weights_only=True)["step"] == 2
    preemption._requested = None  # the requeued job is a new process
    resumed = tiny_model(seed=99)
    assert train(resumed, tiny_data(), cfg("synvita"), run_dir=tmp_path / "part").steps == 4
    for (k, x), (_, y) in zip(full.state_dict().items(), resumed.state_dict().items()):
        torch.testing.assert_close(x, y, rtol=0, atol=0, msg=k)


def test_outside_a_checkpointing_loop_the_signal_stops_at_once(usr1_handler):
    with pytest.raises(preemption.Preempted):
        os.kill(os.getpid(), signal.SIGUSR1)
        signal.sigtimedwait([], 0)  # let the handler run
