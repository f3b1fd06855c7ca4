"""Small PyTorch helpers the lessons share: build an MLP, count parameters, predict shapes.

* :func:`mlp` builds ``Linear -> activation -> ... -> Linear`` from a list of layer sizes.
* :func:`count_parameters` counts a model's (trainable) parameters.
* :func:`conv_output_size` is the output-size formula of a convolution or pooling layer,

  .. math:: n_\\text{out} = \\left\\lfloor \\frac{n + 2p - d(k - 1) - 1}{s} \\right\\rfloor + 1,

  for input size ``n``, kernel ``k``, stride ``s``, padding ``p`` and dilation ``d``
  (the same formula as ``torch.nn.Conv2d``'s documentation).
* :func:`layer_rows` / :func:`layer_table` follow an input through the top-level layers of a
  model: per layer the shape the formula predicts, the shape a forward pass really produces,
  the receptive field and the parameter count.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

import torch
from torch import nn

from dlbook_lib._checks import check_choice, check_int

__all__ = ["ACTIVATIONS", "conv_output_size", "count_parameters", "layer_rows", "layer_table",
           "mlp"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),  # the slope GAN critics use (DCGAN, WGAN-GP)
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "elu": nn.ELU,
}
"""The activations :func:`mlp` knows by name; each value makes a fresh module."""

Activation = Union[str, Callable[[], nn.Module], None]


def _activation_factory(activation: Activation, name: str) -> Callable[[], nn.Module] | None:
    """``None``, or a function that makes a fresh activation module."""
    if activation is None:
        return None
    if isinstance(activation, str):
        return ACTIVATIONS[check_choice(activation, name, tuple(ACTIVATIONS))]
    if isinstance(activation, nn.Module):
        raise TypeError(
            f"{name} must be a name, a module class or a function that makes a module, not a "
            f"module instance ({type(activation).__name__}), which every layer would share: "
            f"pass {type(activation).__name__} or lambda: {type(activation).__name__}(...)"
        )
    if not callable(activation):
        raise TypeError(
            f"{name} must be one of {sorted(ACTIVATIONS)}, a module class or a function that "
            f"makes a module; got {type(activation).__name__}"
        )
    return activation


def mlp(
    sizes: Sequence[int],
    *,
    activation: Activation = "relu",
    output_activation: Activation = None,
) -> nn.Sequential:
    """A multilayer perceptron: ``Linear`` layers of the given sizes, an activation between.

    ``mlp([2, 128, 128, 1])`` is ``Linear(2, 128), ReLU, Linear(128, 128), ReLU,
    Linear(128, 1)``: input ``(N, sizes[0])`` -> output ``(N, sizes[-1])``. The modules are
    made in that order, so the initial weights depend only on the seed and ``sizes``, and the
    ``Sequential`` is unnamed (``state_dict`` keys ``"0.weight"``, ``"0.bias"``, ``"2.weight"``...).

    Args:
        sizes: input size, the hidden layers' widths, output size; at least two ints >= 1.
        activation: after every hidden ``Linear``: a name from :data:`ACTIVATIONS`
            (``"relu"``, ``"tanh"``...), a module class (``nn.SiLU``) or a function that makes
            a module (``lambda: nn.LeakyReLU(0.1)``).
        output_activation: the same after the last ``Linear``; ``None`` (default) leaves the
            output linear (scores, logits, a critic's value).

    Raises:
        TypeError: if ``sizes`` is not a sequence of ints, or an activation is neither a
            known name nor something that makes a module (a module instance is refused:
            every layer would share it).
        ValueError: for fewer than two sizes, a size < 1 or an unknown activation name.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a list of ints, got {type(sizes).__name__}")
    if len(sizes) < 2:
        raise ValueError(f"sizes needs an input and an output size, got {list(sizes)}")
    sizes = [check_int(size, f"sizes[{i}]", minimum=1) for i, size in enumerate(sizes)]
    hidden = _activation_factory(activation, "activation")
    last = _activation_factory(output_activation, "output_activation")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        make = hidden if i < len(sizes) - 2 else last
        if make is not None:
            layers.append(make())
    return nn.Sequential(*layers)


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """The number of scalar parameters of ``model`` (a parameter shared by layers counts once).

    Args:
        model: any ``nn.Module``.
        trainable_only: count only parameters with ``requires_grad`` (not the frozen ones).

    Raises:
        TypeError: if ``model`` is not an ``nn.Module``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length along one axis of a convolution or pooling layer (``ceil_mode=False``).

    ``floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``: for an input
    ``(N, C, H, W)``, ``H_out = conv_output_size(H, ...)`` and likewise for ``W``.

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if ``size``, ``kernel``, ``stride`` or ``dilation`` is < 1, ``padding``
            is < 0, or the (dilated) kernel does not fit in the padded input, so the output
            would be empty.
    """
    size = check_int(size, "size", minimum=1)
    kernel = check_int(kernel, "kernel", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    dilation = check_int(dilation, "dilation", minimum=1)
    span = dilation * (kernel - 1) + 1  # the input pixels one output pixel sees
    if size + 2 * padding < span:
        dilated = f" (dilation {dilation}: spans {span} pixels)" if dilation > 1 else ""
        raise ValueError(
            f"a kernel of size {kernel}{dilated} does not fit in {size} + 2*{padding} = "
            f"{size + 2 * padding} input pixels: the output would be empty"
        )
    return (size + 2 * padding - span) // stride + 1


# --------------------------------------------------------------------------- layer table


def _pair(value: Any) -> tuple[int, int]:
    """``(height, width)`` from an int or a pair (``kernel_size``, ``stride``, ``padding``)."""
    if isinstance(value, str):
        raise ValueError(f"layer_table needs numeric padding, got padding={value!r}")
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _predict(layer: nn.Module, shape: tuple, rf: list, jump: list) -> tuple[tuple, str, str]:
    """The shape after ``layer`` by the formula, the formula as text, the layer's kind.

    Updates the receptive field ``rf`` and the input-pixel step ``jump`` (per axis) in place.
    """
    kind, formula = type(layer).__name__, ""
    if isinstance(layer, nn.ZeroPad2d):
        left, right, top, bottom = layer.padding
        c, h, w = shape
        shape = (c, h + top + bottom, w + left + right)
        added = f"2*{top}" if top == bottom else f"{top} + {bottom}"
        formula = f"{h} + {added} = {shape[1]}"
    elif isinstance(layer, (nn.Conv2d, nn.AvgPool2d, nn.MaxPool2d)):
        k, s, p = _pair(layer.kernel_size), _pair(layer.stride), _pair(layer.padding)
        d = _pair(getattr(layer, "dilation", 1))
        c, h, w = shape
        h_out = conv_output_size(h, k[0], stride=s[0], padding=p[0], dilation=d[0])
        w_out = conv_output_size(w, k[1], stride=s[1], padding=p[1], dilation=d[1])
        shape = (layer.out_channels if isinstance(layer, nn.Conv2d) else c, h_out, w_out)
        dilated = f" - {d[0]}*({k[0]} - 1) - 1" if d[0] > 1 else f" - {k[0]}"
        formula = f"({h} + 2*{p[0]}{dilated})//{s[0]} + 1 = {h_out}"
        kind = f"{kind} {k[0]}x{k[1]}"
        for axis in (0, 1):  # each layer widens the field by (span - 1) steps of the input
            rf[axis] += d[axis] * (k[axis] - 1) * jump[axis]
            jump[axis] *= s[axis]
    elif isinstance(layer, nn.Flatten):
        n = 1
        for dim in shape:
            n *= dim
        shape = (n,)
    elif isinstance(layer, nn.Linear):
        shape = (layer.out_features,)
        formula = f"{layer.in_features} -> {layer.out_features}"
    return shape, formula, kind


def layer_rows(model: nn.Module, input_shape: Sequence[int] = (1, 28, 28)) -> list[dict[str, Any]]:
    """Per top-level layer of ``model``: predicted and real output shape, receptive field, size.

    The real shapes come from forward hooks on a batch of two zero inputs
    ``(2, *input_shape)`` run in ``eval()`` mode without gradients (the model's mode is
    restored). The predicted shapes follow the formulas for ``ZeroPad2d``, ``Conv2d``,
    ``AvgPool2d``, ``MaxPool2d``, ``Flatten`` and ``Linear``; any other layer is taken to keep
    its input's shape (true for activations, batch norm, dropout).

    Args:
        model: a module whose ``named_children()`` run one after another (an
            ``nn.Sequential``, as a rule with named layers).
        input_shape: one example's shape without the batch axis, e.g. ``(C, H, W)``.

    Returns:
        One dict per layer: ``"name"``, ``"kind"`` (class name, with ``kxk`` for kernels),
        ``"formula"`` (the output-size formula as text, or ``""``), ``"shape"`` (predicted,
        without the batch axis), ``"forward_shape"`` (real), ``"match"`` (bool),
        ``"receptive_field"`` (``(h, w)`` input pixels one output pixel sees, ``None`` once
        the map is flattened) and ``"params"`` (int).

    Raises:
        TypeError: if ``model`` is not an ``nn.Module`` or ``input_shape`` not a sequence of
            ints.
        ValueError: if ``model`` has no child layers, or a kernel does not fit its input.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(f"input_shape must be a tuple of ints, got {type(input_shape).__name__}")
    shape = tuple(check_int(n, "input_shape", minimum=1) for n in input_shape)
    children = list(model.named_children())
    if not children:
        raise ValueError(f"model {type(model).__name__} has no child layers to tabulate")

    real: dict[str, tuple] = {}
    hooks = [
        layer.register_forward_hook(
            lambda module, inputs, output, name=name: real.__setitem__(
                name, tuple(output.shape[1:])
            )
        )
        for name, layer in children
    ]
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    dtype = first.dtype if first is not None and first.is_floating_point() else None
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(2, *shape, device=device, dtype=dtype))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()

    rows, rf, jump = [], [1, 1], [1, 1]
    for name, layer in children:
        shape, formula, kind = _predict(layer, shape, rf, jump)
        rows.append({
            "name": name,
            "kind": kind,
            "formula": formula,
            "shape": shape,
            "forward_shape": real.get(name),
            "match": shape == real.get(name),
            "receptive_field": tuple(rf) if len(shape) == 3 else None,
            "params": count_parameters(layer),
        })
    return rows


def layer_table(model: nn.Module, input_shape: Sequence[int] = (1, 28, 28)) -> None:
    """Print :func:`layer_rows` as a table, the total parameter count and whether all match.

    Columns: layer, type, output-size formula, formula shape, forward shape, receptive field
    (``RF``, ``all`` after flattening) and parameters. Shapes are without the batch axis.

    Raises:
        TypeError / ValueError: as :func:`layer_rows`.
    """
    rows = layer_rows(model, input_shape)
    for row in rows:
        field = row["receptive_field"]
        row["rf"] = "all" if field is None else f"{field[0]}x{field[1]}"
    # The minimum widths fit LeNet's layers; longer names widen their column.
    width = {
        key: max([minimum] + [len(str(row[key])) + 1 for row in rows])
        for key, minimum in [("name", 11), ("kind", 14), ("formula", 28), ("shape", 15),
                             ("forward_shape", 15)]
    }
    print(f"{'layer':{width['name']}s}{'type':{width['kind']}s}"
          f"{'output-size formula':{width['formula']}s}{'formula shape':{width['shape']}s}"
          f"{'forward shape':{width['forward_shape']}s}{'RF':>6s}{'params':>9s}")
    for row in rows:
        print(f"{row['name']:{width['name']}s}{row['kind']:{width['kind']}s}"
              f"{row['formula']:{width['formula']}s}{str(row['shape']):{width['shape']}s}"
              f"{str(row['forward_shape']):{width['forward_shape']}s}"
              f"{row['rf']:>6s}{row['params']:9,d}")
    print(f"total parameters: {count_parameters(model):,d}")
    print(f"formula and forward pass agree at every layer: {all(r['match'] for r in rows)}")
