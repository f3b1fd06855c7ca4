"""Tests of dlbook_lib.nn_utils: mlp, count_parameters, conv_output_size, layer_table."""
from __future__ import annotations

import itertools
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook_lib.nn_utils import (
    conv_output_size,
    count_parameters,
    layer_rows,
    layer_table,
    mlp,
)

# --------------------------------------------------------------------------- mlp


def test_mlp_layers_sizes_and_activations():
    net = mlp([2, 16, 8, 3])
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(2, 16), (16, 8), (8, 3)]
    assert net(torch.zeros(5, 2)).shape == (5, 3)
    assert list(net.state_dict())[:2] == ["0.weight", "0.bias"]  # unnamed, like nn.Sequential(*)


def test_mlp_output_activation_and_other_activations():
    net = mlp([4, 4, 1], activation="tanh", output_activation="sigmoid")
    assert [type(m) for m in net] == [nn.Linear, nn.Tanh, nn.Linear, nn.Sigmoid]
    out = net(torch.randn(10, 4))
    assert torch.all((out > 0) & (out < 1))
    net = mlp([3, 5, 5, 2], activation=lambda: nn.LeakyReLU(0.1))
    leaky = [m for m in net if isinstance(m, nn.LeakyReLU)]
    assert len(leaky) == 2 and leaky[0] is not leaky[1] and leaky[0].negative_slope == 0.1
    assert [type(m) for m in mlp([3, 2], activation=nn.SiLU)] == [nn.Linear]  # no hidden layer
    assert [type(m) for m in mlp([3, 4, 2], activation=nn.SiLU)][1] is nn.SiLU


def test_mlp_matches_the_hand_written_network_of_lesson_6_10():
    # 6.10's mlp(n_in, n_out, width, depth): the same modules in the same order, so the same
    # seed gives the same initial weights.
    def hand_written(n_in, n_out, width=128, depth=3):
        layers, d = [], n_in
        for _ in range(depth):
            layers += [nn.Linear(d, width), nn.ReLU()]
            d = width
        return nn.Sequential(*layers, nn.Linear(d, n_out))

    torch.manual_seed(0)
    theirs = hand_written(2, 1, width=64, depth=8)
    torch.manual_seed(0)
    ours = mlp([2, *[64] * 8, 1])
    assert str(ours) == str(theirs)
    for (k1, v1), (k2, v2) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2)


@pytest.mark.parametrize(
    "sizes, kwargs, error, message",
    [
        ([2], {}, ValueError, "needs an input and an output size"),
        ([2, 0, 1], {}, ValueError, r"sizes\[1\] must be >= 1"),
        ([2, 1.5, 1], {}, TypeError, r"sizes\[1\] must be an int"),
        ("21", {}, TypeError, "sizes must be a list of ints"),
        ([2, 1], {"activation": "swish"}, ValueError, "activation must be one of"),
        ([2, 3, 1], {"activation": nn.ReLU()}, TypeError, "not a module instance"),
        ([2, 1], {"output_activation": 3}, TypeError, "output_activation must be one of"),
    ],
)
def test_mlp_rejects_bad_arguments(sizes, kwargs, error, message):
    with pytest.raises(error, match=message):
        mlp(sizes, **kwargs)


# --------------------------------------------------------------------------- count_parameters


def test_count_parameters_counts_weights_and_biases():
    assert count_parameters(nn.Linear(3, 4)) == 3 * 4 + 4
    assert count_parameters(nn.Conv2d(1, 6, 5)) == 6 * 25 + 6  # LeNet's C1: 156
    assert count_parameters(nn.ReLU()) == 0
    lstm = nn.LSTM(8, 32)
    assert count_parameters(lstm) == 4 * (32 * 8 + 32 * 32 + 2 * 32)  # 5,376 as in 5.3


def test_count_parameters_trainable_only_and_shared_weights():
    net = mlp([4, 5, 2])
    for p in net[0].parameters():
        p.requires_grad_(False)
    assert count_parameters(net) == (4 * 5 + 5) + (5 * 2 + 2)
    assert count_parameters(net, trainable_only=True) == 5 * 2 + 2
    shared = nn.Linear(3, 3)
    assert count_parameters(nn.Sequential(shared, nn.ReLU(), shared)) == 12  # counted once
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        count_parameters([torch.zeros(3)])


# --------------------------------------------------------------------------- conv_output_size


def test_conv_output_size_matches_conv2d_and_pooling():
    x_cache = {}
    for size, kernel, stride, padding, dilation in itertools.product(
        [1, 5, 8, 13], [1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2]
    ):
        if size + 2 * padding < dilation * (kernel - 1) + 1:
            continue
        x = x_cache.setdefault(size, torch.zeros(1, 1, size, size))
        conv = F.conv2d(x, torch.zeros(1, 1, kernel, kernel), stride=stride, padding=padding,
                        dilation=dilation)
        expected = conv_output_size(size, kernel, stride=stride, padding=padding,
                                    dilation=dilation)
        assert conv.shape[-1] == conv.shape[-2] == expected, (size, kernel, stride, padding)
        if padding <= kernel // 2:  # PyTorch's pooling allows padding <= kernel / 2
            pool = F.max_pool2d(x, kernel, stride=stride, padding=padding, dilation=dilation)
            assert pool.shape[-1] == expected


def test_conv_output_size_known_values():
    assert conv_output_size(32, 5) == 28  # LeNet's C1
    assert conv_output_size(28, 2, stride=2) == 14  # its S2
    assert conv_output_size(28, 3, padding=1) == 28  # "same" padding
    assert conv_output_size(7, 3, dilation=3) == 1  # the dilated kernel spans 7 pixels


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((4, 5), {}, ValueError, r"does not fit in 4 \+ 2\*0 = 4 input pixels"),
        ((5, 3), {"dilation": 3}, ValueError, "dilation 3: spans 7 pixels"),
        ((0, 1), {}, ValueError, "size must be >= 1"),
        ((5, 3), {"stride": 0}, ValueError, "stride must be >= 1"),
        ((5, 3), {"padding": -1}, ValueError, "padding must be >= 0"),
        ((5.0, 3), {}, TypeError, "size must be an int"),
    ],
)
def test_conv_output_size_errors(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        conv_output_size(*args, **kwargs)


# --------------------------------------------------------------------------- layer table


def lenet() -> nn.Sequential:
    """Lesson 4.4's classic LeNet-5."""
    return nn.Sequential(OrderedDict([
        ("pad", nn.ZeroPad2d(2)),
        ("C1", nn.Conv2d(1, 6, kernel_size=5)),
        ("C1_sigmoid", nn.Sigmoid()),
        ("S2", nn.AvgPool2d(2)),
        ("C3", nn.Conv2d(6, 16, kernel_size=5)),
        ("C3_sigmoid", nn.Sigmoid()),
        ("S4", nn.AvgPool2d(2)),
        ("C5", nn.Conv2d(16, 120, kernel_size=5)),
        ("C5_sigmoid", nn.Sigmoid()),
        ("flatten", nn.Flatten()),
        ("F6", nn.Linear(120, 84)),
        ("F6_sigmoid", nn.Sigmoid()),
        ("output", nn.Linear(84, 10)),
    ]))


# What lesson 4.4 printed for its classic LeNet with its own layer_table, before the helper
# moved here: the helper must print exactly this.
LENET_TABLE = """\
layer      type          output-size formula         formula shape  forward shape      RF   params
pad        ZeroPad2d     28 + 2*2 = 32               (1, 32, 32)    (1, 32, 32)       1x1        0
C1         Conv2d 5x5    (32 + 2*0 - 5)//1 + 1 = 28  (6, 28, 28)    (6, 28, 28)       5x5      156
C1_sigmoid Sigmoid                                   (6, 28, 28)    (6, 28, 28)       5x5        0
S2         AvgPool2d 2x2 (28 + 2*0 - 2)//2 + 1 = 14  (6, 14, 14)    (6, 14, 14)       6x6        0
C3         Conv2d 5x5    (14 + 2*0 - 5)//1 + 1 = 10  (16, 10, 10)   (16, 10, 10)    14x14    2,416
C3_sigmoid Sigmoid                                   (16, 10, 10)   (16, 10, 10)    14x14        0
S4         AvgPool2d 2x2 (10 + 2*0 - 2)//2 + 1 = 5   (16, 5, 5)     (16, 5, 5)      16x16        0
C5         Conv2d 5x5    (5 + 2*0 - 5)//1 + 1 = 1    (120, 1, 1)    (120, 1, 1)     32x32   48,120
C5_sigmoid Sigmoid                                   (120, 1, 1)    (120, 1, 1)     32x32        0
flatten    Flatten                                   (120,)         (120,)            all        0
F6         Linear        120 -> 84                   (84,)          (84,)             all   10,164
F6_sigmoid Sigmoid                                   (84,)          (84,)             all        0
output     Linear        84 -> 10                    (10,)          (10,)             all      850
total parameters: 61,706
formula and forward pass agree at every layer: True
"""


def test_layer_table_prints_lesson_4_4s_table(capsys):
    assert layer_table(lenet()) is None
    assert capsys.readouterr().out == LENET_TABLE


def test_layer_rows_shapes_params_and_receptive_field():
    rows = {row["name"]: row for row in layer_rows(lenet(), (1, 28, 28))}
    assert rows["C3"]["shape"] == rows["C3"]["forward_shape"] == (16, 10, 10)
    assert rows["C3"]["params"] == 6 * 16 * 25 + 16
    assert rows["C5"]["receptive_field"] == (32, 32)  # C5 sees the whole padded image
    assert rows["flatten"]["receptive_field"] is None
    assert all(row["match"] for row in rows.values())
    assert sum(row["params"] for row in rows.values()) == count_parameters(lenet())


def test_layer_rows_strided_dilated_non_square_and_mode_restored():
    model = nn.Sequential(
        nn.Conv2d(3, 4, kernel_size=(3, 5), stride=2, padding=1),
        nn.MaxPool2d(3, stride=1, dilation=2),
        nn.Flatten(),
    ).double()
    model.train()
    rows = layer_rows(model, (3, 20, 21))
    assert model.training  # layer_rows ran it in eval mode, then restored train mode
    assert rows[0]["shape"] == rows[0]["forward_shape"] == (4, 10, 10)
    assert rows[0]["kind"] == "Conv2d 3x5"
    assert rows[1]["shape"] == rows[1]["forward_shape"] == (4, 6, 6)
    assert rows[1]["formula"] == "(10 + 2*0 - 2*(3 - 1) - 1)//1 + 1 = 6"
    # RF: conv 3x5 -> (3, 5), jump 2; pool spans 5 pixels of its input: + 4 * 2.
    assert rows[1]["receptive_field"] == (3 + 8, 5 + 8)
    assert rows[2]["shape"] == rows[2]["forward_shape"] == (4 * 6 * 6,)


def test_layer_rows_reports_a_layer_the_formulas_do_not_know():
    model = nn.Sequential(nn.Conv1d(1, 2, 3))  # not a 2-D layer: predicted shape kept
    rows = layer_rows(model, (1, 10))
    assert rows[0]["forward_shape"] == (2, 8) and not rows[0]["match"]


def test_layer_rows_errors():
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        layer_rows("lenet")
    with pytest.raises(ValueError, match="has no child layers"):
        layer_rows(nn.Linear(2, 2), (2,))
    with pytest.raises(TypeError, match="input_shape must be a tuple of ints"):
        layer_rows(lenet(), 28)
