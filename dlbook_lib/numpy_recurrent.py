r"""Recurrent cells in plain NumPy: a tanh RNN and an LSTM, forward and backward.

The contract of :mod:`dlbook_lib.numpy_layers`: ``X_forward(inputs, <params>) -> (out, cache)``
and ``X_backward(dout, cache) -> (dx, grads)``, ``grads`` a dict keyed like the forward's array
arguments after the input (initial states included: ``"h0"``, ``"c0"``). And its one weight
layout: rows are examples, weights multiply from the right (``x_t @ W_xh``).

There are two granularities. A *step* function processes one time step of a batch, ``x_t`` of
shape ``(N, D)``; a *sequence* function runs the step over all ``T`` steps of ``x`` of shape
``(N, T, D)`` and its backward pass is backpropagation through time (BPTT).

**tanh RNN**, weights ``W_xh (D, H)``, ``W_hh (H, H)``, bias ``b_h (H,)``:

$$h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h).$$

**LSTM** (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000): the same
names, four RNN weight matrices side by side, ``W_xh (D, 4H)``, ``W_hh (H, 4H)``,
``b_h (4H,)``, the column blocks of width ``H`` in PyTorch's gate order *input, forget, cell
candidate, output* ``(i, f, g, o)``:

$$
\begin{aligned}
a_t &= x_t W_{xh} + h_{t-1} W_{hh} + b_h
      = [\,a^i_t \mid a^f_t \mid a^g_t \mid a^o_t\,] \\
i_t &= \sigma(a^i_t), \quad f_t = \sigma(a^f_t), \quad g_t = \tanh(a^g_t),
      \quad o_t = \sigma(a^o_t) \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
h_t &= o_t \odot \tanh(c_t).
\end{aligned}
$$

**PyTorch stores the transposes** and two biases that only ever appear as their sum:
``weight_ih_l0 = W_xh.T``, ``weight_hh_l0 = W_hh.T``, ``bias_ih_l0 + bias_hh_l0 = b_h``
(for ``nn.RNN`` and ``nn.LSTM`` alike). :func:`copy_to_torch` and :func:`torch_gradients`
convert at the comparison, so the cells themselves keep the book's layout.

All functions compute in the floating-point type of their inputs (use float64 for gradient
checks). A wrong dtype raises ``TypeError``; shapes that do not fit raise ``ValueError``
naming the shapes.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dlbook_lib._checks import (
    check_int,
    check_ndim,
    check_number,
    check_seed,
    check_shape,
    float_array,
    upstream_gradient,
)
from dlbook_lib.numpy_layers import stable_sigmoid

__all__ = [
    "GATE_ORDER",
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "init_lstm_params",
    "copy_to_torch",
    "torch_gradients",
]

GATE_ORDER = ("i", "f", "g", "o")
"""The order of the four gate blocks in the LSTM's ``W_xh``, ``W_hh``, ``b_h`` (PyTorch's)."""

Grads = dict[str, np.ndarray]


def _check_params(W_xh: Any, W_hh: Any, b_h: Any, gates: int) -> tuple[np.ndarray, ...]:
    """The three arrays, checked: ``W_xh (D, G H)``, ``W_hh (H, G H)``, ``b_h (G H,)``."""
    W_xh, W_hh = float_array(W_xh, "W_xh"), float_array(W_hh, "W_hh")
    b_h = float_array(b_h, "b_h")
    blocks = "(D, H)" if gates == 1 else f"(D, {gates}H)"
    check_ndim(W_xh, "W_xh", 2, blocks)
    check_ndim(W_hh, "W_hh", 2, blocks.replace("D", "H"))
    H = W_hh.shape[0]
    what = "" if gates == 1 else f": the columns hold the {gates} gates (i, f, g, o)"
    check_shape(W_hh, "W_hh", (H, gates * H), blocks.replace("D", "H") + what)
    if W_xh.shape[1] != gates * H:
        raise ValueError(
            f"W_xh has shape {W_xh.shape} but must be {blocks} with {gates * H} columns, "
            f"since W_hh {W_hh.shape} gives H = {H}"
        )
    check_shape(b_h, "b_h", (gates * H,), "(H,)" if gates == 1 else f"({gates}H,)")
    return W_xh, W_hh, b_h


def _check_pair(dout: Any) -> None:
    if not isinstance(dout, (tuple, list)) or len(dout) != 2:
        raise TypeError("dout must be the pair (dh_t, dc_t), like the forward's (h_t, c_t)")


def _check_state(value: Any, name: str, N: int, H: int) -> np.ndarray:
    value = float_array(value, name)
    check_shape(value, name, (N, H), "(N, H)")
    return value


def _check_inputs(x: Any, name: str, D: int, ndim: int) -> np.ndarray:
    x = float_array(x, name)
    meaning = "(N, D)" if ndim == 2 else "(N, T, D)"
    check_ndim(x, name, ndim, meaning)
    if x.shape[-1] != D:
        raise ValueError(
            f"{name} has shape {x.shape} but must be {meaning} with D = {D} from W_xh"
        )
    if ndim == 3 and x.shape[1] == 0:
        raise ValueError(f"{name} has no time steps (T = 0)")
    return x


# ---------------------------------------------------------------------------------------------
# tanh RNN
# ---------------------------------------------------------------------------------------------
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
    W_xh, W_hh, b_h = _check_params(W_xh, W_hh, b_h, gates=1)
    x_t = _check_inputs(x_t, "x_t", W_xh.shape[0], ndim=2)
    h_prev = _check_state(h_prev, "h_prev", x_t.shape[0], W_hh.shape[0])
    h_t = np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)
    return h_t, (x_t, h_prev, W_xh, W_hh, h_t)


def rnn_step_backward(dh_t: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
    """Backward pass of :func:`rnn_step_forward`.

    With ``da = dh_t * (1 - h_t**2)`` (the derivative of tanh), ``dx_t = da @ W_xh.T``,
    ``dh_prev = da @ W_hh.T``, ``dW_xh = x_t.T @ da``, ``dW_hh = h_prev.T @ da``,
    ``db_h = da.sum(0)``.

    Args:
        dh_t: ``dL/dh_t``, shape ``(N, H)``.
        cache: from :func:`rnn_step_forward`.

    Returns:
        ``(dx_t, {"h_prev": (N, H), "W_xh": (D, H), "W_hh": (H, H), "b_h": (H,)})``.

    Raises:
        ValueError: if ``dh_t`` does not have the shape of the forward output.
    """
    x_t, h_prev, W_xh, W_hh, h_t = cache
    dh_t = upstream_gradient(dh_t, h_t.shape, "rnn_step_backward", "dh_t")
    da = dh_t * (1.0 - h_t**2)
    grads = {"h_prev": da @ W_hh.T, "W_xh": x_t.T @ da, "W_hh": h_prev.T @ da, "b_h": da.sum(0)}
    return da @ W_xh.T, grads


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
    W_xh, W_hh, b_h = _check_params(W_xh, W_hh, b_h, gates=1)
    x = _check_inputs(x, "x", W_xh.shape[0], ndim=3)
    N, T, _ = x.shape
    H = W_hh.shape[0]
    h0 = _check_state(h0, "h0", N, H)
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, W_xh, W_hh, b_h))
    caches = []
    h_t = h0
    for t in range(T):
        h_t, step_cache = rnn_step_forward(x[:, t], h_t, W_xh, W_hh, b_h)
        h[:, t] = h_t
        caches.append(step_cache)
    return h, (caches, h.shape, x.shape)


def rnn_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
    """Backpropagation through time for :func:`rnn_forward`.

    ``dh[:, t]`` is the gradient that reaches ``h_t`` from the loss directly (e.g. through an
    output layer); the gradient carried back from step ``t + 1`` is added to it before the
    step's backward pass. Parameter gradients are summed over the steps.

    Args:
        dh: ``dL/dh`` for every step, shape ``(N, T, H)`` (zeros where the loss does not look).
        cache: from :func:`rnn_forward`.

    Returns:
        ``(dx (N, T, D), {"h0": (N, H), "W_xh": (D, H), "W_hh": (H, H), "b_h": (H,)})``.

    Raises:
        ValueError: if ``dh`` does not have the shape of the forward output.
    """
    caches, h_shape, x_shape = cache
    dh = upstream_gradient(dh, h_shape, "rnn_backward", "dh")
    N, T, H = h_shape
    x0, _, W_xh, W_hh, _ = caches[0]
    dx = np.zeros(x_shape, dtype=np.result_type(dh, x0))
    grads = {name: np.zeros_like(p, dtype=dx.dtype)
             for name, p in (("W_xh", W_xh), ("W_hh", W_hh), ("b_h", np.zeros(H)))}
    dh_next = np.zeros((N, H), dtype=dx.dtype)  # nothing comes back from after the last step
    for t in reversed(range(T)):
        dx[:, t], step = rnn_step_backward(dh[:, t] + dh_next, caches[t])
        dh_next = step["h_prev"]
        for name in grads:
            grads[name] += step[name]
    return dx, {"h0": dh_next, **grads}


# ---------------------------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------------------------
def init_lstm_params(
    input_size: int,
    hidden_size: int,
    *,
    forget_bias: float | None = None,
    seed: int = 0,
    dtype: Any = np.float64,
) -> dict[str, np.ndarray]:
    """LSTM parameters drawn the way ``torch.nn.LSTM`` draws them, in the book's layout,
    optionally with a set forget-gate bias.

    PyTorch draws every entry of its four arrays uniform in ``[-1/sqrt(H), 1/sqrt(H)]``; we
    draw the same arrays in the same order, transpose the weights and add the two biases,
    so the cell computes the same function as PyTorch's would from the same draws. The
    forget gate then starts near ``sigmoid(0) = 1/2``. With ``forget_bias = b`` the forget
    gate's bias is set to exactly ``b``: a positive value starts the cell remembering. Gers
    et al. (2000) used one, and Jozefowicz et al. (2015) recommend 1.

    Args:
        input_size: ``D``; hidden_size: ``H``; both >= 1.
        forget_bias: the forget gate's bias, or None to keep the random one.
        seed: seed of the generator.
        dtype: floating-point dtype of the arrays.

    Returns:
        ``{"W_xh": (D, 4H), "W_hh": (H, 4H), "b_h": (4H,)}``, the keyword arguments of
        :func:`lstm_forward` and :func:`lstm_step_forward`.

    Raises:
        TypeError: if a size or the seed is not an int, or ``forget_bias`` is not a number.
        ValueError: if a size is below 1, the seed is negative or ``forget_bias`` is not
            finite.
    """
    D = check_int(input_size, "input_size", minimum=1)
    H = check_int(hidden_size, "hidden_size", minimum=1)
    rng = np.random.default_rng(check_seed(seed))
    if forget_bias is not None:
        forget_bias = check_number(forget_bias, "forget_bias")
    bound = 1.0 / np.sqrt(H)
    weight_ih = rng.uniform(-bound, bound, size=(4 * H, D))  # PyTorch's shapes and order
    weight_hh = rng.uniform(-bound, bound, size=(4 * H, H))
    bias_ih = rng.uniform(-bound, bound, size=4 * H)
    bias_hh = rng.uniform(-bound, bound, size=4 * H)
    params = {"W_xh": weight_ih.T.copy(), "W_hh": weight_hh.T.copy(), "b_h": bias_ih + bias_hh}
    if forget_bias is not None:
        params["b_h"][H : 2 * H] = forget_bias
    return {name: value.astype(dtype) for name, value in params.items()}


def lstm_step_forward(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """One LSTM step (equations in the module docstring).

    Args:
        x_t: inputs at this step, shape ``(N, D)``.
        h_prev: previous hidden state ``h_{t-1}``, shape ``(N, H)``.
        c_prev: previous cell state ``c_{t-1}``, shape ``(N, H)``.
        W_xh: input weights, shape ``(D, 4H)``, column blocks ``i, f, g, o``.
        W_hh: recurrent weights, shape ``(H, 4H)``, same blocks.
        b_h: bias, shape ``(4H,)``.

    Returns:
        ``((h_t, c_t), cache)``: new hidden and cell states, shape ``(N, H)`` each. ``cache``
        is a dict that the backward pass needs; its keys ``"i"``, ``"f"``, ``"g"``, ``"o"``
        (the gate activations) and ``"c"`` (= ``c_t``), each ``(N, H)``, may be read (e.g.
        to plot the gates) but must not be changed.

    Raises:
        TypeError: if an argument is not a floating-point array.
        ValueError: if the shapes do not fit together.
    """
    W_xh, W_hh, b_h = _check_params(W_xh, W_hh, b_h, gates=4)
    x_t = _check_inputs(x_t, "x_t", W_xh.shape[0], ndim=2)
    H = W_hh.shape[0]
    h_prev = _check_state(h_prev, "h_prev", x_t.shape[0], H)
    c_prev = _check_state(c_prev, "c_prev", x_t.shape[0], H)

    a = x_t @ W_xh + h_prev @ W_hh + b_h  # (N, 4H): all four gates at once
    i = stable_sigmoid(a[:, :H])         # input gate
    f = stable_sigmoid(a[:, H : 2 * H])  # forget gate
    g = np.tanh(a[:, 2 * H : 3 * H])     # cell candidate
    o = stable_sigmoid(a[:, 3 * H :])    # output gate
    c_t = f * c_prev + i * g
    tanh_c = np.tanh(c_t)
    h_t = o * tanh_c
    cache = {
        "x": x_t, "h_prev": h_prev, "c_prev": c_prev, "W_xh": W_xh, "W_hh": W_hh,
        "i": i, "f": f, "g": g, "o": o, "c": c_t, "tanh_c": tanh_c,
    }
    return (h_t, c_t), cache


def lstm_step_backward(
    dout: tuple[np.ndarray, np.ndarray], cache: dict[str, np.ndarray]
) -> tuple[np.ndarray, Grads]:
    """Backward pass of :func:`lstm_step_forward`.

    ``dout = (dh_t, dc_t)`` matches the forward's output ``(h_t, c_t)``: ``dc_t`` is the
    gradient reaching ``c_t`` from the *next* step (zeros at the last step); the part that
    reaches it through ``h_t = o * tanh(c_t)`` is added here. The cell path back is
    ``dc_prev = dc * f``: no weight matrix, no squashing derivative.

    Args:
        dout: ``(dL/dh_t, dL/dc_t)``, shapes ``(N, H)`` each.
        cache: from :func:`lstm_step_forward`.

    Returns:
        ``(dx_t (N, D), {"h_prev": (N, H), "c_prev": (N, H), "W_xh": (D, 4H),
        "W_hh": (H, 4H), "b_h": (4H,)})``.

    Raises:
        TypeError: if ``dout`` is not a pair of arrays.
        ValueError: if ``dh_t`` or ``dc_t`` does not have the shape of the forward output.
    """
    _check_pair(dout)
    dh_t, dc_t = dout
    dh_t = upstream_gradient(dh_t, cache["c"].shape, "lstm_step_backward", "dh_t")
    dc_t = upstream_gradient(dc_t, cache["c"].shape, "lstm_step_backward", "dc_t")
    i, f, g, o, tanh_c = cache["i"], cache["f"], cache["g"], cache["o"], cache["tanh_c"]

    do = dh_t * tanh_c
    dc = dc_t + dh_t * o * (1.0 - tanh_c**2)  # both paths into c_t
    di, df, dg = dc * g, dc * cache["c_prev"], dc * i
    da = np.concatenate(  # through the gates' non-linearities, in the order i, f, g, o
        [di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g**2), do * o * (1.0 - o)], axis=1
    )
    grads = {
        "h_prev": da @ cache["W_hh"].T,
        "c_prev": dc * f,
        "W_xh": cache["x"].T @ da,
        "W_hh": cache["h_prev"].T @ da,
        "b_h": da.sum(axis=0),
    }
    return da @ cache["W_xh"].T, grads


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
) -> tuple[np.ndarray, dict[str, Any]]:
    """An LSTM over a whole sequence, one :func:`lstm_step_forward` per time step.

    Equivalent to ``torch.nn.LSTM(D, H, batch_first=True)`` holding the same parameters
    (:func:`copy_to_torch`), called as ``lstm(x, (h0[None], c0[None]))``: the output is the
    same ``(N, T, H)`` tensor.

    Args:
        x: inputs, shape ``(N, T, D)`` (batch first).
        h0, c0: initial hidden and cell states, shape ``(N, H)`` each.
        W_xh, W_hh, b_h: shapes ``(D, 4H)``, ``(H, 4H)``, ``(4H,)``.

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
    W_xh, W_hh, b_h = _check_params(W_xh, W_hh, b_h, gates=4)
    x = _check_inputs(x, "x", W_xh.shape[0], ndim=3)
    N, T, _ = x.shape
    H = W_hh.shape[0]
    h0, c0 = _check_state(h0, "h0", N, H), _check_state(c0, "c0", N, H)
    dtype = np.result_type(x, h0, c0, W_xh, W_hh, b_h)
    h = np.empty((N, T, H), dtype=dtype)
    seen = {name: np.empty((N, T, H), dtype=dtype) for name in ("c", *GATE_ORDER)}
    steps = []
    h_t, c_t = h0, c0
    for t in range(T):
        (h_t, c_t), step_cache = lstm_step_forward(x[:, t], h_t, c_t, W_xh, W_hh, b_h)
        h[:, t] = h_t
        for name in seen:
            seen[name][:, t] = step_cache[name]
        steps.append(step_cache)
    return h, {"steps": steps, "h_shape": h.shape, "x_shape": x.shape, **seen}


def lstm_backward(dh: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, Grads]:
    """Backpropagation through time for :func:`lstm_forward`.

    ``dh[:, t]`` is the gradient reaching ``h_t`` from the loss directly; the gradients
    carried back from step ``t + 1`` (to ``h_t`` and to ``c_t``) are added to it. Parameter
    gradients are summed over the steps.

    Args:
        dh: ``dL/dh`` for every step, shape ``(N, T, H)``.
        cache: from :func:`lstm_forward`.

    Returns:
        ``(dx (N, T, D), {"h0": (N, H), "c0": (N, H), "W_xh": (D, 4H), "W_hh": (H, 4H),
        "b_h": (4H,)})``.

    Raises:
        ValueError: if ``dh`` does not have the shape of the forward output.
    """
    steps = cache["steps"]
    dh = upstream_gradient(dh, cache["h_shape"], "lstm_backward", "dh")
    N, T, H = cache["h_shape"]
    dtype = np.result_type(dh, steps[0]["x"])
    dx = np.zeros(cache["x_shape"], dtype=dtype)
    grads = {"W_xh": np.zeros(steps[0]["W_xh"].shape, dtype=dtype),
             "W_hh": np.zeros(steps[0]["W_hh"].shape, dtype=dtype),
             "b_h": np.zeros(4 * H, dtype=dtype)}
    dh_next = np.zeros((N, H), dtype=dtype)
    dc_next = np.zeros((N, H), dtype=dtype)
    for t in reversed(range(T)):
        dx[:, t], step = lstm_step_backward((dh[:, t] + dh_next, dc_next), steps[t])
        dh_next, dc_next = step["h_prev"], step["c_prev"]
        for name in grads:
            grads[name] += step[name]
    return dx, {"h0": dh_next, "c0": dc_next, **grads}


# ---------------------------------------------------------------------------------------------
# Converting at the comparison with PyTorch
# ---------------------------------------------------------------------------------------------
def _single_layer(module: Any) -> None:
    import torch

    if not isinstance(module, (torch.nn.RNN, torch.nn.LSTM)):
        raise TypeError(
            f"module must be a torch.nn.RNN or torch.nn.LSTM, got {type(module).__name__}"
        )
    if module.num_layers != 1 or module.bidirectional or not module.bias:
        raise ValueError("only a single-layer, one-directional RNN/LSTM with biases converts")
    if getattr(module, "proj_size", 0):
        raise ValueError("an LSTM with proj_size does not convert")


def copy_to_torch(params: dict[str, np.ndarray], module: Any) -> None:
    """Copy ``{"W_xh", "W_hh", "b_h"}`` into a one-layer ``nn.RNN`` or ``nn.LSTM``, in place.

    ``weight_ih_l0 = W_xh.T``, ``weight_hh_l0 = W_hh.T``, ``bias_ih_l0 = b_h`` and
    ``bias_hh_l0 = 0`` (only their sum matters).

    Raises:
        TypeError: if ``module`` is not an ``nn.RNN``/``nn.LSTM``.
        ValueError: if it has several layers, two directions, no biases, or the shapes differ.
    """
    import torch

    _single_layer(module)
    targets = {
        "W_xh": module.weight_ih_l0, "W_hh": module.weight_hh_l0, "b_h": module.bias_ih_l0
    }
    values = {}
    for name, target in targets.items():  # check all before copying any
        value = torch.from_numpy(np.asarray(params[name]))
        value = value.T if value.ndim == 2 else value
        if tuple(value.shape) != tuple(target.shape):
            raise ValueError(
                f"{name} of shape {tuple(np.shape(params[name]))} does not fit "
                f"{type(module).__name__}({module.input_size}, {module.hidden_size}), "
                f"which stores its transpose with shape {tuple(target.shape)}"
            )
        values[name] = value
    with torch.no_grad():
        for name, target in targets.items():
            target.copy_(values[name])
        module.bias_hh_l0.zero_()


def torch_gradients(module: Any) -> dict[str, np.ndarray]:
    """The ``.grad`` of a one-layer ``nn.RNN``/``nn.LSTM`` in the book's layout and names.

    Returns:
        ``{"W_xh": weight_ih_l0.grad.T, "W_hh": weight_hh_l0.grad.T, "b_h": bias_ih_l0.grad}``
        (``bias_hh_l0.grad`` is the same as ``bias_ih_l0.grad``: both enter as a sum).

    Raises:
        ValueError: if ``backward`` has not been called (no ``.grad`` yet).
    """
    _single_layer(module)
    if module.weight_ih_l0.grad is None:
        raise ValueError("the module has no gradients yet: call backward() first")
    return {
        "W_xh": module.weight_ih_l0.grad.T.numpy().copy(),
        "W_hh": module.weight_hh_l0.grad.T.numpy().copy(),
        "b_h": module.bias_ih_l0.grad.numpy().copy(),
    }
