"""Tests for dlbook_lib.checkpoint: atomic files and the checks a resumed run must pass."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch
from torch import nn

from dlbook_lib import checkpoint as checkpoint_module
from dlbook_lib.checkpoint import (
    Checkpoint,
    check_format,
    check_model_state,
    check_optimizer_state,
    check_settings,
    delete_hint,
    load_state_dicts,
    restore_rng_states,
    rng_states,
    state_dicts,
)

# --------------------------------------------------------------------------- Checkpoint


def test_checkpoint_round_trip_creates_folders_and_deletes(tmp_path):
    checkpoint = Checkpoint(tmp_path / "a" / "b" / "state.pt")
    assert checkpoint.load() is None and not checkpoint.exists()
    checkpoint.save({"step": 3, "weights": torch.arange(4.0)})
    assert checkpoint.exists()
    state = checkpoint.load(map_location="cpu")
    assert state["step"] == 3 and torch.equal(state["weights"], torch.arange(4.0))
    checkpoint.delete()
    assert not checkpoint.exists()
    checkpoint.delete()  # deleting nothing is fine


def test_checkpoint_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "state.pt"
    checkpoint = Checkpoint(path)
    checkpoint.save({"step": 1})

    def killed_while_writing(obj, file):
        file.write(b"half a checkpoint")
        raise KeyboardInterrupt("killed during saving")

    monkeypatch.setattr(checkpoint_module.torch, "save", killed_while_writing)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save({"step": 2})
    monkeypatch.undo()
    assert checkpoint.load() == {"step": 1}  # the old checkpoint, intact
    assert os.listdir(tmp_path) == ["state.pt"]  # and no temporary file left behind


def test_corrupt_checkpoint_raises_a_clear_error(tmp_path):
    path = tmp_path / "state.pt"
    Checkpoint(path).save({"weights": torch.randn(100)})
    path.write_bytes(path.read_bytes()[:50])  # truncated, as by a crash mid-copy
    with pytest.raises(RuntimeError, match=r"state\.pt.*corrupt.*delete"):
        Checkpoint(path).load()


def test_checkpoint_rejects_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="path must be a str or os.PathLike"):
        Checkpoint(3)
    with pytest.raises(TypeError, match="state must be a dict"):
        Checkpoint(tmp_path / "x.pt").save([1, 2])
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(RuntimeError, match="not a dict"):
        Checkpoint(tmp_path / "list.pt").load()


def test_delete_hint_is_a_line_that_works(tmp_path):
    path = tmp_path / "run.pt"
    Checkpoint(path).save({})
    hint = delete_hint(path)
    assert hint == f"delete the file to start over: Checkpoint({str(path)!r}).delete()"
    eval(hint.split(": ", 1)[1])  # the quoted code deletes the file
    assert not path.exists()


# --------------------------------------------------------------------------- random numbers


def draw_from_every_generator() -> tuple:
    return torch.rand(3), np.random.rand(3), random.random()


def test_rng_states_round_trip_through_a_file_repeats_every_generator(tmp_path):
    torch.manual_seed(1)
    np.random.seed(1)
    random.seed(1)
    states = rng_states("cpu")
    assert states["cuda"] is None and states["mps"] is None
    Checkpoint(tmp_path / "rng.pt").save({"rng": states})
    first = draw_from_every_generator()
    draw_from_every_generator()  # move every generator on
    restore_rng_states(Checkpoint(tmp_path / "rng.pt").load()["rng"], torch.device("cpu"))
    again = draw_from_every_generator()
    assert torch.equal(first[0], again[0])
    assert np.array_equal(first[1], again[1]) and first[2] == again[2]


# --------------------------------------------------------------------------- refusals


def test_check_format_names_the_writer_and_the_fix():
    check_format({"format": "dlbook_lib.training.fit/1"}, "dlbook_lib.training.fit/1", "a.pt")
    with pytest.raises(ValueError, match=r"'a\.pt' is not a checkpoint written by "
                                         r"dlbook_lib\.training\.fit.*delete\(\)"):
        check_format({"G": {}}, "dlbook_lib.training.fit/1", "a.pt")


def test_check_settings_names_every_changed_key_old_and_new_and_the_fix():
    check_settings({"lr": 1e-3, "seed": 0}, {"seed": 0, "lr": 1e-3}, "run.pt")  # order is free
    with pytest.raises(ValueError) as info:
        check_settings({"lr": 1e-3, "seed": 0, "old": 1}, {"lr": 5e-4, "seed": 0, "new": "x"},
                       "run.pt")
    message = str(info.value)
    assert message.startswith(
        "checkpoint 'run.pt' was written by a different run (lr was 0.001, now 0.0005; "
        "old was 1, now not set; new was not set, now 'x'), and resuming would mix the two."
    )
    assert message.endswith("Checkpoint('run.pt').delete()")
    assert "seed" not in message


def test_check_model_state_lists_the_problems_and_names_the_model():
    model = nn.Linear(3, 2)
    check_model_state(model, nn.Linear(3, 2).state_dict(), "m.pt")
    with pytest.raises(ValueError, match=r"do not fit this model \('G'\) \(weight is \(2, 4\) "
                                         r"in the file but \(2, 3\) in the model.*delete"):
        check_model_state(model, nn.Linear(4, 2).state_dict(), "m.pt", name="G")
    with pytest.raises(ValueError, match=r"missing \['bias'\]"):
        check_model_state(model, {"weight": torch.zeros(2, 3)}, "m.pt")


def test_check_optimizer_state_compares_the_parameter_groups():
    model = nn.Linear(3, 2)
    one_group = torch.optim.SGD(model.parameters(), lr=0.1)
    two_groups = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}], lr=0.1)
    check_optimizer_state(one_group, one_group.state_dict(), "o.pt")
    with pytest.raises(ValueError, match=r"sizes \[1, 1\], but this optimizer \('opt'\) has "
                                         r"\[2\]"):
        check_optimizer_state(one_group, two_groups.state_dict(), "o.pt", name="opt")


# --------------------------------------------------------------------------- named states


def test_state_dicts_round_trip_models_optimizers_schedulers_and_generators(tmp_path):
    def build(seed):
        torch.manual_seed(seed)
        model = nn.Linear(2, 2)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        noise = torch.Generator().manual_seed(seed)
        return {"model": model, "opt": optimizer, "sched": scheduler, "noise": noise}

    trained = build(0)
    trained["model"](torch.randn(4, 2)).sum().backward()
    trained["opt"].step()
    trained["sched"].step()
    torch.randn(5, generator=trained["noise"])
    Checkpoint(tmp_path / "s.pt").save(state_dicts(trained))

    fresh = build(1)
    load_state_dicts(fresh, Checkpoint(tmp_path / "s.pt").load(), tmp_path / "s.pt")
    for name, tensor in trained["model"].state_dict().items():
        assert torch.equal(tensor, fresh["model"].state_dict()[name])
    assert fresh["opt"].param_groups[0]["lr"] == pytest.approx(0.05)
    assert torch.equal(fresh["opt"].state_dict()["state"][0]["exp_avg"],
                       trained["opt"].state_dict()["state"][0]["exp_avg"])
    assert fresh["sched"].last_epoch == 1
    assert torch.equal(torch.randn(3, generator=fresh["noise"]),
                       torch.randn(3, generator=trained["noise"]))


def test_load_state_dicts_checks_everything_before_loading_anything():
    small, big = nn.Linear(2, 2), nn.Linear(2, 3)
    saved = state_dicts({"a": nn.Linear(2, 2), "b": nn.Linear(2, 2)})
    before = small.weight.detach().clone()
    with pytest.raises(ValueError, match=r"do not fit this model \('b'\)"):
        load_state_dicts({"a": small, "b": big}, saved, "x.pt")
    assert torch.equal(small.weight, before)  # 'a' fits, but was not loaded either
    with pytest.raises(ValueError, match=r"holds the states of \['a', 'b'\], but this run has "
                                         r"\['a'\]; pass the same names"):
        load_state_dicts({"a": small}, saved, "x.pt")
