"""Tests of dlbook_lib.gan: the metrics on point sets whose answer is known by construction,
the losses and WGAN-GP's gradient penalty against independent computations."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook_lib import gan
from dlbook_lib.gan import (
    clip_weights,
    critic_loss,
    expected_high_quality_fraction,
    generator_loss,
    gradient_penalty,
    mode_coverage,
    nearest_mode,
)
from dlbook_lib.synthetic import grid_centres, make_gaussian_grid, make_gaussian_ring, ring_centres

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
    expected = (0.5 * np.sum(p[p > 0] * np.log(p[p > 0] / m[p > 0]))
                + 0.5 * np.sum(q * np.log(q / m)))
    assert result["jsd_to_uniform"] == pytest.approx(expected)


def test_no_high_quality_sample_gives_zero_coverage_and_nan_jsd():
    x = np.array([[50.0, 0.0], [150.0, 30.0]])
    result = mode_coverage(x, CENTRES, std=1.0)
    assert result["modes_covered"] == 0
    assert result["high_quality_fraction"] == 0.0
    assert math.isnan(result["jsd_to_uniform"])


def test_min_count_raises_the_bar_for_coverage():
    x = np.concatenate(
        [at_distance(0, 0.1)] * 3 + [at_distance(1, 0.1)] * 2 + [at_distance(2, 0.1)])
    counts = [mode_coverage(x, CENTRES, std=1.0, min_count=k)["modes_covered"]
              for k in (1, 2, 3, 4)]
    assert counts == [3, 2, 1, 0]


def test_true_samples_of_the_benchmark_mixtures_cover_every_mode():
    ring = gan.RING_SETTINGS
    x, _ = make_gaussian_ring(gan.N_EVAL_SAMPLES, seed=1, **ring)
    result = mode_coverage(x, ring_centres(ring["n_modes"], ring["radius"]), ring["std"])
    assert result["modes_covered"] == 8
    assert abs(result["high_quality_fraction"] - expected_high_quality_fraction()) < 0.01

    grid = gan.GRID_SETTINGS
    x, _ = make_gaussian_grid(gan.N_EVAL_SAMPLES, seed=1, **grid)
    result = mode_coverage(x, grid_centres(grid["size"], grid["spacing"]), grid["std"])
    assert result["modes_covered"] == 25
    assert abs(result["high_quality_fraction"] - expected_high_quality_fraction()) < 0.01
    assert result["jsd_to_uniform"] < 0.01


def test_benchmark_settings_match_the_papers_code():
    assert gan.RING_SETTINGS == {"n_modes": 8, "radius": 1.0, "std": 0.01}
    assert gan.GRID_SETTINGS == {"size": 5, "spacing": 2.0, "std": 0.05}
    coords = np.unique(grid_centres(5, 2.0))
    np.testing.assert_allclose(coords, [-4, -2, 0, 2, 4])
    assert gan.N_EVAL_SAMPLES == 2500
    assert gan.HIGH_QUALITY_STDS == 3.0
    assert gan.MIN_HIGH_QUALITY_PER_MODE == 1


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


# --------------------------------------------------------------------------- gradient penalty


def linear_critic(w: list[float], b: float = 0.3) -> nn.Linear:
    """D(x) = w . x + b: its input gradient is w at every point, so |grad D| = |w|."""
    critic = nn.Linear(len(w), 1).double()
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([w], dtype=torch.float64))
        critic.bias.fill_(b)
    return critic


def batches(n=32, d=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, d, generator=g, dtype=torch.float64),
            torch.randn(n, d, generator=g, dtype=torch.float64))


@pytest.mark.parametrize("w", [[3.0, 4.0], [0.6, 0.8], [0.1, -0.2]])
def test_penalty_of_a_linear_critic_is_known_in_closed_form(w):
    real, fake = batches()
    critic = linear_critic(w)
    penalty = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(1))
    norm = math.hypot(*w)
    assert penalty.item() == pytest.approx((norm - 1) ** 2, rel=1e-12, abs=1e-14)
    # dP/dw = 2 (|w| - 1) w / |w|: the penalty backpropagates to the critic's weights.
    penalty.backward()
    expected = 2 * (norm - 1) * np.array(w) / norm
    np.testing.assert_allclose(critic.weight.grad.numpy()[0], expected, rtol=1e-10, atol=1e-14)
    assert critic.bias.grad is None  # the bias does not change the input gradient


def test_penalty_matches_torch_func_per_sample_gradients():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1)).double()
    real, fake = batches(n=20, d=3, seed=2)
    eps = torch.rand(20, 1, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    penalty = gradient_penalty(critic, real, fake, eps=eps)

    x_hat = eps * real + (1 - eps) * fake
    grads = torch.func.vmap(torch.func.grad(lambda x: critic(x[None]).sum()))(x_hat)
    expected = ((grads.norm(dim=1) - 1) ** 2).mean()
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-12)


def test_penalty_matches_finite_differences_of_the_critic():
    torch.manual_seed(1)
    critic = nn.Sequential(nn.Linear(2, 8), nn.Softplus(), nn.Linear(8, 1)).double()
    real, fake = batches(n=6, seed=4)
    eps = torch.full((6, 1), 0.25, dtype=torch.float64)
    x_hat = (eps * real + (1 - eps) * fake).detach()
    h = 1e-6
    columns = []
    with torch.no_grad():
        for j in range(2):
            step = torch.zeros(2, dtype=torch.float64)
            step[j] = h
            columns.append((critic(x_hat + step) - critic(x_hat - step))[:, 0] / (2 * h))
    norms = torch.stack(columns, dim=1).norm(dim=1)
    expected = ((norms - 1) ** 2).mean().item()
    assert gradient_penalty(critic, real, fake, eps=eps).item() == pytest.approx(expected, rel=1e-7)


def test_penalty_on_images_uses_the_norm_over_all_pixels():
    # D(x) = sum of all pixels * 0.5: gradient 0.5 everywhere, norm 0.5 * sqrt(C*H*W).
    critic = lambda x: 0.5 * x.flatten(1).sum(dim=1)  # noqa: E731
    real, fake = torch.randn(4, 1, 3, 3), torch.randn(4, 1, 3, 3)
    penalty = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(0))
    assert penalty.item() == pytest.approx((0.5 * 3 - 1) ** 2, rel=1e-6)


def test_penalty_draws_eps_from_the_generator_as_lesson_6_10_does():
    # One torch.rand((B, 1, ..., 1)) draw from the generator: passing the same numbers as eps
    # gives the same penalty, and the generator's state moves on by exactly that draw.
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    gen = torch.Generator().manual_seed(5)
    drawn = gradient_penalty(critic, real, fake, gen)
    check = torch.Generator().manual_seed(5)
    eps = torch.rand((16, 1), generator=check)
    assert torch.equal(drawn, gradient_penalty(critic, real, fake, eps=eps))
    assert torch.equal(gen.get_state(), check.get_state())


def test_penalty_errors():
    real, fake = batches()
    critic = linear_critic([1.0, 0.0])
    with pytest.raises(ValueError, match="needs a torch.Generator to draw eps"):
        gradient_penalty(critic, real, fake)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        gradient_penalty(critic, real, fake, generator=0)
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(critic, real, fake[:5], torch.Generator())
    with pytest.raises(TypeError, match="real must be a torch.Tensor"):
        gradient_penalty(critic, real.numpy(), fake, torch.Generator())


# --------------------------------------------------------------------------- losses


def test_losses_of_the_three_methods():
    real, fake = batches(n=8)
    critic = linear_critic([0.5, -1.0])
    d_real, d_fake = critic(real), critic(fake)
    gan = critic_loss("GAN", critic, real, fake)
    bce = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
           + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
    assert gan.item() == pytest.approx(bce.item(), rel=1e-12)
    wgan = critic_loss("WGAN", critic, real, fake)
    assert wgan.item() == pytest.approx((d_fake.mean() - d_real.mean()).item(), rel=1e-12)
    gp = critic_loss("WGAN-GP", critic, real, fake, lam=10.0,
                     generator=torch.Generator().manual_seed(0))
    norm = math.hypot(0.5, -1.0)
    assert gp.item() == pytest.approx(wgan.item() + 10 * (norm - 1) ** 2, rel=1e-12)

    non_saturating = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
    assert generator_loss("GAN", critic, fake).item() == pytest.approx(non_saturating.item())
    for method in ("WGAN", "WGAN-GP"):
        assert generator_loss(method, critic, fake).item() == pytest.approx(-d_fake.mean().item())


def test_loss_errors():
    real, fake = batches()
    critic = linear_critic([1.0, 0.0])
    with pytest.raises(ValueError, match="method must be one of 'GAN', 'WGAN', 'WGAN-GP'"):
        critic_loss("LSGAN", critic, real, fake)
    with pytest.raises(ValueError, match="method must be one of"):
        generator_loss("wgan", critic, fake)
    with pytest.raises(ValueError, match="needs lam"):
        critic_loss("WGAN-GP", critic, real, fake, generator=torch.Generator())
    with pytest.raises(ValueError, match="needs a torch.Generator"):
        critic_loss("WGAN-GP", critic, real, fake, lam=10.0)
    with pytest.raises(ValueError, match="lam must be .*>= 0"):
        critic_loss("WGAN-GP", critic, real, fake, lam=-1.0, generator=torch.Generator())


def test_clip_weights_clamps_every_parameter_in_place():
    critic = linear_critic([3.0, -0.005], b=-2.0)
    weight = critic.weight
    clip_weights(critic, 0.01)
    assert critic.weight is weight
    assert critic.weight.tolist() == [[0.01, -0.005]]
    assert critic.bias.tolist() == [-0.01]
    with pytest.raises(ValueError, match="c must be finite and > 0"):
        clip_weights(critic, 0.0)
    with pytest.raises(TypeError, match="critic must be a torch.nn.Module"):
        clip_weights([weight], 0.1)
