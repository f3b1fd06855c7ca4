"""Tests of dlbook_lib.source: a function's source without docstring and argument checks."""
from __future__ import annotations

import pytest

from dlbook_lib import _checks
from dlbook_lib.numpy_layers import conv2d_forward, linear_backward
from dlbook_lib.numpy_recurrent import lstm_backward, lstm_step_backward, lstm_step_forward
from dlbook_lib.source import core_source, show_source


@pytest.mark.parametrize(
    "function", [lstm_step_forward, lstm_step_backward, lstm_backward, conv2d_forward]
)
def test_core_source_drops_docstring_and_every_check(function):
    shown = core_source(function)
    assert shown.startswith(f"def {function.__name__}(")
    assert '"""' not in shown and "Raises:" not in shown
    for name in _checks.__all__:
        assert f"{name}(" not in shown, name
    assert "_check" not in shown


def test_core_source_keeps_the_math():
    assert "c_t = f * c_prev + i * g" in core_source(lstm_step_forward)
    assert "dh_t, dc_t = dout" in core_source(lstm_step_backward)
    shown = core_source(linear_backward)
    assert "dW = x.T @ dout" in shown and "return dx, {\"W\": dW, \"b\": db}" in shown


def test_show_source_prints(capsys):
    show_source(linear_backward)
    assert "dx = dout @ W.T" in capsys.readouterr().out


def test_core_source_refuses_what_has_no_source():
    with pytest.raises(TypeError, match="must be a Python function"):
        core_source(len)
