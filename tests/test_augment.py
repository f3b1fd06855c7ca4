"""Tests for dlbook_lib.augment: fixed shifts and the random shift-and-flip augmentation."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbook_lib.augment import RandomShiftFlip, shift_images


def numbered_images(n: int = 3, c: int = 2, h: int = 5, w: int = 6) -> np.ndarray:
    return np.arange(1, n * c * h * w + 1, dtype=np.float32).reshape(n, c, h, w)


@pytest.mark.parametrize("dy, dx", [(0, 0), (1, 0), (0, -2), (2, 3), (-4, -5)])
def test_shift_moves_pixels_and_fills_zeros(dy, dx):
    x = numbered_images()
    out = shift_images(x, dy, dx)
    H, W = x.shape[-2:]
    for i in range(H):
        for j in range(W):
            si, sj = i - dy, j - dx
            expected = x[..., si, sj] if 0 <= si < H and 0 <= sj < W else 0.0
            np.testing.assert_array_equal(out[..., i, j], expected)


def test_shift_keeps_the_type_for_tensors_and_3d_batches():
    x = torch.from_numpy(numbered_images()[:, 0])  # (N, H, W)
    out = shift_images(x, 1, 1)
    assert isinstance(out, torch.Tensor) and out.shape == x.shape and out.dtype == x.dtype
    assert torch.equal(out[:, 1:, 1:], x[:, :-1, :-1])
    assert out[:, 0].abs().sum() == 0 and out[:, :, 0].abs().sum() == 0


def test_shift_rejects_bad_input():
    with pytest.raises(TypeError, match="NumPy array or a torch tensor"):
        shift_images([[1.0]], 0, 0)
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, C, H, W\)"):
        shift_images(np.zeros((4, 4)), 0, 0)
    with pytest.raises(ValueError, match="out of the frame"):
        shift_images(np.zeros((1, 4, 4)), 4, 0)
    with pytest.raises(TypeError):
        shift_images(np.zeros((1, 4, 4)), 1.5, 0)


def test_random_shift_flip_makes_only_shifts_and_mirrors_of_each_image():
    x = torch.from_numpy(numbered_images(n=40))
    augment = RandomShiftFlip(2, flip=True)
    out = augment(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    seen_shifts, seen_flips = set(), set()
    for n in range(len(x)):
        matches = [
            (dy, dx, flip)
            for dy in range(-2, 3) for dx in range(-2, 3) for flip in (False, True)
            if torch.equal(out[n], shift_images(x[n : n + 1].flip(-1) if flip else x[n : n + 1],
                                                dy, dx)[0])
        ]
        assert len(matches) == 1, (n, matches)
        seen_shifts.add(matches[0][:2])
        seen_flips.add(matches[0][2])
    assert len(seen_shifts) > 10 and seen_flips == {False, True}


def test_random_shift_flip_is_reproducible_from_the_generator():
    x = torch.from_numpy(numbered_images(n=16))
    augment = RandomShiftFlip(3)
    a = augment(x, torch.Generator().manual_seed(5))
    b = augment(x, torch.Generator().manual_seed(5))
    c = augment(x, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_no_shift_and_no_flip_is_the_identity():
    x = torch.from_numpy(numbered_images())
    assert torch.equal(RandomShiftFlip(0, flip=False)(x, torch.Generator()), x)


def test_random_shift_flip_rejects_bad_arguments():
    with pytest.raises(ValueError):
        RandomShiftFlip(-1)
    with pytest.raises(TypeError, match="flip must be a bool"):
        RandomShiftFlip(1, flip="yes")
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        RandomShiftFlip(1)(torch.zeros(3, 4, 4), torch.Generator())
    with pytest.raises(TypeError, match="torch.Generator"):
        RandomShiftFlip(1)(torch.zeros(1, 1, 4, 4), 0)
    assert repr(RandomShiftFlip(2, flip=False)) == "RandomShiftFlip(max_shift=2, flip=False)"
