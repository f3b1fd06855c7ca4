r"""Recurrent cells in plain NumPy: a tanh RNN and an LSTM, forward and backward.

The same contract as :mod:`dlbook_lib.numpy_layers`:

* ``<name>_forward(inputs, <params>) -> (out, cache)``;
* ``<name>_backward(dout, cache) -> grads``, a tuple in a documented order.

There are two granularities. A *step* function processes one time step of a batch, ``x_t`` of
shape ``(N, D)``; a *sequence* function runs the step over all ``T`` steps of ``x`` of shape
``(N, T, D)`` and its backward pass is backpropagation through time (BPTT).

**tanh RNN** (row-vector form, as lesson 5.1 writes it), weights ``W_xh (D, H)``,
``W_hh (H, H)``, bias ``b_h (H,)``:

$$h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h).$$

``torch.nn.RNN`` stores the transposes: ``weight_ih_l0 = W_xh.T``, ``weight_hh_l0 = W_hh.T``,
and two biases whose sum is ``b_h`` (set ``bias_ih_l0 = b_h``, ``bias_hh_l0 = 0``).

**LSTM** (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000), in
PyTorch's own layout so that the arrays copy straight into ``torch.nn.LSTM`` (``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``) and its gradients compare one to one:
``W_ih (4H, D)``, ``W_hh (4H, H)``, ``b_ih (4H,)``, ``b_hh (4H,)``, the four row blocks of
height ``H`` in PyTorch's gate order *input, forget, cell candidate, output* ``(i, f, g, o)``:

$$
\begin{aligned}
a_t &= x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b_{ih} + b_{hh}
      = [\,a^i_t \mid a^f_t \mid a^g_t \mid a^o_t\,] \\
i_t &= \sigma(a^i_t), \quad f_t = \sigma(a^f_t), \quad g_t = \tanh(a^g_t),
      \quad o_t = \sigma(a^o_t) \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
h_t &= o_t \odot \tanh(c_t).
\end{aligned}
$$

The two biases only ever appear as their sum, so their gradients are equal.

All functions compute in the floating-point type of their inputs (use float64 for gradient
checks). A wrong dtype raises ``TypeError``; shapes that do not fit raise ``ValueError``
naming the shapes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dlbook_lib.numpy_layers import _float_array, _sigmoid

__all__ = [
    "sigmoid",
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "init_lstm_params",
]

GATE_ORDER = ("i", "f", "g", "o")
"""The order of the four gate blocks in ``W_ih``, ``W_hh`` and the biases (PyTorch's order)."""


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
def _check_shape(array: np.ndarray, name: str, expected: tuple[int, ...], meaning: str) -> None:
    if array.shape != expected:
        raise ValueError(f"{name} has shape {array.shape} but must be {meaning} = {expected}")


def _check_ndim(array: np.ndarray, name: str, ndim: int, meaning: str) -> None:
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D {meaning}, got shape {array.shape}")


def _check_dout(dout: Any, expected: tuple[int, ...], name: str, where: str) -> np.ndarray:
    dout = _float_array(dout, name)
    if dout.shape != expected:
        raise ValueError(
            f"{where}: {name} has shape {dout.shape} but the forward output had shape {expected}"
        )
    return dout


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))``, without overflow for large ``|x|``.

    Args:
        x: floating-point array of any shape ``(*S)``.

    Returns:
        Array of shape ``(*S)`` and the dtype of ``x``, values in ``[0, 1]``.
    """
    return _sigmoid(_float_array(x, "x"))


# ---------------------------------------------------------------------------------------------
# tanh RNN
# ---------------------------------------------------------------------------------------------
def _check_rnn_params(
    W_xh: Any, W_hh: Any, b_h: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    W_xh = _float_array(W_xh, "W_xh")
    W_hh = _float_array(W_hh, "W_hh")
    b_h = _float_array(b_h, "b_h")
    _check_ndim(W_xh, "W_xh", 2, "(D, H)")
    D, H = W_xh.shape
    _check_shape(W_hh, "W_hh", (H, H), "(H, H)")
    _check_shape(b_h, "b_h", (H,), "(H,)")
    return W_xh, W_hh, b_h, D, H


def rnn_step_forward(
    x_t: np.ndarray, h_prev: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray
) -> tuple[np.ndarray, tuple]:
    """One step of a tanh RNN: ``h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h)``.

    Args:
        x_t: inputs at this step, shape ``(N, D)``.
        h_prev: previous hidden state ``h_{t-1}``, shape ``(N, H)``.
        W_xh: input-to-hidden weights, shape ``(D, H)``.
        W_hh: hidden-to-hidden weights, shape ``(H, H)``.
        b_h: bias, shape ``(H,)``.

    Returns:
        ``(h_t, cache)``: the new hidden state, shape ``(N, H)``, and what the backward pass
        needs.

    Raises:
        TypeError: if an argument is not a floating-point array.
        ValueError: if the shapes do not fit together.
    """
    W_xh, W_hh, b_h, D, H = _check_rnn_params(W_xh, W_hh, b_h)
    x_t = _float_array(x_t, "x_t")
    h_prev = _float_array(h_prev, "h_prev")
    _check_ndim(x_t, "x_t", 2, "(N, D)")
    N = x_t.shape[0]
    _check_shape(x_t, "x_t", (N, D), "(N, D) with D from W_xh")
    _check_shape(h_prev, "h_prev", (N, H), "(N, H)")
    h_t = np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)
    return h_t, (x_t, h_prev, W_xh, W_hh, h_t)


def rnn_step_backward(
    dh_t: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`rnn_step_forward`.

    With ``da = dh_t * (1 - h_t**2)`` (the derivative of tanh), ``dx_t = da @ W_xh.T``,
    ``dh_prev = da @ W_hh.T``, ``dW_xh = x_t.T @ da``, ``dW_hh = h_prev.T @ da``,
    ``db_h = da.sum(0)``.

    Args:
        dh_t: ``dL/dh_t``, shape ``(N, H)``.
        cache: from :func:`rnn_step_forward`.

    Returns:
        ``(dx_t (N, D), dh_prev (N, H), dW_xh (D, H), dW_hh (H, H), db_h (H,))``.

    Raises:
        ValueError: if ``dh_t`` does not have the shape of the forward output.
    """
    x_t, h_prev, W_xh, W_hh, h_t = cache
    dh_t = _check_dout(dh_t, h_t.shape, "dh_t", "rnn_step_backward")
    da = dh_t * (1.0 - h_t**2)
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(
    x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b_h: np.ndarray
) -> tuple[np.ndarray, tuple]:
    """A tanh RNN over a whole sequence, one :func:`rnn_step_forward` per time step.

    Args:
        x: inputs, shape ``(N, T, D)`` (batch first, like ``batch_first=True`` in PyTorch).
        h0: initial hidden state, shape ``(N, H)``.
        W_xh, W_hh, b_h: as in :func:`rnn_step_forward`, shapes ``(D, H)``, ``(H, H)``, ``(H,)``.

    Returns:
        ``(h, cache)``: the hidden states of every step, shape ``(N, T, H)`` (``h[:, -1]`` is
        the last one), and the per-step caches.

    Raises:
        TypeError: if an argument is not a floating-point array.
        ValueError: if the shapes do not fit together or ``T == 0``.
    """
    W_xh, W_hh, b_h, D, H = _check_rnn_params(W_xh, W_hh, b_h)
    x = _float_array(x, "x")
    h0 = _float_array(h0, "h0")
    _check_ndim(x, "x", 3, "(N, T, D)")
    N, T, _ = x.shape
    _check_shape(x, "x", (N, T, D), "(N, T, D) with D from W_xh")
    _check_shape(h0, "h0", (N, H), "(N, H)")
    if T == 0:
        raise ValueError("x has no time steps (T = 0)")
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, W_xh, W_hh, b_h))
    caches = []
    h_t = h0
    for t in range(T):
        h_t, step_cache = rnn_step_forward(x[:, t], h_t, W_xh, W_hh, b_h)
        h[:, t] = h_t
        caches.append(step_cache)
    return h, (caches, h.shape, x.shape)


def rnn_backward(
    dh: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time for :func:`rnn_forward`.

    ``dh[:, t]`` is the gradient that reaches ``h_t`` from the loss directly (e.g. through an
    output layer); the gradient carried back from step ``t + 1`` is added to it before the
    step's backward pass. Parameter gradients are summed over the steps.

    Args:
        dh: ``dL/dh`` for every step, shape ``(N, T, H)`` (zeros where the loss does not look).
        cache: from :func:`rnn_forward`.

    Returns:
        ``(dx (N, T, D), dh0 (N, H), dW_xh (D, H), dW_hh (H, H), db_h (H,))``.

    Raises:
        ValueError: if ``dh`` does not have the shape of the forward output.
    """
    caches, h_shape, x_shape = cache
    dh = _check_dout(dh, h_shape, "dh", "rnn_backward")
    N, T, H = h_shape
    x0, _, W_xh, W_hh, _ = caches[0]
    dx = np.zeros(x_shape, dtype=np.result_type(dh, x0))
    dW_xh, dW_hh = np.zeros_like(W_xh, dtype=dx.dtype), np.zeros_like(W_hh, dtype=dx.dtype)
    db_h = np.zeros(H, dtype=dx.dtype)
    dh_next = np.zeros((N, H), dtype=dx.dtype)  # nothing comes back from after the last step
    for t in reversed(range(T)):
        dx[:, t], dh_next, dW, dU, db = rnn_step_backward(dh[:, t] + dh_next, caches[t])
        dW_xh += dW
        dW_hh += dU
        db_h += db
    return dx, dh_next, dW_xh, dW_hh, db_h


# ---------------------------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------------------------
def _check_lstm_params(
    W_ih: Any, W_hh: Any, b_ih: Any, b_hh: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    W_ih = _float_array(W_ih, "W_ih")
    W_hh = _float_array(W_hh, "W_hh")
    b_ih = _float_array(b_ih, "b_ih")
    b_hh = _float_array(b_hh, "b_hh")
    _check_ndim(W_hh, "W_hh", 2, "(4H, H)")
    H = W_hh.shape[1]
    if W_hh.shape[0] != 4 * H:
        raise ValueError(
            f"W_hh has shape {W_hh.shape} but must be (4H, H): the rows hold the four gates "
            f"(i, f, g, o), so with H = {H} it needs {4 * H} rows"
        )
    _check_ndim(W_ih, "W_ih", 2, "(4H, D)")
    if W_ih.shape[0] != 4 * H:
        raise ValueError(
            f"W_ih has shape {W_ih.shape} but must be (4H, D) = ({4 * H}, D) for H = {H} "
            "(from W_hh)"
        )
    _check_shape(b_ih, "b_ih", (4 * H,), "(4H,)")
    _check_shape(b_hh, "b_hh", (4 * H,), "(4H,)")
    return W_ih, W_hh, b_ih, b_hh, W_ih.shape[1], H


def init_lstm_params(
    input_size: int,
    hidden_size: int,
    *,
    forget_bias: float | None = None,
    seed: int = 0,
    dtype: Any = np.float64,
) -> dict[str, np.ndarray]:
    """LSTM parameters drawn the way ``torch.nn.LSTM`` draws them, optionally with a set
    forget-gate bias.

    Every entry is uniform in ``[-1/sqrt(H), 1/sqrt(H)]`` (PyTorch's default), so the forget
    gate starts near ``sigmoid(0) = 1/2``. With ``forget_bias = b`` the forget gate's biases
    are set to ``b_ih[H:2H] = b`` and ``b_hh[H:2H] = 0``, so the bias the gate sees is exactly
    ``b``. A positive value starts the cell remembering: Gers et al. (2000) used one, and
    Jozefowicz et al. (2015) recommend 1.

    Args:
        input_size: ``D``; hidden_size: ``H``; both >= 1.
        forget_bias: the forget gate's bias, or None to keep PyTorch's random one.
        seed: seed of the generator.
        dtype: floating-point dtype of the arrays.

    Returns:
        ``{"W_ih": (4H, D), "W_hh": (4H, H), "b_ih": (4H,), "b_hh": (4H,)}``, the keyword
        arguments of :func:`lstm_forward` and :func:`lstm_step_forward`.

    Raises:
        TypeError: if a size or the seed is not an int, or ``forget_bias`` is not a number.
        ValueError: if a size is below 1, the seed is negative or ``forget_bias`` is not
            finite.
    """
    for name, value, minimum in (("input_size", input_size, 1), ("hidden_size", hidden_size, 1),
                                 ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if forget_bias is not None:
        if isinstance(forget_bias, bool) or not isinstance(
            forget_bias, (int, float, np.integer, np.floating)
        ):
            raise TypeError(
                f"forget_bias must be a number or None, got {type(forget_bias).__name__}"
            )
        if not np.isfinite(forget_bias):
            raise ValueError(f"forget_bias must be finite, got {forget_bias}")
    D, H = int(input_size), int(hidden_size)
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(H)
    params = {
        "W_ih": rng.uniform(-bound, bound, size=(4 * H, D)),
        "W_hh": rng.uniform(-bound, bound, size=(4 * H, H)),
        "b_ih": rng.uniform(-bound, bound, size=4 * H),
        "b_hh": rng.uniform(-bound, bound, size=4 * H),
    }
    if forget_bias is not None:
        params["b_ih"][H : 2 * H] = float(forget_bias)
        params["b_hh"][H : 2 * H] = 0.0
    return {name: value.astype(dtype) for name, value in params.items()}


def lstm_step_forward(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """One LSTM step (equations in the module docstring), PyTorch's layout and gate order.

    Args:
        x_t: inputs at this step, shape ``(N, D)``.
        h_prev: previous hidden state ``h_{t-1}``, shape ``(N, H)``.
        c_prev: previous cell state ``c_{t-1}``, shape ``(N, H)``.
        W_ih: input weights, shape ``(4H, D)``, row blocks ``i, f, g, o``.
        W_hh: recurrent weights, shape ``(4H, H)``, same blocks.
        b_ih, b_hh: biases, shape ``(4H,)`` each.

    Returns:
        ``((h_t, c_t), cache)``: new hidden and cell states, shape ``(N, H)`` each. ``cache``
        is a dict that the backward pass needs; its keys ``"i"``, ``"f"``, ``"g"``, ``"o"``
        (the gate activations) and ``"c"`` (= ``c_t``), each ``(N, H)``, may be read (e.g.
        to plot the gates) but must not be changed.

    Raises:
        TypeError: if an argument is not a floating-point array.
        ValueError: if the shapes do not fit together.
    """
    W_ih, W_hh, b_ih, b_hh, D, H = _check_lstm_params(W_ih, W_hh, b_ih, b_hh)
    x_t = _float_array(x_t, "x_t")
    h_prev = _float_array(h_prev, "h_prev")
    c_prev = _float_array(c_prev, "c_prev")
    _check_ndim(x_t, "x_t", 2, "(N, D)")
    N = x_t.shape[0]
    _check_shape(x_t, "x_t", (N, D), "(N, D) with D from W_ih")
    _check_shape(h_prev, "h_prev", (N, H), "(N, H)")
    _check_shape(c_prev, "c_prev", (N, H), "(N, H)")

    a = x_t @ W_ih.T + h_prev @ W_hh.T + b_ih + b_hh  # (N, 4H): all four gates at once
    i = sigmoid(a[:, :H])             # input gate
    f = sigmoid(a[:, H : 2 * H])      # forget gate
    g = np.tanh(a[:, 2 * H : 3 * H])  # cell candidate
    o = sigmoid(a[:, 3 * H :])        # output gate
    c_t = f * c_prev + i * g
    tanh_c = np.tanh(c_t)
    h_t = o * tanh_c
    cache = {
        "x": x_t, "h_prev": h_prev, "c_prev": c_prev, "W_ih": W_ih, "W_hh": W_hh,
        "i": i, "f": f, "g": g, "o": o, "c": c_t, "tanh_c": tanh_c,
    }
    return (h_t, c_t), cache


def lstm_step_backward(
    dh_t: np.ndarray, dc_t: np.ndarray, cache: dict[str, np.ndarray]
) -> tuple[np.ndarray, ...]:
    """Backward pass of :func:`lstm_step_forward`.

    ``dc_t`` is the gradient reaching ``c_t`` from the *next* step; the part that reaches it
    through ``h_t = o * tanh(c_t)`` is added here. The cell path back is
    ``dc_prev = dc * f``: no weight matrix, no squashing derivative.

    Args:
        dh_t: ``dL/dh_t``, shape ``(N, H)``.
        dc_t: ``dL/dc_t`` from later steps, shape ``(N, H)`` (zeros at the last step).
        cache: from :func:`lstm_step_forward`.

    Returns:
        ``(dx_t (N, D), dh_prev (N, H), dc_prev (N, H), dW_ih (4H, D), dW_hh (4H, H),
        db_ih (4H,), db_hh (4H,))``; ``db_ih`` and ``db_hh`` are equal.

    Raises:
        ValueError: if ``dh_t`` or ``dc_t`` does not have the shape of the forward output.
    """
    dh_t = _check_dout(dh_t, cache["c"].shape, "dh_t", "lstm_step_backward")
    dc_t = _check_dout(dc_t, cache["c"].shape, "dc_t", "lstm_step_backward")
    i, f, g, o, tanh_c = cache["i"], cache["f"], cache["g"], cache["o"], cache["tanh_c"]

    do = dh_t * tanh_c
    dc = dc_t + dh_t * o * (1.0 - tanh_c**2)  # both paths into c_t
    di, df, dg = dc * g, dc * cache["c_prev"], dc * i
    dc_prev = dc * f
    da = np.concatenate(  # through the gates' non-linearities, in the order i, f, g, o
        [di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g**2), do * o * (1.0 - o)], axis=1
    )
    dx_t = da @ cache["W_ih"]
    dh_prev = da @ cache["W_hh"]
    dW_ih = da.T @ cache["x"]
    dW_hh = da.T @ cache["h_prev"]
    db = da.sum(axis=0)
    return dx_t, dh_prev, dc_prev, dW_ih, dW_hh, db, db.copy()


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> tuple[np.ndarray, dict[str, Any]]:
    """An LSTM over a whole sequence, one :func:`lstm_step_forward` per time step.

    Equivalent to ``torch.nn.LSTM(D, H, batch_first=True)`` with ``weight_ih_l0 = W_ih``,
    ``weight_hh_l0 = W_hh``, ``bias_ih_l0 = b_ih``, ``bias_hh_l0 = b_hh``, called as
    ``lstm(x, (h0[None], c0[None]))``: the output is the same ``(N, T, H)`` tensor.

    Args:
        x: inputs, shape ``(N, T, D)`` (batch first).
        h0, c0: initial hidden and cell states, shape ``(N, H)`` each.
        W_ih, W_hh, b_ih, b_hh: shapes ``(4H, D)``, ``(4H, H)``, ``(4H,)``, ``(4H,)``.

    Returns:
        ``(h, cache)``: hidden states of every step, shape ``(N, T, H)``. ``cache`` is a dict;
        besides what the backward pass needs it holds, for inspection, ``cache["c"]`` (the
        cell states) and ``cache["i"]``, ``cache["f"]``, ``cache["g"]``, ``cache["o"]`` (the
        gate activations), each of shape ``(N, T, H)``; ``cache["c"][:, -1]`` is the final
        cell state.

    Raises:
        TypeError: if an argument is not a floating-point array.
        ValueError: if the shapes do not fit together or ``T == 0``.
    """
    W_ih, W_hh, b_ih, b_hh, D, H = _check_lstm_params(W_ih, W_hh, b_ih, b_hh)
    x = _float_array(x, "x")
    h0 = _float_array(h0, "h0")
    c0 = _float_array(c0, "c0")
    _check_ndim(x, "x", 3, "(N, T, D)")
    N, T, _ = x.shape
    _check_shape(x, "x", (N, T, D), "(N, T, D) with D from W_ih")
    _check_shape(h0, "h0", (N, H), "(N, H)")
    _check_shape(c0, "c0", (N, H), "(N, H)")
    if T == 0:
        raise ValueError("x has no time steps (T = 0)")
    dtype = np.result_type(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    h = np.empty((N, T, H), dtype=dtype)
    seen = {name: np.empty((N, T, H), dtype=dtype) for name in ("c", *GATE_ORDER)}
    steps = []
    h_t, c_t = h0, c0
    for t in range(T):
        (h_t, c_t), step_cache = lstm_step_forward(x[:, t], h_t, c_t, W_ih, W_hh, b_ih, b_hh)
        h[:, t] = h_t
        for name in seen:
            seen[name][:, t] = step_cache[name]
        steps.append(step_cache)
    return h, {"steps": steps, "h_shape": h.shape, "x_shape": x.shape, **seen}


def lstm_backward(dh: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """Backpropagation through time for :func:`lstm_forward`.

    ``dh[:, t]`` is the gradient reaching ``h_t`` from the loss directly; the gradients
    carried back from step ``t + 1`` (to ``h_t`` and to ``c_t``) are added to it. Parameter
    gradients are summed over the steps.

    Args:
        dh: ``dL/dh`` for every step, shape ``(N, T, H)``.
        cache: from :func:`lstm_forward`.

    Returns:
        ``(dx (N, T, D), dh0 (N, H), dc0 (N, H), dW_ih (4H, D), dW_hh (4H, H), db_ih (4H,),
        db_hh (4H,))``, matching the ``.grad`` of ``torch.nn.LSTM``'s ``weight_ih_l0``,
        ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``.

    Raises:
        ValueError: if ``dh`` does not have the shape of the forward output.
    """
    steps = cache["steps"]
    dh = _check_dout(dh, cache["h_shape"], "dh", "lstm_backward")
    N, T, H = cache["h_shape"]
    dtype = np.result_type(dh, steps[0]["x"])
    dx = np.zeros(cache["x_shape"], dtype=dtype)
    dW_ih = np.zeros(steps[0]["W_ih"].shape, dtype=dtype)
    dW_hh = np.zeros(steps[0]["W_hh"].shape, dtype=dtype)
    db = np.zeros(4 * H, dtype=dtype)
    dh_next = np.zeros((N, H), dtype=dtype)
    dc_next = np.zeros((N, H), dtype=dtype)
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, dW, dU, db_t, _ = lstm_step_backward(
            dh[:, t] + dh_next, dc_next, steps[t]
        )
        dW_ih += dW
        dW_hh += dU
        db += db_t
    return dx, dh_next, dc_next, dW_ih, dW_hh, db, db.copy()
