r"""NumPy layers with hand-written forward and backward passes, all on one contract.

**The contract** (cs231n's ``layers.py``), kept by every layer here and in
:mod:`dlbook_lib.numpy_recurrent`, now and later (dropout and batch norm are here; attention...):

* ``X_forward(x, <parameters>, <options>) -> (out, cache)``: the output, and in ``cache``
  what the backward pass needs (treat it as opaque);
* ``X_backward(dout, cache) -> (dx, grads)``: given ``dout = dL/d out`` (same shape as
  ``out``), ``dx = dL/dx`` and ``grads``, a dict keyed like the forward's array arguments
  after ``x`` (``{"W": dW, "b": db}``; ``{}`` for a layer without parameters), each gradient
  of the shape of its array.

**One weight layout**: rows are examples and a layer multiplies from the right,
``out = x @ W + b`` with ``W`` of shape ``(D_in, D_out)``, as the equations of the book are
written. The recurrent cells use the same (``x_t @ W_xh``); convolution filters are
``(C_out, C_in, k, k)``, as everywhere. PyTorch's ``nn.Linear`` stores ``W.T``: convert at the
comparison, never inside a layer.

Losses return the loss and its gradient together: ``loss, dscores = softmax_cross_entropy(...)``.
:mod:`dlbook_lib.numpy_models` builds networks from these layers; :mod:`dlbook_lib.gradient_check`
checks any of them against finite differences and ``torch.autograd``.

Inputs must be floating-point arrays (float64 for gradient checks); a shape mismatch raises a
``ValueError`` naming the shapes, a wrong dtype a ``TypeError``. The checks sit on one line each
at the top of a function (from :mod:`dlbook_lib._checks`), so the math below them reads alone.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlbook_lib._checks import (
    check_int,
    check_ndim,
    check_number,
    class_labels,
    float_array,
    upstream_gradient,
)

__all__ = [
    "linear_forward",
    "linear_backward",
    "conv2d_forward",
    "conv2d_backward",
    "avg_pool_forward",
    "avg_pool_backward",
    "max_pool_forward",
    "max_pool_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "relu_forward",
    "relu_backward",
    "dropout_forward",
    "dropout_backward",
    "batchnorm_forward",
    "batchnorm_backward",
    "layernorm_forward",
    "layernorm_backward",
    "stable_sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "mse_loss",
]

Grads = dict[str, np.ndarray]


# ---------------------------------------------------------------------------------------------
# Linear
# ---------------------------------------------------------------------------------------------
def _check_linear(x: Any, W: Any, b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, W, b = float_array(x, "x", ndim=2), float_array(W, "W", ndim=2), float_array(b, "b", 1)
    if x.shape[1] != W.shape[0]:
        raise ValueError(
            f"x has {x.shape[1]} features (shape {x.shape}) but W expects {W.shape[0]} "
            f"(shape {W.shape})"
        )
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b has shape {b.shape} but W has {W.shape[1]} outputs (shape {W.shape})")
    return x, W, b


def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Affine layer ``out = x @ W + b``.

    Args:
        x: inputs, shape ``(N, D)``.
        W: weights, shape ``(D, M)``.
        b: biases, shape ``(M,)``.

    Returns:
        ``(out, cache)`` with ``out`` of shape ``(N, M)``.

    Raises:
        TypeError: if an argument is not a floating-point array.
        ValueError: if the shapes do not fit together.
    """
    x, W, b = _check_linear(x, W, b)
    out = x @ W + b
    return out, (x, W)


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
    """Backward pass of :func:`linear_forward`.

    With ``out = x @ W + b``: ``dx = dout @ W.T``, ``dW = x.T @ dout``, ``db = dout.sum(0)``.

    Args:
        dout: upstream gradient, shape ``(N, M)``.
        cache: from :func:`linear_forward`.

    Returns:
        ``(dx, {"W": dW, "b": db})`` with shapes ``(N, D)``, ``(D, M)``, ``(M,)``.

    Raises:
        TypeError: if ``dout`` is not a floating-point array.
        ValueError: if ``dout`` does not have the forward output's shape.
    """
    x, W = cache
    dout = upstream_gradient(dout, (x.shape[0], W.shape[1]), "linear_backward")
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, {"W": dW, "b": db}


# ---------------------------------------------------------------------------------------------
# Convolution and pooling, on (N, C, H, W) batches
# ---------------------------------------------------------------------------------------------
def _check_conv(
    x: Any, W: Any, b: Any, stride: Any, padding: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    x, W, b = float_array(x, "x"), float_array(W, "W"), float_array(b, "b", ndim=1)
    check_ndim(x, "x", 4, "(N, C_in, H, W)")
    check_ndim(W, "W", 4, "(C_out, C_in, k, k)")
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    if W.shape[2] != W.shape[3]:
        raise ValueError(f"filters must be square (C_out, C_in, k, k), got shape {W.shape}")
    if x.shape[1] != W.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels but the filters expect {W.shape[1]}")
    if b.shape != (W.shape[0],):
        raise ValueError(f"b has shape {b.shape} but there are {W.shape[0]} filters")
    k = W.shape[2]
    if min(x.shape[2:]) + 2 * padding < k:
        raise ValueError(
            f"a {k}x{k} kernel does not fit in a {x.shape[2]}x{x.shape[3]} input "
            f"with padding {padding}"
        )
    return x, W, b, stride, padding


def conv2d_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int = 1, padding: int = 0
) -> tuple[np.ndarray, tuple]:
    r"""2-D convolution (cross-correlation, as in every framework) with zero padding.

    $$\text{out}[n, o, i, j] = b_o + \sum_{c, u, v} W[o, c, u, v]\,
    x_p[n, c, s i + u, s j + v],$$

    with ``x_p`` the padded input and ``s`` the stride. Every ``k x k`` window of ``x_p`` is a
    view (no copy: the im2col matrix without materialising it), contracted with the filters
    in one ``tensordot``.

    Args:
        x: inputs, shape ``(N, C_in, H, W)``.
        W: filters, shape ``(C_out, C_in, k, k)``.
        b: biases, shape ``(C_out,)``.
        stride: step between windows, >= 1.
        padding: zeros added on each side, >= 0.

    Returns:
        ``(out, cache)`` with ``out`` of shape ``(N, C_out, H_out, W_out)``,
        ``H_out = (H + 2 padding - k) // stride + 1`` (the same for ``W_out``).

    Raises:
        TypeError: if an array is not floating-point or stride/padding is not an int.
        ValueError: if the shapes do not fit (channels, bias, a kernel larger than the input).
    """
    x, W, b, stride, padding = _check_conv(x, W, b, stride, padding)
    k = W.shape[-1]
    x_p = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x_p, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    # windows (N, C_in, H_out, W_out, k, k); contract C_in, u, v with W's (C_in, u, v)
    out = np.tensordot(windows, W, axes=([1, 4, 5], [1, 2, 3]))  # (N, H_out, W_out, C_out)
    out = out.transpose(0, 3, 1, 2) + b[None, :, None, None]
    return out, (x.shape, windows, W, stride, padding)


def conv2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
    r"""Backward pass of :func:`conv2d_forward`.

    ``db[o] = sum dout[:, o]``; ``dW[o, c, u, v] = sum_{n,i,j} dout[n, o, i, j]
    x_p[n, c, s i + u, s j + v]`` (the windows against ``dout``); and each filter tap
    ``(u, v)`` sends ``dout`` back, weighted by ``W[:, :, u, v]``, to the input pixels it read:
    ``dx_p[n, c, s i + u, s j + v] += sum_o dout[n, o, i, j] W[o, c, u, v]``, then the padding
    is cut off.

    Args:
        dout: upstream gradient, shape ``(N, C_out, H_out, W_out)``.
        cache: from :func:`conv2d_forward`.

    Returns:
        ``(dx, {"W": dW, "b": db})`` with the shapes of ``x``, ``W`` and ``b``.

    Raises:
        ValueError: if ``dout`` does not have the forward output's shape.
    """
    x_shape, windows, W, stride, padding = cache
    N, C_in, H, W_in = x_shape
    k = W.shape[-1]
    H_out, W_out = windows.shape[2], windows.shape[3]
    dout = upstream_gradient(dout, (N, W.shape[0], H_out, W_out), "conv2d_backward")
    db = dout.sum(axis=(0, 2, 3))
    dW = np.tensordot(dout, windows, axes=([0, 2, 3], [0, 2, 3]))  # (C_out, C_in, k, k)
    dx_p = np.zeros((N, C_in, H + 2 * padding, W_in + 2 * padding), dtype=dW.dtype)
    for u in range(k):
        for v in range(k):
            rows = slice(u, u + stride * (H_out - 1) + 1, stride)
            cols = slice(v, v + stride * (W_out - 1) + 1, stride)
            dx_p[:, :, rows, cols] += np.einsum("noij,oc->ncij", dout, W[:, :, u, v])
    dx = dx_p[:, :, padding : padding + H, padding : padding + W_in]
    return dx, {"W": dW, "b": db}


def _pool_blocks(x: Any, size: Any, layer: str) -> tuple[np.ndarray, int]:
    """``x`` (N, C, H, W) as non-overlapping ``size x size`` blocks (N, C, H/s, W/s, s*s)."""
    x = float_array(x, "x")
    check_ndim(x, "x", 4, "(N, C, H, W)")
    size = check_int(size, "size", minimum=1)
    N, C, H, W = x.shape
    if H % size or W % size:
        raise ValueError(
            f"{layer}: a {H}x{W} map does not split into {size}x{size} blocks "
            "(pad or crop it to a multiple of the size first)"
        )
    blocks = x.reshape(N, C, H // size, size, W // size, size).transpose(0, 1, 2, 4, 3, 5)
    return blocks.reshape(N, C, H // size, W // size, size * size), size


def _unblock(d_blocks: np.ndarray, size: int) -> np.ndarray:
    """Inverse of :func:`_pool_blocks`: (N, C, H/s, W/s, s*s) back to (N, C, H, W)."""
    N, C, Hb, Wb, _ = d_blocks.shape
    d = d_blocks.reshape(N, C, Hb, Wb, size, size).transpose(0, 1, 2, 4, 3, 5)
    return d.reshape(N, C, Hb * size, Wb * size)


def avg_pool_forward(x: np.ndarray, size: int = 2) -> tuple[np.ndarray, tuple]:
    """Average pooling over non-overlapping ``size x size`` blocks (stride = size).

    Args:
        x: inputs, shape ``(N, C, H, W)`` with ``H`` and ``W`` multiples of ``size``.
        size: block side, >= 1.

    Returns:
        ``(out, cache)`` with ``out`` of shape ``(N, C, H / size, W / size)``, the mean of
        each block.

    Raises:
        TypeError: if ``x`` is not floating-point or ``size`` is not an int.
        ValueError: if ``x`` is not 4-D or its sides are not multiples of ``size``.
    """
    blocks, size = _pool_blocks(x, size, "avg_pool_forward")
    return blocks.mean(axis=-1), (blocks.shape, size)


def avg_pool_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
    """Backward pass of :func:`avg_pool_forward`: each input of a block gets ``dout / size²``.

    Returns:
        ``(dx, {})`` with ``dx`` of the input's shape ``(N, C, H, W)``.

    Raises:
        ValueError: if ``dout`` does not have the forward output's shape.
    """
    blocks_shape, size = cache
    dout = upstream_gradient(dout, blocks_shape[:4], "avg_pool_backward")
    d_blocks = np.repeat(dout[..., None] / (size * size), size * size, axis=-1)
    return _unblock(d_blocks, size), {}


def max_pool_forward(x: np.ndarray, size: int = 2) -> tuple[np.ndarray, tuple]:
    """Max pooling over non-overlapping ``size x size`` blocks (stride = size).

    Args:
        x: inputs, shape ``(N, C, H, W)`` with ``H`` and ``W`` multiples of ``size``.
        size: block side, >= 1.

    Returns:
        ``(out, cache)`` with ``out`` of shape ``(N, C, H / size, W / size)``, the maximum
        of each block.

    Raises:
        TypeError: if ``x`` is not floating-point or ``size`` is not an int.
        ValueError: if ``x`` is not 4-D or its sides are not multiples of ``size``.
    """
    blocks, size = _pool_blocks(x, size, "max_pool_forward")
    winner = blocks.argmax(axis=-1)  # the first maximum of each block, on ties
    out = np.take_along_axis(blocks, winner[..., None], axis=-1)[..., 0]
    return out, (blocks.shape, size, winner)


def max_pool_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
    """Backward pass of :func:`max_pool_forward`: ``dout`` goes to each block's maximum only.

    The other inputs of a block did not change the output, so their gradient is 0. On a tie
    the first maximum (row by row) gets it.

    Returns:
        ``(dx, {})`` with ``dx`` of the input's shape ``(N, C, H, W)``.

    Raises:
        ValueError: if ``dout`` does not have the forward output's shape.
    """
    blocks_shape, size, winner = cache
    dout = upstream_gradient(dout, blocks_shape[:4], "max_pool_backward")
    d_blocks = np.zeros(blocks_shape, dtype=dout.dtype)
    np.put_along_axis(d_blocks, winner[..., None], dout[..., None], axis=-1)
    return _unblock(d_blocks, size), {}


# ---------------------------------------------------------------------------------------------
# Activations, element-wise
# ---------------------------------------------------------------------------------------------
def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` element-wise for a float array, without overflow in ``exp``."""
    # 1 / (1 + exp(-x)) overflows in exp for very negative x; there exp(x) / (1 + exp(x)) is
    # the same number computed safely. Each branch only sees the inputs it is safe for.
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1.0 + exp_x)
    return out


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logistic sigmoid ``out = 1 / (1 + exp(-x))``, element-wise and overflow-free.

    Args:
        x: floating-point array of any shape ``(*S)``.

    Returns:
        ``(out, cache)``: ``out`` of shape ``(*S)`` in ``[0, 1]``; ``cache`` is ``out``.

    Raises:
        TypeError: if ``x`` is not a floating-point array.
    """
    x = float_array(x, "x")
    out = stable_sigmoid(x)
    return out, out


def sigmoid_backward(
    dout: np.ndarray, cache: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Backward pass of :func:`sigmoid_forward`: ``dx = dout * s * (1 - s)``, ``s = out``.

    Args:
        dout: upstream gradient, shape ``(*S)``.
        cache: the sigmoid output from the forward pass, shape ``(*S)``.

    Returns:
        ``(dx, {})``: ``dx`` of shape ``(*S)``; no parameters, so no gradients.

    Raises:
        TypeError: if ``dout`` is not a floating-point array.
        ValueError: if ``dout`` and the cached output differ in shape.
    """
    s = cache
    dout = upstream_gradient(dout, s.shape, "sigmoid_backward")
    return dout * s * (1.0 - s), {}


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hyperbolic tangent, element-wise.

    Args:
        x: floating-point array of any shape ``(*S)``.

    Returns:
        ``(out, cache)``: ``out`` of shape ``(*S)`` in ``[-1, 1]``; ``cache`` is ``out``.

    Raises:
        TypeError: if ``x`` is not a floating-point array.
    """
    x = float_array(x, "x")
    out = np.tanh(x)
    return out, out


def tanh_backward(
    dout: np.ndarray, cache: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Backward pass of :func:`tanh_forward`: ``dx = dout * (1 - out**2)``.

    Args:
        dout: upstream gradient, shape ``(*S)``.
        cache: the tanh output from the forward pass, shape ``(*S)``.

    Returns:
        ``(dx, {})``: ``dx`` of shape ``(*S)``; no parameters, so no gradients.

    Raises:
        TypeError: if ``dout`` is not a floating-point array.
        ValueError: if ``dout`` and the cached output differ in shape.
    """
    t = cache
    dout = upstream_gradient(dout, t.shape, "tanh_backward")
    return dout * (1.0 - t**2), {}


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rectified linear unit ``out = max(x, 0)``, element-wise.

    Args:
        x: floating-point array of any shape ``(*S)``.

    Returns:
        ``(out, cache)``: ``out`` of shape ``(*S)``; ``cache`` is the input ``x``.

    Raises:
        TypeError: if ``x`` is not a floating-point array.
    """
    x = float_array(x, "x")
    out = np.maximum(x, 0.0)
    return out, x


def relu_backward(
    dout: np.ndarray, cache: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Backward pass of :func:`relu_forward`: ``dx = dout * (x > 0)``.

    At ``x == 0`` the ReLU has no derivative; like PyTorch, we use 0 there.

    Args:
        dout: upstream gradient, shape ``(*S)``.
        cache: the input ``x`` of the forward pass, shape ``(*S)``.

    Returns:
        ``(dx, {})``: ``dx`` of shape ``(*S)``; no parameters, so no gradients.

    Raises:
        TypeError: if ``dout`` is not a floating-point array.
        ValueError: if ``dout`` and the cached input differ in shape.
    """
    x = cache
    dout = upstream_gradient(dout, x.shape, "relu_backward")
    return dout * (x > 0), {}


# ---------------------------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------------------------
def dropout_forward(
    x: np.ndarray,
    p: float,
    *,
    train: bool = True,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, tuple]:
    """Inverted dropout: zero each element with probability ``p``, scale the rest by 1/(1-p).

    In training ``out = x * mask / (1 - p)`` with ``mask ~ Bernoulli(1 - p)`` drawn
    element-wise, so ``E[out] = x``; in evaluation (``train=False``) ``out = x``, the
    identity, as ``torch.nn.Dropout`` in ``eval()`` mode.

    Args:
        x: floating-point array of any shape ``(*S)``.
        p: probability of dropping an element, ``0 <= p < 1``.
        train: draw a mask (``True``) or pass ``x`` through unchanged (``False``).
        seed: an ``int`` seed, a ``numpy.random.Generator`` (advanced in place), or
            ``None`` for fresh entropy.

    Returns:
        ``(out, cache)``: ``out`` of shape ``(*S)``; ``cache`` holds the scaled mask
        ``mask / (1 - p)`` (``None`` in evaluation) and the shape of ``x``.

    Raises:
        TypeError: if ``x`` is not a floating-point array, ``p`` not a number, ``train``
            not a bool or ``seed`` neither ``None``, an ``int`` nor a ``Generator``.
        ValueError: if ``p`` is outside ``[0, 1)`` or ``seed`` is negative.
    """
    x = float_array(x, "x")
    p = check_number(p, "p", minimum=0.0)
    if p >= 1.0:
        raise ValueError(f"p must be < 1 (p = 1 drops every unit), got {p}")
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be a bool, got {type(train).__name__}")
    if not train:
        return x.copy(), (None, x.shape)
    if isinstance(seed, np.random.Generator):
        rng = seed
    elif seed is None:
        rng = np.random.default_rng()
    else:
        rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    scaled_mask = (rng.random(x.shape) >= p).astype(x.dtype) / (1.0 - p)
    return x * scaled_mask, (scaled_mask, x.shape)


def dropout_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
    """Backward pass of :func:`dropout_forward`: ``dx = dout * mask / (1 - p)``.

    The gradient flows through the same mask (and scale) the forward pass drew; in
    evaluation mode it passes through unchanged.

    Args:
        dout: upstream gradient, shape ``(*S)``.
        cache: the ``cache`` returned by :func:`dropout_forward`.

    Returns:
        ``(dx, {})``: ``dx`` of shape ``(*S)``; no parameters, so no gradients.

    Raises:
        TypeError: if ``dout`` is not a floating-point array.
        ValueError: if ``dout`` and the forward input differ in shape.
    """
    scaled_mask, shape = cache
    dout = upstream_gradient(dout, shape, "dropout_backward")
    if scaled_mask is None:
        return dout.copy(), {}
    return dout * scaled_mask, {}


# ---------------------------------------------------------------------------------------------
# Normalization: batch norm (over the batch) and layer norm (over the features)
# ---------------------------------------------------------------------------------------------
def _channels_last(x: np.ndarray) -> np.ndarray:
    """(N, D) stays; (N, C, H, W) becomes (N*H*W, C): one row per value of a channel."""
    return x if x.ndim == 2 else x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def _channels_back(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`_channels_last` for an input of ``shape``."""
    if len(shape) == 2:
        return rows
    N, C, H, W = shape
    return rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)


def _check_norm_params(x: np.ndarray, gamma: Any, beta: Any, features: int, what: str):
    gamma, beta = float_array(gamma, "gamma", ndim=1), float_array(beta, "beta", ndim=1)
    if gamma.shape != (features,) or beta.shape != (features,):
        raise ValueError(
            f"gamma {gamma.shape} and beta {beta.shape} must both have shape ({features},), "
            f"one value per {what} of x {x.shape}"
        )
    return gamma, beta


def _normalized_backward(dxhat: np.ndarray, xhat: np.ndarray, inv_std: np.ndarray, axis: int):
    r"""dL/dx of ``xhat = (x - mean) / std`` with mean and std taken over ``axis`` of x.

    $$\frac{\partial L}{\partial x} = \frac{1}{m\,\sigma}\Bigl(m\,\hat g - \sum \hat g
    - \hat x \sum \hat g\,\hat x\Bigr),\quad \hat g = \partial L/\partial \hat x.$$
    """
    m = xhat.shape[axis]
    sum_g = dxhat.sum(axis=axis, keepdims=True)
    sum_gx = (dxhat * xhat).sum(axis=axis, keepdims=True)
    return inv_std / m * (m * dxhat - sum_g - xhat * sum_gx)


def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    *,
    train: bool = True,
    running: dict[str, np.ndarray] | None = None,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, tuple]:
    r"""Batch normalization, as ``torch.nn.functional.batch_norm`` (BatchNorm1d / 2d).

    Each feature (each channel for images) is normalized with statistics over the batch
    (and, for images, over all positions), then scaled and shifted:

    $$\hat x = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad
    \text{out} = \gamma \hat x + \beta,$$

    with $\sigma_B^2$ the biased variance. In training the batch statistics are used and, when
    ``running`` is given, its ``"mean"`` and ``"var"`` are updated in place as PyTorch does,
    ``r <- (1 - momentum) r + momentum * s`` with the *unbiased* batch variance. In
    evaluation (``train=False``) ``running`` is required and its statistics are used instead.

    Args:
        x: inputs ``(N, D)`` or ``(N, C, H, W)``.
        gamma, beta: scale and shift, shape ``(D,)`` or ``(C,)``.
        train: batch statistics (True) or the running ones (False).
        running: ``{"mean": (D,), "var": (D,)}`` float arrays, e.g. started at 0 and 1.
        momentum: weight of the new batch in the running averages, ``0 <= momentum <= 1``.
        eps: added to the variance, > 0.

    Returns:
        ``(out, cache)``, ``out`` of the shape of ``x``.

    Raises:
        TypeError: if an array is not floating-point or ``train`` not a bool.
        ValueError: if the shapes do not fit, ``running`` is missing in evaluation or lacks
            a key, or a training batch has a single value per feature (no variance).
    """
    x = float_array(x, "x")
    if x.ndim not in (2, 4):
        raise ValueError(f"x must be (N, D) or (N, C, H, W), got shape {x.shape}")
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be a bool, got {type(train).__name__}")
    momentum = check_number(momentum, "momentum", minimum=0.0)
    if momentum > 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")
    eps = check_number(eps, "eps", positive=True)
    rows = _channels_last(x)
    gamma, beta = _check_norm_params(x, gamma, beta, rows.shape[1], "feature (channel)")
    if running is not None:
        if not isinstance(running, dict) or set(running) != {"mean", "var"}:
            raise ValueError('running must be a dict {"mean": array, "var": array}')
        for key in ("mean", "var"):
            running[key] = float_array(running[key], f'running["{key}"]', ndim=1)
            if running[key].shape != gamma.shape:
                raise ValueError(
                    f'running["{key}"] has shape {running[key].shape}, expected {gamma.shape}'
                )
    if train:
        m = rows.shape[0]
        if m < 2:
            raise ValueError(
                "batch norm in training needs more than one value per feature "
                f"(x has shape {x.shape}); use train=False with running statistics"
            )
        mean, var = rows.mean(axis=0), rows.var(axis=0)
        if running is not None:
            running["mean"] *= 1.0 - momentum
            running["mean"] += momentum * mean
            running["var"] *= 1.0 - momentum
            running["var"] += momentum * var * m / (m - 1)
    else:
        if running is None:
            raise ValueError("batch norm in evaluation (train=False) needs running statistics")
        mean, var = running["mean"], running["var"]
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (rows - mean) * inv_std
    out = _channels_back(gamma * xhat + beta, x.shape)
    return out, (xhat, inv_std, gamma, x.shape, bool(train))


def batchnorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
    r"""Backward pass of :func:`batchnorm_forward`.

    ``dbeta = sum dout``, ``dgamma = sum dout * xhat`` (over the batch and positions). In
    training the mean and variance depend on every example, so with ``g = dout * gamma``,
    ``dx = (m g - sum g - xhat sum(g xhat)) / (m sigma)``; in evaluation the statistics are
    constants and ``dx = g / sigma``.

    Returns:
        ``(dx, {"gamma": dgamma, "beta": dbeta})``.

    Raises:
        ValueError: if ``dout`` does not have the forward output's shape.
    """
    xhat, inv_std, gamma, shape, train = cache
    dout = upstream_gradient(dout, shape, "batchnorm_backward")
    d_rows = _channels_last(dout)
    grads = {"gamma": (d_rows * xhat).sum(axis=0), "beta": d_rows.sum(axis=0)}
    dxhat = d_rows * gamma
    if train:
        dx_rows = _normalized_backward(dxhat, xhat, inv_std, axis=0)
    else:
        dx_rows = dxhat * inv_std
    return _channels_back(dx_rows, shape), grads


def layernorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5
) -> tuple[np.ndarray, tuple]:
    r"""Layer normalization over the last axis, as ``torch.nn.LayerNorm(D)``.

    Each example is normalized with its own mean and (biased) variance over its ``D``
    features, then scaled and shifted per feature: the same in training and evaluation, and
    independent of the batch.

    Args:
        x: inputs ``(..., D)``.
        gamma, beta: shape ``(D,)``.
        eps: added to the variance, > 0.

    Returns:
        ``(out, cache)``, ``out`` of the shape of ``x``.

    Raises:
        TypeError: if an array is not floating-point.
        ValueError: if ``gamma``/``beta`` do not have shape ``(D,)``.
    """
    x = float_array(x, "x")
    if x.ndim < 1:
        raise ValueError("x must have a feature axis (..., D)")
    eps = check_number(eps, "eps", positive=True)
    gamma, beta = _check_norm_params(x, gamma, beta, x.shape[-1], "feature (last axis)")
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    return gamma * xhat + beta, (xhat, inv_std, gamma)


def layernorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, Grads]:
    """Backward pass of :func:`layernorm_forward`: batch norm's formula along the features.

    Returns:
        ``(dx, {"gamma": dgamma, "beta": dbeta})``.

    Raises:
        ValueError: if ``dout`` does not have the forward output's shape.
    """
    xhat, inv_std, gamma = cache
    dout = upstream_gradient(dout, xhat.shape, "layernorm_backward")
    batch_axes = tuple(range(dout.ndim - 1))
    grads = {"gamma": (dout * xhat).sum(axis=batch_axes), "beta": dout.sum(axis=batch_axes)}
    dx = _normalized_backward(dout * gamma, xhat, inv_std, axis=-1)
    return dx, grads


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------
def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis: ``probs[..., k] = exp(s_k) / sum_j exp(s_j)``.

    Computed after subtracting each row's maximum, which leaves the result unchanged but keeps
    ``exp`` from overflowing.

    Args:
        scores: floating-point array of shape ``(N, C)`` (or any ``(..., C)``).

    Returns:
        ``probs`` of the same shape, non-negative, each row summing to 1.

    Raises:
        TypeError: if ``scores`` is not a floating-point array.
        ValueError: if ``scores`` is 0-D or has no classes (``C == 0``).
    """
    scores = float_array(scores, "scores")
    if scores.ndim == 0 or scores.shape[-1] == 0:
        raise ValueError(f"scores must have shape (N, C) with C >= 1, got {scores.shape}")
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp_scores = np.exp(shifted)
    return exp_scores / exp_scores.sum(axis=-1, keepdims=True)


def _check_scores_and_labels(scores: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Scores ``(N, C)`` with N, C >= 1 and N integer labels in ``[0, C)``."""
    scores = float_array(scores, "scores", ndim=2)
    n_samples, n_classes = scores.shape
    if n_samples == 0 or n_classes == 0:
        raise ValueError(f"scores must have N >= 1 and C >= 1, got shape {scores.shape}")
    y = class_labels(y, "y", n_classes=n_classes)
    if y.shape[0] != n_samples:
        raise ValueError(f"y has {y.shape[0]} labels but there are {n_samples} samples")
    return scores, y


def softmax_cross_entropy(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of the softmax of ``scores`` against integer labels, with gradient.

    ``loss = -mean_i log softmax(scores_i)[y_i]`` and ``dscores = (softmax(scores) -
    onehot(y)) / N``. The log-softmax is computed with the max-shift (log-sum-exp), so large
    scores neither overflow nor give ``log(0)``.

    Args:
        scores: unnormalised class scores (logits), shape ``(N, C)``.
        y: integer labels, shape ``(N,)``, each in ``[0, C)``.

    Returns:
        ``(loss, dscores)``: the loss as a Python float, and ``dL/dscores`` of shape ``(N, C)``.

    Raises:
        TypeError: if ``scores`` is not a floating-point array, or ``y`` holds neither
            integers nor whole-number floats (e.g. bools, strings).
        ValueError: if ``scores`` is not 2-D or is empty, or ``y`` holds scores rather than
            labels, has the wrong shape, or labels outside ``[0, C)``.
    """
    scores, y = _check_scores_and_labels(scores, y)
    n_samples = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n_samples)
    loss = -log_probs[rows, y].mean()
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dscores /= n_samples
    return float(loss), dscores


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over all elements, with gradient.

    ``loss = mean((pred - target)**2)`` and ``dpred = 2 * (pred - target) / pred.size``.
    The shapes must match exactly: no broadcasting, since ``(N,)`` against ``(N, 1)`` would
    silently compare every prediction with every target.

    Args:
        pred: predictions, floating-point, any shape ``(*S)``.
        target: targets, floating-point, shape ``(*S)``.

    Returns:
        ``(loss, dpred)``: the loss as a Python float, and ``dL/dpred`` of shape ``(*S)``.

    Raises:
        TypeError: if either is not a floating-point array.
        ValueError: if the shapes differ or the arrays are empty.
    """
    pred = float_array(pred, "pred")
    target = float_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(
            f"pred has shape {pred.shape} but target has shape {target.shape}; "
            "they must match exactly (reshape one of them)"
        )
    if pred.size == 0:
        raise ValueError("pred and target are empty")
    diff = pred - target
    loss = np.mean(diff**2)
    dpred = 2.0 * diff / diff.size
    return float(loss), dpred


