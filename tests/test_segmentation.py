"""Tests for dlbook_lib.segmentation: the generated shapes set and intersection over union."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbook_lib.segmentation import (
    SHAPE_CLASSES,
    iou_per_class,
    make_shapes_segmentation,
    mean_iou,
)


def test_shapes_set_has_the_documented_shapes_types_and_labels():
    images, masks = make_shapes_segmentation(50, size=32, seed=1)
    assert images.shape == (50, 1, 32, 32) and images.dtype == np.float32
    assert masks.shape == (50, 32, 32) and masks.dtype == np.int64
    assert set(np.unique(masks)) == set(range(len(SHAPE_CLASSES)))
    assert (masks > 0).any(axis=(1, 2)).all(), "every image holds at least one shape"


def test_same_seed_same_set_other_seed_other_set():
    a = make_shapes_segmentation(5, seed=3)
    b = make_shapes_segmentation(5, seed=3)
    c = make_shapes_segmentation(5, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_without_noise_shape_pixels_are_bright_and_background_is_flat():
    images, masks = make_shapes_segmentation(20, noise=0.0, seed=2)
    pixels = images[:, 0]
    np.testing.assert_allclose(pixels[masks == 0], 0.1, rtol=1e-6)
    assert pixels[masks > 0].min() >= 0.4 - 1e-6 and pixels[masks > 0].max() <= 1.0 + 1e-6


def test_the_classes_cover_comparable_areas_and_brightness_does_not_give_the_class():
    images, masks = make_shapes_segmentation(400, noise=0.0, seed=5)
    areas = [np.count_nonzero(masks == c) for c in (1, 2, 3)]
    assert max(areas) < 3 * min(areas)
    means = [images[:, 0][masks == c].mean() for c in (1, 2, 3)]
    assert max(means) - min(means) < 0.05


def test_iou_of_known_masks():
    target = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    pred = np.array([[0, 0, 0, 1], [0, 0, 1, 1]])
    ious = iou_per_class(pred, target, 3)
    np.testing.assert_allclose(ious[:2], [4 / 5, 3 / 4])
    assert np.isnan(ious[2])
    assert mean_iou(pred, target, 3) == pytest.approx((4 / 5 + 3 / 4) / 2)
    assert mean_iou(torch.from_numpy(target), torch.from_numpy(target), 3) == 1.0


def test_iou_errors_are_clear():
    with pytest.raises(ValueError, match="same shape"):
        mean_iou(np.zeros((2, 2), int), np.zeros((2, 3), int), 2)
    with pytest.raises(TypeError, match="integer class labels"):
        mean_iou(np.zeros((2, 2)), np.zeros((2, 2), int), 2)
    with pytest.raises(ValueError, match=r"outside 0..1"):
        mean_iou(np.full((2, 2), 2), np.zeros((2, 2), int), 2)
    with pytest.raises(ValueError, match="empty"):
        mean_iou(np.zeros((0,), int), np.zeros((0,), int), 2)


def test_generator_rejects_bad_arguments():
    with pytest.raises(ValueError):
        make_shapes_segmentation(0)
    with pytest.raises(ValueError):
        make_shapes_segmentation(3, size=8)
    with pytest.raises(ValueError):
        make_shapes_segmentation(3, noise=-0.1)
    with pytest.raises(TypeError):
        make_shapes_segmentation(3, seed=1.5)
