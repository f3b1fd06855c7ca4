"""Image shifts and data augmentation for (N, C, H, W) batches, NumPy or PyTorch.

* :func:`shift_images` moves every image of a batch by the same whole number of pixels,
  filling what comes in with zeros (not a wrap-around ``roll``): the test-time shift of the
  translation experiments (lessons 4.1 and 4.3).
* :class:`RandomShiftFlip` is a training-time augmentation: each image of a batch is moved
  by its own random offset of up to ``max_shift`` pixels (pad with zeros, crop back, as
  ``RandomCrop(padding=...)`` does) and, optionally, mirrored left-right with probability
  1/2. Pass it to :func:`dlbook_lib.training.fit` as ``augment=`` (lessons 3.2 and 4.6); it
  draws from the generator it is given, so a seeded run is reproducible.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from dlbook_lib._checks import check_int

__all__ = ["shift_images", "RandomShiftFlip"]


def _check_images(images: Any, name: str) -> None:
    if not isinstance(images, (np.ndarray, Tensor)):
        raise TypeError(
            f"{name} must be a NumPy array or a torch tensor, got {type(images).__name__}"
        )
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{name} must be a batch of images (N, H, W) or (N, C, H, W), got shape "
            f"{tuple(images.shape)}"
        )


def shift_images(images: np.ndarray | Tensor, dy: int, dx: int) -> np.ndarray | Tensor:
    """Move every image ``dy`` pixels down and ``dx`` pixels right, filling with zeros.

    ``out[..., i, j] = images[..., i - dy, j - dx]`` where that pixel exists, else 0; negative
    offsets move up / left. The result has the input's type, dtype, device and shape.

    Args:
        images: a batch ``(N, H, W)`` or ``(N, C, H, W)``, NumPy array or tensor.
        dy: rows to move down (negative: up); ``|dy| < H``.
        dx: columns to move right (negative: left); ``|dx| < W``.

    Raises:
        TypeError: if ``images`` is neither an array nor a tensor, or an offset is not an int.
        ValueError: if ``images`` is not 3-D or 4-D, or an offset moves the whole image out.
    """
    _check_images(images, "images")
    dy, dx = check_int(dy, "dy"), check_int(dx, "dx")
    H, W = images.shape[-2:]
    if abs(dy) >= H or abs(dx) >= W:
        raise ValueError(f"a shift of ({dy}, {dx}) moves a {H}x{W} image out of the frame")
    out = np.zeros_like(images) if isinstance(images, np.ndarray) else torch.zeros_like(images)
    src_rows = slice(max(0, -dy), H - max(0, dy))
    dst_rows = slice(max(0, dy), H - max(0, -dy))
    src_cols = slice(max(0, -dx), W - max(0, dx))
    dst_cols = slice(max(0, dx), W - max(0, -dx))
    out[..., dst_rows, dst_cols] = images[..., src_rows, src_cols]
    return out


class RandomShiftFlip:
    """Training-time augmentation: a random shift of up to ``max_shift`` pixels, and flips.

    Called as ``augment(X_batch, generator)`` on a tensor batch ``(N, C, H, W)``: image ``n``
    is moved by ``(dy_n, dx_n)``, each drawn uniformly from ``-max_shift..max_shift`` (zeros
    come in), then mirrored left-right with probability 1/2 when ``flip`` is true. The random
    numbers come from ``generator`` (a CPU ``torch.Generator``), so the same seed gives the
    same augmented batches; the batch stays on its device.

    Args:
        max_shift: the largest shift in pixels, >= 0 (0 with ``flip=False`` changes nothing).
        flip: also mirror left-right at random (right for clothes, wrong for digits or text).

    Raises:
        TypeError: if ``max_shift`` is not an int or ``flip`` not a bool.
        ValueError: if ``max_shift`` is negative.
    """

    def __init__(self, max_shift: int = 2, *, flip: bool = True) -> None:
        self.max_shift = check_int(max_shift, "max_shift", minimum=0)
        if not isinstance(flip, bool):
            raise TypeError(f"flip must be a bool, got {type(flip).__name__}")
        self.flip = flip

    def __repr__(self) -> str:
        return f"RandomShiftFlip(max_shift={self.max_shift}, flip={self.flip})"

    def __call__(self, images: Tensor, generator: torch.Generator) -> Tensor:
        """The augmented copy of ``images`` (N, C, H, W), drawn from ``generator``."""
        if not isinstance(images, Tensor) or images.ndim != 4:
            raise ValueError(
                "RandomShiftFlip expects a tensor batch (N, C, H, W), got "
                f"{type(images).__name__} of shape {tuple(getattr(images, 'shape', ()))}"
            )
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        N, _, H, W = images.shape
        m = self.max_shift
        out = images
        if m > 0:
            offsets = torch.randint(0, 2 * m + 1, (2, N), generator=generator)
            padded = torch.nn.functional.pad(images, (m, m, m, m))
            rows = (torch.arange(H)[None, :] + offsets[0][:, None]).to(images.device)
            cols = (torch.arange(W)[None, :] + offsets[1][:, None]).to(images.device)
            n = torch.arange(N, device=images.device)[:, None, None]
            # (N, H, W, C) from advanced indexing on the two spatial axes, back to (N, C, H, W)
            out = padded.permute(0, 2, 3, 1)[n, rows[:, :, None], cols[:, None, :]]
            out = out.permute(0, 3, 1, 2)
        if self.flip:
            mirror = (torch.rand(N, generator=generator) < 0.5).to(images.device)
            out = torch.where(mirror[:, None, None, None], out.flip(-1), out)
        return out.contiguous()
