"""GAN helpers: the losses of GAN / WGAN / WGAN-GP, and the 2-D mode-collapse metrics.

**Losses.** For a critic (discriminator) ``D`` that returns one score per example, real
samples ``x`` and generated samples ``x~ = G(z)``:

* GAN (Goodfellow et al. 2014), ``D`` returns logits: the critic minimises
  ``E softplus(-D(x)) + E softplus(D(x~))`` (binary cross-entropy), the generator the
  non-saturating ``E softplus(-D(x~))``.
* WGAN (Arjovsky et al. 2017): the critic minimises ``E D(x~) - E D(x)``, the generator
  ``-E D(x~)``; the critic is kept (roughly) Lipschitz by clipping its weights to ``[-c, c]``
  after every step (:func:`clip_weights`).
* WGAN-GP (Gulrajani et al. 2017, arXiv:1704.00028, Algorithm 1) replaces clipping by the
  gradient penalty ``lambda * E (||grad D(x^)||_2 - 1)^2`` on random points
  ``x^ = eps x + (1 - eps) x~``, ``eps ~ U[0, 1]`` per example (:func:`gradient_penalty`).

**Metrics.** The 2-D mode-collapse benchmark (Metz et al. 2017, made quantitative by VEEGAN
and PacGAN) trains a GAN on a mixture of Gaussians whose modes are known, an 8-Gaussian ring
or a 5x5 grid, and asks two questions of a batch of generated samples:

* **Quality.** A sample is *high quality* when it lies within three standard deviations of
  the centre of its nearest mode.
* **Coverage.** A mode is *covered* (captured, recovered) when at least one high-quality
  sample has it as nearest mode.

Where each rule comes from:

* VEEGAN (Srivastava et al., NeurIPS 2017, arXiv:1705.07761, synthetic experiments and
  Table 1): "count a sample as high quality if it is within three standard deviations of the
  nearest mode [...] the number of modes captured as the number of mixture components whose
  mean is nearest to at least one high quality sample"; 2500 samples per trained model,
  averaged over five runs. (Wording as on the authors' project page,
  akashgit.github.io/VEEGAN.)
* PacGAN (Lin et al., NeurIPS 2018, arXiv:1712.04086, Table 1) uses the same two metrics on
  the same two mixtures. Its released code (github.com/fjxmlzn/PacGAN,
  ``synthetic_data_experiments``) makes them exact: the distance to a mode is measured in
  units of that mode's standard deviation, a sample counts for its nearest mode when that
  distance is ``< 3`` (strictly), a mode counts as covered when its count is non-zero, and
  the metrics use 2500 generated samples. The same code also logs the Jensen-Shannon
  divergence between the histogram of high-quality samples over the modes and the uniform
  histogram; :func:`mode_coverage` returns it as ``"jsd_to_uniform"``.

The settings of those mixtures, from the PacGAN code (``config.py`` of ``2DRing_GAN&PacGAN``
and ``2DGrid_GAN&PacGAN``), are in :data:`RING_SETTINGS` and :data:`GRID_SETTINGS`; the ring's
radius 1 and std 0.01 are also the defaults of the ring sampler that VEEGAN's first author
published (``GAN_RING.py``, pinned on github.com/akashgit). Pass them to
``dlbook_lib.data.make_gaussian_ring`` / ``make_gaussian_grid``, whose own defaults differ
(radius 2, std 0.02 for the ring).

Even a perfect generator does not reach 100 % high-quality samples: a 2-D Gaussian puts
``1 - exp(-9/2)``, about 98.9 %, of its mass within three standard deviations of its
centre. :func:`expected_high_quality_fraction` computes that ceiling.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dlbook_lib._checks import check_choice, check_int, check_number, untensor

__all__ = [
    "GAN_METHODS",
    "GRID_SETTINGS",
    "HIGH_QUALITY_STDS",
    "MIN_HIGH_QUALITY_PER_MODE",
    "N_EVAL_SAMPLES",
    "RING_SETTINGS",
    "clip_weights",
    "critic_loss",
    "expected_high_quality_fraction",
    "generator_loss",
    "gradient_penalty",
    "mode_coverage",
    "nearest_mode",
]

GAN_METHODS = ("GAN", "WGAN", "WGAN-GP")
"""The losses :func:`critic_loss` and :func:`generator_loss` know."""

HIGH_QUALITY_STDS = 3.0
"""A sample is high quality within this many standard deviations of its nearest mode."""

MIN_HIGH_QUALITY_PER_MODE = 1
"""A mode is covered when at least this many high-quality samples have it as nearest mode."""

N_EVAL_SAMPLES = 2500
"""Generated samples per evaluation, in VEEGAN and in PacGAN's code."""

RING_SETTINGS: dict[str, float | int] = {"n_modes": 8, "radius": 1.0, "std": 0.01}
"""The 2D-ring of VEEGAN and PacGAN: 8 modes on a circle of radius 1, std 0.01 per mode."""

GRID_SETTINGS: dict[str, float | int] = {"size": 5, "spacing": 2.0, "std": 0.05}
"""The 2D-grid of VEEGAN and PacGAN: 5x5 modes at coordinates -4, -2, 0, 2, 4, std 0.05."""


# --------------------------------------------------------------------------- input checks


def _as_points(x: Any, name: str) -> np.ndarray:
    """A 2-D float64 array ``(N, D)`` from a NumPy array, a torch tensor or a nested list."""
    x = untensor(x)  # a torch tensor, possibly on a GPU
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from err
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (N, D), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr).all(axis=1)))
        raise ValueError(
            f"{name} holds {bad} row(s) with NaN or infinite values "
            "(a diverged generator?); metrics on such samples would be meaningless"
        )
    return arr


def _check_pair(samples: Any, centres: Any) -> tuple[np.ndarray, np.ndarray]:
    x = _as_points(samples, "samples")
    c = _as_points(centres, "centres")
    if x.shape[1] != c.shape[1]:
        raise ValueError(
            f"samples have {x.shape[1]} coordinates but centres have {c.shape[1]}: "
            f"shapes {x.shape} and {c.shape}"
        )
    return x, c


def _as_stds(std: Any, n_modes: int) -> np.ndarray:
    """One positive standard deviation per mode, shape ``(K,)``."""
    if isinstance(std, bool):
        raise TypeError("std must be a number or an array of K numbers, got a bool")
    std = untensor(std)
    try:
        arr = np.asarray(std, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"std must be a number or an array of K numbers, got {std!r}") from err
    if arr.ndim == 0:
        arr = np.full(n_modes, float(arr))
    elif arr.shape != (n_modes,):
        raise ValueError(f"std must be a number or have shape ({n_modes},), got {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"std must be finite and > 0, got {std!r}")
    return arr


# --------------------------------------------------------------------------- the metrics


def _squared_distances(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``(N, K)`` squared Euclidean distances, computed exactly (no ``|x|^2 - 2xc`` trick)."""
    return ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=-1)


def nearest_mode(samples: Any, centres: Any, std: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """The nearest mode centre of every sample, and the distance to it.

    Args:
        samples: generated points, shape ``(N, D)`` (NumPy, torch or nested lists).
        centres: mode centres, shape ``(K, D)``.
        std: ``None`` for plain Euclidean distances; otherwise a positive number or one per
            mode ``(K,)``, and distances are measured in units of each mode's standard
            deviation, ``|x - c_k| / std_k`` (as PacGAN's code does; with one common std the
            nearest mode is the same either way).

    Returns:
        ``(index, distance)``: int64 ``(N,)`` indices into ``centres`` (the first of equally
        near modes), float64 ``(N,)`` distances.

    Raises:
        TypeError: for inputs that are not arrays of numbers.
        ValueError: for shapes other than ``(N, D)`` / ``(K, D)``, empty inputs, different
            ``D``, NaN or infinite values, or a ``std`` that is not positive.
    """
    x, c = _check_pair(samples, centres)
    d2 = _squared_distances(x, c)
    if std is not None:
        d2 = d2 / _as_stds(std, len(c))[None, :] ** 2
    index = np.argmin(d2, axis=1).astype(np.int64)
    distance = np.sqrt(d2[np.arange(len(x)), index])
    return index, distance


def _jsd_to_uniform(counts: np.ndarray) -> float:
    """Jensen-Shannon divergence (nats) between ``counts / counts.sum()`` and uniform."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    p = counts / total
    q = np.full_like(p, 1.0 / len(p))
    m = 0.5 * (p + q)

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        keep = a > 0
        return float(np.sum(a[keep] * np.log(a[keep] / b[keep])))

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def mode_coverage(
    samples: Any,
    centres: Any,
    std: Any,
    *,
    threshold: float = HIGH_QUALITY_STDS,
    min_count: int = MIN_HIGH_QUALITY_PER_MODE,
) -> dict[str, Any]:
    """Modes covered and share of high-quality samples, as in VEEGAN and PacGAN.

    Every sample is assigned to its nearest mode (distance in units of the mode's standard
    deviation); it is *high quality* when that distance is strictly below ``threshold``. A
    mode is *covered* when at least ``min_count`` high-quality samples are assigned to it.
    The defaults (``threshold=3``, ``min_count=1``) are the papers' rule; see the module
    docstring for the sources.

    Args:
        samples: generated points ``(N, D)``; the papers use ``N = 2500``
            (:data:`N_EVAL_SAMPLES`).
        centres: the true mode centres ``(K, D)``.
        std: the true standard deviation of the modes: a positive number, or ``(K,)``.
        threshold: high-quality radius in standard deviations (> 0).
        min_count: high-quality samples a mode needs to count as covered (int >= 1).

    Returns:
        A dict with
        ``"modes_covered"`` (int), ``"n_modes"`` (K),
        ``"high_quality_fraction"`` (float in [0, 1]: high-quality samples / N),
        ``"high_quality_counts"`` (int64 ``(K,)``: high-quality samples per mode),
        ``"nearest_counts"`` (int64 ``(K,)``: all samples per nearest mode),
        ``"covered"`` (bool ``(K,)``),
        ``"jsd_to_uniform"`` (float, nats: Jensen-Shannon divergence between the histogram
        of high-quality samples over the modes and the uniform one, as PacGAN's code logs
        it; 0 for perfectly balanced modes, ``nan`` when no sample is high quality),
        ``"n_samples"`` (N).

    Raises:
        TypeError / ValueError: as :func:`nearest_mode`, and for a ``threshold`` that is not
            a positive number or a ``min_count`` that is not an int >= 1.
    """
    threshold = check_number(threshold, "threshold", positive=True)
    min_count = check_int(min_count, "min_count", minimum=1)
    x, c = _check_pair(samples, centres)
    stds = _as_stds(std, len(c))
    index, distance = nearest_mode(x, c, stds)
    high_quality = distance < threshold
    n_modes = len(c)
    hq_counts = np.bincount(index[high_quality], minlength=n_modes).astype(np.int64)
    nearest_counts = np.bincount(index, minlength=n_modes).astype(np.int64)
    covered = hq_counts >= min_count
    return {
        "modes_covered": int(covered.sum()),
        "n_modes": n_modes,
        "high_quality_fraction": float(high_quality.mean()),
        "high_quality_counts": hq_counts,
        "nearest_counts": nearest_counts,
        "covered": covered,
        "jsd_to_uniform": _jsd_to_uniform(hq_counts.astype(np.float64)),
        "n_samples": len(x),
    }


def _regularized_lower_gamma(a: float, x: float) -> float:
    """``P(a, x) = gamma(a, x) / Gamma(a)`` by its power series (fine for moderate x)."""
    if x <= 0:
        return 0.0
    term = 1.0 / a
    total = term
    n = 0
    while abs(term) > 1e-17 * abs(total):
        n += 1
        term *= x / (a + n)
        total += term
        if n > 10_000:  # pragma: no cover - only for absurd arguments
            break
    return float(min(1.0, total * math.exp(-x + a * math.log(x) - math.lgamma(a))))


def expected_high_quality_fraction(threshold: float = HIGH_QUALITY_STDS, dim: int = 2) -> float:
    """Share of samples of a perfect generator that count as high quality.

    A sample of an isotropic Gaussian in ``dim`` dimensions lies within ``threshold``
    standard deviations of its centre with probability ``P(chi_dim < threshold)``; in 2-D
    that is ``1 - exp(-threshold**2 / 2)`` (about 0.9889 for 3). This assumes the modes are
    far apart compared with their standard deviation, as in the benchmark.

    Raises:
        TypeError / ValueError: for a ``threshold`` that is not a positive number or a
            ``dim`` that is not an int >= 1.
    """
    threshold = check_number(threshold, "threshold", positive=True)
    dim = check_int(dim, "dim", minimum=1)
    return _regularized_lower_gamma(dim / 2.0, threshold**2 / 2.0)


# --------------------------------------------------------------------------- the losses


def _check_batches(real: Any, fake: Any) -> None:
    for name, batch in (("real", real), ("fake", fake)):
        if not isinstance(batch, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(batch).__name__}")
        if batch.ndim < 1 or batch.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty batch (B, ...), got {tuple(batch.shape)}")
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape (B, ...), got {tuple(real.shape)} "
            f"and {tuple(fake.shape)}"
        )


def gradient_penalty(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator | None = None,
    eps: Tensor | None = None,
) -> Tensor:
    """WGAN-GP's penalty ``E (||grad_x D(x^)||_2 - 1)^2`` at one random point per pair.

    ``x^ = eps * real + (1 - eps) * fake`` with ``eps ~ U[0, 1]`` per example (Gulrajani et
    al. 2017, Algorithm 1); the norm is over all of an example's coordinates. The gradient is
    taken with ``create_graph=True``, so the penalty can be backpropagated to the critic's
    weights; multiply it by ``lambda`` (the paper's 10) and add it to the critic's loss.

    Args:
        critic: maps ``(B, ...)`` to scores ``(B,)`` or ``(B, 1)``.
        real: real samples ``(B, ...)``.
        fake: generated samples, same shape (detached from the generator, as a rule).
        generator: draws ``eps`` as ``torch.rand((B, 1, ..., 1), generator=generator)`` on
            the CPU, then moves it to ``real``'s device, so the draws are the same on every
            device. Either ``generator`` or ``eps`` is needed.
        eps: the interpolation weights ``(B, 1, ..., 1)`` (or anything that broadcasts), to
            evaluate the penalty at chosen points; ``generator`` is then not used.

    Returns:
        A scalar tensor.

    Raises:
        TypeError: if ``real``/``fake`` are not tensors or ``generator`` is not a
            ``torch.Generator``.
        ValueError: for empty or different shapes, or neither ``generator`` nor ``eps``.
    """
    _check_batches(real, fake)
    if eps is None:
        if generator is None:
            raise ValueError("gradient_penalty needs a torch.Generator to draw eps, or eps itself")
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        shape = (real.shape[0],) + (1,) * (real.dim() - 1)
        eps = torch.rand(shape, generator=generator).to(real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def critic_loss(
    method: str,
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    *,
    lam: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """The loss the critic (discriminator) minimises, for one of :data:`GAN_METHODS`.

    * ``"GAN"``: ``E softplus(-D(real)) + E softplus(D(fake))``, ``D`` returning logits.
    * ``"WGAN"``: ``E D(fake) - E D(real)``, the negated Wasserstein estimate (clip the
      weights after each step with :func:`clip_weights`).
    * ``"WGAN-GP"``: the WGAN loss plus ``lam *`` :func:`gradient_penalty` (``eps`` drawn
      from ``generator``).

    Args:
        method: ``"GAN"``, ``"WGAN"`` or ``"WGAN-GP"``.
        critic: maps ``(B, ...)`` to scores ``(B, 1)`` or ``(B,)``.
        real, fake: batches ``(B, ...)`` of the same shape.
        lam: the penalty weight, a number >= 0; needed by ``"WGAN-GP"`` only.
        generator: draws the penalty's interpolation weights; ``"WGAN-GP"`` only.

    Returns:
        A scalar tensor.

    Raises:
        ValueError: for an unknown ``method``, ``"WGAN-GP"`` without ``lam`` or ``generator``,
            or bad batches (as :func:`gradient_penalty`).
    """
    check_choice(method, "method", GAN_METHODS)
    _check_batches(real, fake)
    if method == "GAN":
        return F.softplus(-critic(real)).mean() + F.softplus(critic(fake)).mean()
    loss = critic(fake).mean() - critic(real).mean()
    if method == "WGAN-GP":
        if lam is None:
            raise ValueError("critic_loss('WGAN-GP', ...) needs lam, the penalty weight (e.g. 10)")
        lam = check_number(lam, "lam", minimum=0.0)
        loss = loss + lam * gradient_penalty(critic, real, fake, generator)
    return loss


def generator_loss(method: str, critic: nn.Module, fake: Tensor) -> Tensor:
    """The loss the generator minimises: ``E softplus(-D(fake))`` for ``"GAN"`` (the
    non-saturating loss), ``-E D(fake)`` for ``"WGAN"`` and ``"WGAN-GP"``.

    ``fake`` ``(B, ...)`` must keep its graph to the generator. Returns a scalar tensor.

    Raises:
        ValueError: for an unknown ``method``.
    """
    check_choice(method, "method", GAN_METHODS)
    if method == "GAN":
        return F.softplus(-critic(fake)).mean()
    return -critic(fake).mean()


def clip_weights(critic: nn.Module, c: float) -> None:
    """Clamp every parameter of ``critic`` to ``[-c, c]`` in place (WGAN's weight clipping).

    Raises:
        TypeError / ValueError: if ``critic`` is not a module or ``c`` not a number > 0.
    """
    if not isinstance(critic, nn.Module):
        raise TypeError(f"critic must be a torch.nn.Module, got {type(critic).__name__}")
    c = check_number(c, "c", positive=True)
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-c, c)
