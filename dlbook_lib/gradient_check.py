r"""Numerical gradients, for checking hand-written backward passes.

A backward pass is easy to get subtly wrong, and a wrong gradient still trains, just badly.
The cure is to compare it with the definition of the derivative, by *central differences*:

$$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h},$$

whose error shrinks like $h^2$. One checker serves every layer of
:mod:`dlbook_lib.numpy_layers`:

* :func:`numerical_gradient` for a scalar function (a loss) of an array;
* :func:`numerical_gradient_array` for an array-valued function (a layer's forward pass):
  it returns the gradient of ``sum(f(x) * dout)``, which is exactly what a layer's
  ``backward(dout, cache)`` must return;
* :func:`relative_error` to compare the two answers on a scale-free footing;
* :func:`autograd_gradients` for the same gradients by ``torch.autograd``, and
  :func:`check_layer`, which checks a forward/backward pair against PyTorch in one call.

Precision: use float64. With float32 the rounding of ``f`` (about ``1e-7`` relative) is divided
by ``2h``, so expect relative errors near ``1e-3`` at the default ``h=1e-5`` and about ``1e-4``
with ``h=1e-3``, against ``1e-8`` or better in float64.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Callable

import numpy as np

from dlbook_lib._checks import check_number, float_array

__all__ = [
    "numerical_gradient",
    "numerical_gradient_array",
    "relative_error",
    "autograd_gradients",
    "check_layer",
]


def _check_perturbable(x: Any) -> None:
    """Raise unless ``x`` is a float ndarray that can be perturbed in place."""
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"x must be a NumPy array (it is perturbed in place), got {type(x).__name__}"
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"x must have a floating-point dtype, got {x.dtype}: a step of h would be rounded "
            "away. Convert it first, e.g. x = x.astype(np.float64)."
        )
    if x.dtype == np.float16:
        raise TypeError(
            "x is float16, too coarse for finite differences (its spacing near 1 is ~1e-3); "
            "use float64 (or at least float32)."
        )
    if not x.flags.writeable:
        raise ValueError("x is read-only; numerical gradients perturb it in place")
    if x.size == 0:
        raise ValueError("x is empty: there is no gradient to compute")


def _check_step(h: Any) -> float:
    return check_number(h, "h", positive=True)


def _scalar_value(value: Any, where: tuple[int, ...]) -> float:
    """``f``'s output as a Python float, with a clear error if it is not a finite scalar."""
    if isinstance(value, (tuple, list)):
        what = f"a {type(value).__name__} of length {len(value)}"
    elif np.ndim(value) != 0:
        what = f"shape {np.shape(value)}"
    else:
        what = ""
    if what:
        raise ValueError(
            f"f must return a scalar, got {what}. If f returns "
            "(loss, grad), pass lambda x: f(x)[0]; for array-valued f use "
            "numerical_gradient_array."
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"f returned {value} with x perturbed at index {where}")
    return value


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, *, h: float = 1e-5
) -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x`` by central differences.

    Each element of ``x`` is nudged by ``+h`` and ``-h`` in place, ``f(x)`` is evaluated, and
    the element is restored (also if ``f`` raises), so ``x`` is unchanged afterwards. ``f``
    must read ``x`` anew on each call (a closure over the array is fine) and must not modify
    it. Costs ``2 * x.size`` evaluations of ``f``: use it on small arrays.

    Args:
        f: function of ``x`` returning a scalar (Python or NumPy number, or 0-d array).
        x: float array of any shape ``(*S)``; float64 recommended (see module docstring).
        h: step size.

    Returns:
        float64 array of shape ``(*S)``, the estimate of ``df/dx``.

    Raises:
        TypeError: if ``x`` is not an ndarray, has an integer/bool or float16 dtype, or ``h``
            is not a number.
        ValueError: if ``x`` is empty or read-only, ``h`` is not positive and finite, or
            ``f`` returns a non-scalar or a NaN/Inf.
    """
    _check_perturbable(x)
    h = _check_step(h)
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + h
            x_plus = float(x[idx])  # the value actually stored, after rounding to x.dtype
            f_plus = _scalar_value(f(x), idx)
            x[idx] = old - h
            x_minus = float(x[idx])
            f_minus = _scalar_value(f(x), idx)
        finally:
            x[idx] = old
        # Divide by the step actually taken, not 2h: in float32 (or for large |x|) the two
        # differ, and using 2h would add an error of its own.
        grad[idx] = (f_plus - f_minus) / (x_plus - x_minus)
    return grad


def numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, *, h: float = 1e-5
) -> np.ndarray:
    """Gradient of ``sum(f(x) * dout)`` with respect to ``x``, by central differences.

    This is what a layer's ``backward(dout, cache)`` computes for its input (or, holding the
    input fixed and perturbing a weight array, for that weight), so the two can be compared
    directly. ``x`` is perturbed in place and restored, as in :func:`numerical_gradient`.

    Args:
        f: function of ``x`` returning an array of shape ``(*T)``, e.g.
            ``lambda x: relu_forward(x)[0]``.
        x: float array of shape ``(*S)``; float64 recommended.
        dout: upstream gradient, shape ``(*T)``, the same shape as ``f(x)``.
        h: step size.

    Returns:
        float64 array of shape ``(*S)``.

    Raises:
        TypeError: as :func:`numerical_gradient`, or if ``dout`` is not a real numeric array.
        ValueError: as :func:`numerical_gradient`, or if ``f(x)`` and ``dout`` differ in
            shape, or ``f`` returns NaN/Inf.
    """
    _check_perturbable(x)
    h = _check_step(h)
    dout = np.asarray(dout)
    if not (np.issubdtype(dout.dtype, np.floating) or np.issubdtype(dout.dtype, np.integer)):
        raise TypeError(f"dout must be a real numeric array, got dtype {dout.dtype}")
    dout = dout.astype(np.float64)
    out_shape = np.shape(f(x))
    if out_shape != dout.shape:
        raise ValueError(
            f"dout has shape {dout.shape} but f(x) has shape {out_shape}; they must match"
        )

    def evaluate(where: tuple[int, ...]) -> np.ndarray:
        # np.array copies: f may return a view of x (f = lambda x: x), which would change
        # under the next perturbation.
        value = np.array(f(x), dtype=np.float64)
        if not np.all(np.isfinite(value)):
            raise ValueError(f"f returned NaN or Inf with x perturbed at index {where}")
        return value

    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + h
            x_plus = float(x[idx])
            f_plus = evaluate(idx)
            x[idx] = old - h
            x_minus = float(x[idx])
            f_minus = evaluate(idx)
        finally:
            x[idx] = old
        grad[idx] = np.sum((f_plus - f_minus) * dout) / (x_plus - x_minus)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Scale-free distance between two arrays: ``max|a - b| / max(|a| + |b|)``.

    Both maxima run over all elements, so the error is measured against the size of the
    gradient as a whole; an element that is nearly zero in both does not blow it up the way
    an element-wise ratio would. The denominator is floored at the smallest positive float64,
    so two all-zero arrays give ``0.0``. Rules of thumb for float64 gradients: below ``1e-7``
    the backward pass is right; above ``1e-4`` something is wrong.

    Args:
        a, b: real arrays (or array-likes) of the same shape ``(*S)``; not broadcast.

    Returns:
        The relative error as a Python float in ``[0, 1]``.

    Raises:
        TypeError: if either is not real numeric (e.g. complex, object, bool).
        ValueError: if the shapes differ, the arrays are empty, or either holds NaN/Inf.
    """
    arrays = []
    for name, value in (("a", a), ("b", b)):
        value = np.asarray(value)
        if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
            raise TypeError(f"{name} must be a real numeric array, got dtype {value.dtype}")
        value = value.astype(np.float64)
        if value.size == 0:
            raise ValueError(f"{name} is empty")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name} contains NaN or Inf")
        arrays.append(value)
    a, b = arrays
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}; they must match")
    numerator = np.max(np.abs(a - b))
    denominator = max(float(np.max(np.abs(a) + np.abs(b))), np.finfo(np.float64).tiny)
    return float(numerator / denominator)


def autograd_gradients(
    fn: Callable[..., Any], arrays: Sequence[np.ndarray], dout: np.ndarray | None = None
) -> list[np.ndarray]:
    """Gradients by ``torch.autograd``, the reference a hand-written backward is checked against.

    Each array becomes a float64 tensor that requires grad; ``fn(*tensors)`` must return a
    scalar (a loss) or, when ``dout`` is given, a tensor of ``dout``'s shape, whose weighted
    sum ``sum(fn(*tensors) * dout)`` is differentiated (what a layer's backward computes).

    Args:
        fn: a function of torch tensors, e.g. ``lambda x, W, b: x @ W + b``.
        arrays: float64 NumPy arrays, one per argument of ``fn``.
        dout: optional upstream gradient, the shape of ``fn``'s output.

    Returns:
        One NumPy array per input, of its shape: ``d(loss)/d(array)``.

    Raises:
        TypeError: if an array is not floating-point.
        ValueError: if ``fn`` returns a non-scalar without ``dout``, or a shape other than
            ``dout``'s.
    """
    import torch

    tensors = []
    for k, array in enumerate(arrays):
        array = float_array(array, f"arrays[{k}]")
        tensors.append(torch.tensor(array, dtype=torch.float64, requires_grad=True))
    out = fn(*tensors)
    if dout is None:
        if out.numel() != 1:
            raise ValueError(f"fn returned shape {tuple(out.shape)}: give dout, or return a scalar")
        loss = out.sum()
    else:
        dout = float_array(dout, "dout")
        if tuple(out.shape) != dout.shape:
            raise ValueError(f"fn returned shape {tuple(out.shape)} but dout has {dout.shape}")
        loss = (out * torch.from_numpy(dout)).sum()
    loss.backward()
    return [
        np.zeros(t.shape) if t.grad is None else t.grad.numpy().copy() for t in tensors
    ]


def check_layer(
    forward: Callable[..., tuple[Any, Any]],
    backward: Callable[[Any, Any], tuple[np.ndarray, dict]],
    torch_forward: Callable[..., Any],
    inputs: Mapping[str, np.ndarray],
    *,
    options: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Check a NumPy layer's forward and backward against PyTorch, on one random ``dout``.

    The one checker for the layer contract of :mod:`dlbook_lib.numpy_layers`:
    ``out, cache = forward(*inputs.values(), **options)`` and ``dx, grads = backward(dout,
    cache)`` against ``torch_forward(*tensors, **options)`` and ``torch.autograd``. The
    arrays are passed by position, so ``inputs`` must be in the forward's argument order;
    the first entry is the layer's input ``x`` (its gradient is ``dx``), the others are
    compared with ``grads`` under their own names. ``torch_forward`` takes the same names, in
    the book's layout; convert to PyTorch's inside it (e.g. ``W.T`` for ``F.linear``).

    Args:
        forward, backward: the NumPy pair.
        torch_forward: the PyTorch function computing the same output.
        inputs: name -> float64 array, in the forward's argument order (input first).
        options: non-array keyword arguments for both forwards (``stride``, ``padding``...).
        seed: seed of the random ``dout``.

    Returns:
        ``{"out": error, "<input name>": error, ...}``, each a :func:`relative_error`.

    Raises:
        TypeError: if an input is not a float array.
        ValueError: if ``inputs`` is empty, the outputs differ in shape, or ``backward``'s
            grads lack a parameter or hold one the forward did not take.
    """
    import torch

    if not inputs:
        raise ValueError("inputs is empty: give the layer's input first, then its parameters")
    names = list(inputs)
    arrays = [float_array(inputs[name], name) for name in names]
    options = dict(options or {})
    out, cache = forward(*arrays, **options)
    with torch.no_grad():
        reference = torch_forward(*(torch.from_numpy(a) for a in arrays), **options).numpy()
    if reference.shape != np.shape(out):
        raise ValueError(
            f"the NumPy forward gives shape {np.shape(out)} but PyTorch {reference.shape}"
        )
    dout = np.random.default_rng(seed).normal(size=np.shape(out))
    dx, grads = backward(dout, cache)
    if set(grads) != set(names[1:]):
        raise ValueError(
            f"backward returned grads for {sorted(grads)} but the forward took {names[1:]}"
        )
    expected = autograd_gradients(lambda *t: torch_forward(*t, **options), arrays, dout)
    errors = {"out": relative_error(out, reference)}
    for name, theirs in zip(names, expected):
        errors[name] = relative_error(dx if name == names[0] else grads[name], theirs)
    return errors
