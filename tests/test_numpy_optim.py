"""Tests for dlbook_lib.numpy_optim: each rule follows its torch.optim twin step by step."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbook_lib.gradient_check import relative_error
from dlbook_lib.numpy_optim import SGD, AdaGrad, Adam, RMSProp

# (NumPy optimizer, torch.optim twin): the same settings on both sides.
TWINS = {
    "sgd": (lambda: SGD(0.01), lambda p: torch.optim.SGD(p, lr=0.01)),
    "sgd_wd": (lambda: SGD(0.01, weight_decay=0.1),
               lambda p: torch.optim.SGD(p, lr=0.01, weight_decay=0.1)),
    "momentum": (lambda: SGD(0.01, momentum=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
    "nesterov": (lambda: SGD(0.01, momentum=0.9, nesterov=True, weight_decay=0.01),
                 lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True,
                                           weight_decay=0.01)),
    "adagrad": (lambda: AdaGrad(0.1), lambda p: torch.optim.Adagrad(p, lr=0.1)),
    "rmsprop": (lambda: RMSProp(0.01, alpha=0.9),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9)),
    "adam": (lambda: Adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam_l2": (lambda: Adam(0.01, betas=(0.8, 0.99), weight_decay=0.1),
                lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99),
                                           weight_decay=0.1)),
    "adamw": (lambda: Adam(0.01, weight_decay=0.1, decoupled=True),
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
}


def rosenbrock_like_grads(params):
    """Gradients of sum (1 - x)^2 + 10 (y - x^2)^2 over the entries, plus a quadratic in W."""
    x, y, W = params["x"], params["y"], params["W"]
    A = np.diag([1.0, 4.0, 9.0])
    return {"x": -2 * (1 - x) - 40 * x * (y - x**2), "y": 20 * (y - x**2), "W": W @ A}


def run_twins(name, grad_fn, start, steps=100):
    """Both optimizers from ``start``; the largest relative error of the trajectories."""
    make_numpy, make_torch = TWINS[name]
    params = {k: v.copy() for k, v in start.items()}
    tensors = {k: torch.tensor(v, dtype=torch.float64) for k, v in start.items()}
    opt, topt = make_numpy(), make_torch(list(tensors.values()))
    worst = 0.0
    for step in range(steps):
        grads = grad_fn(params, step)
        t_grads = grad_fn({k: t.numpy() for k, t in tensors.items()}, step)
        for k, t in tensors.items():
            t.grad = torch.tensor(t_grads[k], dtype=torch.float64)
        opt.step(params, grads)
        topt.step()
        for k in params:
            worst = max(worst, relative_error(params[k], tensors[k].numpy()))
    return worst


def start_point():
    rng = np.random.default_rng(0)
    return {"x": np.array([-1.2, 0.5]), "y": np.array([1.0, -0.3]),
            "W": rng.normal(size=(2, 3))}


@pytest.mark.parametrize("name", sorted(TWINS))
def test_follows_torch_on_a_rosenbrock_like_problem(name):
    assert run_twins(name, lambda p, _: rosenbrock_like_grads(p), start_point()) < 1e-6


@pytest.mark.parametrize("name", sorted(TWINS))
def test_follows_torch_on_random_gradients(name):
    grads = np.random.default_rng(1).normal(size=(100, 4, 3))

    def grad_fn(params, step):
        return {"w": grads[step]}

    start = {"w": np.random.default_rng(2).normal(size=(4, 3))}
    assert run_twins(name, grad_fn, start) < 1e-6


def test_state_is_per_parameter():
    opt = Adam(0.1)
    a, b = {"a": np.ones(2)}, {"b": np.ones(3)}
    opt.step(a, {"a": np.ones(2)})
    opt.step(a, {"a": np.ones(2)})
    opt.step(b, {"b": np.ones(3)})
    assert opt.state["a"]["step"] == 2 and opt.state["b"]["step"] == 1
    assert opt.state["b"]["m"].shape == (3,)
    # a key seen once behaves like a fresh optimizer's first step
    fresh = {"b": np.ones(3)}
    Adam(0.1).step(fresh, {"b": np.ones(3)})
    np.testing.assert_array_equal(b["b"], fresh["b"])


def test_momentum_buffer_starts_at_the_first_gradient():
    p = {"w": np.zeros(1)}
    opt = SGD(1.0, momentum=0.5)
    opt.step(p, {"w": np.ones(1)})
    opt.step(p, {"w": np.ones(1)})
    np.testing.assert_allclose(p["w"], [-(1.0 + 1.5)])


def test_updates_in_place():
    w = np.ones(3)
    params = {"w": w}
    RMSProp(0.1).step(params, {"w": np.ones(3)})
    assert params["w"] is w and np.all(w < 1)


def test_bias_correction_off_takes_tiny_first_steps():
    on, off = {"w": np.zeros(1)}, {"w": np.zeros(1)}
    Adam(0.1).step(on, {"w": np.ones(1)})
    Adam(0.1, bias_correction=False).step(off, {"w": np.ones(1)})
    np.testing.assert_allclose(on["w"], [-0.1], rtol=1e-6)
    assert abs(off["w"][0]) > abs(on["w"][0])  # (1-b1)/sqrt(1-b2) = 3.16 times larger


@pytest.mark.parametrize("make, error", [
    (lambda: SGD(0.0), ValueError),
    (lambda: SGD(-1.0), ValueError),
    (lambda: SGD("0.1"), TypeError),
    (lambda: SGD(0.1, momentum=1.0), ValueError),
    (lambda: SGD(0.1, nesterov=True), ValueError),
    (lambda: SGD(0.1, momentum=0.9, nesterov=1), TypeError),
    (lambda: SGD(0.1, weight_decay=-0.1), ValueError),
    (lambda: AdaGrad(0.1, eps=0.0), ValueError),
    (lambda: RMSProp(0.1, alpha=1.5), ValueError),
    (lambda: Adam(0.1, betas=(0.9,)), TypeError),
    (lambda: Adam(0.1, betas=(0.9, 1.0)), ValueError),
    (lambda: Adam(float("nan")), ValueError),
    (lambda: Adam(0.1, decoupled="yes"), TypeError),
])
def test_bad_arguments_raise(make, error):
    with pytest.raises(error):
        make()


def test_mismatched_grads_raise():
    opt = SGD(0.1)
    params = {"W": np.ones((2, 3)), "b": np.ones(3)}
    with pytest.raises(ValueError, match="missing \\['b'\\]"):
        opt.step(params, {"W": np.ones((2, 3))})
    with pytest.raises(ValueError, match="unexpected \\['c'\\]"):
        opt.step(params, {"W": np.ones((2, 3)), "b": np.ones(3), "c": np.ones(1)})
    with pytest.raises(ValueError, match="shape"):
        opt.step(params, {"W": np.ones((3, 2)), "b": np.ones(3)})
    with pytest.raises(TypeError, match="floating-point"):
        opt.step({"w": np.ones(2, dtype=int)}, {"w": np.ones(2)})
    with pytest.raises(TypeError, match="NumPy array"):
        opt.step({"w": [1.0]}, {"w": np.ones(1)})
    with pytest.raises(TypeError, match="dicts"):
        opt.step(np.ones(2), np.ones(2))
