"""Errors that more than one part of the book raises, and the check of the ``on_nan`` argument
that both training loops take.

:class:`TrainingDiverged` lives here, not in :mod:`dlbook_lib.training`, because both the
PyTorch loop (:func:`dlbook_lib.training.fit`) and the NumPy one
(:func:`dlbook_lib.numpy_layers.train_mlp`) raise it, and the NumPy lessons must not need
PyTorch to import it.
"""
from __future__ import annotations

__all__ = ["TrainingDiverged", "check_on_nan"]


class TrainingDiverged(RuntimeError):
    """The training loss (or the weights) became NaN or infinite; the message says where.

    Attributes:
        epoch: the 1-based epoch in which it happened.
        batch: the 1-based batch within that epoch, or None when it was found at the end of
            the epoch (non-finite weights, or a non-finite validation loss).
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
        self.loss = loss
        where = (
            f"at the end of epoch {epoch}"
            if batch is None
            else f"in epoch {epoch}, batch {batch} of {n_batches}"
        )
        if learning_rate is None:
            advice = "Try a smaller learning rate (10 times smaller is a good first step)"
        else:
            advice = (
                f"Try a smaller learning rate: it is {learning_rate:g}, "
                f"try {learning_rate / 10:g} first"
            )
        super().__init__(
            f"Training diverged: {what} became {loss} {where}, so the weights can no longer "
            f"be trusted. {advice}, and check the inputs for NaN or infinite values and for "
            "a large scale (standardise the features)."
        )


def check_on_nan(on_nan: str) -> str:
    """Validate the ``on_nan`` argument that both training loops take: ``"raise"`` or ``"stop"``.

    Raises:
        ValueError: for any other value.
    """
    if on_nan not in ("raise", "stop"):
        raise ValueError(f"on_nan must be 'raise' or 'stop', got {on_nan!r}")
    return on_nan
