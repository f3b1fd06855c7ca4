"""One training loop for everything that :func:`~dlbook_lib.training.fit` does not cover.

A GAN updates two networks per step, a VAE adds a KL term, seq2seq feeds its own outputs back:
the lesson writes what *one step* does, ``step(i)``, and :func:`train_steps` runs it with what
every long run needs: a progress bar, a history, a stop on NaN, and a checkpoint holding the
models, optimizers, history and random-number states, so that running the cell again resumes
exactly where the run stopped. The loop itself draws no random numbers and seeds nothing.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from dlbook_lib._checks import check_int, check_text
from dlbook_lib.checkpoint import (
    Checkpoint,
    check_format,
    check_settings,
    delete_hint,
    load_state_dicts,
    restore_rng_states,
    rng_states,
    state_dicts,
)
from dlbook_lib.errors import TrainingDiverged, check_on_nan
from dlbook_lib.training import synchronize

__all__ = ["train_steps"]

_FORMAT = "dlbook_lib.step_loop.train_steps/1"
_PLAIN = (type(None), bool, int, float, str)


def train_steps(
    step: Callable[[int], Mapping[str, Any]],
    n_steps: int,
    *,
    modules: Mapping[str, Any] | None = None,
    checkpoint: Checkpoint | str | os.PathLike | None = None,
    settings: Mapping[str, Any] | None = None,
    save_every: int = 500,
    log_every: int = 1,
    label: str = "training",
    on_nan: str = "raise",
    extra_state: dict[str, Any] | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> dict[str, list]:
    """Run ``step(i)`` for ``i`` in ``range(n_steps)``, resumably; return the logged history.

    Example (a GAN on images ``X`` of shape ``(N, 1, 28, 28)``)::

        noise = torch.Generator().manual_seed(0)      # the run's own random numbers

        def step(i):                                  # i = 0, 1, ..., n_steps - 1
            real = X[torch.randint(len(X), (64,), generator=noise)]     # (64, 1, 28, 28)
            loss_D = ...; opt_D.zero_grad(); loss_D.backward(); opt_D.step()
            loss_G = ...; opt_G.zero_grad(); loss_G.backward(); opt_G.step()
            return {"loss_D": loss_D, "loss_G": loss_G}

        history = train_steps(step, 1000, modules={"G": G, "D": D, "opt_G": opt_G,
                              "opt_D": opt_D, "noise": noise}, settings={"lr": 1e-3},
                              checkpoint=checkpoint_path("gan"), label="GAN")
        history["step"], history["loss_D"]            # [0, 1, ..., 999], 1000 floats

    Args:
        step: one training step; returns ``{"name": value}`` (numbers or one-element
            tensors), logged every ``log_every`` steps, or ``{}``. ``"step"`` is the loop's key.
        n_steps: the total number of steps, those in the checkpoint included; a larger number
            than the checkpoint holds continues its run.
        modules: what a resume restores, by name: anything with ``state_dict()`` and
            ``load_state_dict()`` (``nn.Module``, optimizer, scheduler) or a ``torch.Generator``.
        checkpoint: a :class:`~dlbook_lib.checkpoint.Checkpoint`, a path, or None.
        settings: plain values that define the run (numbers, strings, None, and lists, tuples
            or dicts of them), e.g. ``{"lr": 1e-3}``; a checkpoint with others is refused.
        save_every: save after every ``save_every`` steps, and after the last one.
        log_every: log (and check for NaN) the steps with ``i % log_every == 0``; each
            ``.item()`` waits for the GPU, so a larger value runs faster there.
        label: names the run in the progress bar and in the summary line.
        on_nan: a NaN or infinite logged value raises :class:`TrainingDiverged` (``"raise"``),
            or prints why and returns the history before it (``"stop"``).
        extra_state: a dict that ``step`` mutates (e.g. ``{"snapshots": {}}``), saved with the
            checkpoint and restored into the same dict (tensors in it come back on the CPU).
        device: for the GPU's random-number state and the timing; None: the device of the
            first ``nn.Module`` in ``modules``, else the CPU.
        progress: show a bar with the latest logged values, then print one summary line.

    Returns:
        ``{"step": [0, k, 2k, ...], "<name>": [float, ...]}`` with ``k = log_every``, over the
        whole run, resumed or not. From a finished checkpoint: ``modules`` and
        ``extra_state`` are restored and its history is returned without running ``step``.

    Raises:
        TypeError: for an argument of the wrong type, or a ``step`` that returns no dict of
            numbers.
        ValueError: for ``n_steps``, ``save_every`` or ``log_every`` < 1, a checkpoint without
            ``modules``, or one that is not this run's (other settings, names, shapes, or more
            steps than ``n_steps``): the message says how to start over.
        TrainingDiverged: with ``on_nan="raise"``; the message names the step.
    """
    if not callable(step):
        raise TypeError(f"step must be a function step(i) -> dict, got {type(step).__name__}")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    save_every = check_int(save_every, "save_every", minimum=1)
    log_every = check_int(log_every, "log_every", minimum=1)
    check_on_nan(on_nan)
    check_text(label, "label")
    modules, settings = _check_modules(modules), _check_settings(settings)
    if not isinstance(extra_state, (dict, type(None))):
        raise TypeError(f"extra_state must be a dict or None, got {type(extra_state).__name__}")
    if isinstance(checkpoint, (str, os.PathLike)):
        checkpoint = Checkpoint(checkpoint)
    elif checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"checkpoint must be a Checkpoint, a path or None, "
                        f"got {type(checkpoint).__name__}")
    if checkpoint is not None and not modules:
        raise ValueError("a checkpoint needs modules={'name': model_or_optimizer, ...}: "
                         "without them a resumed run would restart from untrained weights")
    if not isinstance(device, (str, torch.device, type(None))):
        raise TypeError(f"device must be a str, a torch.device or None, got {device!r}")
    device = _find_device(modules) if device is None else torch.device(device)

    done, history = 0, {"step": []}
    saved = None if checkpoint is None else checkpoint.load(map_location="cpu")
    if saved is not None:
        done, history = _resume(saved, checkpoint.path, modules, settings, extra_state,
                                n_steps, device)
        if done == n_steps:
            print(f"loaded the finished run from {str(checkpoint.path)!r} ({done} steps), "
                  "no training needed")
            return history
        print(f"resuming after step {done - 1} ({done} of {n_steps} steps done, "
              f"loaded from {str(checkpoint.path)!r})")

    bar = tqdm(range(done, n_steps), initial=done, total=n_steps, desc=label, unit="step",
               disable=not progress)
    synchronize(device)
    start = time.perf_counter()
    try:
        for i in bar:
            values = step(i)
            if i % log_every == 0:
                row = _log(history, values, i, n_steps)
                bar.set_postfix({key: f"{value:.4g}" for key, value in row.items()},
                                refresh=False)
            if checkpoint is not None and ((i + 1) % save_every == 0 or i + 1 == n_steps):
                checkpoint.save({
                    "format": _FORMAT, "step": i + 1, "settings": settings, "history": history,
                    "modules": state_dicts(modules), "extra_state": extra_state or {},
                    "rng": rng_states(device),
                })
    except TrainingDiverged as error:
        if on_nan == "raise":
            raise
        bar.close()  # first, so that the message is not drawn over by the bar
        print(f"{error}\n{label}: stopped at step {error.step}; returning the history of the "
              "steps before it")
        return history
    finally:
        bar.close()
    synchronize(device)
    if progress:
        # A saved notebook keeps the bar only as a widget; this line is for other viewers.
        seconds = time.perf_counter() - start
        print(f"{label}: {_summary_line(history, done, n_steps, seconds)}")
    return history


def _check_modules(modules: Any) -> dict[str, Any]:
    if not isinstance(modules, (Mapping, type(None))):
        raise TypeError(f"modules must be a dict {{name: module}}, got {type(modules).__name__}")
    for name, obj in (modules or {}).items():
        has_state = all(callable(getattr(obj, m, None)) for m in ("state_dict", "load_state_dict"))
        if not isinstance(name, str) or not (has_state or isinstance(obj, torch.Generator)):
            raise TypeError(
                f"modules[{name!r}] is a {type(obj).__name__}, which has no state_dict() and "
                "load_state_dict(); pass str names of nn.Modules, optimizers, schedulers or "
                "torch.Generators"
            )
    return dict(modules or {})


def _check_settings(settings: Any) -> dict[str, Any]:
    if not isinstance(settings, (Mapping, type(None))):
        raise TypeError(f"settings must be a dict, got {type(settings).__name__}")
    for key, value in (settings or {}).items():
        if not isinstance(key, str) or not _is_plain(value):
            raise TypeError(
                f"settings[{key!r}] is a {type(value).__name__}; settings must be plain values "
                "(None, bool, int, float, str, or lists, tuples, dicts of them) that a resume "
                "can compare: convert it, e.g. float(x) or x.tolist()"
            )
    return dict(settings or {})


def _is_plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(item) for item in value)
    return isinstance(value, _PLAIN) and not isinstance(value, np.generic)


def _find_device(modules: dict[str, Any]) -> torch.device:
    for obj in modules.values():
        if isinstance(obj, nn.Module):
            for tensor in list(obj.parameters()) + list(obj.buffers()):
                return tensor.device
    return torch.device("cpu")


def _resume(
    saved: dict, path: Any, modules: dict[str, Any], settings: dict[str, Any],
    extra_state: dict[str, Any] | None, n_steps: int, device: torch.device,
) -> tuple[int, dict[str, list]]:
    """Check that ``saved`` belongs to this run, then restore it: ``(steps done, history)``.

    Everything is checked before anything is loaded, so an error leaves the modules untouched.
    """
    check_format(saved, _FORMAT, path)
    done = saved["step"]
    if done > n_steps:
        raise ValueError(f"checkpoint {str(path)!r} already holds {done} steps but train_steps "
                         f"was asked for n_steps={n_steps}. Pass n_steps={done} or more to use "
                         f"it, or {delete_hint(path)}")
    check_settings(saved["settings"], settings, path)
    extra = {} if extra_state is None else extra_state
    if sorted(saved["extra_state"]) != sorted(extra):
        raise ValueError(f"checkpoint {str(path)!r} holds extra_state keys "
                         f"{sorted(saved['extra_state'])}, but this run's are {sorted(extra)}; "
                         f"pass the same keys, or {delete_hint(path)}")
    load_state_dicts(modules, saved["modules"], path)
    if extra_state is not None:
        extra_state.clear()
        extra_state.update(saved["extra_state"])
    restore_rng_states(saved["rng"], device)
    return done, saved["history"]


def _log(history: dict[str, list], values: Any, i: int, n_steps: int) -> dict[str, float]:
    """Append ``step(i)``'s values as floats (the first logged step fixes the keys)."""
    if not isinstance(values, Mapping):
        raise TypeError(f"step({i}) must return a dict of numbers to log (or {{}}), "
                        f"got {type(values).__name__}")
    row = {}
    for key, value in values.items():
        if key == "step" or not isinstance(key, str):
            raise ValueError(f"step({i}) returned the key {key!r}: keys must be strings other "
                             "than 'step', which the loop logs itself")
        if isinstance(value, Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"step({i}) returned {key}={value!r}: log numbers or one-element "
                            "tensors")
        row[key] = float(value)
        if not math.isfinite(row[key]):
            raise TrainingDiverged.at_step(i, n_steps, row[key], what=key)
    logged = [key for key in history if key != "step"]
    if history["step"] and sorted(logged) != sorted(row):
        raise ValueError(f"step({i}) returned the keys {sorted(row)}, but the earlier steps "
                         f"logged {sorted(logged)}: log the same keys every step")
    history["step"].append(i)
    for key, value in row.items():
        history.setdefault(key, []).append(value)
    return row


def _summary_line(history: dict[str, list], first: int, n_steps: int, seconds: float) -> str:
    """One line on the steps just run: which, how long, the last logged values."""
    steps = f"step {first}" if first == n_steps - 1 else f"steps {first}-{n_steps - 1}"
    values = ", ".join(f"{key} {history[key][-1]:.4g}" for key in history if key != "step")
    last = f"; at step {history['step'][-1]}: {values}" if values else ""
    return f"trained {steps} of {n_steps} in {seconds:.1f} s{last}"
