"""Tests for dlbook_lib.gradient_check: the checker must itself be right before it judges layers."""
from __future__ import annotations

import numpy as np
import pytest

from dlbook_lib.gradient_check import numerical_gradient, numerical_gradient_array, relative_error


@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4), (2, 3, 2)])
def test_numerical_gradient_of_sum_of_cubes(shape):
    x = np.random.default_rng(0).normal(size=shape)
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert grad.shape == shape
    assert grad.dtype == np.float64
    assert relative_error(grad, 3 * x**2) < 1e-8


def test_numerical_gradient_of_a_non_polynomial_function():
    x = np.random.default_rng(1).uniform(0.5, 2.0, size=(4, 3))
    grad = numerical_gradient(lambda v: np.sum(np.sin(v) * np.log(v)), x)
    expected = np.cos(x) * np.log(x) + np.sin(x) / x
    assert relative_error(grad, expected) < 1e-8


def test_numerical_gradient_restores_x():
    x = np.random.default_rng(2).normal(size=(3, 3))
    before = x.copy()
    numerical_gradient(lambda v: np.sum(v**2), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.arange(4.0)
    before = x.copy()
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 2:  # fail on the "-h" evaluation, while x[0] is perturbed
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_in_float32_is_near_the_documented_precision():
    x = np.random.default_rng(3).uniform(0.5, 1.5, size=10).astype(np.float32)
    grad = numerical_gradient(lambda v: np.sum(v.astype(np.float64) ** 3), x, h=1e-3)
    assert relative_error(grad, 3 * x.astype(np.float64) ** 2) < 1e-4


def test_numerical_gradient_divides_by_the_step_actually_taken():
    # At x = 1e4 the stored x + h and x - h are 2h * (1 - 2.5e-8) apart; dividing by 2h would
    # give 0.99999997 for the slope of f(x) = x, dividing by the real step gives exactly 1.
    for value in [1.0e4, -3.0e4, 12345.678]:
        grad = numerical_gradient(lambda v: v[0], np.array([value]))
        assert grad[0] == 1.0


@pytest.mark.parametrize("shape", [(3,), (2, 5)])
def test_numerical_gradient_array_elementwise(shape):
    rng = np.random.default_rng(4)
    x = rng.normal(size=shape)
    dout = rng.normal(size=shape)
    grad = numerical_gradient_array(lambda v: v**2, x, dout)
    assert relative_error(grad, 2 * x * dout) < 1e-8


def test_numerical_gradient_array_matrix_product():
    rng = np.random.default_rng(5)
    A = rng.normal(size=(4, 3))
    x = rng.normal(size=(3, 2))
    dout = rng.normal(size=(4, 2))
    grad = numerical_gradient_array(lambda v: A @ v, x, dout)
    assert relative_error(grad, A.T @ dout) < 1e-8


def test_numerical_gradient_array_copes_with_f_returning_a_view_of_x():
    x = np.random.default_rng(6).normal(size=(2, 3))
    dout = np.random.default_rng(7).normal(size=(2, 3))
    grad = numerical_gradient_array(lambda v: v, x, dout)
    assert relative_error(grad, dout) < 1e-8


def test_relative_error_values():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.2])
    assert relative_error(a, b) == pytest.approx(0.2 / 4.2)
    assert relative_error(b, a) == relative_error(a, b)
    # an element near zero in both does not dominate: the scale is the whole array's
    assert relative_error(np.array([1e-12, 5.0]), np.array([0.0, 5.0])) < 1e-12
    assert relative_error(np.array([1.0]), np.array([-1.0])) == 1.0
    assert isinstance(relative_error([1, 2], [1, 2]), float)


def test_error_for_integer_x():
    with pytest.raises(TypeError, match="floating-point dtype, got int64"):
        numerical_gradient(lambda v: np.sum(v), np.arange(3, dtype=np.int64))
    with pytest.raises(TypeError, match="floating-point dtype"):
        numerical_gradient_array(lambda v: v, np.arange(3), np.ones(3))


def test_error_for_non_array_float16_empty_or_read_only_x():
    with pytest.raises(TypeError, match="must be a NumPy array"):
        numerical_gradient(lambda v: sum(v), [1.0, 2.0])
    with pytest.raises(TypeError, match="float16"):
        numerical_gradient(lambda v: np.sum(v), np.ones(2, dtype=np.float16))
    with pytest.raises(ValueError, match="empty"):
        numerical_gradient(lambda v: np.sum(v), np.ones(0))
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        numerical_gradient(lambda v: np.sum(v), x)


def test_error_when_f_is_not_scalar_or_not_finite():
    x = np.ones(3)
    with pytest.raises(ValueError, match=r"f must return a scalar, got shape \(3,\)"):
        numerical_gradient(lambda v: v * 2, x)
    with pytest.raises(ValueError, match=r"got a tuple of length 2.*lambda x: f\(x\)\[0\]"):
        numerical_gradient(lambda v: (np.sum(v), v), x)
    with pytest.raises(ValueError, match="returned nan"):
        numerical_gradient(lambda v: np.sum(v) * np.nan, x)
    with pytest.raises(ValueError, match="NaN or Inf"):
        numerical_gradient_array(lambda v: v + np.inf, x, np.ones(3))


def test_error_for_bad_step_or_dout():
    x = np.ones(3)
    with pytest.raises(ValueError, match="positive finite"):
        numerical_gradient(lambda v: np.sum(v), x, h=0.0)
    with pytest.raises(ValueError, match="positive finite"):
        numerical_gradient(lambda v: np.sum(v), x, h=float("nan"))
    with pytest.raises(TypeError, match="h must be a positive number"):
        numerical_gradient(lambda v: np.sum(v), x, h="1e-5")
    with pytest.raises(ValueError, match=r"dout has shape \(2,\) but f\(x\) has shape \(3,\)"):
        numerical_gradient_array(lambda v: v, x, np.ones(2))
    with pytest.raises(TypeError, match="dout must be a real numeric array"):
        numerical_gradient_array(lambda v: v, x, np.ones(3, dtype=complex))


def test_relative_error_errors():
    with pytest.raises(ValueError, match=r"a has shape \(3,\) but b has shape \(3, 1\)"):
        relative_error(np.ones(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match="b contains NaN or Inf"):
        relative_error(np.ones(2), np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="a is empty"):
        relative_error(np.ones(0), np.ones(0))
    with pytest.raises(TypeError, match="real numeric"):
        relative_error(np.ones(2, dtype=complex), np.ones(2))
