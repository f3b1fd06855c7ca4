"""TrainingDiverged: the message says what, where, and what to try."""
from __future__ import annotations

import math

from dlbook_lib.errors import TrainingDiverged


def test_message_names_the_batch_and_the_learning_rate():
    error = TrainingDiverged(3, 2, 7, math.nan, what="the training loss", learning_rate=0.5)
    assert str(error).startswith(
        "Training diverged: the training loss became nan in epoch 3, batch 2 of 7, "
    )
    assert "it is 0.5, try 0.05 first" in str(error)
    assert (error.epoch, error.batch) == (3, 2) and math.isnan(error.loss)
    assert isinstance(error, RuntimeError)


def test_message_at_the_end_of_an_epoch_without_a_learning_rate():
    error = TrainingDiverged(1, None, 40, math.inf, what="the parameters (W1)")
    assert "the parameters (W1) became inf at the end of epoch 1," in str(error)
    assert "10 times smaller is a good first step" in str(error)
    assert error.batch is None


def test_training_reexports_the_same_class():
    from dlbook_lib import training

    assert training.TrainingDiverged is TrainingDiverged


def test_check_on_nan_accepts_raise_and_stop_only():
    import pytest

    from dlbook_lib.errors import check_on_nan

    assert check_on_nan("raise") == "raise" and check_on_nan("stop") == "stop"
    with pytest.raises(ValueError, match="on_nan must be 'raise' or 'stop', got 'ignore'"):
        check_on_nan("ignore")
