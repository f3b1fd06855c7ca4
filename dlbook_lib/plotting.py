"""The book's figures: one style, and the plots that many lessons share.

* :func:`use_book_style` sets matplotlib's defaults once at the top of a lesson.
* :func:`plot_history` draws training curves from the history dict of a training loop.
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


def _to_numpy(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a NumPy array; accepts NumPy arrays and PyTorch tensors only."""
    if isinstance(x, np.ndarray):
        return x
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency, but stay explicit
        torch = None
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    raise TypeError(f"{name} must be a NumPy array or a torch tensor, got {type(x).__name__}")


def _to_labels(x: Any, name: str) -> np.ndarray:
    """Return ``x`` as a 1-D int64 array of class labels; floats must hold whole numbers."""
    arr = _to_numpy(x, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (N,), got shape {tuple(arr.shape)}")
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(
                f"{name} must hold class labels (whole numbers), not scores or probabilities"
            )
        return arr.astype(np.int64)
    raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")


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


# --------------------------------------------------------------------------- images


def _images_to_nhwc(images: Any) -> np.ndarray:
    """Bring a batch of images to ``(N, H, W)`` (grey) or ``(N, H, W, 3)`` (RGB)."""
    arr = _to_numpy(images, "images")
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
    if not isinstance(ncols, (int, np.integer)) or isinstance(ncols, bool):
        raise TypeError(f"ncols must be an int, got {type(ncols).__name__}")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
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
) -> Axes:
    """Colour the plane by the class a 2-D classifier predicts, and draw the data on top.

    Args:
        predict: maps a NumPy array of points ``(M, 2)`` to class labels ``(M,)`` (NumPy or
            torch). The points have ``X``'s float dtype (float64 when ``X`` is integer).
        X: data points ``(N, 2)``, NumPy or torch.
        y: integer class labels ``(N,)``.
        ax: axes to draw on; a new square figure when ``None``.
        resolution: grid points per axis (the grid has ``resolution ** 2`` points).
        padding: margin around the data, in data units.

    Returns:
        The axes.

    Raises:
        TypeError: if ``predict`` is not callable, ``X``/``y`` are not arrays/tensors,
            ``y`` is not integer, or ``resolution``/``padding`` have the wrong type.
        ValueError: for wrong shapes, an empty ``X``, ``resolution < 2``, ``padding < 0``, or
            a ``predict`` that returns the wrong shape or non-integer values.
    """
    if not callable(predict):
        raise TypeError(f"predict must be callable, got {type(predict).__name__}")
    points = _to_numpy(X, "X")
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {tuple(points.shape)}")
    if points.shape[0] == 0:
        raise ValueError("X is empty (N = 0)")
    labels = _to_labels(y, "y")
    if labels.shape[0] != points.shape[0]:
        raise ValueError(f"X has {points.shape[0]} points but y has {labels.shape[0]} labels")
    if not isinstance(resolution, (int, np.integer)) or isinstance(resolution, bool):
        raise TypeError(f"resolution must be an int, got {type(resolution).__name__}")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    if isinstance(padding, bool) or not isinstance(padding, (int, float, np.number)):
        raise TypeError(f"padding must be a number, got {type(padding).__name__}")
    if not padding >= 0:
        raise ValueError(f"padding must be >= 0, got {padding!r}")

    dtype = points.dtype if points.dtype.kind == "f" else np.float64
    (x_min, y_min), (x_max, y_max) = points.min(axis=0), points.max(axis=0)
    xs = np.linspace(x_min - padding, x_max + padding, resolution)
    ys = np.linspace(y_min - padding, y_max + padding, resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(dtype)
    output = predict(grid)  # errors raised inside the user's predict pass through unchanged
    try:
        predicted = _to_labels(output, "predict(grid)")
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
    for index, cls in enumerate(classes):
        mask = labels == cls
        if mask.any():
            ax.scatter(
                points[mask, 0],
                points[mask, 1],
                s=18,
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
    ax.legend(loc="best", frameon=True, framealpha=0.8)
    return ax


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
    if not isinstance(n_classes, (int, np.integer)) or isinstance(n_classes, bool):
        raise TypeError(f"n_classes must be an int, got {type(n_classes).__name__}")
    if n_classes < 1:
        raise ValueError(f"n_classes must be at least 1, got {n_classes}")
    true = _to_labels(y_true, "y_true")
    pred = _to_labels(y_pred, "y_pred")
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
    if dpi is not None and (
        isinstance(dpi, bool) or not isinstance(dpi, (int, float, np.number)) or not dpi > 0
    ):
        raise ValueError(f"dpi must be a positive number or None, got {dpi!r}")
    buffer = io.BytesIO()
    try:
        kwargs = {} if dpi is None else {"dpi": float(dpi)}
        fig.savefig(buffer, format="png", bbox_inches="tight", **kwargs)
    finally:
        plt.close(fig)
    return buffer.getvalue()
