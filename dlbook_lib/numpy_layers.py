"""A neural network in plain NumPy: layers with hand-written forward and backward passes.

Every layer follows one contract, so that layers added later (convolution, pooling, batch
norm, dropout, recurrent cells) look like the first linear layer:

* ``<name>_forward(x, <params>) -> (out, cache)``: compute the output and keep in ``cache``
  what the backward pass will need;
* ``<name>_backward(dout, cache) -> grads``: given ``dout = dL/d out``, return ``dx = dL/dx``
  for a parameter-free layer, or a tuple ``(dx, dW, db)`` for a layer with parameters.

Losses return the loss and its gradient together: ``loss, dscores = softmax_cross_entropy(...)``.

On top of the layers, :class:`MLP` is a multilayer perceptron and :func:`train_mlp` trains it
with plain mini-batch SGD, returning the same history keys as the book's PyTorch loop.
Check any backward pass with :mod:`dlbook_lib.gradient_check`.

Inputs must be floating-point arrays (float64 for gradient checks); a shape mismatch raises a
``ValueError`` naming the shapes, a wrong dtype a ``TypeError``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dlbook_lib.errors import TrainingDiverged, check_on_nan

__all__ = [
    "linear_forward",
    "linear_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "relu_forward",
    "relu_backward",
    "softmax",
    "softmax_cross_entropy",
    "mse_loss",
    "MLP",
    "ACTIVATIONS",
    "train_mlp",
]


# ---------------------------------------------------------------------------------------------
# Input checks shared by the layers
# ---------------------------------------------------------------------------------------------
def _float_array(value: Any, name: str, ndim: int | None = None) -> np.ndarray:
    """``value`` as an ndarray, after checking that it is floating-point (and its ndim)."""
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"{name} must be a floating-point array, got dtype {array.dtype}; "
            f"convert it first, e.g. {name}.astype(np.float64)"
        )
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    return array


def _check_same_shape(dout: np.ndarray, expected: tuple[int, ...], layer: str) -> None:
    if dout.shape != expected:
        raise ValueError(
            f"{layer}: dout has shape {dout.shape} but the forward output had shape {expected}"
        )


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return int(seed)


def _check_labels(y: Any, num_samples: int, num_classes: int) -> np.ndarray:
    """Integer class labels of shape ``(N,)`` in ``[0, C)``, or a ``ValueError`` saying why not."""
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"y must hold integer class labels, got dtype {y.dtype}; "
            "convert with y.astype(np.int64) if the values are whole numbers"
        )
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D with shape (N,), got shape {y.shape}")
    if y.shape[0] != num_samples:
        raise ValueError(f"y has {y.shape[0]} labels but there are {num_samples} samples")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"labels must lie in [0, {num_classes}) for {num_classes} classes, "
            f"got values from {y.min()} to {y.max()}"
        )
    return y


# ---------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------
def linear_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Affine layer ``out = x @ W + b``.

    Args:
        x: inputs, shape ``(N, D)``.
        W: weights, shape ``(D, M)``.
        b: biases, shape ``(M,)``.

    Returns:
        ``(out, cache)`` with ``out`` of shape ``(N, M)`` and ``cache = (x, W)``.

    Raises:
        TypeError: if an argument is not a floating-point array.
        ValueError: if the shapes do not fit together.
    """
    x = _float_array(x, "x", ndim=2)
    W = _float_array(W, "W", ndim=2)
    b = _float_array(b, "b", ndim=1)
    if x.shape[1] != W.shape[0]:
        raise ValueError(
            f"x has {x.shape[1]} features (shape {x.shape}) but W expects {W.shape[0]} "
            f"(shape {W.shape})"
        )
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b has shape {b.shape} but W has {W.shape[1]} outputs (shape {W.shape})")
    out = x @ W + b
    return out, (x, W)


def linear_backward(
    dout: np.ndarray, cache: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`linear_forward`.

    With ``out = x @ W + b``: ``dx = dout @ W.T``, ``dW = x.T @ dout``, ``db = dout.sum(0)``.

    Args:
        dout: upstream gradient, shape ``(N, M)``.
        cache: the ``(x, W)`` returned by :func:`linear_forward`.

    Returns:
        ``(dx, dW, db)`` with shapes ``(N, D)``, ``(D, M)``, ``(M,)``.

    Raises:
        TypeError: if ``dout`` is not a floating-point array.
        ValueError: if ``dout`` does not have the forward output's shape.
    """
    x, W = cache
    dout = _float_array(dout, "dout")
    _check_same_shape(dout, (x.shape[0], W.shape[1]), "linear_backward")
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-x)) overflows in exp for very negative x; there exp(x) / (1 + exp(x)) is
    # the same number computed safely. Each branch only sees the inputs it is safe for.
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1.0 + exp_x)
    return out


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logistic sigmoid ``out = 1 / (1 + exp(-x))``, element-wise and overflow-free.

    Args:
        x: floating-point array of any shape ``(*S)``.

    Returns:
        ``(out, cache)``: ``out`` of shape ``(*S)`` in ``[0, 1]``; ``cache`` is ``out``.

    Raises:
        TypeError: if ``x`` is not a floating-point array.
    """
    x = _float_array(x, "x")
    out = _sigmoid(x)
    return out, out


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Backward pass of :func:`sigmoid_forward`: ``dx = dout * s * (1 - s)``, ``s = out``.

    Args:
        dout: upstream gradient, shape ``(*S)``.
        cache: the sigmoid output from the forward pass, shape ``(*S)``.

    Returns:
        ``dx`` of shape ``(*S)``.

    Raises:
        TypeError: if ``dout`` is not a floating-point array.
        ValueError: if ``dout`` and the cached output differ in shape.
    """
    s = cache
    dout = _float_array(dout, "dout")
    _check_same_shape(dout, s.shape, "sigmoid_backward")
    return dout * s * (1.0 - s)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hyperbolic tangent, element-wise.

    Args:
        x: floating-point array of any shape ``(*S)``.

    Returns:
        ``(out, cache)``: ``out`` of shape ``(*S)`` in ``[-1, 1]``; ``cache`` is ``out``.

    Raises:
        TypeError: if ``x`` is not a floating-point array.
    """
    x = _float_array(x, "x")
    out = np.tanh(x)
    return out, out


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Backward pass of :func:`tanh_forward`: ``dx = dout * (1 - out**2)``.

    Args:
        dout: upstream gradient, shape ``(*S)``.
        cache: the tanh output from the forward pass, shape ``(*S)``.

    Returns:
        ``dx`` of shape ``(*S)``.

    Raises:
        TypeError: if ``dout`` is not a floating-point array.
        ValueError: if ``dout`` and the cached output differ in shape.
    """
    t = cache
    dout = _float_array(dout, "dout")
    _check_same_shape(dout, t.shape, "tanh_backward")
    return dout * (1.0 - t**2)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rectified linear unit ``out = max(x, 0)``, element-wise.

    Args:
        x: floating-point array of any shape ``(*S)``.

    Returns:
        ``(out, cache)``: ``out`` of shape ``(*S)``; ``cache`` is the input ``x``.

    Raises:
        TypeError: if ``x`` is not a floating-point array.
    """
    x = _float_array(x, "x")
    out = np.maximum(x, 0.0)
    return out, x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Backward pass of :func:`relu_forward`: ``dx = dout * (x > 0)``.

    At ``x == 0`` the ReLU has no derivative; like PyTorch, we use 0 there.

    Args:
        dout: upstream gradient, shape ``(*S)``.
        cache: the input ``x`` of the forward pass, shape ``(*S)``.

    Returns:
        ``dx`` of shape ``(*S)``.

    Raises:
        TypeError: if ``dout`` is not a floating-point array.
        ValueError: if ``dout`` and the cached input differ in shape.
    """
    x = cache
    dout = _float_array(dout, "dout")
    _check_same_shape(dout, x.shape, "relu_backward")
    return dout * (x > 0)


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------
def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis: ``probs[..., k] = exp(s_k) / sum_j exp(s_j)``.

    Computed after subtracting each row's maximum, which leaves the result unchanged but keeps
    ``exp`` from overflowing.

    Args:
        scores: floating-point array of shape ``(N, C)`` (or any ``(..., C)``).

    Returns:
        ``probs`` of the same shape, non-negative, each row summing to 1.

    Raises:
        TypeError: if ``scores`` is not a floating-point array.
        ValueError: if ``scores`` is 0-D or has no classes (``C == 0``).
    """
    scores = _float_array(scores, "scores")
    if scores.ndim == 0 or scores.shape[-1] == 0:
        raise ValueError(f"scores must have shape (N, C) with C >= 1, got {scores.shape}")
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp_scores = np.exp(shifted)
    return exp_scores / exp_scores.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of the softmax of ``scores`` against integer labels, with gradient.

    ``loss = -mean_i log softmax(scores_i)[y_i]`` and ``dscores = (softmax(scores) -
    onehot(y)) / N``. The log-softmax is computed with the max-shift (log-sum-exp), so large
    scores neither overflow nor give ``log(0)``.

    Args:
        scores: unnormalised class scores (logits), shape ``(N, C)``.
        y: integer labels, shape ``(N,)``, each in ``[0, C)``.

    Returns:
        ``(loss, dscores)``: the loss as a Python float, and ``dL/dscores`` of shape ``(N, C)``.

    Raises:
        TypeError: if ``scores`` is not a floating-point array.
        ValueError: if ``scores`` is not 2-D or is empty, or ``y`` has a non-integer dtype, the
            wrong shape, or labels outside ``[0, C)``.
    """
    scores = _float_array(scores, "scores", ndim=2)
    num_samples, num_classes = scores.shape
    if num_samples == 0 or num_classes == 0:
        raise ValueError(f"scores must have N >= 1 and C >= 1, got shape {scores.shape}")
    y = _check_labels(y, num_samples, num_classes)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(num_samples)
    loss = -log_probs[rows, y].mean()
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dscores /= num_samples
    return float(loss), dscores


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over all elements, with gradient.

    ``loss = mean((pred - target)**2)`` and ``dpred = 2 * (pred - target) / pred.size``.
    The shapes must match exactly: no broadcasting, since ``(N,)`` against ``(N, 1)`` would
    silently compare every prediction with every target.

    Args:
        pred: predictions, floating-point, any shape ``(*S)``.
        target: targets, floating-point, shape ``(*S)``.

    Returns:
        ``(loss, dpred)``: the loss as a Python float, and ``dL/dpred`` of shape ``(*S)``.

    Raises:
        TypeError: if either is not a floating-point array.
        ValueError: if the shapes differ or the arrays are empty.
    """
    pred = _float_array(pred, "pred")
    target = _float_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(
            f"pred has shape {pred.shape} but target has shape {target.shape}; "
            "they must match exactly (reshape one of them)"
        )
    if pred.size == 0:
        raise ValueError("pred and target are empty")
    diff = pred - target
    loss = np.mean(diff**2)
    dpred = 2.0 * diff / diff.size
    return float(loss), dpred


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
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
                raise TypeError(f"layer sizes must be ints, got {size!r} in {list(layer_sizes)}")
            if size < 1:
                raise ValueError(f"layer sizes must be >= 1, got {list(layer_sizes)}")
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}"
            )
        seed = _check_seed(seed)
        if weight_scale is not None:
            if isinstance(weight_scale, bool) or not isinstance(
                weight_scale, (int, float, np.integer, np.floating)
            ):
                raise TypeError(f"weight_scale must be a number, got {type(weight_scale).__name__}")
            if not (weight_scale > 0 and math.isfinite(weight_scale)):
                raise ValueError(f"weight_scale must be positive and finite, got {weight_scale}")

        self.layer_sizes = [int(size) for size in layer_sizes]
        self.activation = activation
        self.num_layers = len(self.layer_sizes) - 1  # linear layers
        rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        for i in range(1, self.num_layers + 1):
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
    def num_parameters(self) -> int:
        """Total number of weights and biases."""
        return sum(p.size for p in self.params.values())

    def __repr__(self) -> str:
        return (
            f"MLP(layer_sizes={self.layer_sizes}, activation={self.activation!r}, "
            f"parameters={self.num_parameters:,})"
        )

    def _check_inputs(self, X: Any, name: str = "X") -> np.ndarray:
        X = _float_array(X, name, ndim=2)
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
        for i in range(1, self.num_layers + 1):
            h, linear_cache = linear_forward(h, self.params[f"W{i}"], self.params[f"b{i}"])
            act_cache = None
            if i < self.num_layers:  # the last layer's output is the scores: no activation
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
        for i in range(self.num_layers, 0, -1):
            linear_cache, act_cache = cache[i - 1]
            if i < self.num_layers:
                dh = act_backward(dh, act_cache)
            dh, grads[f"W{i}"], grads[f"b{i}"] = linear_backward(dh, linear_cache)
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
def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


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
    epochs = _check_positive_int(epochs, "epochs")
    batch_size = _check_positive_int(batch_size, "batch_size")
    if isinstance(learning_rate, bool) or not isinstance(
        learning_rate, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"learning_rate must be a number, got {type(learning_rate).__name__}")
    learning_rate = float(learning_rate)
    if not (learning_rate > 0 and math.isfinite(learning_rate)):
        raise ValueError(f"learning_rate must be positive and finite, got {learning_rate}")
    seed = _check_seed(seed)
    check_on_nan(on_nan)
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val for validation, or neither")

    num_classes = model.layer_sizes[-1]
    X_train = model._check_inputs(X_train, "X_train")
    y_train = _check_labels(y_train, X_train.shape[0], num_classes)
    num_train = X_train.shape[0]
    if num_train == 0:
        raise ValueError("X_train is empty")
    has_val = X_val is not None
    if has_val:
        X_val = model._check_inputs(X_val, "X_val")
        y_val = _check_labels(y_val, X_val.shape[0], num_classes)
        if X_val.shape[0] == 0:
            raise ValueError("X_val is empty")

    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {"epoch": [], "train_loss": [], "train_accuracy": []}
    if has_val:
        history["val_loss"] = []
        history["val_accuracy"] = []

    num_batches = math.ceil(num_train / batch_size)
    try:
        for epoch in range(1, epochs + 1):
            row = _train_mlp_epoch(
                model, X_train, y_train, rng.permutation(num_train),
                batch_size=batch_size, learning_rate=learning_rate, epoch=epoch,
            )
            if has_val:
                val_scores = model.scores(X_val)
                val_loss, _ = softmax_cross_entropy(val_scores, y_val)
                if not math.isfinite(val_loss):
                    raise TrainingDiverged(epoch, None, num_batches, val_loss,
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
    num_train = len(order)
    num_batches = math.ceil(num_train / batch_size)
    loss_sum, correct = 0.0, 0
    for batch_index in range(num_batches):
        batch = order[batch_index * batch_size : (batch_index + 1) * batch_size]
        X_batch, y_batch = X_train[batch], y_train[batch]
        # A diverging run overflows; we report that ourselves, in words, just below.
        with np.errstate(over="ignore", invalid="ignore"):
            scores, cache = model.forward(X_batch)
            loss, dscores = softmax_cross_entropy(scores, y_batch)
        if not math.isfinite(loss):
            raise TrainingDiverged(epoch, batch_index + 1, num_batches, loss,
                                   what="the training loss", learning_rate=learning_rate)
        with np.errstate(over="ignore", invalid="ignore"):
            grads = model.backward(dscores, cache)
            for name, grad in grads.items():
                model.params[name] -= learning_rate * grad
        loss_sum += loss * len(batch)
        correct += int(np.sum(np.argmax(scores, axis=1) == y_batch))
    bad = [name for name, p in model.params.items() if not np.all(np.isfinite(p))]
    if bad:
        raise TrainingDiverged(epoch, None, num_batches, float("nan"),
                               what=f"the parameters ({', '.join(bad)})",
                               learning_rate=learning_rate)
    return {"epoch": epoch, "train_loss": loss_sum / num_train,
            "train_accuracy": correct / num_train}
