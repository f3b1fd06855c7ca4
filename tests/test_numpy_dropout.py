"""Tests of the NumPy dropout layer (``dropout_forward`` / ``dropout_backward``)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbook_lib.numpy_layers import dropout_backward, dropout_forward


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.8])
def test_mask_statistics(p):
    out, (scaled_mask, shape) = dropout_forward(np.ones((400, 500)), p, seed=1)
    assert shape == (400, 500)
    kept = scaled_mask != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(scaled_mask[kept], 1 / (1 - p))
    np.testing.assert_allclose(out[kept], 1 / (1 - p))
    assert np.all(out[~kept] == 0)


def test_expectation_preserved():
    x = np.random.default_rng(0).normal(size=(8, 5))
    rng = np.random.default_rng(2)
    mean = np.mean([dropout_forward(x, 0.5, seed=rng)[0] for _ in range(20000)], axis=0)
    np.testing.assert_allclose(mean, x, atol=0.05)


def test_backward_routes_through_the_same_mask():
    rng = np.random.default_rng(3)
    x, dout = rng.normal(size=(6, 7)), rng.normal(size=(6, 7))
    out, cache = dropout_forward(x, 0.4, seed=4)
    dx, grads = dropout_backward(dout, cache)
    assert grads == {}
    mask = out != 0
    np.testing.assert_array_equal(dx == 0, ~mask)
    np.testing.assert_allclose(dx[mask], dout[mask] / 0.6)


def test_seed_reproducible_and_generator_advances():
    x = np.ones((10, 10))
    a, _ = dropout_forward(x, 0.5, seed=7)
    b, _ = dropout_forward(x, 0.5, seed=7)
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(7)
    c, _ = dropout_forward(x, 0.5, seed=rng)
    d, _ = dropout_forward(x, 0.5, seed=rng)
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(c, d)


def test_eval_mode_is_identity():
    x = np.random.default_rng(5).normal(size=(3, 4))
    out, cache = dropout_forward(x, 0.7, train=False)
    np.testing.assert_array_equal(out, x)
    dout = np.ones_like(x)
    dx, grads = dropout_backward(dout, cache)
    np.testing.assert_array_equal(dx, dout)
    assert grads == {}


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_bad_p_raises(p):
    with pytest.raises(ValueError):
        dropout_forward(np.ones(3), p)


def test_bad_types_raise():
    with pytest.raises(TypeError):
        dropout_forward(np.ones(3), "0.5")
    with pytest.raises(TypeError):
        dropout_forward(np.arange(3), 0.5)
    with pytest.raises(TypeError):
        dropout_forward(np.ones(3), 0.5, train="yes")
    with pytest.raises(ValueError):
        dropout_forward(np.ones(3), 0.5, seed=-1)
    _, cache = dropout_forward(np.ones(3), 0.5, seed=0)
    with pytest.raises(ValueError):
        dropout_backward(np.ones(4), cache)


def test_expectation_matches_torch_dropout():
    p, draws = 0.3, 20000
    x = np.random.default_rng(6).normal(size=(4, 5))
    rng = np.random.default_rng(8)
    ours = np.mean([dropout_forward(x, p, seed=rng)[0] for _ in range(draws)], axis=0)
    torch.manual_seed(0)
    layer = torch.nn.Dropout(p).train()
    xt = torch.from_numpy(x).expand(draws, 4, 5)
    theirs = layer(xt).mean(dim=0).numpy()
    np.testing.assert_allclose(ours, theirs, atol=0.05)
    np.testing.assert_allclose(ours, x, atol=0.05)
    layer.eval()
    np.testing.assert_array_equal(
        layer(torch.from_numpy(x)).numpy(), dropout_forward(x, p, train=False)[0]
    )
