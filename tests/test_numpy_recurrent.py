"""Tests for dlbook_lib.numpy_recurrent: RNN and LSTM cells in the book's row layout, against
finite differences, PyTorch's nn.RNN/nn.LSTM (through copy_to_torch/torch_gradients), errors.

The comparison of every cell's output and gradients with torch.autograd, through
gradient_check.check_layer, is the one parametrised test in tests/test_numpy_layers.py."""
from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from dlbook_lib.gradient_check import numerical_gradient_array, relative_error
from dlbook_lib.numpy_recurrent import (
    GATE_ORDER,
    copy_to_torch,
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    torch_gradients,
)

TOL = 1e-6
# (N, T, D, H): one example, one step, one feature, one unit, and mid-sized cases.
SEQ_SHAPES = [(1, 1, 1, 1), (2, 3, 4, 5), (3, 7, 2, 4), (4, 12, 6, 8)]


def t(array: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def rnn_params(rng, D, H):
    scale = 1.0 / np.sqrt(H)
    return {"W_xh": rng.normal(0, scale, (D, H)), "W_hh": rng.normal(0, scale, (H, H)),
            "b_h": rng.normal(0, 0.1, H)}


def lstm_params(rng, D, H):
    return init_lstm_params(D, H, forget_bias=1.0, seed=int(rng.integers(1000)))


def finite_difference_grads(forward, args, dout, stack=False):
    """Numerical gradient of sum(forward(*args)[0] * dout) for each array in ``args``."""
    grads = []
    for k in range(len(args)):
        def f(value, k=k):
            out = forward(*args[:k], value, *args[k + 1 :])[0]
            return np.stack(out) if stack else out
        grads.append(numerical_gradient_array(f, args[k], dout))
    return grads


# ---------------------------------------------------------------------------------------------
# tanh RNN
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES[:3])
def test_rnn_step_backward_matches_finite_differences(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 0])
    p = rnn_params(rng, D, H)
    x, h_prev, dh = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    h, cache = rnn_step_forward(x, h_prev, **p)
    assert h.shape == (N, H)
    dx, grads = rnn_step_backward(dh, cache)
    assert list(grads) == ["h_prev", "W_xh", "W_hh", "b_h"]
    args = [x, h_prev, p["W_xh"], p["W_hh"], p["b_h"]]
    numeric = finite_difference_grads(rnn_step_forward, args, dh)
    for name, analytic, expected in zip(["x_t", *grads], [dx, *grads.values()], numeric):
        assert relative_error(analytic, expected) < TOL, name


@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES[:3])
def test_rnn_sequence_backward_matches_finite_differences(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 2])
    p = rnn_params(rng, D, H)
    x, h0, dh = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    h, cache = rnn_forward(x, h0, **p)
    assert h.shape == (N, T, H)
    dx, grads = rnn_backward(dh, cache)
    assert list(grads) == ["h0", "W_xh", "W_hh", "b_h"]
    args = [x, h0, p["W_xh"], p["W_hh"], p["b_h"]]
    numeric = finite_difference_grads(rnn_forward, args, dh)
    for name, analytic, expected in zip(["x", *grads], [dx, *grads.values()], numeric):
        assert relative_error(analytic, expected) < TOL, name


def test_rnn_sequence_is_the_step_repeated():
    rng = np.random.default_rng(1)
    p = rnn_params(rng, 3, 4)
    x, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4))
    h, _ = rnn_forward(x, h0, **p)
    h_t = h0
    for step in range(5):
        h_t, _ = rnn_step_forward(x[:, step], h_t, **p)
        np.testing.assert_array_equal(h[:, step], h_t)


def test_rnn_keeps_float32():
    p = {k: v.astype(np.float32) for k, v in rnn_params(np.random.default_rng(0), 3, 4).items()}
    x, z = np.ones((2, 5, 3), dtype=np.float32), np.zeros((2, 4), dtype=np.float32)
    h, cache = rnn_forward(x, z, **p)
    assert h.dtype == np.float32
    dx, grads = rnn_backward(np.ones_like(h), cache)
    assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())


def test_rnn_errors():
    W_xh, W_hh, b_h = np.ones((3, 4)), np.ones((4, 4)), np.ones(4)
    # H is read from W_hh; a W_hh that disagrees with W_xh is reported with both shapes
    message = r"W_xh has shape \(3, 4\) but must be \(D, H\) with 3 columns, since W_hh"
    with pytest.raises(ValueError, match=message):
        rnn_step_forward(np.ones((2, 3)), np.ones((2, 4)), W_xh, np.ones((3, 3)), b_h)
    message = r"W_hh has shape \(4, 3\) but must be \(H, H\) = \(4, 4\)"
    with pytest.raises(ValueError, match=message):
        rnn_step_forward(np.ones((2, 3)), np.ones((2, 4)), W_xh, np.ones((4, 3)), b_h)
    with pytest.raises(ValueError, match=r"b_h has shape \(3,\) but must be \(H,\) = \(4,\)"):
        rnn_forward(np.ones((2, 5, 3)), np.ones((2, 4)), W_xh, W_hh, np.ones(3))
    message = r"x_t has shape \(2, 5\) but must be \(N, D\) with D = 3 from W_xh"
    with pytest.raises(ValueError, match=message):
        rnn_step_forward(np.ones((2, 5)), np.ones((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match=r"h_prev has shape \(3, 4\) but must be \(N, H\)"):
        rnn_step_forward(np.ones((2, 3)), np.ones((3, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match=r"h0 has shape \(2, 3\) but must be \(N, H\)"):
        rnn_forward(np.ones((2, 5, 3)), np.ones((2, 3)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match=r"x must be 3-D \(N, T, D\), got shape \(2, 3\)"):
        rnn_forward(np.ones((2, 3)), np.ones((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match="no time steps"):
        rnn_forward(np.ones((2, 0, 3)), np.ones((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(TypeError, match="x must be a floating-point array, got dtype int64"):
        rnn_forward(np.ones((2, 5, 3), dtype=np.int64), np.ones((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(TypeError, match="W_hh must be a floating-point array"):
        rnn_forward(np.ones((2, 5, 3)), np.ones((2, 4)), W_xh, np.ones((4, 4), dtype=int), b_h)
    _, cache = rnn_forward(np.ones((2, 5, 3)), np.zeros((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match=r"rnn_backward: dh has shape \(2, 4\) but the forward"):
        rnn_backward(np.ones((2, 4)), cache)
    _, cache = rnn_step_forward(np.ones((2, 3)), np.zeros((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match=r"rnn_step_backward: dh_t has shape \(2, 3\)"):
        rnn_step_backward(np.ones((2, 3)), cache)


# ---------------------------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES[:3])
def test_lstm_step_backward_matches_finite_differences(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 4])
    p = lstm_params(rng, D, H)
    x, h_prev, c_prev = (rng.normal(size=s) for s in [(N, D), (N, H), (N, H)])
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    args = [x, h_prev, c_prev, p["W_xh"], p["W_hh"], p["b_h"]]
    (h, c), cache = lstm_step_forward(*args)
    assert h.shape == c.shape == (N, H)
    dx, grads = lstm_step_backward((dh, dc), cache)
    assert list(grads) == ["h_prev", "c_prev", "W_xh", "W_hh", "b_h"]
    # The step has two outputs: stack them so that sum(f(v) * dout) = <h, dh> + <c, dc>.
    numeric = finite_difference_grads(lstm_step_forward, args, np.stack([dh, dc]), stack=True)
    for name, analytic, expected in zip(["x_t", *grads], [dx, *grads.values()], numeric):
        assert relative_error(analytic, expected) < TOL, name


@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES[:3])
def test_lstm_sequence_backward_matches_finite_differences(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 6])
    p = lstm_params(rng, D, H)
    x, h0, c0 = (rng.normal(size=s) for s in [(N, T, D), (N, H), (N, H)])
    dh = rng.normal(size=(N, T, H))
    args = [x, h0, c0, p["W_xh"], p["W_hh"], p["b_h"]]
    h, cache = lstm_forward(*args)
    assert h.shape == (N, T, H)
    dx, grads = lstm_backward(dh, cache)
    assert list(grads) == ["h0", "c0", "W_xh", "W_hh", "b_h"]
    numeric = finite_difference_grads(lstm_forward, args, dh)
    for name, analytic, expected in zip(["x", *grads], [dx, *grads.values()], numeric):
        assert relative_error(analytic, expected) < TOL, name


def test_lstm_step_backward_takes_a_list_pair_too_and_refuses_anything_else():
    p = init_lstm_params(3, 4, seed=0)
    x, z = np.ones((2, 3)), np.zeros((2, 4))
    _, cache = lstm_step_forward(x, z, z, **p)
    dx_tuple, grads_tuple = lstm_step_backward((np.ones((2, 4)), z), cache)
    dx_list, grads_list = lstm_step_backward([np.ones((2, 4)), z], cache)
    np.testing.assert_array_equal(dx_tuple, dx_list)
    message = r"dout must be the pair \(dh_t, dc_t\), like the forward's \(h_t, c_t\)"
    for bad in [z, (z,), (z, z, z), np.stack([z, z])]:
        with pytest.raises(TypeError, match=message):
            lstm_step_backward(bad, cache)


def test_lstm_gates_do_not_overflow_for_extreme_pre_activations():
    p = init_lstm_params(2, 3, seed=0)
    x = np.array([[1e4, -1e4], [-1e4, 1e4]])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        (h, c), cache = lstm_step_forward(x, np.zeros((2, 3)), np.zeros((2, 3)), **p)
    for gate in ("i", "f", "o"):
        assert np.all((cache[gate] >= 0) & (cache[gate] <= 1)), gate
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(c))


def test_lstm_cache_exposes_gates_and_cell_states():
    rng = np.random.default_rng(7)
    p = init_lstm_params(3, 4, seed=1)
    x = rng.normal(size=(2, 5, 3))
    h, cache = lstm_forward(x, np.zeros((2, 4)), np.zeros((2, 4)), **p)
    assert GATE_ORDER == ("i", "f", "g", "o")
    for name in ["c", *GATE_ORDER]:
        assert cache[name].shape == (2, 5, 4)
    # h_t = o_t * tanh(c_t), c_t = f_t c_{t-1} + i_t g_t, with c_0 = 0
    np.testing.assert_allclose(h, cache["o"] * np.tanh(cache["c"]), rtol=1e-12)
    np.testing.assert_allclose(cache["c"][:, 0], cache["i"][:, 0] * cache["g"][:, 0], rtol=1e-12)
    np.testing.assert_allclose(
        cache["c"][:, 1:],
        cache["f"][:, 1:] * cache["c"][:, :-1] + cache["i"][:, 1:] * cache["g"][:, 1:],
        rtol=1e-12,
    )
    assert np.all((cache["f"] > 0) & (cache["f"] < 1))
    # the gate blocks are the column blocks of W_xh, W_hh, b_h in the order i, f, g, o
    a = x[:, 0] @ p["W_xh"] + p["b_h"]  # h_0 = 0
    H = 4
    sig = 1.0 / (1.0 + np.exp(-a))
    np.testing.assert_allclose(cache["i"][:, 0], sig[:, :H], rtol=1e-12)
    np.testing.assert_allclose(cache["f"][:, 0], sig[:, H : 2 * H], rtol=1e-12)
    np.testing.assert_allclose(cache["g"][:, 0], np.tanh(a[:, 2 * H : 3 * H]), rtol=1e-12)
    np.testing.assert_allclose(cache["o"][:, 0], sig[:, 3 * H :], rtol=1e-12)
    # the step's cache exposes the same names, of one step each
    (_, c_1), step_cache = lstm_step_forward(x[:, 0], np.zeros((2, 4)), np.zeros((2, 4)), **p)
    for name in ["c", *GATE_ORDER]:
        np.testing.assert_array_equal(step_cache[name], cache[name][:, 0])
    np.testing.assert_array_equal(step_cache["c"], c_1)


def test_lstm_keeps_float32():
    p = init_lstm_params(3, 4, seed=0, dtype=np.float32)
    x = np.ones((2, 5, 3), dtype=np.float32)
    z = np.zeros((2, 4), dtype=np.float32)
    h, cache = lstm_forward(x, z, z, **p)
    assert h.dtype == np.float32
    dx, grads = lstm_backward(np.ones_like(h), cache)
    assert dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


def test_init_lstm_params_shapes_forget_bias_and_determinism():
    p = init_lstm_params(3, 5, forget_bias=2.0, seed=2)
    q = init_lstm_params(3, 5, seed=2)  # PyTorch's default: everything random
    assert {k: v.shape for k, v in p.items()} == {"W_xh": (3, 20), "W_hh": (5, 20), "b_h": (20,)}
    assert all(v.dtype == np.float64 for v in p.values())
    bound = 1 / np.sqrt(5)
    assert np.abs(q["W_xh"]).max() <= bound and np.abs(q["W_hh"]).max() <= bound
    assert np.abs(q["b_h"]).max() <= 2 * bound  # the sum of two biases
    # The forget gate's block, b_h[H:2H], is exactly the bias asked for; nothing else changes.
    np.testing.assert_array_equal(p["b_h"][5:10], 2.0)
    np.testing.assert_array_equal(np.delete(p["b_h"], range(5, 10)),
                                  np.delete(q["b_h"], range(5, 10)))
    assert not np.any(q["b_h"][5:10] == 2.0)
    np.testing.assert_array_equal(p["W_hh"], q["W_hh"])
    np.testing.assert_array_equal(p["W_xh"], q["W_xh"])
    np.testing.assert_array_equal(p["W_hh"],
                                  init_lstm_params(3, 5, forget_bias=2.0, seed=2)["W_hh"])
    assert not np.array_equal(p["W_hh"], init_lstm_params(3, 5, seed=3)["W_hh"])
    assert {v.dtype for v in init_lstm_params(3, 5, dtype=np.float32).values()} == {
        np.dtype(np.float32)}
    np.testing.assert_array_equal(init_lstm_params(2, 3, forget_bias=1)["b_h"][3:6], 1.0)
    with pytest.raises(ValueError, match="hidden_size must be >= 1, got 0"):
        init_lstm_params(3, 0)
    with pytest.raises(TypeError, match="input_size must be an int, got float"):
        init_lstm_params(3.0, 4)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        init_lstm_params(3, 4, seed=-1)
    with pytest.raises(TypeError, match="forget_bias must be a number, got str"):
        init_lstm_params(3, 4, forget_bias="1")
    with pytest.raises(ValueError, match="forget_bias must be finite"):
        init_lstm_params(3, 4, forget_bias=float("nan"))


@pytest.mark.parametrize("D,H,seed", [(1, 1, 0), (3, 5, 2), (6, 8, 11)])
def test_init_lstm_params_is_torch_lstm_from_the_same_draws(D, H, seed):
    """The docstring's promise: nn.LSTM's four arrays drawn in the same order give the same
    function as init_lstm_params(seed) in the book's layout."""
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(H)
    draws = {  # PyTorch's names, shapes and order of initialisation
        "weight_ih_l0": rng.uniform(-bound, bound, size=(4 * H, D)),
        "weight_hh_l0": rng.uniform(-bound, bound, size=(4 * H, H)),
        "bias_ih_l0": rng.uniform(-bound, bound, size=4 * H),
        "bias_hh_l0": rng.uniform(-bound, bound, size=4 * H),
    }
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    assert [name for name, _ in lstm.named_parameters()] == list(draws)
    with torch.no_grad():
        for name, value in draws.items():
            getattr(lstm, name).copy_(t(value))
    data = np.random.default_rng(seed + 100)
    x, h0, c0 = (data.normal(size=s) for s in [(3, 4, D), (3, H), (3, H)])
    out, (h_n, c_n) = lstm(t(x), (t(h0[None]), t(c0[None])))

    p = init_lstm_params(D, H, seed=seed)
    h, cache = lstm_forward(x, h0, c0, **p)
    assert relative_error(h, out.detach().numpy()) < 1e-12
    assert relative_error(cache["c"][:, -1], c_n[0].detach().numpy()) < 1e-12
    # and the arrays themselves are the conversion of copy_to_torch
    np.testing.assert_array_equal(p["W_xh"], draws["weight_ih_l0"].T)
    np.testing.assert_array_equal(p["W_hh"], draws["weight_hh_l0"].T)
    np.testing.assert_array_equal(p["b_h"], draws["bias_ih_l0"] + draws["bias_hh_l0"])


def test_lstm_errors():
    p = init_lstm_params(3, 4)
    x, z = np.ones((2, 5, 3)), np.zeros((2, 4))
    message = r"W_hh has shape \(4, 12\) but must be \(H, 4H\).* = \(4, 16\)"
    with pytest.raises(ValueError, match=message):
        lstm_forward(x, z, z, p["W_xh"], np.ones((4, 12)), p["b_h"])
    # PyTorch's layout (the transposes) is refused, not silently misread
    with pytest.raises(ValueError, match=r"W_hh has shape \(16, 4\) but must be \(H, 4H\)"):
        lstm_forward(x, z, z, p["W_xh"].T, p["W_hh"].T, p["b_h"])
    message = (
        r"W_xh has shape \(3, 12\) but must be \(D, 4H\) with 16 columns, "
        r"since W_hh \(4, 16\) gives H = 4"
    )
    with pytest.raises(ValueError, match=message):
        lstm_forward(x, z, z, np.ones((3, 12)), p["W_hh"], p["b_h"])
    with pytest.raises(ValueError, match=r"b_h has shape \(4,\) but must be \(4H,\) = \(16,\)"):
        lstm_forward(x, z, z, p["W_xh"], p["W_hh"], np.ones(4))
    message = r"x has shape \(2, 5, 2\) but must be \(N, T, D\) with D = 3 from W_xh"
    with pytest.raises(ValueError, match=message):
        lstm_forward(np.ones((2, 5, 2)), z, z, **p)
    with pytest.raises(ValueError, match=r"c0 has shape \(3, 4\) but must be \(N, H\) = \(2, 4\)"):
        lstm_forward(x, z, np.zeros((3, 4)), **p)
    with pytest.raises(ValueError, match="no time steps"):
        lstm_forward(np.ones((2, 0, 3)), z, z, **p)
    with pytest.raises(TypeError, match="h_prev must be a floating-point array"):
        lstm_step_forward(x[:, 0], np.zeros((2, 4), dtype=int), z, **p)
    with pytest.raises(ValueError, match=r"c_prev has shape \(2, 3\)"):
        lstm_step_forward(x[:, 0], z, np.zeros((2, 3)), **p)
    _, cache = lstm_step_forward(x[:, 0], z, z, **p)
    message = r"lstm_step_backward: dc_t has shape \(2, 3\) but the forward output had"
    with pytest.raises(ValueError, match=message):
        lstm_step_backward((z, np.zeros((2, 3))), cache)
    with pytest.raises(ValueError, match=r"lstm_step_backward: dh_t has shape \(4, 2\)"):
        lstm_step_backward((np.zeros((4, 2)), z), cache)
    with pytest.raises(TypeError, match="dc_t must be a floating-point array"):
        lstm_step_backward((z, np.zeros((2, 4), dtype=int)), cache)
    _, cache = lstm_forward(x, z, z, **p)
    with pytest.raises(ValueError, match=r"lstm_backward: dh has shape \(2, 4, 4\)"):
        lstm_backward(np.ones((2, 4, 4)), cache)


# ---------------------------------------------------------------------------------------------
# copy_to_torch and torch_gradients: the conversion at the comparison
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES)
def test_copy_to_torch_and_torch_gradients_round_trip(kind, N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 8])
    x, h0, c0 = (rng.normal(size=s) for s in [(N, T, D), (N, H), (N, H)])
    dh = rng.normal(size=(N, T, H))
    if kind == "rnn":
        module = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
        p = rnn_params(rng, D, H)
        h, cache = rnn_forward(x, h0, **p)
        dx, grads = rnn_backward(dh, cache)
        states, t_states = {"h0": h0}, (t(h0[None], True),)
    else:
        module = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
        p = lstm_params(rng, D, H)
        h, cache = lstm_forward(x, h0, c0, **p)
        dx, grads = lstm_backward(dh, cache)
        states, t_states = {"h0": h0, "c0": c0}, (t(h0[None], True), t(c0[None], True))

    copy_to_torch(p, module)
    # what copy_to_torch documents: the transposes, and b_h in bias_ih with bias_hh = 0
    np.testing.assert_array_equal(module.weight_ih_l0.detach().numpy().T, p["W_xh"])
    np.testing.assert_array_equal(module.weight_hh_l0.detach().numpy().T, p["W_hh"])
    np.testing.assert_array_equal(module.bias_ih_l0.detach().numpy(), p["b_h"])
    np.testing.assert_array_equal(module.bias_hh_l0.detach().numpy(), 0.0)

    x_t = t(x, True)
    out, h_n = module(x_t, t_states[0] if kind == "rnn" else t_states)
    out.backward(t(dh))
    assert relative_error(h, out.detach().numpy()) < TOL
    last_h = h_n if kind == "rnn" else h_n[0]
    assert relative_error(h[:, -1], last_h[0].detach().numpy()) < TOL
    if kind == "lstm":
        assert relative_error(cache["c"][:, -1], h_n[1][0].detach().numpy()) < TOL
    theirs = torch_gradients(module)
    assert set(theirs) == {"W_xh", "W_hh", "b_h"}
    for name, value in theirs.items():
        assert isinstance(value, np.ndarray) and value.shape == p[name].shape, name
        assert relative_error(grads[name], value) < TOL, name
    # bias_hh's gradient is bias_ih's: both enter as their sum b_h
    np.testing.assert_allclose(module.bias_hh_l0.grad.numpy(), theirs["b_h"], rtol=1e-12,
                               atol=1e-14)
    assert relative_error(dx, x_t.grad.numpy()) < TOL
    for (name, _), state in zip(states.items(), t_states):
        assert relative_error(grads[name], state.grad[0].numpy()) < TOL, name


def test_copy_to_torch_into_a_float32_module():
    p = init_lstm_params(3, 4, seed=0)
    lstm = torch.nn.LSTM(3, 4, batch_first=True)  # float32, PyTorch's default
    copy_to_torch(p, lstm)
    assert lstm.weight_ih_l0.dtype == torch.float32
    np.testing.assert_allclose(lstm.weight_ih_l0.detach().numpy().T, p["W_xh"], rtol=1e-6)


def test_torch_gradients_returns_copies():
    p = rnn_params(np.random.default_rng(0), 2, 3)
    rnn = torch.nn.RNN(2, 3, batch_first=True, dtype=torch.float64)
    copy_to_torch(p, rnn)
    rnn(t(np.ones((1, 2, 2))))[0].sum().backward()
    grads = torch_gradients(rnn)
    grads["W_xh"][:] = 0.0
    assert rnn.weight_ih_l0.grad.abs().sum() > 0


def test_copy_to_torch_and_torch_gradients_errors():
    p = init_lstm_params(3, 4, seed=0)
    single = "only a single-layer, one-directional RNN/LSTM with biases converts"
    for module in [torch.nn.LSTM(3, 4, num_layers=2), torch.nn.LSTM(3, 4, bidirectional=True),
                   torch.nn.LSTM(3, 4, bias=False), torch.nn.RNN(3, 4, num_layers=2)]:
        with pytest.raises(ValueError, match=single):
            copy_to_torch(p, module)
        with pytest.raises(ValueError, match=single):
            torch_gradients(module)
    with pytest.raises(ValueError, match="an LSTM with proj_size does not convert"):
        copy_to_torch(p, torch.nn.LSTM(3, 4, proj_size=2))
    message = "module must be a torch.nn.RNN or torch.nn.LSTM, got GRU"
    with pytest.raises(TypeError, match=message):
        copy_to_torch(p, torch.nn.GRU(3, 4))
    with pytest.raises(TypeError, match="got LSTMCell"):
        torch_gradients(torch.nn.LSTMCell(3, 4))
    # a shape that does not fit: the message names both layouts
    message = (r"W_xh of shape \(3, 16\) does not fit LSTM\(5, 4\), which stores its transpose "
               r"with shape \(16, 5\)")
    with pytest.raises(ValueError, match=message):
        copy_to_torch(p, torch.nn.LSTM(5, 4))
    with pytest.raises(ValueError, match=r"W_xh of shape \(3, 16\) does not fit RNN\(3, 4\)"):
        copy_to_torch(p, torch.nn.RNN(3, 4))  # LSTM parameters into an RNN
    with pytest.raises(ValueError, match=r"W_xh of shape \(3, 16\) does not fit LSTM\(3, 5\)"):
        copy_to_torch(p, torch.nn.LSTM(3, 5))
    with pytest.raises(ValueError, match=r"W_hh of shape \(5, 16\) does not fit LSTM\(3, 4\)"):
        copy_to_torch({**p, "W_hh": np.ones((5, 16))}, torch.nn.LSTM(3, 4))
    with pytest.raises(ValueError, match=r"b_h of shape \(12,\) does not fit LSTM\(3, 4\)"):
        copy_to_torch({**p, "b_h": np.ones(12)}, torch.nn.LSTM(3, 4))
    with pytest.raises(ValueError, match="no gradients yet: call backward"):
        torch_gradients(torch.nn.LSTM(3, 4))


def test_numpy_recurrent_does_not_need_torch():
    """Importing dlbook_lib.numpy_recurrent (and its layers) does not import torch; only
    copy_to_torch and torch_gradients do, when they are called."""
    code = ("import sys, dlbook_lib.numpy_recurrent as r; import numpy as np; "
            "p = r.init_lstm_params(2, 3); "
            "r.lstm_backward(np.ones((1, 2, 3)), r.lstm_forward(np.ones((1, 2, 2)), "
            "np.zeros((1, 3)), np.zeros((1, 3)), **p)[1]); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
