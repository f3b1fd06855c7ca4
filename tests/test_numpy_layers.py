"""Tests for dlbook_lib.numpy_layers: every layer against PyTorch and finite differences."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from dlbook_lib.errors import TrainingDiverged
from dlbook_lib.gradient_check import numerical_gradient, numerical_gradient_array, relative_error
from dlbook_lib.numpy_layers import (
    MLP,
    linear_backward,
    linear_forward,
    mse_loss,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    softmax_cross_entropy,
    tanh_backward,
    tanh_forward,
    train_mlp,
)

TOL = 1e-6

# (N, D, M) for the linear layer and (N, C) for element-wise layers and losses, from tiny to
# moderately sized, including N == 1 and a single feature or class.
LINEAR_SHAPES = [(1, 1, 1), (3, 5, 2), (8, 4, 7), (32, 20, 10)]
SHAPES = [(1, 1), (4, 3), (7, 10), (32, 16)]

ELEMENTWISE = {
    "sigmoid": (sigmoid_forward, sigmoid_backward, torch.sigmoid),
    "tanh": (tanh_forward, tanh_backward, torch.tanh),
    "relu": (relu_forward, relu_backward, torch.relu),
}


def rng_for(*shape: int) -> np.random.Generator:
    """A generator seeded by the test case, so each case draws its own fixed data."""
    return np.random.default_rng(list(shape))


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with |x| in [0.1, 2]: smooth for ReLU, whose kink at 0 breaks finite differences."""
    return rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def t(array: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


# ---------------------------------------------------------------------------------------------
# Linear
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N,D,M", LINEAR_SHAPES)
def test_linear_forward_and_backward_match_torch(N, D, M):
    rng = rng_for(N, D, M)
    x, W, b, dout = (rng.normal(size=s) for s in [(N, D), (D, M), (M,), (N, M)])
    out, cache = linear_forward(x, W, b)
    dx, dW, db = linear_backward(dout, cache)

    x_t, W_t, b_t = t(x, True), t(W, True), t(b, True)
    out_t = F.linear(x_t, W_t.T, b_t)
    out_t.backward(t(dout))
    assert out.shape == (N, M)
    assert relative_error(out, out_t.detach().numpy()) < TOL
    assert (dx.shape, dW.shape, db.shape) == ((N, D), (D, M), (M,))
    assert relative_error(dx, x_t.grad.numpy()) < TOL
    assert relative_error(dW, W_t.grad.numpy()) < TOL
    assert relative_error(db, b_t.grad.numpy()) < TOL


@pytest.mark.parametrize("N,D,M", LINEAR_SHAPES)
def test_linear_backward_matches_finite_differences(N, D, M):
    rng = rng_for(N, D, M)
    x, W, b, dout = (rng.normal(size=s) for s in [(N, D), (D, M), (M,), (N, M)])
    dx, dW, db = linear_backward(dout, linear_forward(x, W, b)[1])
    numeric_dx = numerical_gradient_array(lambda v: linear_forward(v, W, b)[0], x, dout)
    numeric_dW = numerical_gradient_array(lambda v: linear_forward(x, v, b)[0], W, dout)
    numeric_db = numerical_gradient_array(lambda v: linear_forward(x, W, v)[0], b, dout)
    assert relative_error(dx, numeric_dx) < TOL
    assert relative_error(dW, numeric_dW) < TOL
    assert relative_error(db, numeric_db) < TOL


def test_linear_errors():
    x, W, b = np.ones((4, 3)), np.ones((3, 2)), np.ones(2)
    with pytest.raises(ValueError, match=r"x has 5 features \(shape \(4, 5\)\) but W expects 3"):
        linear_forward(np.ones((4, 5)), W, b)
    with pytest.raises(ValueError, match=r"b has shape \(3,\) but W has 2 outputs"):
        linear_forward(x, W, np.ones(3))
    with pytest.raises(ValueError, match=r"x must be 2-D, got shape \(3,\)"):
        linear_forward(np.ones(3), W, b)
    with pytest.raises(TypeError, match="x must be a floating-point array, got dtype int64"):
        linear_forward(np.ones((4, 3), dtype=np.int64), W, b)
    _, cache = linear_forward(x, W, b)
    with pytest.raises(ValueError, match=r"dout has shape \(4, 3\) but the forward output.*\(4, 2\)"):
        linear_backward(np.ones((4, 3)), cache)


# ---------------------------------------------------------------------------------------------
# Element-wise activations
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_forward_and_backward_match_torch(name, shape):
    forward, backward, torch_fn = ELEMENTWISE[name]
    rng = rng_for(*shape)
    x, dout = away_from_zero(rng, shape), rng.normal(size=shape)
    out, cache = forward(x)
    dx = backward(dout, cache)

    x_t = t(x, True)
    out_t = torch_fn(x_t)
    out_t.backward(t(dout))
    assert out.shape == dx.shape == shape
    assert relative_error(out, out_t.detach().numpy()) < TOL
    assert relative_error(dx, x_t.grad.numpy()) < TOL


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_backward_matches_finite_differences(name, shape):
    forward, backward, _ = ELEMENTWISE[name]
    rng = rng_for(*shape)
    x, dout = away_from_zero(rng, shape), rng.normal(size=shape)
    dx = backward(dout, forward(x)[1])
    assert relative_error(dx, numerical_gradient_array(lambda v: forward(v)[0], x, dout)) < TOL


def test_activations_work_on_any_shape():
    x = away_from_zero(np.random.default_rng(0), (2, 3, 4))
    for name, (forward, backward, torch_fn) in ELEMENTWISE.items():
        out, cache = forward(x)
        assert out.shape == x.shape, name
        assert relative_error(out, torch_fn(t(x)).numpy()) < TOL
        assert backward(np.ones_like(x), cache).shape == x.shape


def test_relu_gradient_at_zero_is_zero_like_torch():
    x = np.array([-1.0, 0.0, 2.0])
    dx = relu_backward(np.ones(3), relu_forward(x)[1])
    np.testing.assert_array_equal(dx, [0.0, 0.0, 1.0])


def test_sigmoid_does_not_overflow_for_extreme_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        out, _ = sigmoid_forward(x)
    np.testing.assert_allclose(out, torch.sigmoid(t(x)).numpy(), rtol=1e-12, atol=0)
    assert out[0] == 0.0 and out[2] == 0.5 and out[-1] == 1.0


def test_float32_stays_float32():
    x = np.ones((2, 3), dtype=np.float32)
    for forward, backward, _ in ELEMENTWISE.values():
        out, cache = forward(x)
        assert out.dtype == np.float32
        assert backward(np.ones_like(x), cache).dtype == np.float32


def test_activation_errors():
    for name, (forward, backward, _) in ELEMENTWISE.items():
        with pytest.raises(TypeError, match="x must be a floating-point array, got dtype int64"):
            forward(np.arange(3))
        _, cache = forward(np.ones((2, 3)))
        with pytest.raises(ValueError, match=rf"{name}_backward: dout has shape \(3, 2\)"):
            backward(np.ones((3, 2)), cache)
        with pytest.raises(TypeError, match="dout must be a floating-point array"):
            backward(np.ones((2, 3), dtype=np.int64), cache)


# ---------------------------------------------------------------------------------------------
# Softmax and losses
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N,C", SHAPES)
def test_softmax_matches_torch(N, C):
    scores = rng_for(N, C).normal(scale=3.0, size=(N, C))
    probs = softmax(scores)
    assert probs.shape == (N, C)
    assert relative_error(probs, torch.softmax(t(scores), dim=1).numpy()) < TOL
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)


def test_softmax_is_stable_for_huge_scores():
    scores = np.array([[1000.0, 1001.0, 999.0], [-1e4, 0.0, 1e4]])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        probs = softmax(scores)
    assert relative_error(probs, torch.softmax(t(scores), dim=1).numpy()) < TOL
    np.testing.assert_array_equal(probs[1], [0.0, 0.0, 1.0])


@pytest.mark.parametrize("N,C", SHAPES)
def test_softmax_cross_entropy_matches_torch(N, C):
    rng = rng_for(N, C)
    scores = rng.normal(scale=2.0, size=(N, C))
    y = rng.integers(0, C, size=N)
    loss, dscores = softmax_cross_entropy(scores, y)

    scores_t = t(scores, True)
    loss_t = F.cross_entropy(scores_t, torch.tensor(y))  # mean over the batch
    loss_t.backward()
    assert isinstance(loss, float)
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    assert dscores.shape == (N, C)
    assert relative_error(dscores, scores_t.grad.numpy()) < TOL


@pytest.mark.parametrize("N,C", SHAPES)
def test_softmax_cross_entropy_gradient_matches_finite_differences(N, C):
    rng = rng_for(N, C)
    scores = rng.normal(scale=2.0, size=(N, C))
    y = rng.integers(0, C, size=N)
    _, dscores = softmax_cross_entropy(scores, y)
    numeric = numerical_gradient(lambda s: softmax_cross_entropy(s, y)[0], scores)
    assert relative_error(dscores, numeric) < TOL


def test_softmax_cross_entropy_known_values_and_stability():
    # uniform scores: loss is log(C)
    loss, _ = softmax_cross_entropy(np.zeros((4, 10)), np.array([0, 3, 5, 9]))
    assert loss == pytest.approx(np.log(10))
    # huge, confidently wrong scores: the max-shift keeps the loss finite and exact
    scores = np.array([[1e4, 0.0], [0.0, 1e4]])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        loss, dscores = softmax_cross_entropy(scores, np.array([1, 0]))
    assert loss == pytest.approx(1e4)
    np.testing.assert_allclose(dscores, [[0.5, -0.5], [-0.5, 0.5]])


def test_softmax_cross_entropy_label_errors():
    scores = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"must lie in \[0, 4\) for 4 classes, got values from 0 to 4"):
        softmax_cross_entropy(scores, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\).*from -1 to 2"):
        softmax_cross_entropy(scores, np.array([-1, 1, 2]))
    with pytest.raises(ValueError, match="y must hold integer class labels, got dtype float64"):
        softmax_cross_entropy(scores, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="y must hold integer class labels, got dtype bool"):
        softmax_cross_entropy(scores, np.array([True, False, True]))
    with pytest.raises(ValueError, match="y has 2 labels but there are 3 samples"):
        softmax_cross_entropy(scores, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"y must be 1-D with shape \(N,\), got shape \(3, 1\)"):
        softmax_cross_entropy(scores, np.array([[0], [1], [2]]))
    with pytest.raises(ValueError, match=r"scores must be 2-D, got shape \(4,\)"):
        softmax_cross_entropy(np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match="N >= 1"):
        softmax_cross_entropy(np.zeros((0, 4)), np.array([], dtype=int))


@pytest.mark.parametrize("shape", [(1,), (5,), (4, 3), (2, 3, 4)])
def test_mse_loss_matches_torch_and_finite_differences(shape):
    rng = rng_for(*shape)
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, dpred = mse_loss(pred, target)

    pred_t = t(pred, True)
    loss_t = F.mse_loss(pred_t, t(target))  # mean over all elements
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    assert relative_error(dpred, pred_t.grad.numpy()) < TOL
    assert relative_error(dpred, numerical_gradient(lambda p: mse_loss(p, target)[0], pred)) < TOL


def test_mse_loss_errors():
    with pytest.raises(ValueError, match=r"pred has shape \(3,\) but target has shape \(3, 1\)"):
        mse_loss(np.ones(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match="empty"):
        mse_loss(np.ones(0), np.ones(0))
    with pytest.raises(TypeError, match="target must be a floating-point array"):
        mse_loss(np.ones(3), np.arange(3))


# ---------------------------------------------------------------------------------------------
# MLP
# ---------------------------------------------------------------------------------------------
TORCH_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
@pytest.mark.parametrize("layer_sizes", [[5, 3], [6, 8, 4], [4, 7, 5, 3]])
def test_mlp_loss_and_grads_match_torch(activation, layer_sizes):
    rng = rng_for(*layer_sizes)
    model = MLP(layer_sizes, activation, seed=1)
    for name in model.params:  # non-zero biases, so their gradients are tested too
        model.params[name] += rng.normal(scale=0.1, size=model.params[name].shape)
    X = rng.normal(size=(9, layer_sizes[0]))
    y = rng.integers(0, layer_sizes[-1], size=9)
    loss, grads = model.loss_and_grads(X, y)

    params_t = {name: t(p, True) for name, p in model.params.items()}
    h = t(X)
    for i in range(1, model.num_layers + 1):
        h = h @ params_t[f"W{i}"] + params_t[f"b{i}"]
        if i < model.num_layers:
            h = TORCH_ACTIVATIONS[activation](h)
    loss_t = F.cross_entropy(h, torch.tensor(y))
    loss_t.backward()

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


@pytest.mark.parametrize(
    "activation,expected_std",
    [("relu", np.sqrt(2 / 400)), ("tanh", np.sqrt(2 / 600)), ("sigmoid", np.sqrt(2 / 600))],
)
def test_mlp_initialisation(activation, expected_std):
    model = MLP([400, 200, 10], activation, seed=0)
    assert model.params["W1"].shape == (400, 200)
    assert model.params["b2"].shape == (10,)
    assert model.params["W1"].std() == pytest.approx(expected_std, rel=0.02)
    assert abs(model.params["W1"].mean()) < 0.1 * expected_std
    assert all(np.all(model.params[f"b{i}"] == 0) for i in (1, 2))
    assert model.num_parameters == 400 * 200 + 200 + 200 * 10 + 10

    scaled = MLP([400, 200, 10], activation, seed=0, weight_scale=0.01)
    assert scaled.params["W1"].std() == pytest.approx(0.01, rel=0.02)
    assert scaled.params["W2"].std() == pytest.approx(0.01, rel=0.1)


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
    assert "MLP(layer_sizes=[3, 4, 5], activation='relu'" in repr(model)


def test_mlp_errors():
    with pytest.raises(ValueError, match=r"unknown activation 'gelu'; choose one of \['relu', 'sig"):
        MLP([3, 2], "gelu")
    with pytest.raises(ValueError, match="at least an input and an output size"):
        MLP([3])
    with pytest.raises(ValueError, match=r"layer sizes must be >= 1, got \[3, 0, 2\]"):
        MLP([3, 0, 2])
    with pytest.raises(TypeError, match="layer sizes must be ints, got 2.5"):
        MLP([3, 2.5])
    with pytest.raises(TypeError, match="layer_sizes must be a sequence of ints"):
        MLP(3)
    with pytest.raises(ValueError, match="weight_scale must be positive"):
        MLP([3, 2], weight_scale=-0.1)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        MLP([3, 2], seed=-1)
    model = MLP([3, 2])
    with pytest.raises(ValueError, match=r"X has 4 features \(shape \(5, 4\)\) but .* expects 3"):
        model.predict(np.ones((5, 4)))
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


def test_train_mlp_rejects_unknown_on_nan():
    with pytest.raises(ValueError, match="on_nan must be 'raise' or 'stop', got 'ignore'"):
        train_mlp(MLP([3, 2]), np.ones((4, 3)), np.array([0, 1, 0, 1]), epochs=1,
                  batch_size=2, learning_rate=0.1, on_nan="ignore")


def test_numpy_layers_do_not_need_torch():
    """The NumPy lessons import dlbook_lib.numpy_layers (and its TrainingDiverged) without torch."""
    import subprocess
    import sys

    code = "import sys, dlbook_lib.numpy_layers; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_train_mlp_argument_errors():
    model = MLP([3, 2])
    X, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    common = dict(epochs=1, batch_size=2, learning_rate=0.1)
    with pytest.raises(ValueError, match="give both X_val and y_val"):
        train_mlp(model, X, y, X_val=X, **common)
    with pytest.raises(ValueError, match="epochs must be >= 1, got 0"):
        train_mlp(model, X, y, epochs=0, batch_size=2, learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        train_mlp(model, X, y, epochs=1, batch_size=2, learning_rate=-0.1)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        train_mlp(model, X, y, epochs=1, batch_size=2.0, learning_rate=0.1)
    with pytest.raises(ValueError, match="y has 3 labels but there are 4 samples"):
        train_mlp(model, X, y[:3], **common)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        train_mlp(model, X, np.array([0, 1, 2, 0]), **common)
    with pytest.raises(ValueError, match="X_val has 4 features"):
        train_mlp(model, X, y, X_val=np.ones((2, 4)), y_val=y[:2], **common)
    with pytest.raises(TypeError, match="model must be an MLP"):
        train_mlp("mlp", X, y, **common)
