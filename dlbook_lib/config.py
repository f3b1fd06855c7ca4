"""Run-time settings every lesson shares: fast/full mode, seeding and device choice.

* **Mode.** ``DLBOOK_FAST=1`` selects *fast mode*: the same code path on a small slice of
  data and a few steps, used by the tests. Anything else (or unset) is *full mode*, what the
  book shows. Lessons pick sizes with :func:`pick`, e.g. ``epochs = pick(fast=1, full=10)``.
* **Seeding.** :func:`seed_everything` seeds Python, NumPy and PyTorch so that a notebook run
  twice on the same device gives the same numbers.
* **Device.** :func:`get_device` returns ``cuda`` when present, else ``mps``, else ``cpu``;
  :func:`cpu_threads` limits PyTorch's CPU threads for a block (tiny networks run faster on one).
* **Set-up.** :func:`setup_lesson` does all of it in the first code cell of a lesson::

      device = setup_lesson(seed=0)   # prints "mode: full, device: cuda (NVIDIA H100 ...)"
"""
from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from dlbook_lib._checks import check_int

if TYPE_CHECKING:  # torch is imported where it is used, so NumPy-only lessons need not load it
    import torch

T = TypeVar("T")

FAST_ENV_VAR = "DLBOOK_FAST"
_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"", "0", "false", "no", "off"}


def is_fast_mode() -> bool:
    """Return True when ``DLBOOK_FAST`` asks for fast mode.

    Accepts ``1/true/yes/on`` (fast) and ``0/false/no/off`` or unset (full), case-insensitive.

    Raises:
        ValueError: for any other value, so a typo never silently selects a mode.
    """
    raw = os.environ.get(FAST_ENV_VAR, "").strip().lower()
    if raw in _TRUE_WORDS:
        return True
    if raw in _FALSE_WORDS:
        return False
    raise ValueError(
        f"{FAST_ENV_VAR}={os.environ[FAST_ENV_VAR]!r} is not understood: "
        "use 1 (fast mode) or 0 / unset (full mode)."
    )


def mode_name() -> str:
    """``"fast"`` or ``"full"``, for printing at the top of a lesson."""
    return "fast" if is_fast_mode() else "full"


def pick(*, fast: T, full: T) -> T:
    """Return ``fast`` in fast mode and ``full`` in full mode.

    Example: ``n_epochs = pick(fast=1, full=12)``.
    """
    return fast if is_fast_mode() else full


def seed_everything(seed: int = 0) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU and CUDA).

    Also asks cuDNN for deterministic kernels, so a run repeated on the same device gives the
    same numbers.

    Raises:
        TypeError: if ``seed`` is not an int.
        ValueError: if ``seed`` is negative or does not fit in 32 bits (NumPy's limit).
    """
    seed = check_int(seed, "seed", minimum=0)
    if seed >= 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # NumPy-only lessons still work without torch
        return
    torch.manual_seed(seed)  # also seeds every CUDA device
    if hasattr(torch.backends, "cudnn"):
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def get_device(prefer: str | None = None):
    """Return the best available ``torch.device``: cuda, then mps, then cpu.

    Args:
        prefer: force one of ``"cuda"``, ``"mps"`` or ``"cpu"``; the environment variable
            ``DLBOOK_DEVICE`` does the same for a whole run.

    Raises:
        ValueError: if the requested device name is unknown.
        RuntimeError: if the requested device is not available on this machine.
    """
    import torch

    name = prefer or os.environ.get("DLBOOK_DEVICE") or None
    if name is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    name = name.strip().lower()
    if name not in {"cuda", "mps", "cpu"}:
        raise ValueError(f"unknown device {name!r}: use 'cuda', 'mps' or 'cpu'")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but no CUDA GPU is available")
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise RuntimeError("device 'mps' was requested but Apple's MPS is not available")
    return torch.device(name)


def describe_device(device) -> str:
    """A human-readable device name, e.g. ``'cuda (NVIDIA H100 80GB HBM3)'`` or
    ``'cpu (8 cores, 8 threads)'`` (the threads PyTorch uses in this process)."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({os.cpu_count()} cores, {threads} thread{'' if threads == 1 else 's'})"
    return device.type


@contextmanager
def cpu_threads(n: int, device: torch.device | str | None = None) -> Iterator[None]:
    """Run the block with PyTorch using ``n`` CPU threads, then restore the previous number.

    Tiny networks (a 2-D GAN's MLPs) run faster on one thread: starting threads costs more
    than the work. With a ``device`` that is not the CPU the block runs unchanged, so a lesson
    can write ``with cpu_threads(1, device):`` whatever device it trains on.

    Raises:
        TypeError / ValueError: if ``n`` is not an int >= 1, or ``device`` is not a device.
    """
    import torch

    n = check_int(n, "n", minimum=1)
    applies = device is None or torch.device(device).type == "cpu"
    before = torch.get_num_threads()
    if applies:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def setup_lesson(seed: int = 0, *, device: str | None = None) -> torch.device:
    """The first code cell of a lesson: book style, seeds, device, and one line about them.

    Applies :func:`dlbook_lib.plotting.use_book_style`, calls :func:`seed_everything` with
    ``seed``, picks the device with :func:`get_device` and prints
    ``mode: full, device: cpu (8 cores, 8 threads)`` (:func:`mode_name`,
    :func:`describe_device`).

    Args:
        seed: passed to :func:`seed_everything`.
        device: ``None`` for the best available device (or ``$DLBOOK_DEVICE``), or force
            ``"cuda"``, ``"mps"`` or ``"cpu"``.

    Returns:
        The ``torch.device`` the lesson should use.

    Raises:
        TypeError / ValueError / RuntimeError: as :func:`seed_everything` and
            :func:`get_device` (a bad seed, an unknown or unavailable device), and a
            ``ValueError`` for a ``DLBOOK_FAST`` value that is not understood.
    """
    from dlbook_lib.plotting import use_book_style  # plotting imports nothing from here

    mode = mode_name()  # a DLBOOK_FAST typo, a bad device or seed fail before the style changes
    chosen = get_device(device)
    seed_everything(seed)
    use_book_style()
    print(f"mode: {mode}, device: {describe_device(chosen)}")
    return chosen


CHECKPOINTS_ENV_VAR = "DLBOOK_CHECKPOINTS"


def checkpoint_dir() -> Path:
    """The folder where lessons keep training checkpoints.

    ``$DLBOOK_CHECKPOINTS`` when set, else ``$XDG_CACHE_HOME/dlbook/checkpoints`` (by default
    ``~/.cache/dlbook/checkpoints``). The tests and ``make execute`` point the variable at a
    fresh folder, so that their runs never resume from an older run's checkpoint.
    """
    configured = os.environ.get(CHECKPOINTS_ENV_VAR, "").strip()
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(cache) / "dlbook" / "checkpoints"


def checkpoint_path(name: str) -> Path:
    """Path of the checkpoint file called ``name`` for the current mode.

    The mode is part of the file name (``lenet-modern-full.pt``), so a fast run never resumes
    from a full run's checkpoint or the other way round. Re-running a cell whose training
    was killed resumes from its last saved epoch (see ``dlbook_lib.training.fit``).

    Raises:
        ValueError: if ``name`` is empty or holds characters other than letters, digits,
            ``-``, ``_`` and ``.``.
    """
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ValueError(
            f"checkpoint name {name!r} must be non-empty and use only letters, digits, "
            "'-', '_', '.'"
        )
    return checkpoint_dir() / f"{name}-{mode_name()}.pt"
