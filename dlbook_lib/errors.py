"""Errors that more than one part of the book raises, and the check of the ``on_nan`` argument
that every training loop takes.

:class:`TrainingDiverged` lives here, not in :mod:`dlbook_lib.training`, because the PyTorch
loops (:func:`dlbook_lib.training.fit`, :func:`dlbook_lib.step_loop.train_steps`) and the NumPy
one (:func:`dlbook_lib.numpy_models.train_mlp`) all raise it, and the NumPy lessons must not
need PyTorch to import it.
"""
from __future__ import annotations

__all__ = ["TrainingDiverged", "check_on_nan"]


class TrainingDiverged(RuntimeError):
    """The training loss (or the weights) became NaN or infinite; the message says where.

    Epoch-based loops raise ``TrainingDiverged(epoch, batch, n_batches, loss, ...)``;
    step-based loops raise ``TrainingDiverged.at_step(step, n_steps, loss, ...)``.

    Attributes:
        epoch: the 1-based epoch in which it happened (None for a step-based loop).
        batch: the 1-based batch within that epoch, or None when it was found at the end of
            the epoch (non-finite weights, or a non-finite validation loss).
        step: the 0-based step of a step-based loop (None for an epoch-based one).
        loss: the offending value (``nan``, ``inf`` or ``-inf``).
    """

    def __init__(
        self,
        epoch: int,
        batch: int | None,
        n_batches: int,
        loss: float,
        *,
        what: str = "the loss",
        learning_rate: float | None = None,
    ) -> None:
        self.epoch = epoch
        self.batch = batch
        self.step = None
        self.loss = loss
        where = (
            f"at the end of epoch {epoch}"
            if batch is None
            else f"in epoch {epoch}, batch {batch} of {n_batches}"
        )
        super().__init__(_message(what, loss, where, learning_rate))

    @classmethod
    def at_step(
        cls,
        step: int,
        n_steps: int,
        loss: float,
        *,
        what: str = "the loss",
        learning_rate: float | None = None,
    ) -> TrainingDiverged:
        """The error of a step-based loop: ``step`` is 0-based, as the loop passes it.

        Example: ``TrainingDiverged.at_step(7, 1000, nan, what="loss_D")`` says
        "Training diverged: loss_D became nan at step 7 (counting from 0) of 1000, ...".
        """
        error = cls.__new__(cls)
        error.epoch, error.batch, error.step, error.loss = None, None, step, loss
        where = f"at step {step} (counting from 0) of {n_steps}"
        RuntimeError.__init__(error, _message(what, loss, where, learning_rate))
        return error


def _message(what: str, loss: float, where: str, learning_rate: float | None) -> str:
    if learning_rate is None:
        advice = "Try a smaller learning rate (10 times smaller is a good first step)"
    else:
        advice = (
            f"Try a smaller learning rate: it is {learning_rate:g}, "
            f"try {learning_rate / 10:g} first"
        )
    return (
        f"Training diverged: {what} became {loss} {where}, so the weights can no longer "
        f"be trusted. {advice}, and check the inputs for NaN or infinite values and for "
        "a large scale (standardise the features)."
    )


def check_on_nan(on_nan: str) -> str:
    """Validate the ``on_nan`` argument that every training loop takes: ``"raise"`` or ``"stop"``.

    Raises:
        ValueError: for any other value.
    """
    if on_nan not in ("raise", "stop"):
        raise ValueError(f"on_nan must be 'raise' or 'stop', got {on_nan!r}")
    return on_nan
