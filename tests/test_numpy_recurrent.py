"""Tests for dlbook_lib.numpy_recurrent: RNN and LSTM cells against PyTorch and finite differences."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from dlbook_lib.gradient_check import numerical_gradient_array, relative_error
from dlbook_lib.numpy_recurrent import (
    init_lstm_params,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    sigmoid,
)

TOL = 1e-6
# (N, T, D, H): one example, one step, one feature, one unit, and a mid-sized case.
SEQ_SHAPES = [(1, 1, 1, 1), (2, 3, 4, 5), (3, 7, 2, 4), (4, 12, 6, 8)]


def t(array: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def rnn_params(rng, D, H):
    scale = 1.0 / np.sqrt(H)
    return (rng.normal(0, scale, (D, H)), rng.normal(0, scale, (H, H)), rng.normal(0, 0.1, H))


def lstm_params(rng, D, H):
    p = init_lstm_params(D, H, forget_bias=1.0, seed=int(rng.integers(1000)))
    return p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"]


# ---------------------------------------------------------------------------------------------
# sigmoid
# ---------------------------------------------------------------------------------------------
def test_sigmoid_matches_torch_and_never_overflows():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 2.5, 40.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail the test
        out = sigmoid(x)
    np.testing.assert_allclose(out, torch.sigmoid(t(x)).numpy(), rtol=1e-12, atol=0)
    assert out.dtype == np.float64
    assert sigmoid(x.astype(np.float32)).dtype == np.float32
    assert sigmoid(np.array(0.0)) == 0.5


# ---------------------------------------------------------------------------------------------
# tanh RNN
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES)
def test_rnn_step_matches_torch(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H])
    W_xh, W_hh, b_h = rnn_params(rng, D, H)
    x, h_prev, dh = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    h, cache = rnn_step_forward(x, h_prev, W_xh, W_hh, b_h)
    grads = rnn_step_backward(dh, cache)

    tensors = [t(a, True) for a in (x, h_prev, W_xh, W_hh, b_h)]
    x_t, h_t, Wx_t, Wh_t, b_t = tensors
    out = torch.tanh(x_t @ Wx_t + h_t @ Wh_t + b_t)
    out.backward(t(dh))
    assert h.shape == (N, H)
    assert relative_error(h, out.detach().numpy()) < TOL
    for mine, theirs in zip(grads, tensors):
        assert mine.shape == theirs.shape
        assert relative_error(mine, theirs.grad.numpy()) < TOL


@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES)
def test_rnn_sequence_matches_torch_nn_rnn(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 1])
    W_xh, W_hh, b_h = rnn_params(rng, D, H)
    x, h0, dh = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    h, cache = rnn_forward(x, h0, W_xh, W_hh, b_h)
    dx, dh0, dW_xh, dW_hh, db_h = rnn_backward(dh, cache)

    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # the documented conversion: transposes, and b_h in one bias
        rnn.weight_ih_l0.copy_(t(W_xh.T))
        rnn.weight_hh_l0.copy_(t(W_hh.T))
        rnn.bias_ih_l0.copy_(t(b_h))
        rnn.bias_hh_l0.zero_()
    x_t, h0_t = t(x, True), t(h0[None], True)
    out, h_n = rnn(x_t, h0_t)
    out.backward(t(dh))
    assert h.shape == (N, T, H)
    assert relative_error(h, out.detach().numpy()) < TOL
    assert relative_error(h[:, -1], h_n[0].detach().numpy()) < TOL
    assert relative_error(dx, x_t.grad.numpy()) < TOL
    assert relative_error(dh0, h0_t.grad[0].numpy()) < TOL
    assert relative_error(dW_xh, rnn.weight_ih_l0.grad.numpy().T) < TOL
    assert relative_error(dW_hh, rnn.weight_hh_l0.grad.numpy().T) < TOL
    assert relative_error(db_h, rnn.bias_ih_l0.grad.numpy()) < TOL


@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES[:3])
def test_rnn_sequence_backward_matches_finite_differences(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 2])
    W_xh, W_hh, b_h = rnn_params(rng, D, H)
    x, h0, dh = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    grads = rnn_backward(dh, rnn_forward(x, h0, W_xh, W_hh, b_h)[1])
    args = [x, h0, W_xh, W_hh, b_h]
    for k, analytic in enumerate(grads):
        def f(value, k=k):
            return rnn_forward(*args[:k], value, *args[k + 1 :])[0]
        assert relative_error(analytic, numerical_gradient_array(f, args[k], dh)) < TOL


def test_rnn_errors():
    W_xh, W_hh, b_h = np.ones((3, 4)), np.ones((4, 4)), np.ones(4)
    with pytest.raises(ValueError, match=r"W_hh has shape \(3, 3\) but must be \(H, H\) = \(4, 4\)"):
        rnn_step_forward(np.ones((2, 3)), np.ones((2, 4)), W_xh, np.ones((3, 3)), b_h)
    with pytest.raises(ValueError, match=r"x_t has shape \(2, 5\) but must be \(N, D\)"):
        rnn_step_forward(np.ones((2, 5)), np.ones((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match=r"h_prev has shape \(3, 4\)"):
        rnn_step_forward(np.ones((2, 3)), np.ones((3, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match=r"x must be 3-D \(N, T, D\), got shape \(2, 3\)"):
        rnn_forward(np.ones((2, 3)), np.ones((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match="no time steps"):
        rnn_forward(np.ones((2, 0, 3)), np.ones((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(TypeError, match="x must be a floating-point array, got dtype int64"):
        rnn_forward(np.ones((2, 5, 3), dtype=np.int64), np.ones((2, 4)), W_xh, W_hh, b_h)
    _, cache = rnn_forward(np.ones((2, 5, 3)), np.zeros((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match=r"dh has shape \(2, 4\) but the forward output had"):
        rnn_backward(np.ones((2, 4)), cache)


# ---------------------------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES)
def test_lstm_step_matches_torch_lstm_cell(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 3])
    W_ih, W_hh, b_ih, b_hh = lstm_params(rng, D, H)
    x, h_prev, c_prev = (rng.normal(size=s) for s in [(N, D), (N, H), (N, H)])
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    (h, c), cache = lstm_step_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
    dx, dh_prev, dc_prev, dW_ih, dW_hh, db_ih, db_hh = lstm_step_backward(dh, dc, cache)

    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    with torch.no_grad():  # same layout: the arrays copy over unchanged
        for name, value in zip(["weight_ih", "weight_hh", "bias_ih", "bias_hh"],
                               [W_ih, W_hh, b_ih, b_hh]):
            getattr(cell, name).copy_(t(value))
    x_t, h_t, c_t = t(x, True), t(h_prev, True), t(c_prev, True)
    h_out, c_out = cell(x_t, (h_t, c_t))
    torch.autograd.backward([h_out, c_out], [t(dh), t(dc)])
    assert h.shape == c.shape == (N, H)
    assert relative_error(h, h_out.detach().numpy()) < TOL
    assert relative_error(c, c_out.detach().numpy()) < TOL
    assert relative_error(dx, x_t.grad.numpy()) < TOL
    assert relative_error(dh_prev, h_t.grad.numpy()) < TOL
    assert relative_error(dc_prev, c_t.grad.numpy()) < TOL
    assert relative_error(dW_ih, cell.weight_ih.grad.numpy()) < TOL
    assert relative_error(dW_hh, cell.weight_hh.grad.numpy()) < TOL
    assert relative_error(db_ih, cell.bias_ih.grad.numpy()) < TOL
    assert relative_error(db_hh, cell.bias_hh.grad.numpy()) < TOL


@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES[:3])
def test_lstm_step_backward_matches_finite_differences(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 4])
    W_ih, W_hh, b_ih, b_hh = lstm_params(rng, D, H)
    x, h_prev, c_prev = (rng.normal(size=s) for s in [(N, D), (N, H), (N, H)])
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    args = [x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh]
    grads = lstm_step_backward(dh, dc, lstm_step_forward(*args)[1])
    # The step has two outputs: stack them so that sum(f(v) * dout) = <h, dh> + <c, dc>.
    dout = np.stack([dh, dc])
    for k, analytic in enumerate(grads):
        def f(value, k=k):
            return np.stack(lstm_step_forward(*args[:k], value, *args[k + 1 :])[0])
        assert relative_error(analytic, numerical_gradient_array(f, args[k], dout)) < TOL


@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES)
def test_lstm_sequence_matches_torch_nn_lstm(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 5])
    W_ih, W_hh, b_ih, b_hh = lstm_params(rng, D, H)
    x, h0, c0 = (rng.normal(size=s) for s in [(N, T, D), (N, H), (N, H)])
    dh = rng.normal(size=(N, T, H))
    h, cache = lstm_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh = lstm_backward(dh, cache)

    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for name, value in zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"],
                               [W_ih, W_hh, b_ih, b_hh]):
            getattr(lstm, name).copy_(t(value))
    x_t, h0_t, c0_t = t(x, True), t(h0[None], True), t(c0[None], True)
    out, (h_n, c_n) = lstm(x_t, (h0_t, c0_t))
    out.backward(t(dh))
    assert h.shape == (N, T, H)
    assert relative_error(h, out.detach().numpy()) < TOL
    assert relative_error(cache["c"][:, -1], c_n[0].detach().numpy()) < TOL
    assert relative_error(dx, x_t.grad.numpy()) < TOL
    assert relative_error(dh0, h0_t.grad[0].numpy()) < TOL
    assert relative_error(dc0, c0_t.grad[0].numpy()) < TOL
    assert relative_error(dW_ih, lstm.weight_ih_l0.grad.numpy()) < TOL
    assert relative_error(dW_hh, lstm.weight_hh_l0.grad.numpy()) < TOL
    assert relative_error(db_ih, lstm.bias_ih_l0.grad.numpy()) < TOL
    assert relative_error(db_hh, lstm.bias_hh_l0.grad.numpy()) < TOL


@pytest.mark.parametrize("N,T,D,H", SEQ_SHAPES[:3])
def test_lstm_sequence_backward_matches_finite_differences(N, T, D, H):
    rng = np.random.default_rng([N, T, D, H, 6])
    W_ih, W_hh, b_ih, b_hh = lstm_params(rng, D, H)
    x, h0, c0 = (rng.normal(size=s) for s in [(N, T, D), (N, H), (N, H)])
    dh = rng.normal(size=(N, T, H))
    args = [x, h0, c0, W_ih, W_hh, b_ih, b_hh]
    grads = lstm_backward(dh, lstm_forward(*args)[1])
    for k, analytic in enumerate(grads):
        def f(value, k=k):
            return lstm_forward(*args[:k], value, *args[k + 1 :])[0]
        assert relative_error(analytic, numerical_gradient_array(f, args[k], dh)) < TOL


def test_lstm_cache_exposes_gates_and_cell_states():
    rng = np.random.default_rng(7)
    p = init_lstm_params(3, 4, seed=1)
    x = rng.normal(size=(2, 5, 3))
    h, cache = lstm_forward(x, np.zeros((2, 4)), np.zeros((2, 4)), **p)
    for name in ["c", "i", "f", "g", "o"]:
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


def test_lstm_keeps_float32():
    p = init_lstm_params(3, 4, seed=0, dtype=np.float32)
    x = np.ones((2, 5, 3), dtype=np.float32)
    z = np.zeros((2, 4), dtype=np.float32)
    h, cache = lstm_forward(x, z, z, **p)
    assert h.dtype == np.float32
    grads = lstm_backward(np.ones_like(h), cache)
    assert all(g.dtype == np.float32 for g in grads)


def test_init_lstm_params_shapes_forget_bias_and_determinism():
    p = init_lstm_params(3, 5, forget_bias=2.0, seed=2)
    q = init_lstm_params(3, 5, seed=2)  # PyTorch's default: everything random
    assert {k: v.shape for k, v in p.items()} == {
        "W_ih": (20, 3), "W_hh": (20, 5), "b_ih": (20,), "b_hh": (20,)
    }
    bound = 1 / np.sqrt(5)
    assert all(np.abs(v).max() <= bound for v in q.values())
    # The forget gate sees exactly the bias asked for; nothing else changes.
    np.testing.assert_array_equal(p["b_ih"][5:10] + p["b_hh"][5:10], 2.0)
    for name in ["b_ih", "b_hh"]:
        np.testing.assert_array_equal(np.delete(p[name], range(5, 10)), np.delete(q[name], range(5, 10)))
    np.testing.assert_array_equal(p["W_hh"], q["W_hh"])
    np.testing.assert_array_equal(p["W_hh"], init_lstm_params(3, 5, forget_bias=2.0, seed=2)["W_hh"])
    assert not np.array_equal(p["W_hh"], init_lstm_params(3, 5, seed=3)["W_hh"])
    assert init_lstm_params(3, 5, dtype=np.float32)["W_ih"].dtype == np.float32
    with pytest.raises(ValueError, match="hidden_size must be >= 1"):
        init_lstm_params(3, 0)
    with pytest.raises(TypeError, match="input_size must be an int"):
        init_lstm_params(3.0, 4)
    with pytest.raises(TypeError, match="forget_bias must be a number or None"):
        init_lstm_params(3, 4, forget_bias="1")
    with pytest.raises(ValueError, match="forget_bias must be finite"):
        init_lstm_params(3, 4, forget_bias=float("nan"))


def test_lstm_errors():
    p = init_lstm_params(3, 4)
    x, z = np.ones((2, 5, 3)), np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"W_hh has shape \(12, 4\) but must be \(4H, H\)"):
        lstm_forward(x, z, z, p["W_ih"], np.ones((12, 4)), p["b_ih"], p["b_hh"])
    with pytest.raises(ValueError, match=r"W_ih has shape \(12, 3\) but must be \(4H, D\) = \(16, D\)"):
        lstm_forward(x, z, z, np.ones((12, 3)), p["W_hh"], p["b_ih"], p["b_hh"])
    with pytest.raises(ValueError, match=r"b_hh has shape \(4,\) but must be \(4H,\) = \(16,\)"):
        lstm_forward(x, z, z, p["W_ih"], p["W_hh"], p["b_ih"], np.ones(4))
    with pytest.raises(ValueError, match=r"x has shape \(2, 5, 2\) but must be \(N, T, D\)"):
        lstm_forward(np.ones((2, 5, 2)), z, z, **p)
    with pytest.raises(ValueError, match=r"c0 has shape \(3, 4\)"):
        lstm_forward(x, z, np.zeros((3, 4)), **p)
    with pytest.raises(ValueError, match="no time steps"):
        lstm_forward(np.ones((2, 0, 3)), z, z, **p)
    with pytest.raises(TypeError, match="h_prev must be a floating-point array"):
        lstm_step_forward(x[:, 0], np.zeros((2, 4), dtype=int), z, **p)
    _, cache = lstm_step_forward(x[:, 0], z, z, **p)
    with pytest.raises(ValueError, match=r"dc_t has shape \(2, 3\) but the forward output had"):
        lstm_step_backward(z, np.zeros((2, 3)), cache)
    _, cache = lstm_forward(x, z, z, **p)
    with pytest.raises(ValueError, match=r"dh has shape \(2, 4, 4\)"):
        lstm_backward(np.ones((2, 4, 4)), cache)
