"""The argument checks and array converters every module of ``dlbook_lib`` uses.

Private: lessons never import from here. Each check takes ``(value, name, ...)``, returns the
checked (and, where it says so, converted) value, and raises ``TypeError`` for a wrong type and
``ValueError`` for a wrong value, with a message that names the argument and says what it got.
Keeping them in one place keeps the math of the other modules readable top to bottom and the
error messages of the whole package alike.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "check_int",
    "check_seed",
    "check_number",
    "check_text",
    "check_choice",
    "float_array",
    "check_shape",
    "check_ndim",
    "class_labels",
    "untensor",
    "to_numpy",
    "as_tensor",
    "upstream_gradient",
]


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """``value`` as an ``int`` (bools refused), at least ``minimum`` when one is given."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_seed(seed: Any) -> int:
    """A random seed: an ``int >= 0``."""
    return check_int(seed, "seed", minimum=0)


def check_number(
    value: Any, name: str, *, positive: bool = False, minimum: float | None = None
) -> float:
    """A finite real number as ``float``; ``> 0`` when ``positive``, ``>= minimum`` if given."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    need = "> 0" if positive else "" if minimum is None else f">= {minimum:g}"
    too_small = (positive and value <= 0) or (minimum is not None and value < minimum)
    if not math.isfinite(value) or too_small:
        raise ValueError(f"{name} must be finite{' and ' + need if need else ''}, got {value}")
    return float(value)


def check_text(value: Any, name: str) -> str:
    """A non-empty string (a run's label, a name)."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string, got {value!r}")
    return value


def check_choice(value: Any, name: str, choices: tuple) -> Any:
    """``value`` if it is one of ``choices``, else a ``ValueError`` listing them."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def float_array(value: Any, name: str, ndim: int | None = None) -> np.ndarray:
    """``value`` as an ndarray after checking that it is floating-point (and its ``ndim``)."""
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"{name} must be a floating-point array, got dtype {array.dtype}; "
            f"convert it first, e.g. {name}.astype(np.float64)"
        )
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    return array


def check_shape(array: np.ndarray, name: str, expected: tuple[int, ...], meaning: str) -> None:
    """A ``ValueError`` unless ``array.shape == expected``; ``meaning`` names the axes."""
    if array.shape != tuple(expected):
        raise ValueError(
            f"{name} has shape {array.shape} but must be {meaning} = {tuple(expected)}"
        )


def check_ndim(array: np.ndarray, name: str, ndim: int, meaning: str) -> None:
    """A ``ValueError`` unless ``array`` has ``ndim`` axes; ``meaning`` names them."""
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D {meaning}, got shape {array.shape}")


def untensor(x: Any) -> Any:
    """``x`` as a NumPy array if it is a torch tensor (detached, on the CPU), else ``x`` itself.

    Duck-typed, so the NumPy-only modules need not import torch.
    """
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):
        return x.detach().cpu().numpy()
    return x


def to_numpy(x: Any, name: str) -> np.ndarray:
    """A NumPy array from a NumPy array or a torch tensor (detached, on the CPU)."""
    x = untensor(x)
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"{name} must be a NumPy array or a torch tensor, got {type(x).__name__}")


def class_labels(y: Any, name: str = "y", *, n_classes: int | None = None) -> np.ndarray:
    """1-D ``int64`` class labels from an array or tensor, in ``[0, n_classes)`` if given.

    Floats are accepted when they hold whole numbers (labels read from a float array);
    scores or probabilities are refused.
    """
    arr = to_numpy(y, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape (N,), got shape {tuple(arr.shape)}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(
                f"{name} must hold class labels (whole numbers), not scores or probabilities"
            )
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if n_classes is not None and arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(
            f"{name}: labels must lie in [0, {n_classes}) for {n_classes} classes, "
            f"got values from {arr.min()} to {arr.max()}"
        )
    return arr


def as_tensor(array: Any, name: str):
    """A torch tensor from a tensor or a NumPy array: floats become the default float dtype
    (float32), integers ``int64`` (class labels, as ``cross_entropy`` wants them).
    """
    import torch  # here, so that the NumPy-only modules never import torch

    if isinstance(array, torch.Tensor):
        tensor = array
    elif isinstance(array, np.ndarray):
        if array.dtype == object:
            raise TypeError(f"{name} is a NumPy array of Python objects; use a numeric dtype")
        if array.ndim == 0:  # ascontiguousarray would make it 1-D, hiding the mistake
            raise ValueError(f"{name} must have a first (example) dimension, got a scalar")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        if tensor.is_floating_point():
            tensor = tensor.to(torch.get_default_dtype())  # NumPy's float64 -> float32
        elif tensor.dtype != torch.bool:
            tensor = tensor.long()
    else:
        raise TypeError(
            f"{name} must be a torch.Tensor or a NumPy array, got {type(array).__name__}"
        )
    if tensor.ndim == 0:
        raise ValueError(f"{name} must have a first (example) dimension, got a scalar")
    return tensor


def upstream_gradient(
    dout: Any, expected: tuple[int, ...], where: str, name: str = "dout"
) -> np.ndarray:
    """The upstream gradient of a backward pass: floating-point, the forward output's shape."""
    dout = float_array(dout, name)
    if dout.shape != tuple(expected):
        raise ValueError(
            f"{where}: {name} has shape {dout.shape} but the forward output had shape "
            f"{tuple(expected)}"
        )
    return dout
