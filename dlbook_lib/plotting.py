"""The book's figures: one style, and the plots that many lessons share.

* :func:`use_book_style` sets matplotlib's defaults once at the top of a lesson.
* :func:`plot_history` draws training curves from the history dict of a training loop.
* :func:`plot_histories` compares several runs' curves on shared axes, one line per run.
* :func:`plot_image_grid` shows a batch of images, with optional small titles.
* :func:`plot_decision_boundary` shows the regions a 2-D classifier assigns to each class.
* :func:`confusion_matrix` / :func:`plot_confusion_matrix` count and show classification errors.
* :func:`figure_to_png` renders a figure to PNG bytes (used by :mod:`dlbook_lib.controls`).

Every function accepts NumPy arrays or PyTorch tensors and raises a clear error on bad input.
"""
from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dlbook_lib._checks import check_int, check_number, class_labels, to_numpy

# Okabe & Ito's colour-blind-safe palette (black left out), starting with blue and orange.
BOOK_COLORS = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
]


def use_book_style() -> None:
    """Set matplotlib's defaults to the book's style: sizes, colours, light grid, open axes.

    Call it once near the top of a lesson. It changes ``matplotlib.rcParams`` only; the
    notebook's inline output stays PNG (no SVG or retina switch), so saved notebooks stay small.
    """
    matplotlib.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.figsize": (6.0, 4.0),
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "legend.frameon": False,
            "axes.prop_cycle": cycler(color=BOOK_COLORS),
            "axes.grid": True,
            "grid.color": "#b0b0b0",
            "grid.alpha": 0.35,
            "grid.linewidth": 0.6,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "lines.linewidth": 2.0,
            "image.cmap": "viridis",
        }
    )


# --------------------------------------------------------------------------- helpers


def _class_colors(n: int) -> list:
    """``n`` distinct colours: the book palette, or tab20 when there are more classes."""
    if n <= len(BOOK_COLORS):
        return BOOK_COLORS[:n]
    if n <= 20:
        return [plt.get_cmap("tab20")(i) for i in range(n)]
    return [plt.get_cmap("turbo")(i / (n - 1)) for i in range(n)]


# --------------------------------------------------------------------------- curves


_HISTORY_SERIES = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")


def plot_history(history: Mapping[str, Sequence[float]], *, title: str | None = None) -> Figure:
    """Plot loss (and accuracy, when present) per epoch, train and validation side by side.

    Args:
        history: the dict returned by ``dlbook_lib.training.fit`` (or a NumPy training loop):
            ``"train_loss"`` (required), and optionally ``"epoch"``, ``"val_loss"``,
            ``"train_accuracy"``, ``"val_accuracy"``; each a list with one number per epoch.
            An empty list counts as absent; other keys are ignored.
        title: optional title over both panels.

    Returns:
        The figure: one panel (loss) or two (loss, accuracy).

    Raises:
        TypeError: if ``history`` is not a mapping.
        ValueError: if ``"train_loss"`` is missing or empty (the message names the keys that
            were given), or if a series has a different length from ``"train_loss"``.
    """
    if not isinstance(history, Mapping):
        raise TypeError(f"history must be a dict, got {type(history).__name__}")
    if "train_loss" not in history or len(history["train_loss"]) == 0:
        raise ValueError(
            "history needs a non-empty 'train_loss' list; "
            f"got keys {sorted(map(str, history.keys()))}"
        )
    n_epochs = len(history["train_loss"])
    series = {}
    for key in _HISTORY_SERIES:
        values = history.get(key)
        if values is None or len(values) == 0:
            continue
        if len(values) != n_epochs:
            raise ValueError(
                f"history[{key!r}] has {len(values)} values but 'train_loss' has {n_epochs}"
            )
        series[key] = np.asarray(values, dtype=float)
    if "epoch" in history and len(history["epoch"]) > 0:
        if len(history["epoch"]) != n_epochs:
            raise ValueError(
                f"history['epoch'] has {len(history['epoch'])} values "
                f"but 'train_loss' has {n_epochs}"
            )
        epochs = np.asarray(history["epoch"], dtype=float)
    else:
        epochs = np.arange(1, n_epochs + 1, dtype=float)

    panels = [("loss", "train_loss", "val_loss")]
    if "train_accuracy" in series or "val_accuracy" in series:
        panels.append(("accuracy", "train_accuracy", "val_accuracy"))
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.0 * len(panels), 3.6), layout="constrained", squeeze=False
    )
    marker = "o" if n_epochs <= 30 else None  # dots help read a short run epoch by epoch
    for ax, (quantity, train_key, val_key) in zip(axes[0], panels):
        if train_key in series:
            ax.plot(epochs, series[train_key], marker=marker, markersize=4, label="train")
        if val_key in series:
            ax.plot(epochs, series[val_key], marker=marker, markersize=4, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(quantity)
        ax.set_title(quantity)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
    if title is not None:
        fig.suptitle(title)
    return fig


_SERIES_TITLES = {
    "train_loss": "training loss",
    "val_loss": "validation loss",
    "train_accuracy": "training accuracy",
    "val_accuracy": "validation accuracy",
}
_X_KEYS = ("epoch", "step")


def _default_keys(histories: Mapping[str, Mapping[str, Sequence[float]]], x: str) -> list[str]:
    """fit's loss and accuracy series that every run has; else every shared non-x key."""
    shared = set.intersection(*(set(map(str, h)) for h in histories.values()))
    keys = [key for key in _HISTORY_SERIES if key in shared]
    if keys:
        return keys
    return [
        key for key in map(str, next(iter(histories.values())))
        if key in shared and key not in _X_KEYS and key != x
    ]


def plot_histories(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    keys: Sequence[str] | None = None,
    *,
    x: str | None = None,
    title: str | None = None,
) -> Figure:
    """Compare several runs: one panel per quantity, one line per run, labelled by its name.

    Works for the histories of ``dlbook_lib.training.fit`` and ``numpy_layers.train_mlp``
    (``{"epoch": [...], "train_loss": [...], "val_accuracy": [...], ...}``) and for those of a
    step loop (``{"step": [...], "critic_loss": [...], ...}``). Each run keeps its colour in
    every panel; runs may have different lengths.

    Example::

        plot_histories({"classic": classic_history, "modern": modern_history},
                       keys=["train_loss", "val_accuracy"])

    Args:
        histories: run name (the legend label) -> its history, a dict of equally long lists.
        keys: the series to draw, one panel each, in this order. ``None``: those of
            ``"train_loss"``, ``"val_loss"``, ``"train_accuracy"``, ``"val_accuracy"`` that
            every run has; when there are none (a step loop), every key that all runs share
            except the x-axis key.
        x: the key of the x axis. ``None``: ``"epoch"`` when every run has it, else
            ``"step"`` when every run has it, else 1, 2, ... (labelled ``"epoch"``).
        title: optional title over all panels.

    Returns:
        The figure: the panels in one row (two columns from four panels on).

    Raises:
        TypeError: if ``histories`` is not a mapping of run names to mappings, or ``keys``
            is not a sequence of strings.
        ValueError: for an empty ``histories``, no series to draw, a key (or ``x``) that a
            run lacks (the message names the run and the keys it has), or a series whose
            length differs from that run's x-axis series.
    """
    if not isinstance(histories, Mapping):
        raise TypeError(
            f"histories must be a dict of run name -> history, got {type(histories).__name__}"
        )
    if len(histories) == 0:
        raise ValueError("histories is empty: give at least one run, e.g. {'run': history}")
    for name, history in histories.items():
        if not isinstance(history, Mapping):
            raise TypeError(
                f"histories[{name!r}] must be a history dict, got {type(history).__name__}"
            )
    if x is None:
        x = next((k for k in _X_KEYS if all(k in h for h in histories.values())), None)
    elif not isinstance(x, str):
        raise TypeError(f"x must be a key (a string) or None, got {type(x).__name__}")
    if keys is None:
        keys = _default_keys(histories, x or "")
        if not keys:
            raise ValueError(
                "the runs share no series to plot; name them with keys=[...] "
                f"(the first run has keys {sorted(map(str, next(iter(histories.values()))))})"
            )
    elif isinstance(keys, str) or not isinstance(keys, Sequence):
        raise TypeError(f"keys must be a list of strings, got {type(keys).__name__}")
    elif len(keys) == 0:
        raise ValueError("keys is empty: name at least one series, e.g. keys=['train_loss']")
    keys = list(keys)

    curves: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    for name, history in histories.items():
        for key in keys + ([x] if x is not None else []):
            if key not in history:
                raise ValueError(
                    f"run {name!r} has no {key!r}; its history has keys "
                    f"{sorted(map(str, history))}"
                )
        series = {key: np.asarray(history[key], dtype=float) for key in keys}
        lengths = {len(v) for v in series.values()}
        if x is not None:
            xs = np.asarray(history[x], dtype=float)
            for key, values in series.items():
                if len(values) != len(xs):
                    raise ValueError(
                        f"run {name!r}: {key!r} has {len(values)} values but {x!r} has {len(xs)}"
                    )
        elif len(lengths) > 1:
            raise ValueError(
                f"run {name!r}: the series have different lengths "
                f"{ {key: len(v) for key, v in series.items()} }"
            )
        else:
            xs = np.arange(1, lengths.pop() + 1, dtype=float)
        curves[str(name)] = (xs, series)

    n_cols = len(keys) if len(keys) <= 3 else 2
    n_rows = math.ceil(len(keys) / n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(5.0 * n_cols, 3.6 * n_rows), layout="constrained",
        squeeze=False,
    )
    longest = max(len(xs) for xs, _ in curves.values())
    marker = "o" if longest <= 30 else None  # dots help read a short run point by point
    x_label = x or "epoch"
    for ax, key in zip(axes.flat, keys):
        for index, (name, (xs, series)) in enumerate(curves.items()):
            color = BOOK_COLORS[index % len(BOOK_COLORS)]
            ax.plot(xs, series[key], marker=marker, markersize=4, color=color, label=name)
        ax.set_xlabel(x_label)
        ax.set_ylabel(_SERIES_TITLES.get(key, key.replace("_", " ")))
        ax.set_title(_SERIES_TITLES.get(key, key.replace("_", " ")))
        if x_label in _X_KEYS:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
    for ax in list(axes.flat)[len(keys):]:
        ax.set_axis_off()
    if title is not None:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- images


def _images_to_nhwc(images: Any) -> np.ndarray:
    """Bring a batch of images to ``(N, H, W)`` (grey) or ``(N, H, W, 3)`` (RGB)."""
    arr = to_numpy(images, "images")
    if arr.ndim == 3:
        out = arr
    elif arr.ndim == 4 and arr.shape[1] in (1, 3):  # (N, C, H, W)
        out = arr[:, 0] if arr.shape[1] == 1 else np.transpose(arr, (0, 2, 3, 1))
    elif arr.ndim == 4 and arr.shape[3] in (1, 3):  # (N, H, W, C)
        out = arr[..., 0] if arr.shape[3] == 1 else arr
    else:
        raise ValueError(
            "images must be (N, H, W), (N, 1, H, W), (N, 3, H, W) or (N, H, W, 3); "
            f"got shape {tuple(arr.shape)}"
        )
    if out.shape[0] == 0:
        raise ValueError("images is an empty batch (N = 0)")
    if out.dtype == bool:
        out = out.astype(np.float32)
    if out.ndim == 4:  # RGB: matplotlib would clip out-of-range values silently
        low, high = float(out.min()), float(out.max())
        limit = 1.0 if out.dtype.kind == "f" else 255.0
        if low < 0.0 or high > limit:
            raise ValueError(
                f"RGB images must lie in [0, {limit:g}] ({out.dtype}); got values in "
                f"[{low:.3g}, {high:.3g}] - undo the normalisation before plotting"
            )
    return out


def plot_image_grid(
    images: Any,
    *,
    labels: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str = "gray",
    title: str | None = None,
) -> Figure:
    """Show a batch of images in a grid, optionally each with a small title.

    Args:
        images: NumPy array or torch tensor of shape ``(N, H, W)``, ``(N, 1, H, W)``,
            ``(N, 3, H, W)`` or ``(N, H, W, 3)``. Grey images are scaled per image; RGB images
            must be floats in ``[0, 1]`` or integers in ``[0, 255]``.
        labels: optional sequence of ``N`` strings, shown above the images.
        ncols: images per row (fewer when ``N < ncols``).
        cmap: colour map for grey images.
        title: optional title over the grid.

    Returns:
        The figure.

    Raises:
        TypeError: if ``images`` is not an array/tensor, ``labels`` is not a sequence of
            strings, or ``ncols`` is not an int.
        ValueError: for an unknown shape, an empty batch, RGB values out of range, a wrong
            number of labels, or ``ncols < 1``.
    """
    imgs = _images_to_nhwc(images)
    n = imgs.shape[0]
    ncols = check_int(ncols, "ncols", minimum=1)
    if labels is not None:
        if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
            raise TypeError(f"labels must be a sequence of strings, got {type(labels).__name__}")
        if len(labels) != n:
            raise ValueError(f"got {len(labels)} labels for {n} images")
        for label in labels:
            if not isinstance(label, str):
                raise TypeError(
                    f"labels must be strings, got {type(label).__name__} "
                    "(map class indices to names first, e.g. [names[i] for i in y])"
                )

    ncols = int(min(ncols, n))
    nrows = math.ceil(n / ncols)
    cell = 1.3
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(cell * ncols, cell * nrows + (0.25 * nrows if labels is not None else 0.0)),
        layout="constrained",
        squeeze=False,
    )
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        if imgs.ndim == 3:
            ax.imshow(imgs[i], cmap=cmap)
        else:
            ax.imshow(imgs[i])
        if labels is not None:
            ax.set_title(labels[i], fontsize=8)
    if title is not None:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- 2-D classifiers


def plot_decision_boundary(
    predict: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    *,
    ax: Axes | None = None,
    resolution: int = 200,
    padding: float = 0.5,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    boundary: bool = False,
    point_size: float = 18.0,
) -> Axes:
    """Colour the plane by the class a 2-D classifier predicts, and draw the data on top.

    Args:
        predict: maps a NumPy array of points ``(M, 2)`` to class labels ``(M,)`` (NumPy or
            torch). The points have ``X``'s float dtype (float64 when ``X`` is integer).
        X: data points ``(N, 2)``, NumPy or torch.
        y: integer class labels ``(N,)``.
        ax: axes to draw on; a new square figure when ``None``.
        resolution: grid points per axis (the grid has ``resolution ** 2`` points).
        padding: margin around the data, in data units (where ``xlim``/``ylim`` are not given).
        xlim, ylim: the window ``(low, high)`` to colour, e.g. ``(-0.5, 1.5)`` around the
            four inputs of a logic gate; ``None``: the data's range plus ``padding``.
        boundary: also draw the decision boundary, the line where the predicted class
            changes (for a perceptron, ``w . x + b = 0``).
        point_size: marker area of the data points (matplotlib's ``s``); 0 hides them.

    Returns:
        The axes.

    Raises:
        TypeError: if ``predict`` is not callable, ``X``/``y`` are not arrays/tensors,
            ``y`` is not integer, or ``resolution``/``padding``/``xlim``/``ylim`` have the
            wrong type.
        ValueError: for wrong shapes, an empty ``X``, ``resolution < 2``, ``padding < 0``, a
            window with ``low >= high``, or a ``predict`` that returns the wrong shape or
            non-integer values.
    """
    if not callable(predict):
        raise TypeError(f"predict must be callable, got {type(predict).__name__}")
    points = to_numpy(X, "X")
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {tuple(points.shape)}")
    if points.shape[0] == 0:
        raise ValueError("X is empty (N = 0)")
    labels = class_labels(y, "y")
    if labels.shape[0] != points.shape[0]:
        raise ValueError(f"X has {points.shape[0]} points but y has {labels.shape[0]} labels")
    resolution = check_int(resolution, "resolution", minimum=2)
    padding = check_number(padding, "padding", minimum=0.0)
    point_size = check_number(point_size, "point_size", minimum=0.0)
    window = [_check_limits(xlim, "xlim"), _check_limits(ylim, "ylim")]

    dtype = points.dtype if points.dtype.kind == "f" else np.float64
    (x_min, y_min), (x_max, y_max) = points.min(axis=0), points.max(axis=0)
    x_low, x_high = window[0] or (x_min - padding, x_max + padding)
    y_low, y_high = window[1] or (y_min - padding, y_max + padding)
    xs = np.linspace(x_low, x_high, resolution)
    ys = np.linspace(y_low, y_high, resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(dtype)
    output = predict(grid)  # errors raised inside the user's predict pass through unchanged
    try:
        predicted = class_labels(output, "predict(grid)")
    except (TypeError, ValueError) as err:
        raise ValueError(f"predict must map (M, 2) points to (M,) class labels: {err}") from err
    if predicted.shape != (grid.shape[0],):
        raise ValueError(
            f"predict returned shape {predicted.shape} for {grid.shape[0]} points; "
            f"expected ({grid.shape[0]},)"
        )

    classes = np.unique(np.concatenate([labels, predicted]))
    colors = _class_colors(len(classes))
    region = np.searchsorted(classes, predicted).reshape(xx.shape)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.0, 5.0), layout="constrained")
    ax.contourf(
        xx,
        yy,
        region,
        levels=np.arange(len(classes) + 1) - 0.5,
        cmap=ListedColormap(colors),
        alpha=0.3,
    )
    if boundary and len(classes) > 1:  # the region index steps by one across a boundary
        ax.contour(xx, yy, region, levels=np.arange(len(classes) - 1) + 0.5, colors="k",
                   linewidths=1.2)
    for index, cls in enumerate(classes):
        mask = labels == cls
        if mask.any() and point_size > 0:
            ax.scatter(
                points[mask, 0],
                points[mask, 1],
                s=point_size,
                color=colors[index],
                edgecolors="white",
                linewidths=0.5,
                label=f"class {cls}",
            )
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    if point_size > 0:
        ax.legend(loc="best", frameon=True, framealpha=0.8)
    return ax


def _check_limits(limits: Any, name: str) -> tuple[float, float] | None:
    """``None`` or a window ``(low, high)`` of two finite numbers with ``low < high``."""
    if limits is None:
        return None
    if isinstance(limits, (str, bytes)) or not isinstance(limits, Sequence) or len(limits) != 2:
        raise TypeError(f"{name} must be a pair (low, high) or None, got {limits!r}")
    low, high = (check_number(v, name) for v in limits)
    if not low < high:
        raise ValueError(f"{name} must have low < high, got {tuple(limits)}")
    return low, high


# --------------------------------------------------------------------------- confusion matrix


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Args:
        y_true: true labels ``(N,)`` in ``[0, n_classes)``, NumPy or torch.
        y_pred: predicted labels ``(N,)`` in ``[0, n_classes)``.
        n_classes: number of classes ``C``.

    Returns:
        ``(C, C)`` int64 array; entry ``[i, j]`` counts samples of true class ``i`` predicted
        as class ``j`` (rows true, columns predicted).

    Raises:
        TypeError: if the labels are not integer arrays/tensors or ``n_classes`` is not an int.
        ValueError: for non-1-D labels, different lengths, ``n_classes < 1`` or a label
            outside ``[0, n_classes)``.
    """
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    true = class_labels(y_true, "y_true")
    pred = class_labels(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ValueError(f"y_true has {true.shape[0]} labels but y_pred has {pred.shape[0]}")
    for name, arr in (("y_true", true), ("y_pred", pred)):
        bad = arr[(arr < 0) | (arr >= n_classes)]
        if bad.size:
            raise ValueError(
                f"{name} has labels outside [0, {n_classes}): {sorted(set(bad.tolist()))[:10]}"
            )
    counts = np.bincount(true * n_classes + pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str],
    *,
    ax: Axes | None = None,
    normalize: bool = True,
) -> Axes:
    """Draw the confusion matrix as a heat map, rows true class, columns predicted class.

    Args:
        y_true: true labels ``(N,)`` in ``[0, C)``, NumPy or torch.
        y_pred: predicted labels ``(N,)`` in ``[0, C)``.
        class_names: ``C`` names, one per class, in label order.
        ax: axes to draw on; a new figure when ``None``.
        normalize: show each row as fractions of that true class (a row with no samples is
            left blank); otherwise show counts. Cells are annotated when ``C <= 20``.

    Returns:
        The axes.

    Raises:
        TypeError / ValueError: as :func:`confusion_matrix`, and if ``class_names`` is not a
            non-empty sequence of strings.
    """
    if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Sequence):
        raise TypeError(
            f"class_names must be a sequence of strings, got {type(class_names).__name__}"
        )
    if len(class_names) == 0:
        raise ValueError("class_names is empty")
    if not all(isinstance(name, str) for name in class_names):
        raise TypeError("class_names must all be strings")
    n = len(class_names)
    counts = confusion_matrix(y_true, y_pred, n)
    if normalize:
        row_sums = counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(row_sums > 0, counts / np.maximum(row_sums, 1), np.nan)
        vmax = 1.0
    else:
        values = counts.astype(float)
        vmax = max(float(counts.max()), 1.0)

    if ax is None:
        size = max(4.0, 0.5 * n + 2.0)
        _, ax = plt.subplots(figsize=(size + 1.0, size), layout="constrained")
    image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=vmax)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if n <= 20:
        for i in range(n):
            for j in range(n):
                value = values[i, j]
                if np.isnan(value):
                    continue
                text = f"{value:.2f}" if normalize else str(int(counts[i, j]))
                color = "white" if value > 0.5 * vmax else "black"
                ax.text(j, i, text, ha="center", va="center", color=color, fontsize=8)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(class_names, rotation=45, ha="right")
    ax.set_yticklabels(class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("confusion matrix" + (" (fraction of each true class)" if normalize else ""))
    ax.grid(False)
    return ax


# --------------------------------------------------------------------------- export


def figure_to_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """Render a figure to PNG bytes and close it, so a notebook does not show it a second time.

    Args:
        fig: a matplotlib figure.
        dpi: resolution; ``None`` uses matplotlib's ``savefig.dpi`` setting.

    Returns:
        The PNG file's bytes (they start with ``b"\\x89PNG"``).

    Raises:
        TypeError: if ``fig`` is not a ``matplotlib.figure.Figure``.
        ValueError: if ``dpi`` is not a positive number.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if dpi is not None:
        dpi = check_number(dpi, "dpi", positive=True)
    buffer = io.BytesIO()
    try:
        kwargs = {} if dpi is None else {"dpi": dpi}
        fig.savefig(buffer, format="png", bbox_inches="tight", **kwargs)
    finally:
        plt.close(fig)
    return buffer.getvalue()
