"""Semantic segmentation: a generated shapes set with pixel labels, and intersection over union.

* :func:`make_shapes_segmentation` draws grey images of circles, squares and triangles on a
  noisy background, with the class of every pixel as the target (lesson 4.8's U-Net). The
  shapes' brightness is random, so a pixel's class follows from the shape around it, not
  from its value; later shapes cover earlier ones, and the mask says what is visible.
* :func:`iou_per_class` and :func:`mean_iou`: the segmentation score, intersection over
  union of predicted and true pixels of each class, summed over the whole set.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dlbook_lib._checks import check_int, check_number, check_seed, to_numpy

__all__ = ["SHAPE_CLASSES", "make_shapes_segmentation", "iou_per_class", "mean_iou"]

SHAPE_CLASSES = ("background", "circle", "square", "triangle")


def _shape_mask(kind: int, size: int, cy: float, cx: float, r: float, rng) -> np.ndarray:
    """Boolean (size, size) mask of one shape of radius ``r`` centred at ``(cy, cx)``."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    if kind == 1:  # circle
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
    if kind == 2:  # axis-aligned square of half-side r
        return (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)
    # triangle pointing up or down, base 2r, height 2r
    up = rng.random() < 0.5
    t = (yy - (cy - r)) / (2 * r) if up else ((cy + r) - yy) / (2 * r)  # 0 at the apex, 1 at base
    return (t >= 0) & (t <= 1) & (np.abs(xx - cx) <= r * t)


def make_shapes_segmentation(
    n: int,
    *,
    size: int = 32,
    max_shapes: int = 3,
    noise: float = 0.1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images of 1 to ``max_shapes`` random shapes and their per-pixel class masks.

    Each shape is a circle (class 1), square (2) or triangle (3), with a random centre, a
    radius between ``size / 8`` and ``size / 4`` and a brightness in [0.4, 1.0] on a
    background of brightness 0.1; Gaussian pixel noise of std ``noise`` is added. Everything
    is drawn from ``seed``, so the same arguments give the same set.

    Args:
        n: number of images, >= 1.
        size: image side in pixels, >= 16.
        max_shapes: the most shapes in one image, >= 1.
        noise: standard deviation of the pixel noise, >= 0.
        seed: random seed, >= 0.

    Returns:
        ``(images, masks)``: float32 images ``(n, 1, size, size)`` and int64 masks
        ``(n, size, size)`` with values in 0..3 (:data:`SHAPE_CLASSES` names them).

    Raises:
        TypeError: if an argument has the wrong type.
        ValueError: if an argument is out of range.
    """
    n = check_int(n, "n", minimum=1)
    size = check_int(size, "size", minimum=16)
    max_shapes = check_int(max_shapes, "max_shapes", minimum=1)
    noise = check_number(noise, "noise", minimum=0.0)
    rng = np.random.default_rng(check_seed(seed))
    images = np.full((n, size, size), 0.1)
    masks = np.zeros((n, size, size), dtype=np.int64)
    for i in range(n):
        for _ in range(rng.integers(1, max_shapes + 1)):
            kind = int(rng.integers(1, 4))
            r = rng.uniform(size / 8, size / 4)
            cy, cx = rng.uniform(r, size - r, size=2)
            inside = _shape_mask(kind, size, cy, cx, r, rng)
            images[i][inside] = rng.uniform(0.4, 1.0)
            masks[i][inside] = kind
    images += noise * rng.standard_normal(images.shape)
    return images[:, None].astype(np.float32), masks


def _check_masks(pred: Any, target: Any, n_classes: Any) -> tuple[np.ndarray, np.ndarray, int]:
    pred, target = to_numpy(pred, "pred"), to_numpy(target, "target")
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    if pred.shape != target.shape:
        raise ValueError(f"pred {pred.shape} and target {target.shape} must have the same shape")
    for name, mask in (("pred", pred), ("target", target)):
        if not np.issubdtype(mask.dtype, np.integer):
            raise TypeError(f"{name} must hold integer class labels, got dtype {mask.dtype}")
        if mask.size and (mask.min() < 0 or mask.max() >= n_classes):
            raise ValueError(
                f"{name} holds labels from {mask.min()} to {mask.max()}, outside 0..{n_classes - 1}"
            )
    return pred, target, n_classes


def iou_per_class(pred: Any, target: Any, n_classes: int) -> np.ndarray:
    """Intersection over union of each class, over all pixels of all images together.

    ``IoU_c = |pred = c and target = c| / |pred = c or target = c|``; a class that appears
    in neither gets NaN (it is not scored).

    Args:
        pred, target: integer label masks of the same shape, e.g. ``(N, H, W)``; arrays or
            tensors (a network's ``scores.argmax(1)``).
        n_classes: number of classes; labels must be in ``0..n_classes - 1``.

    Returns:
        float array ``(n_classes,)``.

    Raises:
        TypeError: if the masks are not integer labels.
        ValueError: if the shapes differ or a label is out of range.
    """
    pred, target, n_classes = _check_masks(pred, target, n_classes)
    ious = np.full(n_classes, np.nan)
    for c in range(n_classes):
        p, t = pred == c, target == c
        union = np.count_nonzero(p | t)
        if union:
            ious[c] = np.count_nonzero(p & t) / union
    return ious


def mean_iou(pred: Any, target: Any, n_classes: int) -> float:
    """The mean of :func:`iou_per_class` over the classes that appear (background included).

    Raises:
        TypeError, ValueError: as :func:`iou_per_class`; ValueError also for empty masks.
    """
    ious = iou_per_class(pred, target, n_classes)
    if np.isnan(ious).all():
        raise ValueError("the masks are empty: no pixel to score")
    return float(np.nanmean(ious))
