"""Networks built from :mod:`dlbook_lib.numpy_layers`: a multilayer perceptron and its SGD loop.

:class:`MLP` is ``linear -> activation -> ... -> linear`` producing class scores, trained with
the softmax cross-entropy; :func:`train_mlp` trains it with plain mini-batch SGD and returns the
same history keys as the book's PyTorch loop (:func:`dlbook_lib.training.fit`), so the same
plots serve both. NumPy only: importing this module does not import torch.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dlbook_lib._checks import check_int, check_number, check_seed, class_labels, float_array
from dlbook_lib.errors import TrainingDiverged, check_on_nan
from dlbook_lib.numpy_layers import (
    linear_backward,
    linear_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_cross_entropy,
    tanh_backward,
    tanh_forward,
)

__all__ = ["ACTIVATIONS", "MLP", "train_mlp"]


# ---------------------------------------------------------------------------------------------
# A multilayer perceptron built from the layers
# ---------------------------------------------------------------------------------------------
ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "tanh": (tanh_forward, tanh_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
}
"""The hidden-layer activations :class:`MLP` knows: name -> (forward, backward)."""


class MLP:
    """A multilayer perceptron for classification, in NumPy.

    ``linear -> activation -> ... -> linear`` producing class scores, trained with the
    softmax cross-entropy loss. Parameters live in ``.params``: ``W1, b1, W2, b2, ...`` where
    ``Wi`` has shape ``(layer_sizes[i-1], layer_sizes[i])`` and ``bi`` shape
    ``(layer_sizes[i],)``, all float64.

    Initialisation (biases are zero, weights normal with mean 0):

    * ``"relu"``: He et al. (2015), std ``sqrt(2 / fan_in)``, which keeps the activations'
      scale steady through ReLU layers;
    * ``"tanh"``, ``"sigmoid"``: Glorot & Bengio (2010), std ``sqrt(2 / (fan_in + fan_out))``;
    * ``weight_scale=s`` overrides both with std ``s`` for every layer (to show what a bad
      scale does).

    Args:
        layer_sizes: ``[D, H1, ..., C]``: input features, hidden widths, number of classes.
            At least two entries, all positive ints.
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"``.
        seed: seed of the generator that draws the initial weights.
        weight_scale: optional positive std for all weights.

    Raises:
        TypeError: if ``layer_sizes`` is not a sequence of ints, or ``seed``/``weight_scale``
            has the wrong type.
        ValueError: for an unknown activation, fewer than two sizes, a size below 1, a
            negative seed or a non-positive ``weight_scale``.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "relu",
        *,
        seed: int = 0,
        weight_scale: float | None = None,
    ) -> None:
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(
            layer_sizes, (Sequence, np.ndarray)
        ):
            raise TypeError(
                f"layer_sizes must be a sequence of ints like [64, 128, 10], "
                f"got {type(layer_sizes).__name__}"
            )
        if len(layer_sizes) < 2:
            raise ValueError(
                f"layer_sizes needs at least an input and an output size, got {list(layer_sizes)}"
            )
        for size in layer_sizes:
            check_int(size, f"every layer size (in {list(layer_sizes)})", minimum=1)
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}"
            )
        seed = check_seed(seed)
        if weight_scale is not None:
            weight_scale = check_number(weight_scale, "weight_scale", positive=True)

        self.layer_sizes = [int(size) for size in layer_sizes]
        self.activation = activation
        self.n_layers = len(self.layer_sizes) - 1  # linear layers
        rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        for i in range(1, self.n_layers + 1):
            fan_in, fan_out = self.layer_sizes[i - 1], self.layer_sizes[i]
            if weight_scale is not None:
                std = float(weight_scale)
            elif activation == "relu":
                std = math.sqrt(2.0 / fan_in)
            else:
                std = math.sqrt(2.0 / (fan_in + fan_out))
            self.params[f"W{i}"] = rng.normal(0.0, std, size=(fan_in, fan_out))
            self.params[f"b{i}"] = np.zeros(fan_out)

    @property
    def n_parameters(self) -> int:
        """Total number of weights and biases."""
        return sum(p.size for p in self.params.values())

    def __repr__(self) -> str:
        return (
            f"MLP(layer_sizes={self.layer_sizes}, activation={self.activation!r}, "
            f"parameters={self.n_parameters:,})"
        )

    def _check_inputs(self, X: Any, name: str = "X") -> np.ndarray:
        X = float_array(X, name, ndim=2)
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"{name} has {X.shape[1]} features (shape {X.shape}) but this MLP's input layer "
                f"expects {self.layer_sizes[0]}"
            )
        return X

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, list[tuple[Any, Any]]]:
        """Forward pass, keeping the caches for :meth:`backward`.

        Args:
            X: inputs, shape ``(N, D)`` with ``D = layer_sizes[0]``.

        Returns:
            ``(scores, cache)``: scores of shape ``(N, C)``; ``cache`` is a list with one
            ``(linear_cache, activation_cache)`` per layer (``None`` for the last layer's
            activation).

        Raises:
            TypeError: if ``X`` is not a floating-point array.
            ValueError: if ``X`` is not 2-D with ``D`` columns.
        """
        act_forward, _ = ACTIVATIONS[self.activation]
        h = self._check_inputs(X)
        cache = []
        for i in range(1, self.n_layers + 1):
            h, linear_cache = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            act_cache = None
            if i < self.n_layers:  # the last layer's output is the scores: no activation
                h, act_cache = act_forward(h)
            cache.append((linear_cache, act_cache))
        return h, cache

    def backward(self, dscores: np.ndarray, cache: list[tuple[Any, Any]]) -> dict[str, np.ndarray]:
        """Backward pass: gradients of the loss for every parameter.

        Args:
            dscores: ``dL/dscores``, shape ``(N, C)``.
            cache: the cache returned by :meth:`forward` for the same batch.

        Returns:
            dict with the keys of ``.params`` and arrays of the same shapes.

        Raises:
            ValueError: if ``dscores`` does not have the shape of the forward scores.
        """
        _, act_backward = ACTIVATIONS[self.activation]
        grads: dict[str, np.ndarray] = {}
        dh = dscores
        for i in range(self.n_layers, 0, -1):
            linear_cache, act_cache = cache[i - 1]
            if i < self.n_layers:
                dh, _ = act_backward(dh, act_cache)
            dh, layer_grads = linear_backward(dh, linear_cache)
            grads[f"W{i}"], grads[f"b{i}"] = layer_grads["W"], layer_grads["b"]
        return grads

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Class scores (logits) for ``X`` of shape ``(N, D)``; returns shape ``(N, C)``.

        Raises:
            TypeError, ValueError: as :meth:`forward`.
        """
        return self.forward(X)[0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class labels for ``X`` of shape ``(N, D)``; returns int64 of shape ``(N,)``.

        Raises:
            TypeError, ValueError: as :meth:`forward`.
        """
        return np.argmax(self.scores(X), axis=1)

    def to_torch(self, dtype: Any = None) -> Any:
        """A ``torch.nn.Sequential`` with this network's architecture and current weights.

        ``Linear -> activation -> ... -> Linear``, each ``nn.Linear`` holding ``W.T`` (PyTorch
        stores ``(out, in)``) and ``b``: the same function, for comparing the NumPy network
        with PyTorch, step by step. The copy shares no memory with ``.params``.

        Args:
            dtype: the torch dtype of the copy; ``None`` for torch's default (float32).
                Use ``torch.float64`` to compare gradients to 1e-10.
        """
        import torch
        from torch import nn

        layer_types = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
        dtype = torch.get_default_dtype() if dtype is None else dtype
        layers: list[nn.Module] = []
        for i in range(1, self.n_layers + 1):
            linear = nn.Linear(self.layer_sizes[i - 1], self.layer_sizes[i], dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(self.params[f"W{i}"].T))
                linear.bias.copy_(torch.from_numpy(self.params[f"b{i}"]))
            layers.append(linear)
            if i < self.n_layers:
                layers.append(layer_types[self.activation]())
        return nn.Sequential(*layers)

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean softmax cross-entropy on a batch and its gradient for every parameter.

        Args:
            X: inputs, shape ``(N, D)``.
            y: integer labels, shape ``(N,)``, in ``[0, C)``.

        Returns:
            ``(loss, grads)``: the loss as a float; ``grads`` has the keys and shapes of
            ``.params``.

        Raises:
            TypeError, ValueError: as :meth:`forward` and :func:`softmax_cross_entropy`.
        """
        scores, cache = self.forward(X)
        loss, dscores = softmax_cross_entropy(scores, y)
        return loss, self.backward(dscores, cache)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
def _labels_for(y: Any, X: np.ndarray, n_classes: int, name: str) -> np.ndarray:
    y = class_labels(y, name, n_classes=n_classes)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{name} has {y.shape[0]} labels but there are {X.shape[0]} samples")
    return y


def train_mlp(
    model: MLP,
    X_train: np.ndarray,
    y_train: np.ndarray,
    *,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int = 0,
    on_nan: str = "raise",
) -> dict[str, list[float]]:
    """Train ``model`` in place with plain mini-batch SGD on the softmax cross-entropy.

    Each epoch visits the training set once in a fresh random order (drawn from ``seed``, so
    a run is repeatable) and updates every parameter by ``W -= learning_rate * dW`` after each
    batch; the last batch of an epoch may be smaller.

    ``train_loss`` and ``train_accuracy`` are averages over the epoch's batches, measured as
    it trains (like the PyTorch loop); ``val_loss`` and ``val_accuracy`` are measured on the
    model at the end of the epoch.

    Args:
        model: the :class:`MLP` to train.
        X_train: inputs, shape ``(N, D)``; ``y_train``: integer labels, shape ``(N,)``.
        X_val, y_val: optional validation set, shapes ``(M, D)`` and ``(M,)``; give both or
            neither.
        epochs: passes over the training set, >= 1.
        batch_size: samples per update, >= 1.
        learning_rate: SGD step size, > 0.
        seed: seed of the shuffling.
        on_nan: what to do when the loss or the weights become NaN or infinite:
            ``"raise"`` raises :class:`~dlbook_lib.errors.TrainingDiverged`; ``"stop"``
            prints its message and returns the history of the epochs finished so far (as
            :func:`dlbook_lib.training.fit` does).

    Returns:
        history dict of lists, one entry per epoch: ``"epoch"`` (1, 2, ...),
        ``"train_loss"``, ``"train_accuracy"``, and, with validation data, ``"val_loss"``,
        ``"val_accuracy"``. Accuracies are fractions in ``[0, 1]``.

    Raises:
        TypeError: if ``model`` is not an :class:`MLP` or an argument has the wrong type.
        ValueError: for inconsistent shapes, bad labels, only one of ``X_val``/``y_val``, or
            non-positive ``epochs``/``batch_size``/``learning_rate``, or an ``on_nan`` other
            than ``"raise"``/``"stop"``.
        TrainingDiverged: with ``on_nan="raise"``, if the loss or the parameters become NaN
            or infinite (the message says in which epoch and batch and suggests a lower
            learning rate).
    """
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an MLP, got {type(model).__name__}")
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    learning_rate = check_number(learning_rate, "learning_rate", positive=True)
    seed = check_seed(seed)
    check_on_nan(on_nan)
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val for validation, or neither")

    n_classes = model.layer_sizes[-1]
    X_train = model._check_inputs(X_train, "X_train")
    y_train = _labels_for(y_train, X_train, n_classes, "y_train")
    n_train = X_train.shape[0]
    if n_train == 0:
        raise ValueError("X_train is empty")
    has_val = X_val is not None
    if has_val:
        X_val = model._check_inputs(X_val, "X_val")
        y_val = _labels_for(y_val, X_val, n_classes, "y_val")
        if X_val.shape[0] == 0:
            raise ValueError("X_val is empty")

    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {"epoch": [], "train_loss": [], "train_accuracy": []}
    if has_val:
        history["val_loss"] = []
        history["val_accuracy"] = []

    n_batches = math.ceil(n_train / batch_size)
    try:
        for epoch in range(1, epochs + 1):
            row = _train_mlp_epoch(
                model, X_train, y_train, rng.permutation(n_train),
                batch_size=batch_size, learning_rate=learning_rate, epoch=epoch,
            )
            if has_val:
                val_scores = model.scores(X_val)
                val_loss, _ = softmax_cross_entropy(val_scores, y_val)
                if not math.isfinite(val_loss):
                    raise TrainingDiverged(epoch, None, n_batches, val_loss,
                                           what="the validation loss", learning_rate=learning_rate)
                row["val_loss"] = val_loss
                row["val_accuracy"] = float(np.mean(np.argmax(val_scores, axis=1) == y_val))
            for key, value in row.items():
                history[key].append(value)
    except TrainingDiverged as error:
        if on_nan == "raise":
            raise
        print(error)
    return history


def _train_mlp_epoch(
    model: MLP,
    X_train: np.ndarray,
    y_train: np.ndarray,
    order: np.ndarray,
    *,
    batch_size: int,
    learning_rate: float,
    epoch: int,
) -> dict[str, float]:
    """One SGD pass over the training set in the given order: epoch, mean loss, accuracy.

    Raises:
        TrainingDiverged: at the first batch whose loss is NaN or infinite (before its
            update), or when the parameters are no longer finite at the end of the epoch.
    """
    n_train = len(order)
    n_batches = math.ceil(n_train / batch_size)
    loss_sum, correct = 0.0, 0
    for batch_index in range(n_batches):
        batch = order[batch_index * batch_size : (batch_index + 1) * batch_size]
        X_batch, y_batch = X_train[batch], y_train[batch]
        # A diverging run overflows; we report that ourselves, in words, just below.
        with np.errstate(over="ignore", invalid="ignore"):
            scores, cache = model.forward(X_batch)
            loss, dscores = softmax_cross_entropy(scores, y_batch)
        if not math.isfinite(loss):
            raise TrainingDiverged(epoch, batch_index + 1, n_batches, loss,
                                   what="the training loss", learning_rate=learning_rate)
        with np.errstate(over="ignore", invalid="ignore"):
            grads = model.backward(dscores, cache)
            for name, grad in grads.items():
                model.params[name] -= learning_rate * grad
        loss_sum += loss * len(batch)
        correct += int(np.sum(np.argmax(scores, axis=1) == y_batch))
    bad = [name for name, p in model.params.items() if not np.all(np.isfinite(p))]
    if bad:
        raise TrainingDiverged(epoch, None, n_batches, float("nan"),
                               what=f"the parameters ({', '.join(bad)})",
                               learning_rate=learning_rate)
    return {"epoch": epoch, "train_loss": loss_sum / n_train,
            "train_accuracy": correct / n_train}
