"""Tests for dlbook_lib.training: the shared fit loop and evaluate/predict/synchronize."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook_lib.checkpoint import Checkpoint
from dlbook_lib.training import TrainingDiverged, evaluate, fit, predict, synchronize

HISTORY_KEYS = [
    "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
    "examples_per_second", "seconds",
]
TIMING_KEYS = ("examples_per_second", "seconds")
N_TRAIN, N_VAL, BATCH = 200, 64, 32  # 7 training batches and 2 validation batches per epoch


def blobs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two well-separated Gaussian blobs in 2-D: X (n, 2) float32, y (n,) int64."""
    generator = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=generator)
    centres = (y[:, None].float() * 2 - 1) * 2.0
    X = centres + 0.5 * torch.randn(n, 2, generator=generator)
    return X, y


TRAIN, VAL = blobs(N_TRAIN, seed=1), blobs(N_VAL, seed=2)


class TinyNet(nn.Module):
    """2 -> hidden -> 2 with dropout (so the RNG matters); can raise KeyboardInterrupt."""

    def __init__(self, hidden: int = 8, interrupt_on_call: int | None = None) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden, 2)
        )
        self.calls = 0
        self.interrupt_on_call = interrupt_on_call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.interrupt_on_call:
            raise KeyboardInterrupt("simulated kill")
        return self.net(x)


def make_run(init_seed: int = 0, hidden: int = 8, interrupt_on_call: int | None = None):
    """Model, Adam optimizer and StepLR scheduler, as a lesson cell would build them."""
    torch.manual_seed(init_seed)
    model = TinyNet(hidden, interrupt_on_call)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    # step_size=3: the schedule depends on the scheduler's own epoch count, not only on the lr
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    return model, optimizer, scheduler


def run_fit(model, optimizer, scheduler=None, **kwargs):
    options = dict(epochs=4, val_data=VAL, batch_size=BATCH, device="cpu", progress=False)
    options.update(kwargs)
    return fit(model, TRAIN, optimizer=optimizer, scheduler=scheduler, **options)


def without_timing(history: dict) -> dict:
    return {key: values for key, values in history.items() if key not in TIMING_KEYS}


def assert_same_weights(a: nn.Module, b: nn.Module) -> None:
    state_a, state_b = a.state_dict(), b.state_dict()
    assert state_a.keys() == state_b.keys()
    for name in state_a:
        assert torch.equal(state_a[name], state_b[name]), name


# --------------------------------------------------------------------------- fit: learning


def test_fit_learns_a_separable_problem():
    model, optimizer, _ = make_run()
    history = run_fit(model, optimizer, epochs=8)
    assert history["val_accuracy"][-1] >= 0.95
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert evaluate(model, VAL)["accuracy"] == pytest.approx(history["val_accuracy"][-1])


def test_history_keys_lengths_and_values():
    model, optimizer, scheduler = make_run()
    history = run_fit(model, optimizer, scheduler, epochs=3)
    assert list(history) == HISTORY_KEYS
    assert all(len(values) == 3 for values in history.values())
    assert history["epoch"] == [1, 2, 3]
    assert all(0.0 <= a <= 1.0 for a in history["train_accuracy"] + history["val_accuracy"])
    assert all(v > 0 for v in history["examples_per_second"] + history["seconds"])
    # the scheduler was stepped once per epoch: halved after the third
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.02 * 0.5)


def test_history_without_validation_or_class_labels_omits_those_keys():
    X = torch.randn(50, 2)
    y = X.sum(dim=1, keepdim=True)  # regression: float targets, no accuracy
    model = nn.Linear(2, 1)
    history = fit(model, (X, y), epochs=2, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                  loss_fn=F.mse_loss, device="cpu", progress=False)
    assert list(history) == ["epoch", "train_loss", "examples_per_second", "seconds"]


def test_sequence_outputs_get_token_accuracy():
    # (N, T, V) scores against (N, T) labels: the model copies its input tokens.
    tokens = torch.randint(0, 5, (40, 6))
    model = nn.Embedding(5, 5)
    def loss_fn(out, y):
        return F.cross_entropy(out.flatten(0, 1), y.flatten())
    history = fit(model, (tokens, tokens), epochs=30, loss_fn=loss_fn, batch_size=40,
                  optimizer=torch.optim.SGD(model.parameters(), lr=5.0), device="cpu",
                  progress=False)
    assert "train_accuracy" in history
    assert history["train_accuracy"][-1] == 1.0
    expected = (model(tokens).argmax(-1) == tokens).float().mean().item()
    assert evaluate(model, (tokens, tokens), loss_fn=loss_fn)["accuracy"] == expected


def test_numpy_inputs_and_default_device(monkeypatch):
    monkeypatch.setenv("DLBOOK_DEVICE", "cpu")
    X, y = TRAIN[0].double().numpy(), TRAIN[1].numpy().astype(np.int32)
    model, optimizer, _ = make_run()
    history = fit(model, (X, y), epochs=1, optimizer=optimizer, progress=False)
    assert history["epoch"] == [1]
    assert next(model.parameters()).device.type == "cpu"


def test_progress_bar_runs_and_fit_restores_the_mode(capsys):
    model, optimizer, _ = make_run()
    model.eval()
    history = run_fit(model, optimizer, epochs=2, progress=True)
    captured = capsys.readouterr()
    assert "training" in captured.err
    assert model.training is False
    # One summary line on stdout, for viewers that cannot draw the bar.
    seconds = sum(history["seconds"])
    assert captured.out == (
        f"training: trained epochs 1-2 of 2 in {seconds:.1f} s; last epoch: "
        f"train_loss {history['train_loss'][-1]:.4g}, "
        f"train_accuracy {history['train_accuracy'][-1]:.4g}, "
        f"val_loss {history['val_loss'][-1]:.4g}, val_accuracy {history['val_accuracy'][-1]:.4g}\n"
    )


def test_summary_line_after_a_resumed_run_counts_only_the_new_epochs(tmp_path, capsys):
    path = tmp_path / "run.pt"
    model, optimizer, _ = make_run()
    run_fit(model, optimizer, epochs=2, checkpoint_path=path)
    model, optimizer, _ = make_run()
    history = run_fit(model, optimizer, epochs=3, checkpoint_path=path, progress=True)
    out = capsys.readouterr().out
    assert "resuming from epoch 3 of 3" in out
    assert f"trained epoch 3 of 3 in {history['seconds'][2]:.1f} s; last epoch: train_loss" in out


def test_reduce_lr_on_plateau_is_stepped_with_the_validation_loss():
    model, optimizer, _ = make_run()
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    scheduler.step(-1.0)  # a best value no real loss beats: every epoch counts as a plateau
    run_fit(model, optimizer, scheduler, epochs=2)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.02 * 0.5**2)


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_histories_and_weights():
    model_a, optimizer_a, scheduler_a = make_run()
    model_b, optimizer_b, scheduler_b = make_run()
    history_a = run_fit(model_a, optimizer_a, scheduler_a, epochs=2, seed=3)
    history_b = run_fit(model_b, optimizer_b, scheduler_b, epochs=2, seed=3)
    assert without_timing(history_a) == without_timing(history_b)
    assert_same_weights(model_a, model_b)


def test_another_seed_gives_another_batch_order():
    model_a, optimizer_a, _ = make_run()
    model_b, optimizer_b, _ = make_run()
    history_a = run_fit(model_a, optimizer_a, epochs=1, seed=0)
    history_b = run_fit(model_b, optimizer_b, epochs=1, seed=1)
    assert history_a["train_loss"] != history_b["train_loss"]


# --------------------------------------------------------------------------- checkpoints


@pytest.mark.parametrize("rebuild", [True, False], ids=["cell-rerun", "same-objects"])
def test_killed_run_resumes_and_ends_identical_to_an_uninterrupted_run(tmp_path, capsys, rebuild):
    reference, reference_optimizer, reference_scheduler = make_run()
    reference_history = run_fit(reference, reference_optimizer, reference_scheduler)

    path = tmp_path / "runs" / "tiny.pt"
    calls_per_epoch = 7 + 2  # training batches + validation batches
    model, optimizer, scheduler = make_run(interrupt_on_call=2 * calls_per_epoch + 4)
    with pytest.raises(KeyboardInterrupt):
        run_fit(model, optimizer, scheduler, checkpoint_path=path)
    assert Checkpoint(path).load()["epoch"] == 2
    assert not [p for p in path.parent.iterdir() if p.name != "tiny.pt"]  # no temp files left

    if rebuild:  # the reader runs the cell again: fresh objects
        model, optimizer, scheduler = make_run()
    else:  # the same objects, already changed by part of epoch 3
        model.interrupt_on_call = None
    capsys.readouterr()
    history = run_fit(model, optimizer, scheduler, checkpoint_path=path)

    assert "resuming from epoch 3 of 4" in capsys.readouterr().out
    assert history["epoch"] == [1, 2, 3, 4]
    assert without_timing(history) == without_timing(reference_history)
    assert_same_weights(model, reference)
    assert optimizer.param_groups[0]["lr"] == reference_optimizer.param_groups[0]["lr"]


def test_finished_checkpoint_is_loaded_without_training(tmp_path, capsys):
    path = tmp_path / "done.pt"
    trained, optimizer, scheduler = make_run()
    first = run_fit(trained, optimizer, scheduler, checkpoint_path=path)

    model, optimizer, scheduler = make_run(init_seed=7, interrupt_on_call=1)  # never called
    capsys.readouterr()
    again = run_fit(model, optimizer, scheduler, checkpoint_path=path)
    assert "no training" in capsys.readouterr().out
    assert model.calls == 0
    assert again == first
    assert_same_weights(model, trained)


def test_longer_run_continues_a_finished_checkpoint(tmp_path):
    path = tmp_path / "more.pt"
    model, optimizer, scheduler = make_run()
    run_fit(model, optimizer, scheduler, epochs=2, checkpoint_path=path)
    history = run_fit(model, optimizer, scheduler, epochs=3, checkpoint_path=path)
    assert history["epoch"] == [1, 2, 3]


def test_checkpoint_with_more_epochs_than_asked_is_an_error(tmp_path):
    path = tmp_path / "three.pt"
    model, optimizer, scheduler = make_run()
    run_fit(model, optimizer, scheduler, epochs=3, checkpoint_path=path)
    with pytest.raises(ValueError, match=r"already holds 3 epochs.*epochs=2.*delete"):
        run_fit(model, optimizer, scheduler, epochs=2, checkpoint_path=path)


def test_checkpoint_of_another_architecture_is_an_error_and_changes_nothing(tmp_path):
    path = tmp_path / "small.pt"
    model, optimizer, scheduler = make_run(hidden=8)
    run_fit(model, optimizer, scheduler, epochs=1, checkpoint_path=path)
    bigger, optimizer, scheduler = make_run(hidden=16)
    before = {k: v.clone() for k, v in bigger.state_dict().items()}
    with pytest.raises(ValueError, match=r"do not fit this model.*\(16, 2\).*delete"):
        run_fit(bigger, optimizer, scheduler, checkpoint_path=path)
    assert all(torch.equal(before[k], v) for k, v in bigger.state_dict().items())


def test_checkpoint_of_a_run_with_other_settings_is_an_error(tmp_path):
    path = tmp_path / "settings.pt"
    model, optimizer, scheduler = make_run()
    run_fit(model, optimizer, scheduler, epochs=1, checkpoint_path=path)
    with pytest.raises(ValueError, match=r"different run \(batch_size was 32, now 16\)"):
        run_fit(model, optimizer, scheduler, batch_size=16, checkpoint_path=path)
    with pytest.raises(ValueError, match=r"scheduler was 'StepLR', now None"):
        run_fit(model, optimizer, None, checkpoint_path=path)


def test_corrupt_checkpoint_is_a_clear_error_in_fit(tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a checkpoint at all")
    model, optimizer, _ = make_run()
    with pytest.raises(RuntimeError, match=r"broken\.pt.*corrupt.*delete"):
        run_fit(model, optimizer, checkpoint_path=path)


# --------------------------------------------------------------------------- NaN / Inf


class NanAfter:
    """A cross-entropy loss that returns NaN from the given call on."""

    def __init__(self, first_nan_call: int) -> None:
        self.calls, self.first_nan_call = 0, first_nan_call

    def __call__(self, output, target):
        self.calls += 1
        loss = F.cross_entropy(output, target)
        return loss * math.nan if self.calls >= self.first_nan_call else loss


def test_nan_loss_raises_training_diverged_with_where_and_advice():
    model, optimizer, _ = make_run()
    loss_fn = NanAfter(first_nan_call=2 * (7 + 2) + 2)  # epoch 3, training batch 2
    message = r"nan in epoch 3, batch 2 of 7.*learning rate"
    with pytest.raises(TrainingDiverged, match=message) as info:
        run_fit(model, optimizer, loss_fn=loss_fn)
    assert (info.value.epoch, info.value.batch) == (3, 2)
    assert math.isnan(info.value.loss)
    assert isinstance(info.value, RuntimeError)


def test_nan_loss_with_stop_prints_and_returns_the_finished_epochs(capsys):
    model, optimizer, _ = make_run()
    history = run_fit(model, optimizer, loss_fn=NanAfter(2 * (7 + 2) + 2), on_nan="stop")
    assert history["epoch"] == [1, 2]
    assert list(history) == HISTORY_KEYS
    assert "Training diverged" in capsys.readouterr().out


def test_nan_in_the_first_epoch_with_stop_returns_an_empty_history():
    model, optimizer, _ = make_run()
    history = run_fit(model, optimizer, loss_fn=NanAfter(1), on_nan="stop")
    assert history == {"epoch": [], "train_loss": [], "val_loss": [],
                       "examples_per_second": [], "seconds": []}


def test_huge_learning_rate_diverges():
    X = torch.randn(64, 2) * 10
    y = X @ torch.tensor([[3.0], [-2.0]])
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=10.0)
    with pytest.raises(TrainingDiverged, match="diverged") as info:
        fit(model, (X, y), epochs=20, optimizer=optimizer, loss_fn=F.mse_loss, batch_size=16,
            device="cpu", progress=False)
    assert not math.isfinite(info.value.loss)


def test_on_nan_must_be_raise_or_stop():
    model, optimizer, _ = make_run()
    with pytest.raises(ValueError, match="on_nan must be 'raise' or 'stop'"):
        run_fit(model, optimizer, on_nan="ignore")


# --------------------------------------------------------------------------- input checks


def test_bad_inputs_are_clear_errors():
    model, optimizer, _ = make_run()
    X, y = TRAIN
    with pytest.raises(ValueError, match="X has 200 examples but y has 199"):
        fit(model, (X, y[:-1]), epochs=1, optimizer=optimizer, device="cpu", progress=False)
    with pytest.raises(ValueError, match="epochs must be >= 1, got 0"):
        fit(model, TRAIN, epochs=0, optimizer=optimizer, device="cpu", progress=False)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        fit(model, TRAIN, epochs=1, optimizer=optimizer, batch_size=0, device="cpu")
    with pytest.raises(TypeError, match="epochs must be an int"):
        fit(model, TRAIN, epochs=2.5, optimizer=optimizer, device="cpu")
    with pytest.raises(TypeError, match=r"pair \(X, y\)"):
        fit(model, X, epochs=1, optimizer=optimizer, device="cpu")
    with pytest.raises(TypeError, match="Tensor or a NumPy array, got list"):
        fit(model, ([[0.0, 1.0]], [0]), epochs=1, optimizer=optimizer, device="cpu")
    with pytest.raises(ValueError, match="empty"):
        fit(model, (X[:0], y[:0]), epochs=1, optimizer=optimizer, device="cpu")
    with pytest.raises(ValueError, match="X has 64 examples but y has 10"):
        fit(model, TRAIN, val_data=(VAL[0], VAL[1][:10]), epochs=1, optimizer=optimizer,
            device="cpu")


def test_optimizer_of_another_model_is_an_error():
    model, _, _ = make_run()
    _, other_optimizer, _ = make_run()
    with pytest.raises(ValueError, match="not in this model.*re-creating the model"):
        run_fit(model, other_optimizer)


def test_scheduler_of_another_optimizer_is_an_error():
    model, optimizer, _ = make_run()
    _, _, other_scheduler = make_run()
    with pytest.raises(ValueError, match="different optimizer"):
        run_fit(model, optimizer, other_scheduler)


def test_loss_that_is_not_a_scalar_is_an_error():
    model, optimizer, _ = make_run()
    def per_example(out, y):
        return F.cross_entropy(out, y, reduction="none")
    with pytest.raises(ValueError, match=r"scalar tensor.*got \(32,\)"):
        run_fit(model, optimizer, loss_fn=per_example)


# --------------------------------------------------------------------------- evaluate, predict


def test_evaluate_matches_a_direct_computation_and_restores_train_mode():
    model, _, _ = make_run()
    model.train()
    result = evaluate(model, VAL, batch_size=10)
    assert model.training is True
    model.eval()
    with torch.no_grad():
        output = model(VAL[0])
    assert result["loss"] == pytest.approx(F.cross_entropy(output, VAL[1]).item(), rel=1e-6)
    assert result["accuracy"] == pytest.approx((output.argmax(1) == VAL[1]).float().mean().item())


def test_evaluate_keeps_eval_mode_and_omits_accuracy_for_regression():
    model = nn.Linear(2, 1).eval()
    X = torch.randn(20, 2)
    result = evaluate(model, (X, torch.zeros(20, 1)), loss_fn=F.mse_loss)
    assert set(result) == {"loss"}
    assert model.training is False
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        evaluate(model, (X, torch.zeros(20, 1)), loss_fn=F.mse_loss, batch_size=0)


def test_predict_returns_cpu_outputs_in_eval_mode_and_restores_the_mode():
    model, _, _ = make_run()
    model.train()
    scores = predict(model, VAL[0].numpy(), batch_size=7)  # NumPy input, uneven batches
    assert model.training is True
    assert scores.shape == (N_VAL, 2) and scores.device.type == "cpu"
    model.eval()
    with torch.no_grad():
        assert torch.allclose(scores, model(VAL[0]))


def test_predict_rejects_bad_input():
    model, _, _ = make_run()
    with pytest.raises(ValueError, match="empty"):
        predict(model, torch.zeros(0, 2))
    with pytest.raises(TypeError, match="Tensor or a NumPy array"):
        predict(model, [[0.0, 1.0]])
    with pytest.raises(TypeError, match="returns a tensor, got tuple"):
        predict(nn.LSTM(2, 3, batch_first=True), torch.zeros(4, 5, 2))


# --------------------------------------------------------------------------- synchronize, guards


def test_synchronize_accepts_names_and_devices():
    assert synchronize("cpu") is None
    assert synchronize(torch.device("cpu")) is None
    with pytest.raises(RuntimeError):
        synchronize("tpu")


def test_a_last_batch_of_one_with_batchnorm1d_is_refused_before_training():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    X, y = torch.randn(9, 3), torch.randint(0, 2, (9,))
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"9 training examples in batches of 4 leave a last "
                                         r"batch of 1 example.*e\.g\. 5"):
        fit(model, (X, y), epochs=1, optimizer=optimizer, batch_size=4, device="cpu",
            progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    # Batch norm with another batch size trains, and so does a model without BatchNorm1d.
    history = fit(model, (X, y), epochs=1, optimizer=optimizer, batch_size=5, device="cpu",
                  progress=False)
    assert history["epoch"] == [1]
    plain = nn.Linear(3, 2)
    history = fit(plain, (X, y), epochs=1, optimizer=torch.optim.SGD(plain.parameters(), lr=0.1),
                  batch_size=4, device="cpu", progress=False)
    assert history["epoch"] == [1]


def test_label_names_the_run_in_the_bar_and_the_summary(capsys):
    model, optimizer, _ = make_run()
    run_fit(model, optimizer, epochs=1, progress=True, label="LSTM, T=50")
    captured = capsys.readouterr()
    assert "LSTM, T=50" in captured.err                       # the bar
    assert captured.out.startswith("LSTM, T=50: trained epoch 1 of 1 in ")
    with pytest.raises(TypeError, match="label must be a non-empty string"):
        run_fit(model, optimizer, label="")


# --------------------------------------------------------------------------- augmentation


class RecordingAugment:
    """Adds a constant to every training batch and records the batches it saw."""

    def __init__(self, shift: float = 0.0) -> None:
        self.shift = shift
        self.sizes: list[int] = []

    def __repr__(self) -> str:
        return f"RecordingAugment({self.shift})"

    def __call__(self, X: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        assert isinstance(generator, torch.Generator)
        self.sizes.append(len(X))
        return X + self.shift


def test_augment_sees_every_training_batch_and_never_the_validation_data():
    model, optimizer, _ = make_run()
    augment = RecordingAugment()
    run_fit(model, optimizer, epochs=2, augment=augment)
    # 200 examples in batches of 32: six full batches and one of 8, twice; validation unseen
    assert augment.sizes == [32] * 6 + [8] + [32] * 6 + [8]


def test_augment_changes_the_training_but_an_identity_augment_does_not():
    model_a, optimizer_a, _ = make_run()
    model_b, optimizer_b, _ = make_run()
    model_c, optimizer_c, _ = make_run()
    plain = run_fit(model_a, optimizer_a, epochs=2)
    identity = run_fit(model_b, optimizer_b, epochs=2, augment=RecordingAugment(0.0))
    shifted = run_fit(model_c, optimizer_c, epochs=2, augment=RecordingAugment(3.0))
    assert without_timing(plain) == without_timing(identity)
    assert plain["train_loss"] != shifted["train_loss"]


def test_augment_is_part_of_the_checkpoint_settings(tmp_path):
    path = tmp_path / "augmented.pt"
    model, optimizer, _ = make_run()
    run_fit(model, optimizer, epochs=1, checkpoint_path=path, augment=RecordingAugment(1.0))
    with pytest.raises(ValueError, match=r"augment was 'RecordingAugment\(1.0\)', now not set"):
        run_fit(model, optimizer, epochs=2, checkpoint_path=path)


def test_augment_must_be_callable():
    model, optimizer, _ = make_run()
    with pytest.raises(TypeError, match="augment must be callable"):
        run_fit(model, optimizer, epochs=1, augment="flip")
