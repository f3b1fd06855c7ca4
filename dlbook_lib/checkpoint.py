"""Checkpoint files, and the pieces of "run it again and it resumes" that every loop shares.

A training loop that resumes exactly where it stopped needs four things, each one function here:

* :class:`Checkpoint`: one dict saved with ``torch.save``, written atomically, so a kill while
  saving leaves the previous checkpoint intact.
* :func:`rng_states` / :func:`restore_rng_states`: every random-number generator that training
  draws from (PyTorch's, the GPU's, NumPy's, Python's), so that the steps after a resume draw
  the same dropout masks and noise as an uninterrupted run would.
* :func:`check_settings`: a refusal to resume a run whose settings (learning rate, seed...)
  have changed, since continuing would silently mix two runs.
* :func:`check_model_state` / :func:`check_optimizer_state`: weights and optimizer states that
  fit, checked before anything is loaded, so that a mismatch never leaves a model half-loaded;
  :func:`state_dicts` / :func:`load_state_dicts` save and restore a dict of named models,
  optimizers, schedulers and ``torch.Generator`` objects with those checks.

Every refusal names the file and ends with :func:`delete_hint`, the one line that starts over.
:func:`dlbook_lib.training.fit` and :func:`dlbook_lib.step_loop.train_steps` are built on them.
"""
from __future__ import annotations

import os
import random
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union

import numpy as np
import torch
from torch import Tensor, nn

__all__ = [
    "Checkpoint",
    "check_format",
    "check_model_state",
    "check_optimizer_state",
    "check_settings",
    "delete_hint",
    "load_state_dicts",
    "restore_rng_states",
    "rng_states",
    "state_dicts",
]

PathLike = Union[str, os.PathLike]


class Checkpoint:
    """One checkpoint file: a dict saved with ``torch.save``, written atomically.

    Example::

        ckpt = Checkpoint("checkpoints/gan.pt")
        state = ckpt.load()                      # None when there is no file yet
        ckpt.save({"step": 100, "G": G.state_dict()})

    Raises:
        TypeError: if ``path`` is not a string or ``os.PathLike``.
    """

    def __init__(self, path: PathLike) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r})"

    def exists(self) -> bool:
        """True when the checkpoint file exists."""
        return self.path.is_file()

    def save(self, state: dict) -> None:
        """Save ``state`` so that the file is always either the old or the new checkpoint.

        The dict is written to a temporary file in the same folder and then moved over the
        old file with ``os.replace`` (atomic), so a kill during saving never leaves a broken
        file. Missing parent folders are created.

        Raises:
            TypeError: if ``state`` is not a dict.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict, got {type(state).__name__}")
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        # A unique name in the same folder (os.replace is atomic only within a file system);
        # plain open() rather than mkstemp so the file gets the usual permissions.
        tmp_name = folder / f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(tmp_name, "xb") as file:
                torch.save(state, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            # Also on KeyboardInterrupt: remove the half-written file, keep the old checkpoint.
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
            raise

    def load(self, map_location: Any = None) -> dict | None:
        """Load the saved dict, or return None when there is no file.

        Args:
            map_location: passed to ``torch.load``, e.g. ``"cpu"`` to load tensors saved on a
                GPU onto a machine without one.

        Raises:
            RuntimeError: if the file cannot be read (corrupt, truncated, not a checkpoint);
                the message names the file and says to delete it.
        """
        if not self.exists():
            return None
        try:
            # Our own files, which also hold NumPy and Python RNG states: full unpickling.
            state = torch.load(self.path, map_location=map_location, weights_only=False)
        except Exception as error:
            raise RuntimeError(
                f"checkpoint {str(self.path)!r} could not be read "
                f"({type(error).__name__}: {error}). It is probably corrupt (e.g. truncated). "
                f"Delete it to start over: Checkpoint({str(self.path)!r}).delete()"
            ) from error
        if not isinstance(state, dict):
            raise RuntimeError(
                f"checkpoint {str(self.path)!r} holds a {type(state).__name__}, not a dict: it "
                f"is not one of ours. Delete it to start over: "
                f"Checkpoint({str(self.path)!r}).delete()"
            )
        return state

    def delete(self) -> None:
        """Delete the checkpoint file; nothing happens when there is none."""
        self.path.unlink(missing_ok=True)


def delete_hint(path: PathLike) -> str:
    """The end of every refusal to resume: ``"delete the file to start over: ..."``."""
    return f"delete the file to start over: Checkpoint({str(path)!r}).delete()"


# --------------------------------------------------------------------------- random numbers


def rng_states(device: str | torch.device) -> dict[str, Any]:
    """Every random-number state that training may draw from (dropout, noise, shuffling).

    Returns ``{"torch", "numpy", "python", "cuda", "mps"}``; the GPU entries are None unless
    ``device`` is of that type (``"cuda"`` saves the states of all visible GPUs).
    """
    device = torch.device(device)
    states: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "cuda": None,
        "mps": None,
    }
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state_all()
    elif device.type == "mps":
        states["mps"] = torch.mps.get_rng_state()
    return states


def restore_rng_states(states: dict[str, Any], device: str | torch.device) -> None:
    """Set the generators back to ``states``, a dict from :func:`rng_states`.

    The CPU states are always restored. A GPU state only applies to the same kind of device
    (and the same number of GPUs): a run moved to another device continues correctly, but it
    cannot repeat the other device's numbers anyway.
    """
    device = torch.device(device)
    # .cpu(): a checkpoint loaded with map_location="cuda" moves these byte tensors too.
    torch.set_rng_state(states["torch"].cpu())
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    cuda_states = states.get("cuda")
    if device.type == "cuda" and cuda_states is not None:
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([state.cpu() for state in cuda_states])
    if device.type == "mps" and states.get("mps") is not None:
        torch.mps.set_rng_state(states["mps"].cpu())


# --------------------------------------------------------------------------- does it fit?


def check_format(saved: dict, expected: str, path: PathLike) -> None:
    """Refuse a checkpoint written by another loop (or an older version of this one).

    ``expected`` is ``"<writer>/<version>"``, e.g. ``"dlbook_lib.training.fit/1"``; each loop
    saves its own under the key ``"format"``.

    Raises:
        ValueError: if ``saved["format"]`` differs; the message names the writer and says how
            to start over.
    """
    if saved.get("format") != expected:
        writer = expected.split("/")[0]
        raise ValueError(
            f"{str(path)!r} is not a checkpoint written by {writer} "
            f"(or it is from an older version); {delete_hint(path)}"
        )


def check_settings(saved: dict[str, Any], current: dict[str, Any], path: PathLike) -> None:
    """Refuse to resume when the run's settings differ from those saved in its checkpoint.

    A changed learning rate, seed or batch size must not silently continue the old run: the
    result would belong to neither. Keys present on one side only count as changes.

    Example::

        check_settings({"lr": 1e-3}, {"lr": 5e-4}, "gan.pt")
        # ValueError: checkpoint 'gan.pt' was written by a different run (lr was 0.001,
        # now 0.0005), and resuming would mix the two. Use the original settings, or
        # delete the file to start over: Checkpoint('gan.pt').delete()

    Raises:
        ValueError: naming every differing key with its old and new value.
    """
    missing = object()
    changed = []
    for key in list(saved) + [key for key in current if key not in saved]:
        old, new = saved.get(key, missing), current.get(key, missing)
        if old is missing or new is missing or old != new:
            old_text = "not set" if old is missing else repr(old)
            new_text = "not set" if new is missing else repr(new)
            changed.append(f"{key} was {old_text}, now {new_text}")
    if changed:
        raise ValueError(
            f"checkpoint {str(path)!r} was written by a different run ({'; '.join(changed)}), "
            f"and resuming would mix the two. Use the original settings, or {delete_hint(path)}"
        )


def check_model_state(
    model: nn.Module, saved: dict[str, Any], path: PathLike, *, name: str | None = None
) -> None:
    """Refuse a saved ``state_dict`` whose names or shapes do not fit ``model``.

    Checking first (rather than catching ``load_state_dict``'s error) means that a mismatch
    never leaves the model half-loaded. ``name`` says which model in the message (e.g.
    ``"G"``), for loops that save several.

    Raises:
        ValueError: listing the missing, unexpected and wrongly shaped entries (five of each).
    """
    expected = model.state_dict()
    missing = [key for key in expected if key not in saved]
    unexpected = [key for key in saved if key not in expected]
    wrong_shape = [
        f"{key} is {tuple(saved[key].shape)} in the file but {tuple(value.shape)} in the model"
        for key, value in expected.items()
        if key in saved and isinstance(value, Tensor) and isinstance(saved[key], Tensor)
        and saved[key].shape != value.shape
    ]
    problems = []
    if missing:
        problems.append(f"missing {missing[:5]}")
    if unexpected:
        problems.append(f"unexpected {unexpected[:5]}")
    if wrong_shape:
        problems.append("; ".join(wrong_shape[:5]))
    if problems:
        which = "this model" if name is None else f"this model ({name!r})"
        raise ValueError(
            f"checkpoint {str(path)!r} holds weights that do not fit {which} ("
            + "; ".join(problems)
            + "). It was written for a different architecture: use another checkpoint file, "
            f"or {delete_hint(path)}"
        )


def check_optimizer_state(
    optimizer: torch.optim.Optimizer, saved: dict[str, Any], path: PathLike,
    *, name: str | None = None,
) -> None:
    """Refuse a saved optimizer state whose parameter groups differ in number or size.

    Raises:
        ValueError: giving both lists of group sizes.
    """
    saved_sizes = [len(group["params"]) for group in saved["param_groups"]]
    sizes = [len(group["params"]) for group in optimizer.param_groups]
    if saved_sizes != sizes:
        which = "this optimizer" if name is None else f"this optimizer ({name!r})"
        raise ValueError(
            f"checkpoint {str(path)!r} holds an optimizer state for parameter groups of sizes "
            f"{saved_sizes}, but {which} has {sizes}; {delete_hint(path)}"
        )


# --------------------------------------------------------------------------- named states


def state_dicts(objects: Mapping[str, Any]) -> dict[str, Any]:
    """The state of each named object, to be saved in a checkpoint.

    ``objects`` maps names to anything with ``state_dict()`` (``nn.Module``, optimizer,
    scheduler) or to a ``torch.Generator`` (whose ``get_state()`` is taken), e.g.
    ``{"G": G, "opt_G": opt_G, "noise": generator}``.
    """
    return {
        name: obj.get_state() if isinstance(obj, torch.Generator) else obj.state_dict()
        for name, obj in objects.items()
    }


def load_state_dicts(objects: Mapping[str, Any], saved: Mapping[str, Any], path: PathLike) -> None:
    """Load states from :func:`state_dicts` back into the objects of the same names.

    Everything is checked first (the same names; weights that fit each ``nn.Module``, with
    :func:`check_model_state`; parameter groups that fit each optimizer, with
    :func:`check_optimizer_state`), so that an error leaves every object untouched.

    Raises:
        ValueError: if the names differ or a state does not fit; the message says how to
            start over.
    """
    if sorted(saved) != sorted(objects):
        raise ValueError(
            f"checkpoint {str(path)!r} holds the states of {sorted(saved)}, but this run has "
            f"{sorted(objects)}; pass the same names, or {delete_hint(path)}"
        )
    for name, obj in objects.items():
        if isinstance(obj, nn.Module):
            check_model_state(obj, saved[name], path, name=name)
        elif isinstance(obj, torch.optim.Optimizer):
            check_optimizer_state(obj, saved[name], path, name=name)
    for name, obj in objects.items():
        if isinstance(obj, torch.Generator):
            obj.set_state(saved[name].cpu())
        else:
            obj.load_state_dict(saved[name])
