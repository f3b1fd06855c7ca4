"""Tests for dlbook_lib.gradient_check: the checker must itself be right before it judges layers."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlbook_lib.gradient_check import (
    autograd_gradients,
    check_layer,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)
from dlbook_lib.numpy_layers import (
    conv2d_backward,
    conv2d_forward,
    linear_backward,
    linear_forward,
    relu_backward,
    relu_forward,
)


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
    with pytest.raises(ValueError, match="h must be finite and > 0, got 0.0"):
        numerical_gradient(lambda v: np.sum(v), x, h=0.0)
    with pytest.raises(ValueError, match="h must be finite and > 0, got -1e-05"):
        numerical_gradient_array(lambda v: v, x, np.ones(3), h=-1e-5)
    with pytest.raises(ValueError, match="h must be finite and > 0, got nan"):
        numerical_gradient(lambda v: np.sum(v), x, h=float("nan"))
    with pytest.raises(TypeError, match="h must be a number, got str"):
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


# ---------------------------------------------------------------------------------------------
# autograd_gradients: the torch reference
# ---------------------------------------------------------------------------------------------
def test_autograd_gradients_of_a_scalar_against_the_analytic_gradient():
    rng = np.random.default_rng(8)
    x, w = rng.uniform(0.5, 2.0, size=(4, 3)), rng.normal(size=3)
    dx, dw = autograd_gradients(lambda x, w: (torch.sin(x) * torch.log(x) @ w).sum(), [x, w])
    assert relative_error(dx, (np.cos(x) * np.log(x) + np.sin(x) / x) * w) < 1e-12
    assert relative_error(dw, (np.sin(x) * np.log(x)).sum(axis=0)) < 1e-12
    assert dx.shape == x.shape and dw.shape == w.shape
    assert dx.dtype == dw.dtype == np.float64


def test_autograd_gradients_with_dout_is_the_weighted_sum():
    rng = np.random.default_rng(9)
    x, W, b, dout = (rng.normal(size=s) for s in [(5, 3), (3, 2), (2,), (5, 2)])
    dx, dW, db = autograd_gradients(lambda x, W, b: x @ W + b, [x, W, b], dout)
    assert relative_error(dx, dout @ W.T) < 1e-12
    assert relative_error(dW, x.T @ dout) < 1e-12
    assert relative_error(db, dout.sum(axis=0)) < 1e-12
    # and the same as finite differences of sum(f(x) * dout)
    numeric = numerical_gradient_array(lambda v: v @ W + b, x, dout)
    assert relative_error(dx, numeric) < 1e-8


def test_autograd_gradients_of_an_unused_input_are_zeros_and_inputs_are_untouched():
    x, y = np.arange(3.0), np.ones((2, 2))
    before = x.copy()
    dx, dy = autograd_gradients(lambda x, y: (x**2).sum(), [x, y])
    np.testing.assert_array_equal(dx, 2 * before)
    np.testing.assert_array_equal(dy, np.zeros((2, 2)))
    np.testing.assert_array_equal(x, before)


def test_autograd_gradients_computes_in_float64_from_float32_inputs():
    x = np.linspace(0.1, 1.0, 5).astype(np.float32)
    (dx,) = autograd_gradients(lambda x: (x**3).sum(), [x])
    assert dx.dtype == np.float64
    assert relative_error(dx, 3 * x.astype(np.float64) ** 2) < 1e-12


def test_autograd_gradients_errors():
    with pytest.raises(ValueError, match=r"fn returned shape \(3,\): give dout, or return a"):
        autograd_gradients(lambda x: x * 2, [np.ones(3)])
    with pytest.raises(ValueError, match=r"fn returned shape \(3,\) but dout has \(2,\)"):
        autograd_gradients(lambda x: x * 2, [np.ones(3)], np.ones(2))
    with pytest.raises(TypeError, match=r"arrays\[1\] must be a floating-point array"):
        autograd_gradients(lambda x, y: (x * y).sum(), [np.ones(3), np.arange(3)])
    with pytest.raises(TypeError, match="dout must be a floating-point array"):
        autograd_gradients(lambda x: x * 2, [np.ones(3)], np.ones(3, dtype=int))


# ---------------------------------------------------------------------------------------------
# check_layer: the one checker of the layer contract against torch.autograd
# ---------------------------------------------------------------------------------------------
def linear_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=(4, 3)), "W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}


def torch_linear(x, W, b):
    return x @ W + b


def away_from_zero(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def test_check_layer_passes_a_right_layer_and_names_every_error():
    errors = check_layer(linear_forward, linear_backward, torch_linear, linear_inputs())
    assert list(errors) == ["out", "x", "W", "b"]
    assert all(isinstance(e, float) and 0.0 <= e < 1e-12 for e in errors.values())
    errors = check_layer(relu_forward, relu_backward, torch.relu, {"x": away_from_zero((5, 4))})
    assert list(errors) == ["out", "x"] and max(errors.values()) < 1e-12


def test_check_layer_reports_a_large_error_for_a_wrong_backward():
    def relu_backward_passes_dout_through(dout, cache):
        return dout, {}  # forgets the (x > 0) mask

    x = away_from_zero((6, 5), seed=1)
    errors = check_layer(relu_forward, relu_backward_passes_dout_through, torch.relu, {"x": x})
    assert errors["out"] < 1e-12  # the forward is right...
    assert errors["x"] > 0.1      # ...the gradient is not

    def linear_backward_wrong_db(dout, cache):
        dx, grads = linear_backward(dout, cache)
        return dx, {**grads, "b": dout.mean(axis=0)}  # mean instead of sum

    errors = check_layer(linear_forward, linear_backward_wrong_db, torch_linear, linear_inputs())
    assert errors["x"] < 1e-12 and errors["W"] < 1e-12
    assert errors["b"] > 0.1


def test_check_layer_reports_a_wrong_forward():
    errors = check_layer(relu_forward, relu_backward, torch.tanh, {"x": away_from_zero((3, 3))})
    assert errors["out"] > 0.01


def test_check_layer_passes_options_to_both_forwards():
    rng = np.random.default_rng(2)
    inputs = {"x": rng.normal(size=(2, 3, 7, 5)), "W": rng.normal(size=(4, 3, 3, 3)),
              "b": rng.normal(size=4)}

    def torch_conv(x, W, b, stride, padding):
        return F.conv2d(x, W, b, stride=stride, padding=padding)

    errors = check_layer(conv2d_forward, conv2d_backward, torch_conv, inputs,
                         options={"stride": 2, "padding": 1})
    assert max(errors.values()) < 1e-12
    # a reference that ignores an option gives another output shape: refused, not compared
    with pytest.raises(ValueError, match=r"the NumPy forward gives shape \(2, 4, 4, 3\) but "
                                         r"PyTorch \(2, 4, 7, 5\)"):
        check_layer(conv2d_forward, conv2d_backward,
                    lambda x, W, b, stride, padding: F.conv2d(x, W, b, padding=padding),
                    inputs, options={"stride": 2, "padding": 1})


def test_check_layer_is_seeded():
    def slightly_wrong(dout, cache):
        dx, grads = linear_backward(dout, cache)
        return dx * 1.001, grads

    run = [check_layer(linear_forward, slightly_wrong, torch_linear, linear_inputs(), seed=s)
           for s in (0, 0, 1)]
    assert run[0] == run[1]
    assert run[0]["x"] != run[2]["x"]


def test_check_layer_refuses_mismatched_grads_keys():
    def renamed(dout, cache):
        dx, grads = linear_backward(dout, cache)
        return dx, {"dW": grads["W"], "b": grads["b"]}

    def missing(dout, cache):
        dx, grads = linear_backward(dout, cache)
        return dx, {"W": grads["W"]}

    def extra(dout, cache):
        dx, grads = relu_backward(dout, cache)
        return dx, {"x": dx}

    message = r"backward returned grads for \['b', 'dW'\] but the forward took \['W', 'b'\]"
    with pytest.raises(ValueError, match=message):
        check_layer(linear_forward, renamed, torch_linear, linear_inputs())
    with pytest.raises(ValueError, match=r"grads for \['W'\] but the forward took \['W', 'b'\]"):
        check_layer(linear_forward, missing, torch_linear, linear_inputs())
    with pytest.raises(ValueError, match=r"grads for \['x'\] but the forward took \[\]"):
        check_layer(relu_forward, extra, torch.relu, {"x": away_from_zero((2, 2))})


def test_check_layer_refuses_empty_or_non_float_inputs():
    with pytest.raises(ValueError, match="inputs is empty"):
        check_layer(relu_forward, relu_backward, torch.relu, {})
    with pytest.raises(TypeError, match="x must be a floating-point array"):
        check_layer(relu_forward, relu_backward, torch.relu, {"x": np.arange(4)})


def test_gradient_check_does_not_import_torch_until_asked():
    code = "import sys, dlbook_lib.gradient_check; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
