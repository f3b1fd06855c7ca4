"""Tests for dlbook_lib.step_loop.train_steps: the step-based loop for custom training."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook_lib.checkpoint import Checkpoint
from dlbook_lib.errors import TrainingDiverged
from dlbook_lib.step_loop import train_steps
from dlbook_lib.training import fit

N_STEPS = 10


def make_run(seed: int = 0, hidden: int = 8) -> dict:
    """A model with dropout, Adam, a step schedule and a private generator, freshly seeded
    (as re-running the lesson's cell would build them)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    model = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)
    noise = torch.Generator().manual_seed(100 + seed)
    return {"model": model, "opt": optimizer, "sched": scheduler, "noise": noise}


def make_step(run: dict, *, interrupt_at=None, nan_from=None, extra_state=None):
    """One regression step drawing from every generator: the private one, PyTorch's global one
    (the inputs and dropout), NumPy's and Python's."""
    model, optimizer, scheduler = run["model"], run["opt"], run["sched"]

    def step(i):
        if i == interrupt_at:
            raise KeyboardInterrupt("simulated kill")
        x = torch.randn(16, 2, generator=run["noise"]) + torch.randn(16, 2)
        x = x + torch.from_numpy(np.random.normal(size=(16, 2))).float()
        y = x.sum(dim=1, keepdim=True) * random.uniform(0.5, 1.5)
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if nan_from is not None and i >= nan_from:
            loss = loss * math.nan
        if extra_state is not None:
            extra_state["snapshots"].append(model[0].weight.detach().clone())
        return {"loss": loss, "lr": optimizer.param_groups[0]["lr"]}  # a tensor and a float

    return step


def run_steps(run, n_steps=N_STEPS, step=None, **kwargs):
    options = dict(modules=run, progress=False)
    options.update(kwargs)
    return train_steps(step or make_step(run), n_steps, **options)


def assert_same_state(a: dict, b: dict) -> None:
    for name, tensor in a["model"].state_dict().items():
        assert torch.equal(tensor, b["model"].state_dict()[name]), name
    assert a["opt"].param_groups[0]["lr"] == b["opt"].param_groups[0]["lr"]
    assert torch.equal(a["noise"].get_state(), b["noise"].get_state())


@pytest.fixture
def reference():
    """The uninterrupted 10-step run: its objects, history and snapshots."""
    run, extra = make_run(), {"snapshots": []}
    history = run_steps(run, step=make_step(run, extra_state=extra), extra_state=extra)
    return run, history, extra


# --------------------------------------------------------------------------- the loop itself


def test_train_steps_equals_the_same_loop_written_by_hand(tmp_path, reference):
    by_hand = make_run()
    step = make_step(by_hand)
    history = {"step": [], "loss": [], "lr": []}
    for i in range(N_STEPS):
        values = step(i)
        history["step"].append(i)
        history["loss"].append(values["loss"].item())
        history["lr"].append(values["lr"])
    run, reference_history, _ = reference
    assert reference_history == history  # bitwise: the same floats
    assert_same_state(run, by_hand)
    # Saving checkpoints on the way draws no random numbers and changes nothing.
    saving = make_run()
    assert run_steps(saving, checkpoint=tmp_path / "s.pt", save_every=3) == history
    assert_same_state(saving, by_hand)


def test_log_every_logs_the_steps_divisible_by_it():
    history = run_steps(make_run(), log_every=3)
    assert history["step"] == [0, 3, 6, 9]
    assert list(history) == ["step", "loss", "lr"]
    assert all(isinstance(v, float) for v in history["loss"] + history["lr"])


def test_progress_bar_and_the_summary_line(capsys):
    history = run_steps(make_run(), n_steps=4, progress=True, label="ring, seed 0")
    captured = capsys.readouterr()
    assert "ring, seed 0" in captured.err  # the bar
    [line] = captured.out.splitlines()
    assert line.startswith("ring, seed 0: trained steps 0-3 of 4 in ")
    assert line.endswith(f" s; at step 3: loss {history['loss'][-1]:.4g}, "
                         f"lr {history['lr'][-1]:.4g}")


# --------------------------------------------------------------------------- resuming


@pytest.mark.parametrize("rebuild", [True, False], ids=["cell-rerun", "same-objects"])
def test_killed_run_resumes_identical_to_an_uninterrupted_run(tmp_path, capsys, reference,
                                                              rebuild):
    path = tmp_path / "runs" / "tiny.pt"
    run, extra = make_run(), {"snapshots": []}
    with pytest.raises(KeyboardInterrupt):
        run_steps(run, step=make_step(run, interrupt_at=7, extra_state=extra),
                  checkpoint=path, save_every=5, extra_state=extra)
    assert Checkpoint(path).load()["step"] == 5
    assert len(extra["snapshots"]) == 7  # steps 5 and 6 ran, but were not saved

    if rebuild:  # the reader runs the cell again: fresh objects, seeded again
        run, extra = make_run(), {"snapshots": []}
    capsys.readouterr()
    history = run_steps(run, step=make_step(run, extra_state=extra), checkpoint=path,
                        save_every=5, extra_state=extra)

    assert "resuming after step 4 (5 of 10 steps done" in capsys.readouterr().out
    reference_run, reference_history, reference_extra = reference
    assert history == reference_history
    assert_same_state(run, reference_run)
    assert len(extra["snapshots"]) == N_STEPS
    assert all(torch.equal(a, b) for a, b in zip(extra["snapshots"],
                                                 reference_extra["snapshots"]))


@pytest.mark.parametrize("rebuild", [True, False], ids=["cell-rerun", "same-objects"])
def test_a_longer_run_continues_a_finished_one(tmp_path, reference, rebuild):
    path = tmp_path / "five.pt"
    run = make_run()
    assert run_steps(run, n_steps=5, checkpoint=path)["step"] == [0, 1, 2, 3, 4]
    if rebuild:
        run = make_run()
    history = run_steps(run, n_steps=10, checkpoint=path)
    reference_run, reference_history, _ = reference
    assert history == {key: reference_history[key] for key in history}
    assert_same_state(run, reference_run)


def test_a_finished_checkpoint_is_loaded_without_running_a_step(tmp_path, capsys, reference):
    path = tmp_path / "done.pt"
    run, extra = make_run(), {"snapshots": []}
    first = run_steps(run, step=make_step(run, extra_state=extra), checkpoint=path,
                      extra_state=extra)

    def never(i):
        raise AssertionError("a finished run must not run a step")

    fresh, fresh_extra = make_run(seed=3), {"snapshots": []}
    capsys.readouterr()
    again = run_steps(fresh, step=never, checkpoint=path, extra_state=fresh_extra)
    assert "loaded the finished run" in capsys.readouterr().out
    assert again == first
    assert_same_state(fresh, run)
    assert len(fresh_extra["snapshots"]) == N_STEPS  # restored into the same dict
    with pytest.raises(ValueError, match=r"already holds 10 steps.*n_steps=5.*delete"):
        run_steps(make_run(), n_steps=5, checkpoint=path, extra_state={"snapshots": []})


def test_changed_settings_are_refused_with_the_key_the_values_and_the_fix(tmp_path):
    path = tmp_path / "lr.pt"
    run_steps(make_run(), n_steps=3, checkpoint=path, settings={"lr": 0.01, "n_critic": 5})
    with pytest.raises(ValueError, match=r"different run \(lr was 0\.01, now 0\.02\).*"
                                         r"Checkpoint\('.*lr\.pt'\)\.delete\(\)"):
        run_steps(make_run(), checkpoint=path, settings={"lr": 0.02, "n_critic": 5})
    with pytest.raises(ValueError, match=r"n_critic was 5, now not set"):
        run_steps(make_run(), checkpoint=path, settings={"lr": 0.01})
    Checkpoint(path).delete()  # the fix the message gives: a fresh run
    assert run_steps(make_run(), checkpoint=path, settings={"lr": 0.02})["step"][-1] == 9


def test_a_checkpoint_of_other_modules_is_refused_and_changes_nothing(tmp_path):
    path = tmp_path / "arch.pt"
    run_steps(make_run(hidden=8), n_steps=2, checkpoint=path)
    bigger = make_run(hidden=16)
    before = {k: v.clone() for k, v in bigger["model"].state_dict().items()}
    with pytest.raises(ValueError, match=r"do not fit this model \('model'\).*delete"):
        run_steps(bigger, checkpoint=path)
    assert all(torch.equal(before[k], v) for k, v in bigger["model"].state_dict().items())
    fewer = {key: value for key, value in make_run().items() if key != "sched"}
    with pytest.raises(ValueError, match=r"but this run has \['model', 'noise', 'opt'\]"):
        run_steps(fewer, step=lambda i: {}, checkpoint=path)
    with pytest.raises(ValueError, match=r"extra_state keys \[\], but this run's are \['s'\]"):
        run_steps(make_run(), checkpoint=path, extra_state={"s": []})


def test_checkpoints_of_fit_and_train_steps_are_not_mixed_up(tmp_path):
    path = tmp_path / "fit.pt"
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    data = (torch.randn(8, 2), torch.randint(0, 2, (8,)))
    fit(model, data, epochs=1, optimizer=optimizer, device="cpu", progress=False,
        checkpoint_path=path)
    with pytest.raises(ValueError, match=r"not a checkpoint written by "
                                         r"dlbook_lib\.step_loop\.train_steps.*delete"):
        run_steps(make_run(), checkpoint=path)
    run_steps(make_run(), n_steps=1, checkpoint=tmp_path / "steps.pt")
    with pytest.raises(ValueError, match=r"not a checkpoint written by dlbook_lib\.training"):
        fit(model, data, epochs=1, optimizer=optimizer, device="cpu", progress=False,
            checkpoint_path=tmp_path / "steps.pt")


# --------------------------------------------------------------------------- NaN


def test_nan_raises_training_diverged_naming_the_step():
    run = make_run()
    with pytest.raises(TrainingDiverged, match=r"loss became nan at step 4 \(counting from 0\) "
                                               r"of 10") as info:
        run_steps(run, step=make_step(run, nan_from=4))
    assert info.value.step == 4 and math.isnan(info.value.loss)


def test_nan_with_stop_returns_the_history_before_it_and_keeps_the_last_save(tmp_path, capsys):
    path = tmp_path / "nan.pt"
    run = make_run()
    history = run_steps(run, step=make_step(run, nan_from=5), on_nan="stop", checkpoint=path,
                        save_every=2, progress=True, label="GAN")
    assert history["step"] == [0, 1, 2, 3, 4]
    assert all(math.isfinite(v) for v in history["loss"])
    out = capsys.readouterr().out
    assert "Training diverged: loss became nan at step 5" in out
    assert "GAN: stopped at step 5" in out
    assert Checkpoint(path).load()["step"] == 4


def test_nan_is_checked_on_the_logged_steps():
    run = make_run()
    with pytest.raises(TrainingDiverged, match="at step 6 "):
        run_steps(run, step=make_step(run, nan_from=5), log_every=3)


# --------------------------------------------------------------------------- bad input


def test_bad_arguments_are_clear_errors(tmp_path):
    run = make_run()
    with pytest.raises(TypeError, match="step must be a function step"):
        run_steps(run, step=42)
    with pytest.raises(ValueError, match="n_steps must be >= 1, got 0"):
        run_steps(run, n_steps=0)
    with pytest.raises(TypeError, match="n_steps must be an int"):
        run_steps(run, n_steps=2.5)
    with pytest.raises(ValueError, match="save_every must be >= 1, got 0"):
        run_steps(run, save_every=0)
    with pytest.raises(ValueError, match="log_every must be >= 1, got 0"):
        run_steps(run, log_every=0)
    with pytest.raises(ValueError, match="on_nan must be 'raise' or 'stop'"):
        run_steps(run, on_nan="ignore")
    with pytest.raises(TypeError, match="label must be a non-empty string"):
        run_steps(run, label="")
    with pytest.raises(TypeError, match=r"modules\['G'\] is a int, which has no state_dict"):
        run_steps({"G": 3}, step=lambda i: {})
    with pytest.raises(TypeError, match="modules must be a dict"):
        run_steps([run["model"]], step=lambda i: {})
    with pytest.raises(TypeError, match=r"settings\['lr'\] is a Tensor; settings must be plain"):
        run_steps(run, settings={"lr": torch.tensor(0.1)})
    with pytest.raises(TypeError, match=r"settings\['lr'\] is a float32"):
        run_steps(run, settings={"lr": np.float32(0.1)})
    with pytest.raises(TypeError, match="settings must be a dict"):
        run_steps(run, settings=[("lr", 0.1)])
    with pytest.raises(TypeError, match="checkpoint must be a Checkpoint, a path or None"):
        run_steps(run, checkpoint=3)
    with pytest.raises(ValueError, match="a checkpoint needs modules"):
        run_steps({}, step=lambda i: {}, checkpoint=tmp_path / "x.pt")
    with pytest.raises(TypeError, match="extra_state must be a dict or None"):
        run_steps(run, extra_state=[])
    with pytest.raises(TypeError, match="device must be a str, a torch.device or None"):
        run_steps(run, device=0)
    assert not (tmp_path / "x.pt").exists()
    # Plain settings of every kind are accepted.
    run_steps(run, n_steps=1, settings={"lr": 1e-3, "betas": (0.5, 0.9), "clip": None,
                                        "method": "WGAN", "layers": [64, {"act": "relu"}]})


@pytest.mark.parametrize("returned, error, message", [
    (None, TypeError, r"step\(0\) must return a dict of numbers"),
    ({"loss": "low"}, TypeError, r"step\(0\) returned loss='low': log numbers"),
    ({"loss": torch.ones(2)}, TypeError, "log numbers or one-element tensors"),
    ({"step": 1.0}, ValueError, "other than 'step'"),
])
def test_a_step_that_returns_something_else_is_a_clear_error(returned, error, message):
    with pytest.raises(error, match=message):
        run_steps({}, step=lambda i: returned)


def test_a_step_that_changes_its_keys_is_a_clear_error():
    def step(i):
        return {"loss": 1.0} if i < 2 else {"loss": 1.0, "extra": 2.0}

    with pytest.raises(ValueError, match=r"step\(2\) returned the keys \['extra', 'loss'\], "
                                         r"but the earlier steps logged \['loss'\]"):
        run_steps({}, step=step)
