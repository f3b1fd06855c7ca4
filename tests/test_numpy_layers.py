"""Tests for dlbook_lib.numpy_layers: the layer contract, every layer against torch.autograd
(through the one checker, gradient_check.check_layer), finite differences, errors."""
from __future__ import annotations

import inspect
import subprocess
import sys
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from dlbook_lib.gradient_check import (
    check_layer,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)
from dlbook_lib.numpy_layers import (
    avg_pool_backward,
    avg_pool_forward,
    batchnorm_backward,
    batchnorm_forward,
    conv2d_backward,
    conv2d_forward,
    layernorm_backward,
    layernorm_forward,
    linear_backward,
    linear_forward,
    max_pool_backward,
    max_pool_forward,
    mse_loss,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    softmax_cross_entropy,
    stable_sigmoid,
    tanh_backward,
    tanh_forward,
)
from dlbook_lib.numpy_recurrent import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

TOL = 1e-6

# (N, D, M) for the linear layer and (N, C) for element-wise layers and losses, from tiny to
# moderately sized, including N == 1 and a single feature or class.
LINEAR_SHAPES = [(1, 1, 1), (3, 5, 2), (8, 4, 7), (32, 20, 10)]
SHAPES = [(1, 1), (4, 3), (7, 10), (32, 16)]
# (x shape, filter shape, stride, padding): square and non-square maps, 1x1 and full-size
# kernels, strides that do and do not tile the padded input exactly.
CONV_CASES = [
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ((2, 3, 5, 7), (2, 3, 3, 3), 2, 1),
    ((1, 1, 6, 4), (3, 1, 2, 2), 2, 0),
    ((3, 2, 7, 5), (2, 2, 3, 3), 3, 2),
    ((2, 2, 4, 6), (3, 2, 1, 1), 1, 1),
    ((2, 3, 6, 6), (2, 3, 3, 3), 2, 0),  # the last row and column are never read
    ((1, 2, 3, 3), (2, 2, 3, 3), 1, 0),  # kernel as large as the input: a 1x1 output
    ((2, 1, 4, 9), (1, 1, 4, 4), 1, 3),
]
# (x shape, size): non-overlapping blocks, square and not, size 1 (identity) and the whole map.
POOL_CASES = [((2, 3, 4, 6), 2), ((1, 2, 6, 9), 3), ((2, 1, 4, 4), 1), ((2, 3, 4, 8), 4),
              ((1, 2, 4, 4), 4)]
# (N, T, D, H) for the recurrent layers: one example, one step, one feature, one unit, ...
SEQ_SHAPES = [(1, 1, 1, 1), (2, 3, 4, 5), (3, 7, 2, 4), (4, 12, 6, 8)]


def rng_for(*key: Any) -> np.random.Generator:
    """A generator seeded by the test case, so each case draws its own fixed data."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with |x| in [0.1, 2]: smooth for ReLU, whose kink at 0 breaks finite differences."""
    return rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def t(array: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


# ---------------------------------------------------------------------------------------------
# The PyTorch reference of each layer, in the book's layout (rows are examples, x @ W)
# ---------------------------------------------------------------------------------------------
def torch_linear(x, W, b):
    return F.linear(x, W.T, b)  # nn.Linear stores W.T


def torch_conv2d(x, W, b, stride, padding):
    return F.conv2d(x, W, b, stride=stride, padding=padding)


def torch_rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    return torch.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)


def _torch_params(W_xh, W_hh, b_h, suffix=""):
    """PyTorch's parameters from the book's: transposed weights, b_h in the first bias."""
    return {f"weight_ih{suffix}": W_xh.T, f"weight_hh{suffix}": W_hh.T,
            f"bias_ih{suffix}": b_h, f"bias_hh{suffix}": torch.zeros_like(b_h)}


def torch_rnn(x, h0, W_xh, W_hh, b_h):
    module = torch.nn.RNN(W_xh.shape[0], W_hh.shape[0], batch_first=True, dtype=torch.float64)
    out, _ = functional_call(module, _torch_params(W_xh, W_hh, b_h, "_l0"), (x, h0[None]))
    return out


def torch_lstm_step(x_t, h_prev, c_prev, W_xh, W_hh, b_h):
    """nn.LSTMCell; the pair (h_t, c_t) stacked into one (2, N, H) tensor for check_layer."""
    cell = torch.nn.LSTMCell(W_xh.shape[0], W_hh.shape[0], dtype=torch.float64)
    h_t, c_t = functional_call(cell, _torch_params(W_xh, W_hh, b_h), (x_t, (h_prev, c_prev)))
    return torch.stack([h_t, c_t])


def lstm_step_backward_stacked(dout, cache):
    """lstm_step_backward for check_layer's dout, which has the (2, N, H) shape of the pair."""
    return lstm_step_backward((dout[0], dout[1]), cache)


def torch_lstm(x, h0, c0, W_xh, W_hh, b_h):
    module = torch.nn.LSTM(W_xh.shape[0], W_hh.shape[0], batch_first=True, dtype=torch.float64)
    params = _torch_params(W_xh, W_hh, b_h, "_l0")
    out, _ = functional_call(module, params, (x, (h0[None], c0[None])))
    return out


# ---------------------------------------------------------------------------------------------
# Every layer, one table: its pair, its PyTorch reference, and inputs drawn for one case
# ---------------------------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    forward: Callable
    backward: Callable
    torch_forward: Callable
    inputs: dict[str, np.ndarray]
    options: dict[str, Any] = field(default_factory=dict)


def recurrent_params(rng, D, H, gates):
    scale = 1.0 / np.sqrt(H)
    return {"W_xh": rng.normal(0, scale, (D, gates * H)),
            "W_hh": rng.normal(0, scale, (H, gates * H)),
            "b_h": rng.normal(0, 0.5, gates * H)}


def torch_batchnorm(x, gamma, beta, *, train, running, momentum, eps):
    """F.batch_norm with the book's arguments; the running statistics are copied, not updated."""
    stats = [None, None] if running is None else [
        torch.from_numpy(running[key].copy()) for key in ("mean", "var")]
    return F.batch_norm(x, *stats, gamma, beta, training=train, momentum=momentum, eps=eps)


def torch_layernorm(x, gamma, beta, *, eps):
    return F.layer_norm(x, gamma.shape, gamma, beta, eps=eps)


def norm_cases() -> list[Case]:
    cases = []
    for shape in [(4, 3), (16, 5), (3, 2, 4, 5)]:
        for train in (True, False):
            rng = rng_for("batchnorm", shape, train)
            C = shape[1]
            inputs = {"x": rng.normal(1.0, 2.0, size=shape), "gamma": rng.normal(size=C),
                      "beta": rng.normal(size=C)}
            running = {"mean": rng.normal(size=C), "var": rng.uniform(0.5, 2.0, size=C)}
            options = {"train": train, "running": None if train else running,
                       "momentum": 0.1, "eps": 1e-5}
            cases.append(Case(f"batchnorm-{'train' if train else 'eval'}-{shape}",
                              batchnorm_forward, batchnorm_backward, torch_batchnorm,
                              inputs, options))
    for shape in [(4, 3), (16, 7), (2, 5, 6)]:
        rng = rng_for("layernorm", shape)
        D = shape[-1]
        inputs = {"x": rng.normal(1.0, 2.0, size=shape), "gamma": rng.normal(size=D),
                  "beta": rng.normal(size=D)}
        cases.append(Case(f"layernorm-{shape}", layernorm_forward, layernorm_backward,
                          torch_layernorm, inputs, {"eps": 1e-5}))
    return cases


def layer_cases() -> list[Case]:
    cases = norm_cases()
    for N, D, M in LINEAR_SHAPES:
        rng = rng_for("linear", N, D, M)
        inputs = {"x": rng.normal(size=(N, D)), "W": rng.normal(size=(D, M)),
                  "b": rng.normal(size=M)}
        cases.append(Case(f"linear-{N}x{D}x{M}", linear_forward, linear_backward,
                          torch_linear, inputs))
    for name, forward, backward, torch_fn in [
        ("sigmoid", sigmoid_forward, sigmoid_backward, torch.sigmoid),
        ("tanh", tanh_forward, tanh_backward, torch.tanh),
        ("relu", relu_forward, relu_backward, torch.relu),
    ]:
        for shape in [*SHAPES, (2, 3, 4, 5)]:
            x = away_from_zero(rng_for(name, *shape), shape)
            cases.append(Case(f"{name}-{'x'.join(map(str, shape))}", forward, backward,
                              torch_fn, {"x": x}))
    for x_shape, W_shape, stride, padding in CONV_CASES:
        rng = rng_for("conv", x_shape, W_shape, stride, padding)
        inputs = {"x": rng.normal(size=x_shape), "W": rng.normal(size=W_shape),
                  "b": rng.normal(size=W_shape[0])}
        cases.append(Case(f"conv2d-{x_shape}-k{W_shape[-1]}-s{stride}-p{padding}",
                          conv2d_forward, conv2d_backward, torch_conv2d, inputs,
                          {"stride": stride, "padding": padding}))
    for x_shape, size in POOL_CASES:
        for name, forward, backward, torch_fn in [
            ("avg_pool", avg_pool_forward, avg_pool_backward, F.avg_pool2d),
            ("max_pool", max_pool_forward, max_pool_backward, F.max_pool2d),
        ]:
            # continuous random values: no ties for the max
            x = rng_for(name, x_shape, size).normal(size=x_shape)
            cases.append(Case(f"{name}-{x_shape}-size{size}", forward, backward,
                              lambda x, size, fn=torch_fn: fn(x, size), {"x": x},
                              {"size": size}))
    for N, T, D, H in SEQ_SHAPES:
        rng = rng_for("rnn", N, T, D, H)
        step = {"x_t": rng.normal(size=(N, D)), "h_prev": rng.normal(size=(N, H)),
                **recurrent_params(rng, D, H, 1)}
        seq = {"x": rng.normal(size=(N, T, D)), "h0": rng.normal(size=(N, H)),
               **recurrent_params(rng, D, H, 1)}
        shape = f"{N}x{T}x{D}x{H}"
        cases.append(Case(f"rnn_step-{shape}", rnn_step_forward, rnn_step_backward,
                          torch_rnn_step, step))
        cases.append(Case(f"rnn-{shape}", rnn_forward, rnn_backward, torch_rnn, seq))
        rng = rng_for("lstm", N, T, D, H)
        step = {"x_t": rng.normal(size=(N, D)), "h_prev": rng.normal(size=(N, H)),
                "c_prev": rng.normal(size=(N, H)), **recurrent_params(rng, D, H, 4)}
        seq = {"x": rng.normal(size=(N, T, D)), "h0": rng.normal(size=(N, H)),
               "c0": rng.normal(size=(N, H)), **recurrent_params(rng, D, H, 4)}
        cases.append(Case(f"lstm_step-{shape}", lstm_step_forward, lstm_step_backward_stacked,
                          torch_lstm_step, step))
        cases.append(Case(f"lstm-{shape}", lstm_forward, lstm_backward, torch_lstm, seq))
    return cases


CASES = layer_cases()
LAYER_NAMES = {case.id.split("-")[0] for case in CASES}


def test_the_table_covers_every_layer():
    assert LAYER_NAMES == {"linear", "sigmoid", "tanh", "relu", "conv2d", "avg_pool",
                           "max_pool", "rnn_step", "rnn", "lstm_step", "lstm", "batchnorm",
                           "layernorm"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_layer_matches_torch_autograd(case):
    """Output and every gradient (input, parameters, initial states) against torch.autograd."""
    errors = check_layer(case.forward, case.backward, case.torch_forward, case.inputs,
                         options=case.options, seed=1)
    assert set(errors) == {"out", *case.inputs}
    bad = {name: error for name, error in errors.items() if not error < TOL}
    assert not bad, f"relative errors above {TOL}: {bad}"


def _upstream_like(out, rng):
    if isinstance(out, tuple):  # the LSTM step's (h_t, c_t): dout is the pair (dh_t, dc_t)
        return tuple(rng.normal(size=o.shape) for o in out)
    return rng.normal(size=out.shape)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_backward_returns_dx_and_a_dict_keyed_like_the_forward(case):
    """The contract: (dx, grads), grads keyed by the forward's array arguments after x."""
    forward = case.forward
    parameters = list(inspect.signature(forward).parameters)
    array_names = [name for name in parameters[1:] if name not in case.options]
    assert list(case.inputs) == parameters[: len(case.inputs)], "inputs in signature order"
    out, cache = forward(**case.inputs, **case.options)
    backward = lstm_step_backward if forward is lstm_step_forward else case.backward
    result = backward(_upstream_like(out, np.random.default_rng(0)), cache)
    assert isinstance(result, tuple) and len(result) == 2
    dx, grads = result
    assert isinstance(dx, np.ndarray) and isinstance(grads, dict)
    x_name = parameters[0]
    assert dx.shape == case.inputs[x_name].shape
    assert set(grads) == set(array_names)
    for name, grad in grads.items():
        assert isinstance(grad, np.ndarray), name
        assert grad.shape == case.inputs[name].shape, name
    if not array_names:
        assert grads == {}


# ---------------------------------------------------------------------------------------------
# Linear
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N,D,M", LINEAR_SHAPES)
def test_linear_backward_matches_finite_differences(N, D, M):
    rng = rng_for(N, D, M)
    x, W, b, dout = (rng.normal(size=s) for s in [(N, D), (D, M), (M,), (N, M)])
    out, cache = linear_forward(x, W, b)
    assert out.shape == (N, M)
    dx, grads = linear_backward(dout, cache)
    numeric_dx = numerical_gradient_array(lambda v: linear_forward(v, W, b)[0], x, dout)
    numeric_dW = numerical_gradient_array(lambda v: linear_forward(x, v, b)[0], W, dout)
    numeric_db = numerical_gradient_array(lambda v: linear_forward(x, W, v)[0], b, dout)
    assert relative_error(dx, numeric_dx) < TOL
    assert relative_error(grads["W"], numeric_dW) < TOL
    assert relative_error(grads["b"], numeric_db) < TOL


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
    with pytest.raises(TypeError, match="W must be a floating-point array"):
        linear_forward(x, np.ones((3, 2), dtype=int), b)
    _, cache = linear_forward(x, W, b)
    message = r"linear_backward: dout has shape \(4, 3\) but the forward output.*\(4, 2\)"
    with pytest.raises(ValueError, match=message):
        linear_backward(np.ones((4, 3)), cache)
    with pytest.raises(TypeError, match="dout must be a floating-point array"):
        linear_backward(np.ones((4, 2), dtype=int), cache)


# ---------------------------------------------------------------------------------------------
# Element-wise activations
# ---------------------------------------------------------------------------------------------
ELEMENTWISE = {
    "sigmoid": (sigmoid_forward, sigmoid_backward, torch.sigmoid),
    "tanh": (tanh_forward, tanh_backward, torch.tanh),
    "relu": (relu_forward, relu_backward, torch.relu),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("shape", [*SHAPES, (2, 3, 4)])
def test_activation_backward_matches_finite_differences(name, shape):
    forward, backward, _ = ELEMENTWISE[name]
    rng = rng_for(*shape)
    x, dout = away_from_zero(rng, shape), rng.normal(size=shape)
    out, cache = forward(x)
    assert out.shape == shape
    dx, grads = backward(dout, cache)
    assert grads == {}
    assert relative_error(dx, numerical_gradient_array(lambda v: forward(v)[0], x, dout)) < TOL


def test_relu_gradient_at_zero_is_zero_like_torch():
    x = np.array([-1.0, 0.0, 2.0])
    dx, _ = relu_backward(np.ones(3), relu_forward(x)[1])
    np.testing.assert_array_equal(dx, [0.0, 0.0, 1.0])
    x_t = t(x, True)
    torch.relu(x_t).sum().backward()
    np.testing.assert_array_equal(dx, x_t.grad.numpy())


def test_sigmoid_does_not_overflow_for_extreme_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        out, _ = sigmoid_forward(x)
        direct = stable_sigmoid(x)
    np.testing.assert_allclose(out, torch.sigmoid(t(x)).numpy(), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(out, direct)
    assert out[0] == 0.0 and out[2] == 0.5 and out[-1] == 1.0


def test_stable_sigmoid_keeps_the_dtype_and_takes_any_shape():
    x = np.linspace(-40.0, 40.0, 24).reshape(2, 3, 4)
    np.testing.assert_allclose(stable_sigmoid(x), torch.sigmoid(t(x)).numpy(), rtol=1e-12)
    assert stable_sigmoid(x.astype(np.float32)).dtype == np.float32
    assert stable_sigmoid(np.array(0.0)) == 0.5


LAYERS_WITHOUT_PARAMETERS = {
    **{name: (forward, backward) for name, (forward, backward, _) in ELEMENTWISE.items()},
    "avg_pool": (avg_pool_forward, avg_pool_backward),
    "max_pool": (max_pool_forward, max_pool_backward),
}


@pytest.mark.parametrize("name", sorted(LAYERS_WITHOUT_PARAMETERS))
def test_float32_stays_float32(name):
    forward, backward = LAYERS_WITHOUT_PARAMETERS[name]
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4)).astype(np.float32)
    out, cache = forward(x)
    assert out.dtype == np.float32
    dx, grads = backward(np.ones_like(out), cache)
    assert dx.dtype == np.float32 and grads == {}


def test_linear_and_conv2d_keep_float32():
    rng = np.random.default_rng(0)
    x, W, b = (rng.normal(size=s).astype(np.float32) for s in [(4, 3), (3, 2), (2,)])
    out, cache = linear_forward(x, W, b)
    dx, grads = linear_backward(np.ones_like(out), cache)
    assert {a.dtype for a in (out, dx, *grads.values())} == {np.dtype(np.float32)}
    x, W, b = (rng.normal(size=s).astype(np.float32) for s in [(2, 3, 5, 5), (2, 3, 3, 3), (2,)])
    out, cache = conv2d_forward(x, W, b, padding=1)
    dx, grads = conv2d_backward(np.ones_like(out), cache)
    assert {a.dtype for a in (out, dx, *grads.values())} == {np.dtype(np.float32)}


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
# Convolution and pooling
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape,W_shape,stride,padding", CONV_CASES[:6])
def test_conv2d_backward_matches_finite_differences(x_shape, W_shape, stride, padding):
    rng = rng_for("conv-fd", x_shape, W_shape, stride, padding)
    x, W, b = rng.normal(size=x_shape), rng.normal(size=W_shape), rng.normal(size=W_shape[0])
    out, cache = conv2d_forward(x, W, b, stride=stride, padding=padding)
    N, _, H, W_in = x_shape
    k = W_shape[-1]
    assert out.shape == (N, W_shape[0], (H + 2 * padding - k) // stride + 1,
                         (W_in + 2 * padding - k) // stride + 1)
    dout = rng.normal(size=out.shape)
    dx, grads = conv2d_backward(dout, cache)

    def conv(x_=x, W_=W, b_=b):
        return conv2d_forward(x_, W_, b_, stride=stride, padding=padding)[0]

    assert relative_error(dx, numerical_gradient_array(lambda v: conv(x_=v), x, dout)) < TOL
    assert relative_error(grads["W"], numerical_gradient_array(lambda v: conv(W_=v), W, dout)) < TOL
    assert relative_error(grads["b"], numerical_gradient_array(lambda v: conv(b_=v), b, dout)) < TOL


def test_conv2d_gives_no_gradient_to_pixels_no_window_reads():
    # 6x6, k = 3, stride 2, no padding: windows start at rows 0 and 2, so row 5 and column 5
    # are never read.
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(1, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3)), np.zeros(3)
    out, cache = conv2d_forward(x, W, b, stride=2)
    dx, _ = conv2d_backward(np.ones_like(out), cache)
    assert out.shape == (1, 3, 2, 2)
    assert np.all(dx[:, :, 5, :] == 0) and np.all(dx[:, :, :, 5] == 0)
    assert np.all(dx[:, :, :5, :5] != 0)


def test_conv2d_of_a_known_input():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    W = np.ones((1, 1, 2, 2))
    out, _ = conv2d_forward(x, W, np.array([0.5]), stride=2)
    # each output is the sum of a 2x2 block, plus the bias
    np.testing.assert_array_equal(out[0, 0], [[0 + 1 + 4 + 5 + 0.5, 2 + 3 + 6 + 7 + 0.5],
                                              [8 + 9 + 12 + 13 + 0.5, 10 + 11 + 14 + 15 + 0.5]])
    out, _ = conv2d_forward(np.ones((1, 1, 2, 2)), W, np.zeros(1), padding=1)
    np.testing.assert_array_equal(out[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


@pytest.mark.parametrize("x_shape,size", POOL_CASES)
def test_max_pool_backward_matches_finite_differences(x_shape, size):
    rng = rng_for("max-fd", x_shape, size)
    x = rng.normal(size=x_shape)  # continuous values: no ties, and h = 1e-5 changes no winner
    out, cache = max_pool_forward(x, size)
    dout = rng.normal(size=out.shape)
    dx, grads = max_pool_backward(dout, cache)
    assert grads == {}
    numeric = numerical_gradient_array(lambda v: max_pool_forward(v, size)[0], x, dout)
    assert relative_error(dx, numeric) < TOL


@pytest.mark.parametrize("x_shape,size", POOL_CASES)
def test_avg_pool_backward_matches_finite_differences(x_shape, size):
    rng = rng_for("avg-fd", x_shape, size)
    x = rng.normal(size=x_shape)
    out, cache = avg_pool_forward(x, size)
    dout = rng.normal(size=out.shape)
    dx, grads = avg_pool_backward(dout, cache)
    assert grads == {}
    numeric = numerical_gradient_array(lambda v: avg_pool_forward(v, size)[0], x, dout)
    assert relative_error(dx, numeric) < TOL


@pytest.mark.parametrize("x_shape,size", POOL_CASES)
def test_max_pool_routes_the_gradient_only_to_each_maximum(x_shape, size):
    rng = rng_for("route", x_shape, size)
    x = rng.normal(size=x_shape)
    out, cache = max_pool_forward(x, size)
    dout = rng.uniform(1.0, 2.0, size=out.shape)  # non-zero everywhere
    dx, _ = max_pool_backward(dout, cache)
    N, C, H, W = x_shape
    for n, c, i, j in np.ndindex(out.shape):
        rows, cols = slice(i * size, (i + 1) * size), slice(j * size, (j + 1) * size)
        block, d_block = x[n, c, rows, cols], dx[n, c, rows, cols]
        winner = np.unravel_index(block.argmax(), block.shape)
        assert out[n, c, i, j] == block[winner]
        assert d_block[winner] == dout[n, c, i, j]
        assert np.count_nonzero(d_block) == 1
    assert np.count_nonzero(dx) == out.size
    assert dx.sum() == pytest.approx(dout.sum())


def test_max_pool_on_a_tie_gives_the_gradient_to_the_first_maximum():
    x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    out, cache = max_pool_forward(x, 2)
    dx, _ = max_pool_backward(np.array([[[[5.0]]]]), cache)
    assert out[0, 0, 0, 0] == 3.0
    np.testing.assert_array_equal(dx[0, 0], [[0.0, 5.0], [0.0, 0.0]])


def test_avg_pool_spreads_the_gradient_evenly():
    x = np.random.default_rng(0).normal(size=(1, 1, 4, 6))
    out, cache = avg_pool_forward(x, 2)
    np.testing.assert_allclose(out[0, 0, 1, 2], x[0, 0, 2:4, 4:6].mean(), rtol=1e-12)
    dx, _ = avg_pool_backward(np.full(out.shape, 8.0), cache)
    np.testing.assert_array_equal(dx, np.full(x.shape, 2.0))


@pytest.mark.parametrize("name", ["avg_pool", "max_pool"])
@pytest.mark.parametrize("x_shape,size", POOL_CASES)
def test_pool_backward_returns_a_plain_writeable_array(name, x_shape, size):
    """dx is a gradient the caller owns: writeable, not a view into the cache or dout."""
    forward, backward = LAYERS_WITHOUT_PARAMETERS[name]
    out, cache = forward(np.random.default_rng(0).normal(size=x_shape), size)
    dout = np.ones_like(out)
    dx, _ = backward(dout, cache)
    assert dx.flags.writeable, f"{name}_backward returned a read-only dx for size {size}"
    dx += 1.0  # in-place use, as a caller accumulating gradients would
    np.testing.assert_array_equal(dout, 1.0)


def test_conv2d_errors():
    x, W, b = np.ones((1, 2, 3, 3)), np.ones((1, 2, 2, 2)), np.ones(1)
    with pytest.raises(ValueError, match="x has 2 channels but the filters expect 3"):
        conv2d_forward(x, np.ones((1, 3, 2, 2)), b)
    with pytest.raises(ValueError, match=r"filters must be square .* got shape \(1, 2, 2, 3\)"):
        conv2d_forward(x, np.ones((1, 2, 2, 3)), b)
    with pytest.raises(ValueError, match=r"b has shape \(2,\) but there are 1 filters"):
        conv2d_forward(x, W, np.ones(2))
    with pytest.raises(ValueError, match="a 5x5 kernel does not fit in a 3x3 input with padding 0"):
        conv2d_forward(x, np.ones((1, 2, 5, 5)), b)
    conv2d_forward(x, np.ones((1, 2, 5, 5)), b, padding=1)  # fits with padding
    with pytest.raises(ValueError, match=r"x must be 4-D \(N, C_in, H, W\), got shape \(2, 3, 3\)"):
        conv2d_forward(np.ones((2, 3, 3)), W, b)
    with pytest.raises(ValueError, match=r"W must be 4-D \(C_out, C_in, k, k\)"):
        conv2d_forward(x, np.ones((2, 2, 2)), b)
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        conv2d_forward(x, W, b, stride=0)
    with pytest.raises(ValueError, match="padding must be >= 0, got -1"):
        conv2d_forward(x, W, b, padding=-1)
    with pytest.raises(TypeError, match="stride must be an int, got float"):
        conv2d_forward(x, W, b, stride=1.0)
    with pytest.raises(TypeError, match="x must be a floating-point array, got dtype int64"):
        conv2d_forward(np.ones((1, 2, 3, 3), dtype=np.int64), W, b)
    out, cache = conv2d_forward(x, W, b)
    message = (r"conv2d_backward: dout has shape \(1, 1, 3, 2\) but the forward output had "
               r"shape \(1, 1, 2, 2\)")
    with pytest.raises(ValueError, match=message):
        conv2d_backward(np.ones((1, 1, 3, 2)), cache)


@pytest.mark.parametrize("name", ["avg_pool", "max_pool"])
def test_pool_errors(name):
    forward, backward = LAYERS_WITHOUT_PARAMETERS[name]
    message = rf"{name}_forward: a 3x4 map does not split into 2x2 blocks \(pad or crop"
    with pytest.raises(ValueError, match=message):
        forward(np.ones((1, 2, 3, 4)))
    with pytest.raises(ValueError, match="size must be >= 1, got 0"):
        forward(np.ones((1, 2, 4, 4)), size=0)
    with pytest.raises(TypeError, match="size must be an int"):
        forward(np.ones((1, 2, 4, 4)), size=2.0)
    with pytest.raises(ValueError, match=r"x must be 4-D \(N, C, H, W\), got shape \(2, 4, 4\)"):
        forward(np.ones((2, 4, 4)))
    with pytest.raises(TypeError, match="x must be a floating-point array"):
        forward(np.ones((1, 2, 4, 4), dtype=int))
    _, cache = forward(np.ones((1, 2, 4, 4)))
    message = (rf"{name}_backward: dout has shape \(1, 2, 3, 2\) but the forward output had "
               r"shape \(1, 2, 2, 2\)")
    with pytest.raises(ValueError, match=message):
        backward(np.ones((1, 2, 3, 2)), cache)


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


def test_softmax_errors():
    with pytest.raises(TypeError, match="scores must be a floating-point array"):
        softmax(np.arange(3))
    with pytest.raises(ValueError, match=r"C >= 1, got \(3, 0\)"):
        softmax(np.ones((3, 0)))
    with pytest.raises(ValueError, match=r"C >= 1, got \(\)"):
        softmax(np.array(1.0))


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
    message = r"must lie in \[0, 4\) for 4 classes, got values from 0 to 4"
    with pytest.raises(ValueError, match=message):
        softmax_cross_entropy(scores, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\).*from -1 to 2"):
        softmax_cross_entropy(scores, np.array([-1, 1, 2]))
    # Labels read from a float array are accepted when they are whole numbers (the
    # _checks.class_labels rule); scores or probabilities are refused.
    loss_f, dscores_f = softmax_cross_entropy(scores, np.array([0.0, 1.0, 2.0]))
    loss_i, dscores_i = softmax_cross_entropy(scores, np.array([0, 1, 2]))
    assert loss_f == loss_i
    np.testing.assert_array_equal(dscores_f, dscores_i)
    message = r"y must hold class labels \(whole numbers\), not scores or probabilities"
    with pytest.raises(ValueError, match=message):
        softmax_cross_entropy(scores, np.array([0.5, 1.0, 2.0]))
    with pytest.raises(TypeError, match="y must hold integer class labels, got dtype bool"):
        softmax_cross_entropy(scores, np.array([True, False, True]))
    with pytest.raises(ValueError, match="y has 2 labels but there are 3 samples"):
        softmax_cross_entropy(scores, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"y must be 1-D with shape \(N,\), got shape \(3, 1\)"):
        softmax_cross_entropy(scores, np.array([[0], [1], [2]]))
    with pytest.raises(ValueError, match=r"scores must be 2-D, got shape \(4,\)"):
        softmax_cross_entropy(np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match="N >= 1"):
        softmax_cross_entropy(np.zeros((0, 4)), np.array([], dtype=int))
    with pytest.raises(TypeError, match="scores must be a floating-point array"):
        softmax_cross_entropy(np.zeros((3, 4), dtype=int), np.array([0, 1, 2]))


@pytest.mark.parametrize("shape", [(1,), (5,), (4, 3), (2, 3, 4)])
def test_mse_loss_matches_torch_and_finite_differences(shape):
    rng = rng_for(*shape)
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, dpred = mse_loss(pred, target)

    pred_t = t(pred, True)
    loss_t = F.mse_loss(pred_t, t(target))  # mean over all elements
    loss_t.backward()
    assert isinstance(loss, float)
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
# NumPy only
# ---------------------------------------------------------------------------------------------
def test_numpy_layers_do_not_need_torch():
    """The NumPy lessons import dlbook_lib.numpy_layers without torch."""
    code = "import sys, dlbook_lib.numpy_layers; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
