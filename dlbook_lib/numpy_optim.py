r"""NumPy optimizers: the update rules of ``torch.optim``, one small class per rule.

Every optimizer here has the same interface::

    opt = Adam(lr=1e-3)
    for step in range(n_steps):
        loss, grads = loss_and_grads(params)   # grads keyed like params
        opt.step(params, grads)                # updates the arrays of params in place

* ``params`` is a ``dict[str, ndarray]`` of floating-point arrays (the weights of a model, e.g.
  ``{"W1": ..., "b1": ...}``) and ``grads`` a dict with the same keys and shapes, such as the
  ``grads`` dicts of the layer contract of :mod:`dlbook_lib.numpy_layers`;
* :meth:`NumpyOptimizer.step` updates each array **in place** and keeps the optimizer's state
  (momentum buffer, running averages, step count) **per key**, in ``opt.state[key]``, as
  ``torch.optim`` keeps it per parameter;
* the equations, written in each class's docstring, are those ``torch.optim`` implements with
  its default options (no dampening, no ``amsgrad``, no ``lr_decay``), so a NumPy run and a
  PyTorch run from the same start follow the same trajectory (the tests check 100 steps in
  float64 to a relative error below ``1e-6``).

Notation: $\theta$ a parameter array, $g$ its gradient, $\eta$ the learning rate ``lr``,
$\lambda$ the ``weight_decay``, $t = 1, 2, \dots$ the step count of that key; products,
squares, roots and quotients of arrays are elementwise.

A bad hyper-parameter raises when the optimizer is made; a ``grads`` dict whose keys or shapes
do not match ``params`` raises a ``ValueError`` naming them, at the first ``step``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from dlbook_lib._checks import check_number, float_array

__all__ = ["NumpyOptimizer", "SGD", "AdaGrad", "RMSProp", "Adam"]


def _check_unit_interval(value: Any, name: str) -> float:
    """A number in ``[0, 1)`` (a momentum or a decay rate of a running average)."""
    value = check_number(value, name, minimum=0.0)
    if value >= 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


class NumpyOptimizer:
    """The part every optimizer shares: argument checks, per-key state, the loop over keys.

    Subclasses implement :meth:`update` for one array; :meth:`step` calls it for each key.
    """

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = check_number(lr, "lr", positive=True)
        self.weight_decay = check_number(weight_decay, "weight_decay", minimum=0.0)
        #: key -> that parameter's state (a dict of arrays and the step count ``"step"``)
        self.state: dict[str, dict[str, Any]] = {}

    def _check_step_arguments(self, params: Any, grads: Any) -> None:
        """Raise unless params and grads are dicts of float arrays with equal keys/shapes."""
        if not isinstance(params, dict) or not isinstance(grads, dict):
            raise TypeError(
                "params and grads must be dicts of arrays, got "
                f"{type(params).__name__} and {type(grads).__name__}"
            )
        if set(params) != set(grads):
            missing = sorted(set(params) - set(grads))
            extra = sorted(set(grads) - set(params))
            raise ValueError(
                f"grads must have the keys of params; missing {missing}, unexpected {extra}"
            )
        for key, p in params.items():
            if not isinstance(p, np.ndarray):
                raise TypeError(
                    f"params[{key!r}] must be a NumPy array (updated in place), "
                    f"got {type(p).__name__}"
                )
            float_array(p, f"params[{key!r}]")
            g = float_array(grads[key], f"grads[{key!r}]")
            if g.shape != p.shape:
                raise ValueError(
                    f"grads[{key!r}] has shape {g.shape} but params[{key!r}] has "
                    f"shape {p.shape}"
                )

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from ``grads`` (same keys and shapes)."""
        self._check_step_arguments(params, grads)
        for key, p in params.items():
            state = self.state.setdefault(key, {"step": 0})
            state["step"] += 1
            self.update(p, np.asarray(grads[key], dtype=p.dtype), state)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        """Update one parameter array ``p`` in place (``state['step']`` is already ``t``)."""
        raise NotImplementedError


class SGD(NumpyOptimizer):
    r"""Stochastic gradient descent, with heavy-ball or Nesterov momentum (``torch.optim.SGD``).

    $$g \leftarrow g + \lambda\theta, \qquad b \leftarrow \mu b + g \quad (b = g \text{ at } t=1),$$
    $$\theta \leftarrow \theta - \eta\, b \quad\text{(momentum)}, \qquad
      \theta \leftarrow \theta - \eta\,(g + \mu b) \quad\text{(Nesterov)},$$
    and $\theta \leftarrow \theta - \eta g$ when $\mu = 0$. ``nesterov=True`` needs
    ``momentum > 0``.
    """

    def __init__(
        self, lr: float, momentum: float = 0.0, nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.momentum = _check_unit_interval(momentum, "momentum")
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be a bool, got {type(nesterov).__name__}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = nesterov

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        g = g + self.weight_decay * p
        if self.momentum > 0:
            if "buffer" not in state:
                state["buffer"] = g.copy()
            else:
                state["buffer"] = self.momentum * state["buffer"] + g
            b = state["buffer"]
            g = g + self.momentum * b if self.nesterov else b
        p -= self.lr * g


class AdaGrad(NumpyOptimizer):
    r"""AdaGrad: a step per coordinate, shrunk by all its past gradients (``torch.optim.Adagrad``).

    $$g \leftarrow g + \lambda\theta, \qquad s \leftarrow s + g^2 \quad (s_0 = 0), \qquad
      \theta \leftarrow \theta - \eta\,\frac{g}{\sqrt{s} + \epsilon}.$$
    The effective step $\eta / (\sqrt{s} + \epsilon)$ only shrinks.
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.eps = check_number(eps, "eps", positive=True)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        g = g + self.weight_decay * p
        state["sum_sq"] = state.get("sum_sq", 0.0) + g * g
        p -= self.lr * g / (np.sqrt(state["sum_sq"]) + self.eps)


class RMSProp(NumpyOptimizer):
    r"""RMSProp: AdaGrad with a moving average of $g^2$ (``torch.optim.RMSprop``).

    $$g \leftarrow g + \lambda\theta, \qquad v \leftarrow \alpha v + (1 - \alpha) g^2
      \quad (v_0 = 0), \qquad \theta \leftarrow \theta - \eta\,\frac{g}{\sqrt{v} + \epsilon}.$$
    """

    def __init__(
        self, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.alpha = _check_unit_interval(alpha, "alpha")
        self.eps = check_number(eps, "eps", positive=True)

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        g = g + self.weight_decay * p
        v = state.get("square_avg", 0.0)
        state["square_avg"] = self.alpha * v + (1 - self.alpha) * g * g
        p -= self.lr * g / (np.sqrt(state["square_avg"]) + self.eps)


class Adam(NumpyOptimizer):
    r"""Adam, and AdamW with ``decoupled=True`` (``torch.optim.Adam`` / ``torch.optim.AdamW``).

    With $\beta_1, \beta_2$ = ``betas`` and $m_0 = v_0 = 0$:
    $$m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
      v \leftarrow \beta_2 v + (1 - \beta_2) g^2,$$
    $$\hat m = \frac{m}{1 - \beta_1^t}, \qquad \hat v = \frac{v}{1 - \beta_2^t}, \qquad
      \theta \leftarrow \theta - \eta\,\frac{\hat m}{\sqrt{\hat v} + \epsilon}.$$
    Weight decay: Adam adds it to the gradient first, $g \leftarrow g + \lambda\theta$ (an L2
    penalty); AdamW (``decoupled=True``) shrinks the weights before the step,
    $\theta \leftarrow (1 - \eta\lambda)\theta$, and leaves $g$ alone.
    ``bias_correction=False`` (not in torch, for the lesson) uses $m, v$ for $\hat m, \hat v$.
    """

    def __init__(
        self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 0.0, decoupled: bool = False, bias_correction: bool = True,
    ) -> None:
        super().__init__(lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = _check_unit_interval(betas[0], "betas[0]")
        self.beta2 = _check_unit_interval(betas[1], "betas[1]")
        self.eps = check_number(eps, "eps", positive=True)
        for flag, name in [(decoupled, "decoupled"), (bias_correction, "bias_correction")]:
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
        self.decoupled = decoupled
        self.bias_correction = bias_correction

    def update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        t = state["step"]
        if self.decoupled:
            p *= 1 - self.lr * self.weight_decay
        else:
            g = g + self.weight_decay * p
        state["m"] = self.beta1 * state.get("m", 0.0) + (1 - self.beta1) * g
        state["v"] = self.beta2 * state.get("v", 0.0) + (1 - self.beta2) * g * g
        m_hat, v_hat = state["m"], state["v"]
        if self.bias_correction:
            m_hat = m_hat / (1 - self.beta1**t)
            v_hat = v_hat / (1 - self.beta2**t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
