"""Tests of dlbook_lib.gan_metrics on point sets whose answer is known by construction."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlbook_lib import gan_metrics
from dlbook_lib.data import grid_centres, make_gaussian_grid, make_gaussian_ring, ring_centres
from dlbook_lib.gan_metrics import expected_high_quality_fraction, mode_coverage, nearest_mode

# Three modes far apart on the x axis, std 1: distances in std units equal Euclidean ones.
CENTRES = np.array([[0.0, 0.0], [100.0, 0.0], [200.0, 0.0]])


def at_distance(centre_index: int, distance: float, angle: float = 0.7) -> np.ndarray:
    """One point at ``distance`` from ``CENTRES[centre_index]`` in direction ``angle``."""
    direction = np.array([math.cos(angle), math.sin(angle)])
    return (CENTRES[centre_index] + distance * direction)[None, :]


# --------------------------------------------------------------------------- nearest_mode


def test_nearest_mode_of_points_at_the_centres_is_the_centre_itself():
    index, distance = nearest_mode(CENTRES[[2, 0, 1, 1]], CENTRES)
    assert index.tolist() == [2, 0, 1, 1]
    assert index.dtype == np.int64
    np.testing.assert_array_equal(distance, 0.0)


def test_nearest_mode_distance_is_euclidean_or_in_std_units():
    x = np.array([[3.0, 4.0], [97.0, 0.0]])
    index, distance = nearest_mode(x, CENTRES)
    assert index.tolist() == [0, 1]
    np.testing.assert_allclose(distance, [5.0, 3.0])
    _, scaled = nearest_mode(x, CENTRES, std=0.5)
    np.testing.assert_allclose(scaled, [10.0, 6.0])


def test_nearest_mode_with_per_mode_std_uses_normalised_distance():
    # x is 40 from mode 0 (std 1) and 60 from mode 1 (std 10): 40 std vs 6 std -> mode 1.
    x = np.array([[40.0, 0.0]])
    index, distance = nearest_mode(x, CENTRES, std=[1.0, 10.0, 1.0])
    assert index.tolist() == [1]
    np.testing.assert_allclose(distance, [6.0])


def test_nearest_mode_accepts_torch_tensors_and_lists():
    index_t, distance_t = nearest_mode(torch.tensor([[99.0, 1.0]]), torch.tensor(CENTRES))
    index_l, distance_l = nearest_mode([[99.0, 1.0]], CENTRES.tolist())
    assert index_t.tolist() == index_l.tolist() == [1]
    np.testing.assert_allclose(distance_t, distance_l)


def test_nearest_mode_on_the_ring_finds_the_generating_mode():
    points, labels = make_gaussian_ring(400, n_modes=8, radius=1.0, std=0.01, seed=3)
    index, _ = nearest_mode(points, ring_centres(8, 1.0))
    np.testing.assert_array_equal(index, labels)


@pytest.mark.parametrize(
    "samples, centres, message",
    [
        (np.zeros(2), CENTRES, r"samples must have shape \(N, D\)"),
        (np.zeros((4, 2, 1)), CENTRES, r"samples must have shape \(N, D\)"),
        (np.zeros((0, 2)), CENTRES, "samples is empty"),
        (np.zeros((4, 2)), np.zeros(2), r"centres must have shape \(N, D\)"),
        (np.zeros((4, 3)), CENTRES, "samples have 3 coordinates but centres have 2"),
        (np.array([[np.nan, 0.0]]), CENTRES, "NaN or infinite"),
        (np.array([[np.inf, 0.0]]), CENTRES, "NaN or infinite"),
    ],
)
def test_nearest_mode_rejects_bad_shapes_and_values(samples, centres, message):
    with pytest.raises(ValueError, match=message):
        nearest_mode(samples, centres)


def test_nearest_mode_rejects_non_numbers():
    with pytest.raises(TypeError, match="samples must be an array of numbers"):
        nearest_mode([["a", "b"]], CENTRES)


# --------------------------------------------------------------------------- mode_coverage


def test_points_exactly_at_every_centre_cover_every_mode_with_full_quality():
    result = mode_coverage(CENTRES, CENTRES, std=1.0)
    assert result["modes_covered"] == 3
    assert result["n_modes"] == 3
    assert result["n_samples"] == 3
    assert result["high_quality_fraction"] == 1.0
    assert result["high_quality_counts"].tolist() == [1, 1, 1]
    assert result["nearest_counts"].tolist() == [1, 1, 1]
    assert result["covered"].tolist() == [True, True, True]
    assert result["jsd_to_uniform"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("std", [1.0, 0.05, 7.0])
def test_three_std_boundary_2_9_is_high_quality_3_1_is_not(std):
    centres = CENTRES * std  # keep the modes 100 std apart
    inside = centres[0] + 2.9 * std * np.array([math.cos(1.1), math.sin(1.1)])
    outside = centres[1] + 3.1 * std * np.array([math.cos(2.3), math.sin(2.3)])
    result = mode_coverage(np.stack([inside, outside]), centres, std=std)
    assert result["high_quality_fraction"] == 0.5
    assert result["high_quality_counts"].tolist() == [1, 0, 0]
    assert result["nearest_counts"].tolist() == [1, 1, 0]  # the far sample still has a nearest mode
    assert result["modes_covered"] == 1


def test_high_quality_is_strictly_inside_the_threshold():
    # PacGAN's code counts `distance < 3`; a point exactly at 3 std is not high quality.
    x = CENTRES[0] + np.array([[3.0, 0.0]])
    assert mode_coverage(x, CENTRES, std=1.0)["high_quality_fraction"] == 0.0
    assert mode_coverage(x, CENTRES, std=1.0, threshold=3.0 + 1e-9)["high_quality_fraction"] == 1.0


def test_empty_modes_are_not_covered():
    x = np.concatenate([at_distance(0, 0.5), at_distance(2, 1.0), at_distance(2, 2.0)])
    result = mode_coverage(x, CENTRES, std=1.0)
    assert result["covered"].tolist() == [True, False, True]
    assert result["modes_covered"] == 2
    assert result["high_quality_counts"].tolist() == [1, 0, 2]


def test_all_samples_on_one_mode_is_collapse_one_mode_covered():
    rng = np.random.default_rng(0)
    x = CENTRES[1] + 0.1 * rng.standard_normal((500, 2))
    result = mode_coverage(x, CENTRES, std=1.0)
    assert result["modes_covered"] == 1
    assert result["high_quality_fraction"] == 1.0  # collapse can look perfect on quality
    assert result["covered"].tolist() == [False, True, False]
    # Jensen-Shannon divergence between the one-hot histogram and the uniform one, by hand.
    p = np.array([0.0, 1.0, 0.0])
    q = np.full(3, 1 / 3)
    m = (p + q) / 2
    expected = 0.5 * np.sum(p[p > 0] * np.log(p[p > 0] / m[p > 0])) + 0.5 * np.sum(q * np.log(q / m))
    assert result["jsd_to_uniform"] == pytest.approx(expected)


def test_no_high_quality_sample_gives_zero_coverage_and_nan_jsd():
    x = np.array([[50.0, 0.0], [150.0, 30.0]])
    result = mode_coverage(x, CENTRES, std=1.0)
    assert result["modes_covered"] == 0
    assert result["high_quality_fraction"] == 0.0
    assert math.isnan(result["jsd_to_uniform"])


def test_min_count_raises_the_bar_for_coverage():
    x = np.concatenate([at_distance(0, 0.1)] * 3 + [at_distance(1, 0.1)] * 2 + [at_distance(2, 0.1)])
    counts = [mode_coverage(x, CENTRES, std=1.0, min_count=k)["modes_covered"] for k in (1, 2, 3, 4)]
    assert counts == [3, 2, 1, 0]


def test_true_samples_of_the_benchmark_mixtures_cover_every_mode():
    ring = gan_metrics.RING_SETTINGS
    x, _ = make_gaussian_ring(gan_metrics.N_EVAL_SAMPLES, seed=1, **ring)
    result = mode_coverage(x, ring_centres(ring["n_modes"], ring["radius"]), ring["std"])
    assert result["modes_covered"] == 8
    assert abs(result["high_quality_fraction"] - expected_high_quality_fraction()) < 0.01

    grid = gan_metrics.GRID_SETTINGS
    x, _ = make_gaussian_grid(gan_metrics.N_EVAL_SAMPLES, seed=1, **grid)
    result = mode_coverage(x, grid_centres(grid["size"], grid["spacing"]), grid["std"])
    assert result["modes_covered"] == 25
    assert abs(result["high_quality_fraction"] - expected_high_quality_fraction()) < 0.01
    assert result["jsd_to_uniform"] < 0.01


def test_benchmark_settings_match_the_papers_code():
    assert gan_metrics.RING_SETTINGS == {"n_modes": 8, "radius": 1.0, "std": 0.01}
    assert gan_metrics.GRID_SETTINGS == {"size": 5, "spacing": 2.0, "std": 0.05}
    coords = np.unique(grid_centres(5, 2.0))
    np.testing.assert_allclose(coords, [-4, -2, 0, 2, 4])
    assert gan_metrics.N_EVAL_SAMPLES == 2500
    assert gan_metrics.HIGH_QUALITY_STDS == 3.0
    assert gan_metrics.MIN_HIGH_QUALITY_PER_MODE == 1


@pytest.mark.parametrize(
    "std, error, message",
    [
        (-1.0, ValueError, "std must be finite and > 0"),
        (0.0, ValueError, "std must be finite and > 0"),
        (float("nan"), ValueError, "std must be finite and > 0"),
        ([1.0, -2.0, 1.0], ValueError, "std must be finite and > 0"),
        ([1.0, 1.0], ValueError, r"std must be a number or have shape \(3,\)"),
        (True, TypeError, "got a bool"),
        ("wide", TypeError, "std must be a number or an array"),
    ],
)
def test_mode_coverage_rejects_bad_std(std, error, message):
    with pytest.raises(error, match=message):
        mode_coverage(CENTRES, CENTRES, std=std)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"threshold": 0.0}, ValueError, "threshold must be finite and > 0"),
        ({"threshold": -3.0}, ValueError, "threshold must be finite and > 0"),
        ({"threshold": "3"}, TypeError, "threshold must be a number"),
        ({"min_count": 0}, ValueError, "min_count must be >= 1"),
        ({"min_count": 1.5}, TypeError, "min_count must be an int"),
        ({"min_count": True}, TypeError, "min_count must be an int"),
    ],
)
def test_mode_coverage_rejects_bad_threshold_and_min_count(kwargs, error, message):
    with pytest.raises(error, match=message):
        mode_coverage(CENTRES, CENTRES, std=1.0, **kwargs)


def test_mode_coverage_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"samples must have shape \(N, D\)"):
        mode_coverage(np.zeros(2), CENTRES, std=1.0)
    with pytest.raises(ValueError, match="samples have 3 coordinates"):
        mode_coverage(np.zeros((5, 3)), CENTRES, std=1.0)


# --------------------------------------------------------------------------- the ceiling


def test_expected_high_quality_fraction_closed_forms():
    assert expected_high_quality_fraction() == pytest.approx(1 - math.exp(-4.5), rel=1e-12)
    assert expected_high_quality_fraction(2.0, dim=2) == pytest.approx(1 - math.exp(-2.0))
    # 1-D: P(|Z| < t) = erf(t / sqrt(2)).
    assert expected_high_quality_fraction(3.0, dim=1) == pytest.approx(math.erf(3 / math.sqrt(2)))
    # 3-D: P(chi_3 < t) = erf(t/sqrt2) - sqrt(2/pi) t exp(-t^2/2).
    t = 1.7
    chi3 = math.erf(t / math.sqrt(2)) - math.sqrt(2 / math.pi) * t * math.exp(-t * t / 2)
    assert expected_high_quality_fraction(t, dim=3) == pytest.approx(chi3, rel=1e-10)


def test_expected_high_quality_fraction_matches_sampling():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200_000, 2))
    empirical = np.mean(np.linalg.norm(z, axis=1) < 3.0)
    assert empirical == pytest.approx(expected_high_quality_fraction(), abs=0.002)


@pytest.mark.parametrize(
    "kwargs, error",
    [({"threshold": 0.0}, ValueError), ({"dim": 0}, ValueError), ({"dim": 2.0}, TypeError)],
)
def test_expected_high_quality_fraction_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        expected_high_quality_fraction(**kwargs)
