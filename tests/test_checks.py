"""Tests of dlbook_lib._checks: the shared argument checks say what is wrong, in words."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbook_lib import _checks


def test_check_int_accepts_ints_and_refuses_bools_floats_and_small_values():
    assert _checks.check_int(np.int64(3), "n", minimum=1) == 3
    assert type(_checks.check_int(np.int64(3), "n")) is int
    with pytest.raises(TypeError, match="n must be an int, got bool"):
        _checks.check_int(True, "n")
    with pytest.raises(TypeError, match="n must be an int, got float"):
        _checks.check_int(2.0, "n")
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        _checks.check_int(0, "n", minimum=1)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        _checks.check_seed(-1)


def test_check_number_bounds_and_finiteness():
    assert _checks.check_number(np.float32(0.5), "lr", positive=True) == 0.5
    assert _checks.check_number(0, "std", minimum=0) == 0.0
    with pytest.raises(ValueError, match="lr must be finite and > 0, got 0"):
        _checks.check_number(0, "lr", positive=True)
    with pytest.raises(ValueError, match="std must be finite and >= 0, got -1"):
        _checks.check_number(-1, "std", minimum=0)
    with pytest.raises(ValueError, match="x must be finite, got nan"):
        _checks.check_number(float("nan"), "x")
    with pytest.raises(TypeError, match="x must be a number, got str"):
        _checks.check_number("1", "x")


def test_check_text_and_choice():
    assert _checks.check_text("run", "label") == "run"
    with pytest.raises(TypeError, match="label must be a non-empty string"):
        _checks.check_text("", "label")
    assert _checks.check_choice("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValueError, match="mode must be one of 'a', 'b'; got 'c'"):
        _checks.check_choice("c", "mode", ("a", "b"))


def test_float_array_shape_checks_and_upstream_gradient():
    x = _checks.float_array([[1.0, 2.0]], "x", ndim=2)
    assert x.shape == (1, 2)
    with pytest.raises(TypeError, match=r"x must be a floating-point array, got dtype int64"):
        _checks.float_array(np.array([1, 2]), "x")
    with pytest.raises(ValueError, match="x must be 3-D, got shape"):
        _checks.float_array(x, "x", ndim=3)
    with pytest.raises(ValueError, match=r"h0 has shape \(1, 2\) but must be \(N, H\) = \(2, 2\)"):
        _checks.check_shape(x, "h0", (2, 2), "(N, H)")
    with pytest.raises(ValueError, match=r"layer: dout has shape \(1, 2\) but the forward"):
        _checks.upstream_gradient(x, (2, 1), "layer")


def test_to_numpy_class_labels_and_as_tensor():
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert np.array_equal(_checks.to_numpy(t, "t"), [1.0, 2.0])
    with pytest.raises(TypeError, match="must be a NumPy array or a torch tensor, got list"):
        _checks.to_numpy([1], "t")
    assert _checks.class_labels(np.array([0.0, 2.0]), "y", n_classes=3).dtype == np.int64
    with pytest.raises(ValueError, match="not scores or probabilities"):
        _checks.class_labels(np.array([0.5]), "y")
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        _checks.class_labels(np.array([0, 2]), "y", n_classes=2)
    assert _checks.as_tensor(np.zeros(3), "X").dtype == torch.get_default_dtype()
    assert _checks.as_tensor(np.arange(3), "y").dtype == torch.int64
    with pytest.raises(ValueError, match="must have a first \\(example\\) dimension"):
        _checks.as_tensor(np.array(1.0), "X")


def test_untensor_converts_tensors_only():
    assert np.array_equal(_checks.untensor(torch.tensor([1.0, 2.0])), [1.0, 2.0])
    values = [1, 2]
    assert _checks.untensor(values) is values
