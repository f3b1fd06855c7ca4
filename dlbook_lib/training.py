"""The PyTorch training loop the lessons share, with checkpoints that make a run resumable.

* :func:`fit` trains a model on in-memory tensors ``(X, y)`` for a number of epochs and returns
  its *history*, a plain dict of lists with one entry per epoch::

      {"epoch": [1, 2, ...], "train_loss": [...], "train_accuracy": [...],
       "val_loss": [...], "val_accuracy": [...], "examples_per_second": [...], "seconds": [...]}

  (the ``val_`` keys only with ``val_data``, the ``accuracy`` keys only for class labels).
  With ``checkpoint_path`` it saves everything after each epoch, so a run that was killed
  resumes from its last finished epoch when the cell is run again, and a finished run is
  loaded instead of trained.
* :func:`evaluate` and :func:`predict` run a model without gradients, in batches;
  :func:`synchronize` waits for queued GPU work before a wall-clock timing.
* Checkpoint files and the resume checks live in :mod:`dlbook_lib.checkpoint`; custom loops
  (GANs) use :func:`dlbook_lib.step_loop.train_steps`, which is built on the same pieces.
* :class:`TrainingDiverged` (from :mod:`dlbook_lib.errors`) is raised when the loss becomes
  NaN or infinite.

Why no ``DataLoader``: the lessons' data sets fit in memory, so the data is moved to the device
once and each batch is a slice of a seeded permutation. That is faster than worker processes
for small images, and it makes the order of the batches a pure function of ``seed`` and the
epoch number, which is what lets a resumed run continue exactly where it stopped.
"""
from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from dlbook_lib._checks import as_tensor, check_int, check_text
from dlbook_lib.checkpoint import (
    Checkpoint,
    check_format,
    check_model_state,
    check_optimizer_state,
    check_settings,
    delete_hint,
    restore_rng_states,
    rng_states,
)
from dlbook_lib.config import get_device
from dlbook_lib.errors import TrainingDiverged, check_on_nan

__all__ = ["TrainingDiverged", "evaluate", "fit", "predict", "synchronize"]

ArrayLike = Union[Tensor, np.ndarray]
Data = tuple[ArrayLike, ArrayLike]
LossFn = Callable[[Any, Tensor], Tensor]
Augment = Callable[[Tensor, torch.Generator], Tensor]

_CHECKPOINT_FORMAT = "dlbook_lib.training.fit/1"


# --------------------------------------------------------------------------- input checks


def _as_pair(data: Any, name: str) -> tuple[Tensor, Tensor]:
    """Check that ``data`` is an ``(X, y)`` pair of equal length and convert it to tensors."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be a pair (X, y) of tensors or NumPy arrays")
    X = as_tensor(data[0], f"{name}[0] (X)")
    y = as_tensor(data[1], f"{name}[1] (y)")
    if len(X) != len(y):
        raise ValueError(
            f"{name}: X has {len(X)} examples but y has {len(y)}; they must match one to one"
        )
    if len(X) == 0:
        raise ValueError(f"{name} is empty: X and y have 0 examples")
    return X, y


def _check_optimizer(model: nn.Module, optimizer: Any) -> None:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
        )
    model_params = {id(p) for p in model.parameters()}
    for group in optimizer.param_groups:
        if any(id(p) not in model_params for p in group["params"]):
            raise ValueError(
                "the optimizer updates parameters that are not in this model. Build the "
                "optimizer on this model, e.g. torch.optim.SGD(model.parameters(), lr=0.1); "
                "the usual cause is re-creating the model without re-creating the optimizer."
            )


def _check_scheduler(scheduler: Any, optimizer: torch.optim.Optimizer) -> None:
    if scheduler is None:
        return
    for method in ("step", "state_dict", "load_state_dict"):
        if not callable(getattr(scheduler, method, None)):
            raise TypeError(
                f"scheduler must be a torch.optim.lr_scheduler object (it has no {method}()), "
                f"got {type(scheduler).__name__}"
            )
    if getattr(scheduler, "optimizer", None) is not optimizer:
        raise ValueError("the scheduler was built on a different optimizer than the one given")


def _resolve_device(device: Any) -> torch.device:
    if device is None:
        return get_device()
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    return torch.device(device)


def _model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (cpu for a model with neither)."""
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


# --------------------------------------------------------------------------- one pass


def synchronize(device: str | torch.device) -> None:
    """Wait until the work queued on ``device`` is done, so that a wall-clock timing measures
    the work itself: GPU kernels run asynchronously, and without this a timer stops while they
    still run. On the CPU it returns at once.
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _count_correct(output: Any, target: Tensor) -> tuple[int, int] | None:
    """``(correct, total)`` when ``target`` holds class labels for ``output``, else None.

    That is: integer targets, and ``output.argmax(-1)`` of the targets' shape, so ``(N, C)``
    scores with ``(N,)`` labels and ``(N, T, V)`` scores with ``(N, T)`` labels both count.
    """
    if not isinstance(output, Tensor) or output.ndim == 0 or output.shape[-1] < 2:
        return None
    if target.dtype.is_floating_point or target.dtype.is_complex or target.dtype == torch.bool:
        return None
    predicted = output.argmax(-1)
    if predicted.shape != target.shape:
        return None
    return int((predicted == target).sum().item()), target.numel()


def _scalar_loss(loss: Any) -> Tensor:
    if not isinstance(loss, Tensor) or loss.ndim != 0:
        shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(
            f"loss_fn must return a scalar tensor (a mean over the batch), got {shape}"
        )
    return loss


def _epoch_seed(seed: int, epoch: int) -> int:
    """A well-mixed 32-bit seed for the batch order of one epoch."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def _train_one_epoch(
    model: nn.Module,
    X: Tensor,
    y: Tensor,
    *,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn,
    batch_size: int,
    seed: int,
    epoch: int,
    augment: Augment | None = None,
) -> tuple[float, float | None, float]:
    """One pass over ``(X, y)`` in a seeded order: ``(mean loss, accuracy or None, seconds)``.

    With ``augment``, each batch is replaced by ``augment(X_batch, generator)`` before the
    forward pass, drawing from a CPU generator seeded from ``seed`` and ``epoch``.

    Raises:
        TrainingDiverged: at the first batch whose loss is NaN or infinite (before the step).
    """
    model.train()
    n = len(X)
    generator = torch.Generator().manual_seed(_epoch_seed(seed, epoch))
    order = torch.randperm(n, generator=generator).to(X.device)
    augment_generator = (None if augment is None
                         else torch.Generator().manual_seed(_epoch_seed(seed + 1, epoch)))
    n_batches = math.ceil(n / batch_size)
    total_loss, correct, counted, has_accuracy = 0.0, 0, 0, True
    synchronize(X.device)
    start = time.perf_counter()
    for batch in range(n_batches):
        index = order[batch * batch_size : (batch + 1) * batch_size]
        X_batch, y_batch = X[index], y[index]
        if augment is not None:
            X_batch = augment(X_batch, augment_generator)
        optimizer.zero_grad(set_to_none=True)
        output = model(X_batch)
        loss = _scalar_loss(loss_fn(output, y_batch))
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(epoch, batch + 1, n_batches, value)
        loss.backward()
        optimizer.step()
        total_loss += value * len(index)
        counts = _count_correct(output, y_batch) if has_accuracy else None
        if counts is None:
            has_accuracy = False
        else:
            correct, counted = correct + counts[0], counted + counts[1]
    synchronize(X.device)
    seconds = time.perf_counter() - start
    return total_loss / n, (correct / counted if has_accuracy else None), seconds


def _evaluate_tensors(
    model: nn.Module, X: Tensor, y: Tensor, loss_fn: LossFn, batch_size: int, device: torch.device
) -> dict[str, float]:
    """Mean loss (and accuracy) over ``(X, y)`` in eval mode; restores the model's mode."""
    was_training = model.training
    model.eval()
    total_loss, correct, counted, has_accuracy = 0.0, 0, 0, True
    try:
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                X_batch = X[start : start + batch_size].to(device)
                y_batch = y[start : start + batch_size].to(device)
                output = model(X_batch)
                loss = _scalar_loss(loss_fn(output, y_batch))
                total_loss += loss.item() * len(X_batch)
                counts = _count_correct(output, y_batch) if has_accuracy else None
                if counts is None:
                    has_accuracy = False
                else:
                    correct, counted = correct + counts[0], counted + counts[1]
    finally:
        model.train(was_training)
    result = {"loss": total_loss / len(X)}
    if has_accuracy:
        result["accuracy"] = correct / counted
    return result


# --------------------------------------------------------------------------- checkpoint state


def _restore_checkpoint(
    saved: dict,
    path: Path,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    settings: dict[str, Any],
    epochs: int,
    device: torch.device,
) -> tuple[int, dict[str, list]]:
    """Check that ``saved`` belongs to this run, load it, and return ``(epochs done, history)``.

    Everything is checked before anything is loaded, so an error leaves the model untouched.
    """
    check_format(saved, _CHECKPOINT_FORMAT, path)
    done = saved["epoch"]
    if done > epochs:
        raise ValueError(
            f"checkpoint {str(path)!r} already holds {done} epochs but fit was asked for "
            f"epochs={epochs}. Pass epochs={done} or more to use it, or {delete_hint(path)}"
        )
    check_settings(saved["settings"], settings, path)
    check_model_state(model, saved["model"], path)
    check_optimizer_state(optimizer, saved["optimizer"], path)
    model.load_state_dict(saved["model"])
    try:
        optimizer.load_state_dict(saved["optimizer"])
    except ValueError as error:
        raise ValueError(
            f"checkpoint {str(path)!r} holds an optimizer state that does not fit this optimizer "
            f"({error}); {delete_hint(path)}"
        ) from error
    if scheduler is not None:
        scheduler.load_state_dict(saved["scheduler"])
    restore_rng_states(saved["rng"], device)
    history = saved["history"]
    if any(len(values) != done for values in history.values()):
        raise ValueError(
            f"checkpoint {str(path)!r} has an inconsistent history; {delete_hint(path)}"
        )
    return done, history


# --------------------------------------------------------------------------- public API


def fit(
    model: nn.Module,
    train_data: Data,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn | None = None,
    val_data: Data | None = None,
    batch_size: int = 128,
    device: str | torch.device | None = None,
    checkpoint_path: str | os.PathLike | None = None,
    seed: int = 0,
    progress: bool = True,
    label: str = "training",
    on_nan: str = "raise",
    scheduler: Any = None,
    augment: Augment | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` for ``epochs`` epochs and return its history, one entry per epoch.

    Args:
        model: any ``nn.Module``; it is moved to ``device``. Moving keeps the same Parameter
            objects, so an optimizer built before on ``model.parameters()`` keeps working,
            but it must be built on *this* model (a ValueError says so otherwise).
        train_data: ``(X, y)``, tensors or NumPy arrays with the same first dimension ``N``,
            e.g. ``X`` of shape ``(N, C, H, W)`` and ``y`` of shape ``(N,)``. They are moved
            to the device once and stay there; NumPy floats become float32, integers int64.
        epochs: the total number of epochs of the run (including those in a checkpoint).
        optimizer: a ``torch.optim.Optimizer`` built on ``model.parameters()``.
        loss_fn: ``loss_fn(output, target) -> scalar tensor``; default
            ``torch.nn.functional.cross_entropy`` (output ``(N, C)``, target ``(N,)``).
            For sequence outputs ``(N, T, V)`` pass e.g.
            ``lambda out, y: F.cross_entropy(out.flatten(0, 1), y.flatten())``.
        val_data: optional ``(X_val, y_val)``, evaluated after every epoch.
        batch_size: examples per step (the last batch of an epoch may be smaller); also used
            for the validation pass.
        device: ``"cuda"``, ``"mps"``, ``"cpu"`` or a ``torch.device``; None picks
            :func:`dlbook_lib.config.get_device`.
        checkpoint_path: save everything after every epoch to this file, and resume from it
            when it exists (see below).
        seed: fixes the batch order (a permutation seeded from ``seed`` and the epoch) and,
            at the start of a fresh run, PyTorch's global generator, from which the model's
            own randomness (dropout) draws. The same seed on the same device gives the same
            numbers.
        progress: show a progress bar over epochs with the latest losses, and print one
            line at the end: the epochs trained, their seconds and the last losses.
        label: names the run in the progress bar and in that line, e.g. ``"LSTM, T=50"``.
        on_nan: what to do when a training loss is NaN or infinite: ``"raise"`` raises
            :class:`TrainingDiverged`; ``"stop"`` prints its message and returns the history
            of the epochs finished so far.
        scheduler: optional learning-rate scheduler built on ``optimizer``; stepped once after
            every epoch, with the validation loss (else the training loss) for
            ``ReduceLROnPlateau``.
        augment: optional data augmentation for the training batches only, called as
            ``augment(X_batch, generator) -> X_batch`` with a seeded CPU ``torch.Generator``
            (e.g. :class:`dlbook_lib.augment.RandomShiftFlip`); validation data is never
            augmented. Its ``repr`` is part of the checkpoint's settings.

    Returns:
        ``{"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
        "examples_per_second", "seconds"}`` -> lists of floats (``epoch`` 1-based ints).
        Losses are means over examples. The ``accuracy`` keys are present only when the
        targets are integer class labels and ``output.argmax(-1)`` has their shape (``(N, C)``
        scores or ``(N, T, V)`` sequence scores); the ``val_`` keys only with ``val_data``.
        ``examples_per_second`` counts training examples per second of the training pass;
        ``seconds`` is the whole epoch, validation included.

    Checkpoints: after each epoch the model, optimizer and scheduler states, the history and
    the random-number states are saved atomically. Calling ``fit`` again with the same path
    prints ``resuming from epoch k of n`` and continues exactly as the uninterrupted run would
    have (same device); when all ``epochs`` are done it loads the model and returns the saved
    history without training. The model's train/eval mode is restored when ``fit`` returns.

    Raises:
        TypeError: if an argument has the wrong type (model, data, optimizer, scheduler...).
        ValueError: if X and y differ in length or are empty; if ``epochs`` or ``batch_size``
            is below 1; if the model has ``BatchNorm1d`` and the last batch of an epoch
            would hold a single example; if ``on_nan`` is not ``"raise"``/``"stop"``; if the
            optimizer is not built on this model; if the checkpoint holds more epochs than
            ``epochs``, weights that do not fit the model, or comes from a run with other
            settings (seed, batch size, data sizes, optimizer or scheduler class): the message
            says to delete the file to start over; if ``loss_fn`` does not return a scalar
            tensor.
        TrainingDiverged: with ``on_nan="raise"``, when a training loss is NaN or infinite.
        RuntimeError: if the checkpoint file is corrupt (from :meth:`Checkpoint.load`).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    check_on_nan(on_nan)
    check_text(label, "label")
    _check_optimizer(model, optimizer)
    _check_scheduler(scheduler, optimizer)
    if augment is not None and not callable(augment):
        raise TypeError(f"augment must be callable, got {type(augment).__name__}")
    if loss_fn is None:
        loss_fn = F.cross_entropy
    elif not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    device = _resolve_device(device)
    X_train, y_train = (t.to(device) for t in _as_pair(train_data, "train_data"))
    val = None if val_data is None else tuple(t.to(device) for t in _as_pair(val_data, "val_data"))
    _check_last_batch(model, len(X_train), batch_size)
    model.to(device)

    checkpoint = None if checkpoint_path is None else Checkpoint(checkpoint_path)
    settings = {
        "seed": seed,
        "batch_size": batch_size,
        "n_train": len(X_train),
        "n_val": None if val is None else len(val[0]),
        "optimizer": type(optimizer).__name__,
        "scheduler": None if scheduler is None else type(scheduler).__name__,
    }
    if augment is not None:  # only then, so checkpoints of runs without it still resume
        settings["augment"] = repr(augment)
    saved = None if checkpoint is None else checkpoint.load(map_location="cpu")
    if saved is None:
        done, history = 0, {}
        torch.manual_seed(seed)
    else:
        done, history = _restore_checkpoint(
            saved, checkpoint.path, model=model, optimizer=optimizer, scheduler=scheduler,
            settings=settings, epochs=epochs, device=device,
        )
        if done == epochs:
            print(f"loaded the finished run from {str(checkpoint.path)!r} ({done} epochs), "
                  "no training needed")
            return history
        print(f"resuming from epoch {done + 1} of {epochs} ({done} done, "
              f"loaded from {str(checkpoint.path)!r})")

    was_training = model.training
    bar = tqdm(range(done + 1, epochs + 1), initial=done, total=epochs, desc=label,
               unit="epoch", disable=not progress)
    try:
        for epoch in bar:
            start = time.perf_counter()
            train_loss, train_accuracy, train_seconds = _train_one_epoch(
                model, X_train, y_train, optimizer=optimizer, loss_fn=loss_fn,
                batch_size=batch_size, seed=seed, epoch=epoch, augment=augment,
            )
            row: dict[str, float] = {"epoch": epoch, "train_loss": train_loss}
            if train_accuracy is not None:
                row["train_accuracy"] = train_accuracy
            if val is not None:
                val_result = _evaluate_tensors(model, val[0], val[1], loss_fn, batch_size, device)
                row["val_loss"] = val_result["loss"]
                if "accuracy" in val_result:
                    row["val_accuracy"] = val_result["accuracy"]
            row["examples_per_second"] = len(X_train) / train_seconds
            row["seconds"] = time.perf_counter() - start
            _record_epoch(history, row)
            if scheduler is not None:
                if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(row.get("val_loss", train_loss))
                else:
                    scheduler.step()
            if checkpoint is not None:
                checkpoint.save({
                    "format": _CHECKPOINT_FORMAT,
                    "epoch": epoch,
                    "settings": settings,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": None if scheduler is None else scheduler.state_dict(),
                    "history": history,
                    "rng": rng_states(device),
                })
            bar.set_postfix({key.replace("accuracy", "acc"): f"{row[key]:.4g}"
                             for key in row if key.endswith(("loss", "accuracy"))})
    except TrainingDiverged as error:
        if on_nan == "raise":
            raise
        bar.close()  # first, so the message is not drawn over by the bar
        print(error)
    else:
        if progress:
            bar.close()
            # A saved notebook keeps the bar only as a widget; viewers that cannot draw
            # widgets (GitHub's notebook view) show this line instead.
            print(f"{label}: {_summary_line(history, first_epoch=done + 1)}")
    finally:
        bar.close()
        model.train(was_training)
    return history if history else _empty_history(val is not None)


def _check_last_batch(model: nn.Module, n_train: int, batch_size: int) -> None:
    """Refuse a batch size that leaves one example over when the model has BatchNorm1d.

    In training mode batch norm normalises each feature over the batch; a batch of one
    example of shape ``(1, C)`` has nothing to normalise over, and PyTorch stops in the middle
    of the epoch. Saying so before training, with a fix, is kinder.
    """
    if n_train % batch_size == 1 and n_train > 1 and any(
        isinstance(module, nn.BatchNorm1d) for module in model.modules()
    ):
        raise ValueError(
            f"{n_train} training examples in batches of {batch_size} leave a last batch of 1 "
            "example, which BatchNorm1d cannot normalise in training mode: choose another "
            f"batch_size (e.g. {batch_size + 1}) or drop one training example"
        )


def _summary_line(history: dict[str, list], first_epoch: int) -> str:
    """One line on the epochs just trained: how many, how long, the last losses/accuracies."""
    last = history["epoch"][-1]
    seconds = sum(history["seconds"][first_epoch - 1 :])
    epochs = f"epoch {last}" if first_epoch == last else f"epochs {first_epoch}-{last}"
    metrics = ", ".join(
        f"{key} {history[key][-1]:.4g}" for key in history if key.endswith(("loss", "accuracy"))
    )
    return f"trained {epochs} of {last} in {seconds:.1f} s; last epoch: {metrics}"


def _record_epoch(history: dict[str, list], row: dict[str, float]) -> None:
    """Append one epoch; the first epoch fixes the keys and their order."""
    if not history:
        history.update({key: [] for key in row})
    if list(history) != list(row):
        raise RuntimeError(
            f"internal error: history keys {list(history)} but this epoch has {list(row)}"
        )
    for key, value in row.items():
        history[key].append(value)


def _empty_history(has_val: bool) -> dict[str, list]:
    """The history of a run that diverged in its first epoch (accuracy keys unknown)."""
    keys = ["epoch", "train_loss"] + (["val_loss"] if has_val else [])
    return {key: [] for key in keys + ["examples_per_second", "seconds"]}


def evaluate(
    model: nn.Module,
    data: Data,
    *,
    loss_fn: LossFn | None = None,
    batch_size: int = 512,
    device: str | torch.device | None = None,
) -> dict[str, float]:
    """Mean loss (and accuracy) of ``model`` on ``data = (X, y)``, without gradients.

    Args:
        model: any ``nn.Module``; run in eval mode, then its previous mode is restored.
        data: ``(X, y)`` tensors or NumPy arrays with the same first dimension ``N``.
        loss_fn: as in :func:`fit`; default ``torch.nn.functional.cross_entropy``.
        batch_size: examples per forward pass; batches are moved to the device one by one.
        device: where to run; None means the device the model is on. A given device moves
            the model there.

    Returns:
        ``{"loss": float}``, plus ``"accuracy"`` when ``y`` holds class labels for the output
        (same rule as :func:`fit`).

    Raises:
        TypeError: for a non-module model, non-pair data or an uncallable ``loss_fn``.
        ValueError: if X and y differ in length or are empty, if ``batch_size`` < 1, or if
            ``loss_fn`` does not return a scalar tensor.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if loss_fn is None:
        loss_fn = F.cross_entropy
    elif not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    X, y = _as_pair(data, "data")
    if device is None:
        device = _model_device(model)
    else:
        device = _resolve_device(device)
        model.to(device)
    return _evaluate_tensors(model, X, y, loss_fn, batch_size, device)


def predict(
    model: nn.Module,
    X: ArrayLike,
    *,
    batch_size: int = 512,
    device: str | torch.device | None = None,
) -> Tensor:
    """The model's outputs for ``X`` of shape ``(N, ...)``, concatenated on the CPU.

    Runs in eval mode under ``torch.no_grad()`` and restores the model's previous mode. For a
    classifier the result is ``(N, C)`` scores; take ``.argmax(-1)`` for the labels.

    Args:
        device: where to run; None means the device the model is on. A given device moves
            the model there.

    Raises:
        TypeError: if ``X`` is not a tensor or NumPy array, or the model does not return a
            tensor.
        ValueError: if ``X`` is empty or ``batch_size`` < 1.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    X = as_tensor(X, "X")
    if len(X) == 0:
        raise ValueError("X is empty: there is nothing to predict")
    if device is None:
        device = _model_device(model)
    else:
        device = _resolve_device(device)
        model.to(device)
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                output = model(X[start : start + batch_size].to(device))
                if not isinstance(output, Tensor):
                    raise TypeError(
                        f"predict needs a model that returns a tensor, got {type(output).__name__}"
                    )
                outputs.append(output.cpu())
    finally:
        model.train(was_training)
    return torch.cat(outputs)
