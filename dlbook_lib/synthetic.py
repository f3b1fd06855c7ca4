"""Generated data, deterministic in ``seed``: 2-D toy sets and long-range sequence tasks.

* **2-D point clouds** for classifiers and GANs: Gaussian blobs, a Gaussian ring and grid
  (the GAN mode-collapse benchmarks), moons, spirals. Each returns
  ``(points float32 (n, 2), labels int64 (n,))``.
* **Sequence tasks** whose answer depends on inputs far back in the sequence, to measure how
  long a network remembers: :func:`make_adding_problem` (two channels, random values and a
  two-hot marker; the target is the sum of the two marked values; Hochreiter & Schmidhuber
  1997, Le et al. 2015) and :func:`make_first_token_task` (the label is the *first* token).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlbook_lib._checks import check_int, check_number, check_seed

__all__ = [
    "make_blobs",
    "ring_centres",
    "grid_centres",
    "make_gaussian_ring",
    "make_gaussian_grid",
    "make_moons",
    "make_spirals",
    "make_adding_problem",
    "make_first_token_task",
]

BLOB_CENTRES = ((-1.0, -0.6), (1.0, 0.8))
"""The two default centres of :func:`make_blobs`: linearly separable at ``std = 0.4``."""


def make_blobs(
    n_per_class: int,
    *,
    centres: Sequence[Sequence[float]] = BLOB_CENTRES,
    std: float = 0.4,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clouds in 2-D, one per centre, ``n_per_class`` points each.

    The points come class by class (all of class 0, then class 1...), not shuffled: the
    training loops shuffle. With the default centres and ``std`` the two classes are
    linearly separable in practice (the centres are 5.9 standard deviations apart).

    Args:
        n_per_class: points per class, >= 1.
        centres: ``K`` centres ``(x, y)``, K >= 1; class ``k`` is drawn around centre ``k``.
        std: standard deviation of each coordinate, >= 0.
        seed: seed of the generator.

    Returns:
        ``(points float32 (K n, 2), labels int64 (K n,))``.

    Raises:
        TypeError / ValueError: if ``n_per_class < 1``, ``std < 0``, ``seed < 0``, or
            ``centres`` is not a non-empty ``(K, 2)`` array of finite numbers.
    """
    check_int(n_per_class, "n_per_class", minimum=1)
    check_number(std, "std", minimum=0)
    check_seed(seed)
    centres = np.asarray(centres, dtype=np.float64)
    if centres.ndim != 2 or centres.shape[1] != 2 or len(centres) == 0:
        raise ValueError(f"centres must have shape (K, 2) with K >= 1, got {centres.shape}")
    if not np.all(np.isfinite(centres)):
        raise ValueError("centres must be finite numbers")
    rng = np.random.default_rng(seed)
    points = np.concatenate([rng.normal(c, std, size=(n_per_class, 2)) for c in centres])
    labels = np.repeat(np.arange(len(centres), dtype=np.int64), n_per_class)
    return points.astype(np.float32), labels


# --------------------------------------------------------------------------------------------
# Gaussian mixtures, moons, spirals
# --------------------------------------------------------------------------------------------

_SPIRAL_ANGLE_SPAN = 4.0  # radians an arm turns from the centre to radius 1 (CS231n's spiral)


def _balanced_labels(n: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels in ``0..n_classes-1``, counts differing by at most one, in random order."""
    return rng.permutation(np.arange(n, dtype=np.int64) % n_classes)


def ring_centres(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of ``n_modes`` points evenly spaced on a circle, mode 0 at ``(radius, 0)``.

    Returns:
        float32 array ``(n_modes, 2)``; mode ``k`` is at angle ``2 pi k / n_modes``.

    Raises:
        ValueError / TypeError: if ``n_modes < 1`` or ``radius <= 0``.
    """
    check_int(n_modes, "n_modes", minimum=1)
    check_number(radius, "radius", positive=True)
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def grid_centres(size: int = 5, spacing: float = 2.0) -> np.ndarray:
    """Centres of a ``size x size`` grid centred on the origin.

    For ``size=5, spacing=2.0`` both coordinates take the values -4, -2, 0, 2, 4.

    Returns:
        float32 array ``(size * size, 2)``; mode ``k = row * size + col`` is at
        ``(coords[col], coords[row])``.

    Raises:
        ValueError / TypeError: if ``size < 1`` or ``spacing <= 0``.
    """
    check_int(size, "size", minimum=1)
    check_number(spacing, "spacing", positive=True)
    coords = (np.arange(size) - (size - 1) / 2) * spacing
    ys, xs = np.meshgrid(coords, coords, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def _gaussian_mixture(
    centres: np.ndarray, n: int, std: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    check_int(n, "n", minimum=1)
    check_number(std, "std", minimum=0)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    labels = _balanced_labels(n, len(centres), rng)
    points = centres[labels].astype(np.float64) + std * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels


def make_gaussian_ring(
    n: int, *, n_modes: int = 8, radius: float = 2.0, std: float = 0.02, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``n`` points from Gaussians centred on a ring (the GAN mode-collapse benchmark).

    Returns:
        ``(points float32 (n, 2), labels int64 (n,))``; the label is the mode index into
        :func:`ring_centres`, modes as equally used as possible, in random order.

    Raises:
        ValueError / TypeError: if ``n < 1``, ``n_modes < 1``, ``radius <= 0``, ``std < 0``
            or ``seed < 0``.
    """
    return _gaussian_mixture(ring_centres(n_modes, radius), n, std, seed)


def make_gaussian_grid(
    n: int, *, size: int = 5, spacing: float = 2.0, std: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``n`` points from Gaussians centred on a ``size x size`` grid.

    Returns:
        ``(points float32 (n, 2), labels int64 (n,))``; the label is the mode index into
        :func:`grid_centres`, modes as equally used as possible, in random order.

    Raises:
        ValueError / TypeError: if ``n < 1``, ``size < 1``, ``spacing <= 0``, ``std < 0``
            or ``seed < 0``.
    """
    return _gaussian_mixture(grid_centres(size, spacing), n, std, seed)


def make_moons(n: int, *, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles of radius 1 (as scikit-learn's ``make_moons``).

    Moon 0 is the upper half of the circle centred at ``(0, 0)``; moon 1 is the lower half of
    the circle centred at ``(1, 0.5)``. Positions along each arc are uniform at random, then
    Gaussian noise of std ``noise`` is added to both coordinates.

    Returns:
        ``(points float32 (n, 2), labels int64 (n,))``; the label is the moon, counts
        differing by at most one, in random order.

    Raises:
        ValueError / TypeError: if ``n < 1``, ``noise < 0`` or ``seed < 0``.
    """
    check_int(n, "n", minimum=1)
    check_number(noise, "noise", minimum=0)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    labels = _balanced_labels(n, 2, rng)
    t = rng.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    points = np.where(labels[:, None] == 0, upper, lower)
    points = points + noise * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels


def make_spirals(
    n: int, *, n_arms: int = 2, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms (CS231n's spiral data), radius 0 to 1.

    A point of arm ``a`` at radius ``r ~ U(0, 1)`` sits at angle
    ``theta = 2 pi a / n_arms + 4 r + noise * N(0, 1)``, i.e. ``(r cos theta, r sin theta)``;
    the noise is on the angle, in radians, so it blurs the arms by the same share of their
    spacing at every radius.

    Returns:
        ``(points float32 (n, 2), labels int64 (n,))``; the label is the arm, counts differing
        by at most one, in random order.

    Raises:
        ValueError / TypeError: if ``n < 1``, ``n_arms < 1``, ``noise < 0`` or ``seed < 0``.
    """
    check_int(n, "n", minimum=1)
    check_int(n_arms, "n_arms", minimum=1)
    check_number(noise, "noise", minimum=0)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    labels = _balanced_labels(n, n_arms, rng)
    r = rng.uniform(0.0, 1.0, size=n)
    theta = 2 * np.pi * labels / n_arms + _SPIRAL_ANGLE_SPAN * r
    theta = theta + noise * rng.standard_normal(n)
    points = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return points.astype(np.float32), labels


# --------------------------------------------------------------------------------------------
# Long-range sequence tasks
# --------------------------------------------------------------------------------------------


def make_adding_problem(n: int, length: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: remember two marked numbers across a long sequence, add them.

    Each sequence has two channels. Channel 0 holds values drawn uniformly from ``[0, 1)``;
    channel 1 is 0 everywhere except at two positions, where it is 1. One marked position
    is drawn uniformly from the first half of the sequence (``[0, length // 2)``), the other
    from the second half (``[length // 2, length)``), the common modern form of the task
    (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015; Arjovsky et al. 2016). The
    target is the sum of the two marked values, in ``[0, 2)``.

    A model that ignores its input and always answers 1 has a mean squared error of
    ``Var(u1 + u2) = 2/12 = 1/6``: the baseline to beat.

    Args:
        n: number of sequences, >= 1.
        length: time steps per sequence ``T``, >= 2.
        seed: seed of the generator.

    Returns:
        ``(X, y)``: ``X`` float32 of shape ``(n, length, 2)``, ``y`` float32 of shape ``(n,)``.

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if ``n < 1``, ``length < 2`` or ``seed < 0``.
    """
    n = check_int(n, "n", minimum=1)
    length = check_int(length, "length", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length))
    half = length // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=2).astype(np.float32)
    # Sum the float32 values actually stored in X, so that y is exactly what X implies.
    y = X[rows, first, 0] + X[rows, second, 0]
    return X, y.astype(np.float32)


def make_first_token_task(
    n: int, length: int, *, n_symbols: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Recall the first token: classify a random sequence by the token it started with.

    Every token is drawn uniformly from ``n_symbols`` symbols; the label is ``tokens[:, 0]``.
    The other ``length - 1`` tokens are noise that the model must read and ignore, so the
    information it needs is ``length - 1`` steps old when it answers. Guessing gives an
    accuracy of ``1 / n_symbols``.

    Args:
        n: number of sequences, >= 1.
        length: tokens per sequence ``T``, >= 1.
        n_symbols: size of the alphabet ``K``, >= 2.
        seed: seed of the generator.

    Returns:
        ``(tokens, labels)``: ``tokens`` int64 of shape ``(n, length)`` with values in
        ``[0, n_symbols)`` (one-hot them or feed them to ``nn.Embedding``), ``labels`` int64
        of shape ``(n,)``, equal to ``tokens[:, 0]``.

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if ``n < 1``, ``length < 1``, ``n_symbols < 2`` or ``seed < 0``.
    """
    n = check_int(n, "n", minimum=1)
    length = check_int(length, "length", minimum=1)
    n_symbols = check_int(n_symbols, "n_symbols", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, n_symbols, size=(n, length), dtype=np.int64)
    return tokens, tokens[:, 0].copy()
