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


def test_a_step_based_loop_names_the_step():
    error = TrainingDiverged.at_step(7, 1000, math.nan, what="loss_D", learning_rate=1e-3)
    assert str(error).startswith(
        "Training diverged: loss_D became nan at step 7 (counting from 0) of 1000, "
    )
    assert "it is 0.001, try 0.0001 first" in str(error)
    assert error.step == 7 and error.epoch is None and error.batch is None
    assert math.isnan(error.loss)
    assert isinstance(error, TrainingDiverged) and isinstance(error, RuntimeError)


def test_the_epoch_form_has_no_step():
    assert TrainingDiverged(2, 1, 5, math.inf).step is None
