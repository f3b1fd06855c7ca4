"""Tests of dlbook_lib.synthetic: blobs, the 2-D mixtures, moons, spirals, sequence tasks."""
from __future__ import annotations

import numpy as np
import pytest

from dlbook_lib import synthetic as data

# ---------------------------------------------------------------------------- 2-D toys


def test_ring_and_grid_centres():
    ring = data.ring_centres(8, 2.0)
    assert ring.shape == (8, 2) and ring.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 2.0, rtol=1e-6)
    np.testing.assert_allclose(ring[0], [2.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(ring[2], [0.0, 2.0], atol=1e-6)
    grid = data.grid_centres(5, 2.0)
    assert grid.shape == (25, 2)
    np.testing.assert_array_equal(np.unique(grid[:, 0]), [-4, -2, 0, 2, 4])
    np.testing.assert_array_equal(np.unique(grid[:, 1]), [-4, -2, 0, 2, 4])
    np.testing.assert_array_equal(grid[[0, 1, 5, 24]], [[-4, -4], [-2, -4], [-4, -2], [4, 4]])
    assert len({tuple(p) for p in grid}) == 25


@pytest.mark.parametrize(
    "make, kwargs, centres, std",
    [
        (data.make_gaussian_ring, {}, data.ring_centres(8, 2.0), 0.02),
        (data.make_gaussian_grid, {}, data.grid_centres(5, 2.0), 0.05),
        (data.make_gaussian_ring, {"n_modes": 5, "radius": 1.0, "std": 0.1}, None, 0.1),
    ],
)
def test_gaussian_mixtures_are_near_their_centres(make, kwargs, centres, std):
    if centres is None:
        centres = data.ring_centres(kwargs["n_modes"], kwargs["radius"])
    points, labels = make(1000, seed=3, **kwargs)
    assert points.shape == (1000, 2) and points.dtype == np.float32
    assert labels.shape == (1000,) and labels.dtype == np.int64
    counts = np.bincount(labels, minlength=len(centres))
    assert len(counts) == len(centres) and counts.max() - counts.min() <= 1
    distance = np.linalg.norm(points - centres[labels], axis=1)
    assert distance.max() < 5 * std
    assert abs(distance.std() / std - 0.655) < 0.1  # Rayleigh spread: sqrt(2 - pi/2) ~ 0.655


def test_make_moons_lies_on_the_two_arcs():
    points, labels = data.make_moons(400, noise=0.0, seed=1)
    upper, lower = points[labels == 0], points[labels == 1]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(lower - [1.0, 0.5], axis=1), 1.0, rtol=1e-5)
    assert upper[:, 1].min() >= -1e-6 and lower[:, 1].max() <= 0.5 + 1e-6
    assert len(upper) == len(lower) == 200
    noisy, noisy_labels = data.make_moons(400, noise=0.1, seed=1)
    np.testing.assert_array_equal(noisy_labels, labels)
    assert 0.05 < np.abs(noisy - points).mean() < 0.15


def test_make_spirals_follow_their_arms():
    points, labels = data.make_spirals(300, n_arms=3, noise=0.0, seed=2)
    assert points.shape == (300, 2) and np.bincount(labels).tolist() == [100] * 3
    r = np.linalg.norm(points, axis=1)
    assert r.max() <= 1.0 + 1e-6
    theta = np.arctan2(points[:, 1], points[:, 0])
    expected = 2 * np.pi * labels / 3 + 4.0 * r
    wrapped = np.angle(np.exp(1j * (theta - expected)))  # difference modulo 2 pi
    assert np.abs(wrapped[r > 1e-3]).max() < 1e-3


@pytest.mark.parametrize(
    "make", [data.make_gaussian_ring, data.make_gaussian_grid, data.make_moons, data.make_spirals]
)
def test_generators_are_deterministic_in_seed(make):
    a_points, a_labels = make(50, seed=7)
    b_points, b_labels = make(50, seed=7)
    c_points, _ = make(50, seed=8)
    np.testing.assert_array_equal(a_points, b_points)
    np.testing.assert_array_equal(a_labels, b_labels)
    assert not np.array_equal(a_points, c_points)


def test_generator_argument_errors():
    with pytest.raises(ValueError, match="n must be >= 1"):
        data.make_moons(0)
    with pytest.raises(TypeError, match="n must be an int"):
        data.make_spirals(10.0)
    with pytest.raises(ValueError, match="std must be finite and >= 0"):
        data.make_gaussian_ring(10, std=-0.1)
    with pytest.raises(ValueError, match="noise must be finite and >= 0"):
        data.make_moons(10, noise=float("nan"))
    with pytest.raises(ValueError, match="radius must be finite and > 0"):
        data.ring_centres(8, 0.0)
    with pytest.raises(ValueError, match="spacing must be finite and > 0"):
        data.make_gaussian_grid(10, spacing=-1.0)
    with pytest.raises(ValueError, match="n_arms must be >= 1"):
        data.make_spirals(10, n_arms=0)
    with pytest.raises(ValueError, match="size must be >= 1"):
        data.grid_centres(0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        data.make_gaussian_grid(10, seed=-3)


# --------------------------------------------------------------------------------------------
# Adding problem
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,length", [(1, 2), (5, 3), (64, 50)])
def test_adding_problem_shapes_and_targets(n, length):
    X, y = data.make_adding_problem(n, length, seed=3)
    assert X.shape == (n, length, 2) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.float32
    values, markers = X[:, :, 0], X[:, :, 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(markers)) <= {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    half = length // 2
    np.testing.assert_array_equal(markers[:, :half].sum(axis=1), 1.0)  # one in each half
    np.testing.assert_array_equal(y, (values * markers).sum(axis=1))


def test_adding_problem_is_deterministic_and_baseline_is_one_sixth():
    X1, y1 = data.make_adding_problem(20000, 10, seed=0)
    X2, y2 = data.make_adding_problem(20000, 10, seed=0)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, data.make_adding_problem(20000, 10, seed=1)[0])
    # Always answering 1 has MSE Var(u1 + u2) = 1/6.
    assert abs(np.mean((y1 - 1.0) ** 2) - 1 / 6) < 0.01
    # Both halves' marker positions are used (uniform, not fixed).
    first = np.argmax(X1[:, :, 1], axis=1)
    assert set(first.tolist()) == set(range(5))


def test_adding_problem_errors():
    with pytest.raises(ValueError, match="length must be >= 2"):
        data.make_adding_problem(4, 1)
    with pytest.raises(ValueError, match="n must be >= 1"):
        data.make_adding_problem(0, 10)
    with pytest.raises(TypeError, match="length must be an int"):
        data.make_adding_problem(4, 10.0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        data.make_adding_problem(4, 10, seed=-1)


# --------------------------------------------------------------------------------------------
# First-token task
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,length,k", [(1, 1, 2), (7, 5, 3), (1000, 100, 8)])
def test_first_token_task(n, length, k):
    tokens, labels = data.make_first_token_task(n, length, n_symbols=k, seed=5)
    assert tokens.shape == (n, length) and tokens.dtype == np.int64
    assert labels.shape == (n,) and labels.dtype == np.int64
    np.testing.assert_array_equal(labels, tokens[:, 0])
    assert tokens.min() >= 0 and tokens.max() < k
    tokens2, labels2 = data.make_first_token_task(n, length, n_symbols=k, seed=5)
    np.testing.assert_array_equal(tokens, tokens2)
    labels[:] = -1  # the labels are a copy, not a view of the tokens
    assert tokens.min() >= 0


def test_first_token_task_is_uniform_and_errors():
    _, labels = data.make_first_token_task(20000, 3, n_symbols=4, seed=0)
    np.testing.assert_allclose(np.bincount(labels, minlength=4) / 20000, 0.25, atol=0.02)
    with pytest.raises(ValueError, match="n_symbols must be >= 2"):
        data.make_first_token_task(5, 5, n_symbols=1)
    with pytest.raises(TypeError, match="n_symbols must be an int"):
        data.make_first_token_task(5, 5, n_symbols="4")
    with pytest.raises(ValueError, match="length must be >= 1"):
        data.make_first_token_task(5, 0, n_symbols=4)




def test_make_blobs_draws_each_class_around_its_centre():
    points, labels = data.make_blobs(500, seed=4)
    assert points.shape == (1000, 2) and points.dtype == np.float32
    assert labels.dtype == np.int64 and list(np.bincount(labels)) == [500, 500]
    for k, centre in enumerate(data.BLOB_CENTRES):
        cloud = points[labels == k]
        assert np.allclose(cloud.mean(axis=0), centre, atol=0.06)
        assert np.allclose(cloud.std(axis=0), 0.4, atol=0.04)
    three, three_labels = data.make_blobs(5, centres=[(0, 0), (5, 5), (-5, 5)], std=0.0)
    assert np.array_equal(three[three_labels == 2], np.tile([-5.0, 5.0], (5, 1)))
    again, _ = data.make_blobs(500, seed=4)
    assert np.array_equal(points, again)


def test_make_blobs_errors():
    with pytest.raises(ValueError, match="n_per_class must be >= 1"):
        data.make_blobs(0)
    with pytest.raises(ValueError, match="std must be finite and >= 0"):
        data.make_blobs(3, std=-1.0)
    with pytest.raises(ValueError, match=r"centres must have shape \(K, 2\)"):
        data.make_blobs(3, centres=[(0, 0, 0)])
    with pytest.raises(ValueError, match="centres must be finite"):
        data.make_blobs(3, centres=[(0, float("nan"))])
