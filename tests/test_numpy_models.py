"""Tests for dlbook_lib.numpy_models: the NumPy MLP against PyTorch and finite differences, and
its SGD loop train_mlp (history, repeatability, NaN handling, argument errors)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from dlbook_lib.errors import TrainingDiverged
from dlbook_lib.gradient_check import numerical_gradient, relative_error
from dlbook_lib.numpy_layers import softmax_cross_entropy
from dlbook_lib.numpy_models import ACTIVATIONS, MLP, train_mlp

TOL = 1e-6
TORCH_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def t(array: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def test_activations_are_the_ones_torch_is_compared_with():
    assert set(ACTIVATIONS) == set(TORCH_ACTIVATIONS)


# ---------------------------------------------------------------------------------------------
# MLP
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
@pytest.mark.parametrize("layer_sizes", [[5, 3], [6, 8, 4], [4, 7, 5, 3]])
def test_mlp_loss_and_grads_match_torch(activation, layer_sizes):
    rng = np.random.default_rng(layer_sizes)
    model = MLP(layer_sizes, activation, seed=1)
    for name in model.params:  # non-zero biases, so their gradients are tested too
        model.params[name] += rng.normal(scale=0.1, size=model.params[name].shape)
    X = rng.normal(size=(9, layer_sizes[0]))
    y = rng.integers(0, layer_sizes[-1], size=9)
    loss, grads = model.loss_and_grads(X, y)

    params_t = {name: t(p, True) for name, p in model.params.items()}
    h = t(X)
    for i in range(1, model.n_layers + 1):
        h = h @ params_t[f"W{i}"] + params_t[f"b{i}"]
        if i < model.n_layers:
            h = TORCH_ACTIVATIONS[activation](h)
    loss_t = F.cross_entropy(h, torch.tensor(y))
    loss_t.backward()

    assert model.n_layers == len(layer_sizes) - 1
    assert isinstance(loss, float)
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    assert relative_error(model.scores(X), h.detach().numpy()) < TOL
    assert set(grads) == set(model.params)
    for name, grad in grads.items():
        assert grad.shape == model.params[name].shape
        assert relative_error(grad, params_t[name].grad.numpy()) < TOL, name


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_mlp_grads_match_finite_differences(activation):
    rng = np.random.default_rng(0)
    model = MLP([4, 5, 3], activation, seed=2)
    X, y = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    _, grads = model.loss_and_grads(X, y)
    for name, param in model.params.items():
        # param is perturbed in place, so the closure sees each nudge
        numeric = numerical_gradient(lambda _: model.loss_and_grads(X, y)[0], param)
        assert relative_error(grads[name], numeric) < TOL, name


def test_mlp_forward_and_backward_keep_one_cache_per_layer():
    model = MLP([3, 4, 5, 2], "tanh", seed=0)
    X = np.random.default_rng(0).normal(size=(6, 3))
    scores, cache = model.forward(X)
    assert scores.shape == (6, 2) and len(cache) == model.n_layers == 3
    assert cache[-1][1] is None  # no activation after the last layer
    grads = model.backward(np.ones_like(scores), cache)
    assert set(grads) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    with pytest.raises(ValueError, match=r"dout has shape \(6, 3\)"):
        model.backward(np.ones((6, 3)), cache)


@pytest.mark.parametrize(
    "activation,expected_std",
    [("relu", np.sqrt(2 / 400)), ("tanh", np.sqrt(2 / 600)), ("sigmoid", np.sqrt(2 / 600))],
)
def test_mlp_initialisation(activation, expected_std):
    model = MLP([400, 200, 10], activation, seed=0)
    assert model.params["W1"].shape == (400, 200)
    assert model.params["b2"].shape == (10,)
    assert all(p.dtype == np.float64 for p in model.params.values())
    assert model.params["W1"].std() == pytest.approx(expected_std, rel=0.02)
    assert abs(model.params["W1"].mean()) < 0.1 * expected_std
    assert all(np.all(model.params[f"b{i}"] == 0) for i in (1, 2))
    assert model.n_layers == 2
    assert model.n_parameters == 400 * 200 + 200 + 200 * 10 + 10

    scaled = MLP([400, 200, 10], activation, seed=0, weight_scale=0.01)
    assert scaled.params["W1"].std() == pytest.approx(0.01, rel=0.02)
    assert scaled.params["W2"].std() == pytest.approx(0.01, rel=0.1)


def test_mlp_old_attribute_names_are_gone():
    model = MLP([3, 2])
    assert not hasattr(model, "num_layers") and not hasattr(model, "num_parameters")


def test_mlp_is_seeded():
    a, b, c = MLP([3, 4, 2], seed=5), MLP([3, 4, 2], seed=5), MLP([3, 4, 2], seed=6)
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_mlp_predict_and_scores():
    model = MLP([3, 4, 5], seed=0)
    X = np.random.default_rng(0).normal(size=(7, 3))
    scores = model.scores(X)
    labels = model.predict(X)
    assert scores.shape == (7, 5)
    assert labels.shape == (7,) and np.issubdtype(labels.dtype, np.integer)
    np.testing.assert_array_equal(labels, scores.argmax(axis=1))
    assert repr(model) == "MLP(layer_sizes=[3, 4, 5], activation='relu', parameters=41)"


def test_mlp_errors():
    message = r"unknown activation 'gelu'; choose one of \['relu', 'sigmoid', 'tanh'\]"
    with pytest.raises(ValueError, match=message):
        MLP([3, 2], "gelu")
    with pytest.raises(ValueError, match="at least an input and an output size"):
        MLP([3])
    message = r"every layer size \(in \[3, 0, 2\]\) must be >= 1, got 0"
    with pytest.raises(ValueError, match=message):
        MLP([3, 0, 2])
    with pytest.raises(TypeError, match=r"every layer size \(in \[3, 2.5\]\) must be an int"):
        MLP([3, 2.5])
    with pytest.raises(TypeError, match="layer_sizes must be a sequence of ints"):
        MLP(3)
    with pytest.raises(TypeError, match="layer_sizes must be a sequence of ints"):
        MLP("32")
    with pytest.raises(ValueError, match="weight_scale must be finite and > 0, got -0.1"):
        MLP([3, 2], weight_scale=-0.1)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        MLP([3, 2], seed=-1)
    model = MLP([3, 2])
    with pytest.raises(ValueError, match=r"X has 4 features \(shape \(5, 4\)\) but .* expects 3"):
        model.predict(np.ones((5, 4)))
    with pytest.raises(TypeError, match="X must be a floating-point array"):
        model.predict(np.ones((5, 3), dtype=int))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        model.loss_and_grads(np.ones((2, 3)), np.array([0, 2]))


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    """scikit-learn's 8x8 digits, standardised on the training part, 70/30 split."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def test_mlp_learns_digits(digits):
    X_train, X_test, y_train, y_test = digits
    model = MLP([64, 64, 10], "relu", seed=0)
    history = train_mlp(
        model, X_train, y_train, X_val=X_test, y_val=y_test,
        epochs=10, batch_size=32, learning_rate=0.1, seed=0,
    )
    assert history["epoch"] == list(range(1, 11))
    assert set(history) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 10 for values in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    test_accuracy = np.mean(model.predict(X_test) == y_test)
    assert test_accuracy >= 0.90
    assert history["val_accuracy"][-1] == pytest.approx(test_accuracy)
    final_loss, _ = softmax_cross_entropy(model.scores(X_test), y_test)
    assert history["val_loss"][-1] == pytest.approx(final_loss)


def test_train_mlp_is_repeatable_and_has_no_val_keys_without_val(digits):
    X_train, _, y_train, _ = digits
    runs = []
    for _ in range(2):
        model = MLP([64, 16, 10], "tanh", seed=3)
        history = train_mlp(
            model, X_train, y_train, epochs=2, batch_size=100, learning_rate=0.05, seed=7
        )
        runs.append(history)
    assert runs[0] == runs[1]
    assert set(runs[0]) == {"epoch", "train_loss", "train_accuracy"}
    assert all(0.0 <= a <= 1.0 for a in runs[0]["train_accuracy"])
    other = train_mlp(MLP([64, 16, 10], "tanh", seed=3), X_train, y_train, epochs=2,
                      batch_size=100, learning_rate=0.05, seed=8)
    assert other["train_loss"] != runs[0]["train_loss"]  # the seed sets the order


def test_train_mlp_is_plain_sgd_on_the_mean_loss():
    """One epoch with one full batch is one step W -= lr * dW."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 2, size=10)
    model = MLP([3, 4, 2], "tanh", seed=1)
    before = {name: p.copy() for name, p in model.params.items()}
    loss, grads = model.loss_and_grads(X, y)
    history = train_mlp(model, X, y, epochs=1, batch_size=10, learning_rate=0.3)
    assert history["train_loss"] == [pytest.approx(loss)]
    for name, p in model.params.items():
        np.testing.assert_allclose(p, before[name] - 0.3 * grads[name], rtol=1e-12)


def test_history_is_drawn_by_plot_history():
    import matplotlib.pyplot as plt

    from dlbook_lib.plotting import plot_history

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, size=20)
    history = train_mlp(
        MLP([3, 2]), X, y, X_val=X, y_val=y, epochs=3, batch_size=8, learning_rate=0.1
    )
    fig = plot_history(history)
    assert len(fig.axes) == 2  # loss and accuracy panels
    plt.close(fig)


def test_train_mlp_reports_divergence(digits):
    X_train, _, y_train, _ = digits
    model = MLP([64, 32, 10], "relu", seed=0, weight_scale=10.0)
    message = (
        r"the training loss became (nan|inf) in epoch 1, batch \d+ of 40, .*"
        r"it is 1e\+06, try 100000 first"
    )
    with pytest.raises(TrainingDiverged, match=message) as info:
        train_mlp(model, X_train, y_train, epochs=3, batch_size=32, learning_rate=1e6)
    assert info.value.epoch == 1
    assert info.value.batch is not None and 1 <= info.value.batch <= 40
    assert not np.isfinite(info.value.loss)


class NanAfterMLP(MLP):
    """An MLP whose forward pass returns NaN scores from its ``nan_at``-th call on."""

    def __init__(self, *args, nan_at: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls, self.nan_at = 0, nan_at

    def forward(self, X):
        scores, cache = super().forward(X)
        self.calls += 1
        if self.calls >= self.nan_at:
            scores = np.full_like(scores, np.nan)
        return scores, cache


def test_train_mlp_on_nan_stop_keeps_the_epochs_before_the_divergence(digits, capsys):
    X_train, _, y_train, _ = digits
    # 40 batches per epoch: call 82 is epoch 3, batch 2 (no validation, so no extra calls).
    model = NanAfterMLP([64, 16, 10], "relu", seed=0, nan_at=2 * 40 + 2)
    history = train_mlp(model, X_train, y_train, epochs=5, batch_size=32,
                        learning_rate=0.05, on_nan="stop")
    assert history["epoch"] == [1, 2]
    assert all(np.isfinite(history["train_loss"]))
    assert "Training diverged: the training loss became nan in epoch 3, batch 2 of 40" in (
        capsys.readouterr().out
    )
    model.calls = 0
    with pytest.raises(TrainingDiverged, match="epoch 3, batch 2 of 40") as info:
        train_mlp(model, X_train, y_train, epochs=5, batch_size=32, learning_rate=0.05)
    assert (info.value.epoch, info.value.batch) == (3, 2)


def test_train_mlp_on_nan_stop_in_the_first_epoch_returns_empty_lists(digits, capsys):
    X_train, X_val, y_train, y_val = digits
    model = NanAfterMLP([64, 16, 10], "relu", seed=0, nan_at=1)
    history = train_mlp(model, X_train, y_train, X_val=X_val, y_val=y_val, epochs=2,
                        batch_size=32, learning_rate=0.05, on_nan="stop")
    assert history == {key: [] for key in
                       ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy")}
    assert "epoch 1, batch 1 of 40" in capsys.readouterr().out


def test_train_mlp_reports_a_nan_validation_loss_at_the_end_of_the_epoch(digits, capsys):
    X_train, X_val, y_train, y_val = digits
    # 40 training batches, then the 41st forward call is the validation pass of epoch 1.
    model = NanAfterMLP([64, 16, 10], "relu", seed=0, nan_at=41)
    with pytest.raises(TrainingDiverged, match="the validation loss became nan at the end "
                                               "of epoch 1") as info:
        train_mlp(model, X_train, y_train, X_val=X_val, y_val=y_val, epochs=2,
                  batch_size=32, learning_rate=0.05)
    assert (info.value.epoch, info.value.batch) == (1, None)


def test_train_mlp_reports_weights_that_became_infinite():
    """A finite loss but non-finite weights after the update: caught at the end of the epoch."""
    X, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    model = MLP([3, 2], seed=0)
    model.params["b1"][:] = [np.inf, -np.inf]  # scores inf - inf = nan -> the loss catches it
    with pytest.raises(TrainingDiverged, match="in epoch 1, batch 1 of 2"):
        train_mlp(model, X, y, epochs=1, batch_size=2, learning_rate=0.1)
    # Large inputs and a huge (finite) step: the loss of the only batch is finite, the update
    # overflows the weights, and the end-of-epoch check reports them.
    X_big = np.full((4, 3), 1e3)
    with pytest.raises(TrainingDiverged, match=r"the parameters \(W1[^)]*\) became nan at the "
                                               "end of epoch 1") as info:
        train_mlp(MLP([3, 2], seed=0), X_big, y, epochs=2, batch_size=4, learning_rate=1e308)
    assert (info.value.epoch, info.value.batch) == (1, None)


def test_train_mlp_rejects_unknown_on_nan():
    with pytest.raises(ValueError, match="on_nan must be 'raise' or 'stop', got 'ignore'"):
        train_mlp(MLP([3, 2]), np.ones((4, 3)), np.array([0, 1, 0, 1]), epochs=1,
                  batch_size=2, learning_rate=0.1, on_nan="ignore")


def test_train_mlp_argument_errors():
    model = MLP([3, 2])
    X, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    common = dict(epochs=1, batch_size=2, learning_rate=0.1)
    with pytest.raises(ValueError, match="give both X_val and y_val"):
        train_mlp(model, X, y, X_val=X, **common)
    with pytest.raises(ValueError, match="give both X_val and y_val"):
        train_mlp(model, X, y, y_val=y, **common)
    with pytest.raises(ValueError, match="epochs must be >= 1, got 0"):
        train_mlp(model, X, y, epochs=0, batch_size=2, learning_rate=0.1)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        train_mlp(model, X, y, epochs=1, batch_size=0, learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate must be finite and > 0, got -0.1"):
        train_mlp(model, X, y, epochs=1, batch_size=2, learning_rate=-0.1)
    with pytest.raises(ValueError, match="learning_rate must be finite"):
        train_mlp(model, X, y, epochs=1, batch_size=2, learning_rate=float("nan"))
    with pytest.raises(TypeError, match="batch_size must be an int"):
        train_mlp(model, X, y, epochs=1, batch_size=2.0, learning_rate=0.1)
    with pytest.raises(ValueError, match="y_train has 3 labels but there are 4 samples"):
        train_mlp(model, X, y[:3], **common)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        train_mlp(model, X, np.array([0, 1, 2, 0]), **common)
    with pytest.raises(ValueError, match="X_val has 4 features"):
        train_mlp(model, X, y, X_val=np.ones((2, 4)), y_val=y[:2], **common)
    with pytest.raises(ValueError, match="y_val has 3 labels but there are 2 samples"):
        train_mlp(model, X, y, X_val=np.ones((2, 3)), y_val=y[:3], **common)
    with pytest.raises(ValueError, match="X_train is empty"):
        train_mlp(model, np.ones((0, 3)), np.array([], dtype=int), **common)
    with pytest.raises(TypeError, match="model must be an MLP"):
        train_mlp("mlp", X, y, **common)


def test_numpy_models_do_not_need_torch():
    """The NumPy lessons import dlbook_lib.numpy_models (and TrainingDiverged) without torch."""
    code = ("import sys, dlbook_lib.numpy_models, dlbook_lib.errors; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
