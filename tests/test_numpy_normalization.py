"""Tests for the NumPy batch norm and layer norm beyond the autograd table of
test_numpy_layers.py: running statistics as torch.nn.BatchNorm*, the train/eval switch,
finite differences, and clear errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dlbook_lib.gradient_check import numerical_gradient_array, relative_error
from dlbook_lib.numpy_layers import (
    batchnorm_backward,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
)


@pytest.mark.parametrize("shape, module",
                         [((8, 4), nn.BatchNorm1d), ((5, 3, 4, 4), nn.BatchNorm2d)])
def test_running_statistics_follow_torch_batchnorm_over_several_batches(shape, module):
    rng = np.random.default_rng(0)
    C = shape[1]
    bn = module(C, momentum=0.2).double()
    gamma, beta = rng.normal(size=C), rng.normal(size=C)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
    running = {"mean": np.zeros(C), "var": np.ones(C)}
    bn.train()
    for _ in range(4):
        x = rng.normal(2.0, 3.0, size=shape)
        out, _ = batchnorm_forward(x, gamma, beta, running=running, momentum=0.2)
        expected = bn(torch.from_numpy(x)).detach().numpy()
        assert relative_error(out, expected) < 1e-10
    assert relative_error(running["mean"], bn.running_mean.numpy()) < 1e-12
    assert relative_error(running["var"], bn.running_var.numpy()) < 1e-12
    bn.eval()
    x = rng.normal(size=shape)
    out, _ = batchnorm_forward(x, gamma, beta, train=False, running=running)
    assert relative_error(out, bn(torch.from_numpy(x)).detach().numpy()) < 1e-10


def test_training_output_has_zero_mean_unit_variance_per_feature_before_gamma_beta():
    x = np.random.default_rng(1).normal(5.0, 4.0, size=(64, 3))
    out, _ = batchnorm_forward(x, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1.0, atol=1e-5)


def test_evaluation_does_not_touch_the_running_statistics_and_depends_on_them():
    running = {"mean": np.array([1.0, -1.0]), "var": np.array([4.0, 0.25])}
    x = np.array([[3.0, 0.0], [1.0, -1.0]])
    out, _ = batchnorm_forward(x, np.ones(2), np.zeros(2), train=False, running=running)
    np.testing.assert_allclose(out, (x - running["mean"]) / np.sqrt(running["var"] + 1e-5))
    assert running["mean"].tolist() == [1.0, -1.0] and running["var"].tolist() == [4.0, 0.25]


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_backward_matches_finite_differences(train):
    rng = np.random.default_rng(2)
    x, gamma, beta = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=3)
    running = {"mean": rng.normal(size=3), "var": rng.uniform(0.5, 2, size=3)}
    dout = rng.normal(size=(6, 3))
    options = {"train": train, "running": None if train else running}
    out, cache = batchnorm_forward(x, gamma, beta, **options)
    dx, grads = batchnorm_backward(dout, cache)

    def out_of(x_, gamma_, beta_):
        return batchnorm_forward(x_, gamma_, beta_, **options)[0]

    assert relative_error(
        dx, numerical_gradient_array(lambda a: out_of(a, gamma, beta), x, dout)) < 1e-6
    assert relative_error(grads["gamma"], numerical_gradient_array(
        lambda g: out_of(x, g, beta), gamma, dout)) < 1e-6
    assert relative_error(grads["beta"], numerical_gradient_array(
        lambda b: out_of(x, gamma, b), beta, dout)) < 1e-6


def test_the_training_gradient_of_a_normalized_batch_sums_to_zero_per_feature():
    rng = np.random.default_rng(3)
    out, cache = batchnorm_forward(rng.normal(size=(10, 4)), rng.normal(size=4), np.zeros(4))
    dx, _ = batchnorm_backward(rng.normal(size=(10, 4)), cache)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)


def test_layernorm_is_per_example_and_independent_of_the_batch():
    rng = np.random.default_rng(4)
    x, gamma, beta = rng.normal(size=(5, 6)), rng.normal(size=6), rng.normal(size=6)
    whole, _ = layernorm_forward(x, gamma, beta)
    one, _ = layernorm_forward(x[2:3], gamma, beta)
    np.testing.assert_allclose(whole[2:3], one)
    ln = nn.LayerNorm(6).double()
    with torch.no_grad():
        ln.weight.copy_(torch.from_numpy(gamma))
        ln.bias.copy_(torch.from_numpy(beta))
    assert relative_error(whole, ln(torch.from_numpy(x)).detach().numpy()) < 1e-10


def test_layernorm_backward_matches_finite_differences():
    rng = np.random.default_rng(5)
    x, gamma, beta = rng.normal(size=(3, 2, 5)), rng.normal(size=5), rng.normal(size=5)
    dout = rng.normal(size=x.shape)
    _, cache = layernorm_forward(x, gamma, beta)
    dx, _ = layernorm_backward(dout, cache)
    numeric = numerical_gradient_array(lambda a: layernorm_forward(a, gamma, beta)[0], x, dout)
    assert relative_error(dx, numeric) < 1e-6


def test_normalization_errors_are_clear():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"must both have shape \(3,\)"):
        batchnorm_forward(x, np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match="needs running statistics"):
        batchnorm_forward(x, np.ones(3), np.zeros(3), train=False)
    with pytest.raises(ValueError, match="more than one value per feature"):
        batchnorm_forward(np.zeros((1, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"\(N, D\) or \(N, C, H, W\)"):
        batchnorm_forward(np.zeros((2, 3, 4)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="running must be a dict"):
        batchnorm_forward(x, np.ones(3), np.zeros(3), running={"mean": np.zeros(3)})
    with pytest.raises(ValueError, match=r'running\["var"\] has shape'):
        batchnorm_forward(x, np.ones(3), np.zeros(3),
                          running={"mean": np.zeros(3), "var": np.ones(2)})
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        batchnorm_forward(x, np.ones(3), np.zeros(3), momentum=1.5)
    with pytest.raises(TypeError, match="train must be a bool"):
        batchnorm_forward(x, np.ones(3), np.zeros(3), train="yes")
    with pytest.raises(ValueError):
        layernorm_forward(x, np.ones(3), np.zeros(3), eps=0.0)
    with pytest.raises(ValueError, match=r"must both have shape \(3,\)"):
        layernorm_forward(x, np.ones(4), np.zeros(4))
    _, cache = layernorm_forward(x, np.ones(3), np.zeros(3))
    with pytest.raises(ValueError):
        layernorm_backward(np.zeros((4, 4)), cache)
