"""Tests for dlbook_lib.plotting: the book style, curves, image grids, boundaries, confusion."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dlbook_lib.plotting import (  # noqa: E402
    BOOK_COLORS,
    confusion_matrix,
    figure_to_png,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_image_grid,
    use_book_style,
)

PNG_MAGIC = b"\x89PNG"


@pytest.fixture(autouse=True)
def close_figures():
    """Every test starts and ends without open figures (and with matplotlib's defaults)."""
    plt.close("all")
    with matplotlib.rc_context():
        yield
    plt.close("all")


# --------------------------------------------------------------------------- style


def test_use_book_style_sets_the_rcparams():
    use_book_style()
    rc = matplotlib.rcParams
    assert rc["figure.dpi"] == 100
    assert rc["axes.spines.top"] is False
    assert rc["axes.spines.right"] is False
    assert rc["axes.grid"] is True
    assert rc["axes.prop_cycle"].by_key()["color"] == BOOK_COLORS


# --------------------------------------------------------------------------- history


def _lines(ax):
    return {line.get_label(): line.get_ydata().tolist() for line in ax.get_lines()}


def test_plot_history_with_validation_and_accuracy_has_two_panels():
    history = {
        "epoch": [1, 2, 3],
        "train_loss": [1.0, 0.5, 0.25],
        "val_loss": [1.1, 0.6, 0.4],
        "train_accuracy": [0.5, 0.7, 0.9],
        "val_accuracy": [0.4, 0.6, 0.8],
    }
    fig = plot_history(history, title="run")
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    assert _lines(loss_ax) == {"train": [1.0, 0.5, 0.25], "validation": [1.1, 0.6, 0.4]}
    assert _lines(acc_ax) == {"train": [0.5, 0.7, 0.9], "validation": [0.4, 0.6, 0.8]}
    assert loss_ax.get_lines()[0].get_xdata().tolist() == [1, 2, 3]
    assert acc_ax.get_ylabel() == "accuracy"
    assert fig._suptitle.get_text() == "run"


def test_plot_history_train_loss_only_has_one_panel_and_counts_epochs_from_one():
    fig = plot_history({"train_loss": [3.0, 2.0], "val_loss": []})
    (ax,) = fig.axes
    assert _lines(ax) == {"train": [3.0, 2.0]}
    assert ax.get_lines()[0].get_xdata().tolist() == [1.0, 2.0]


def test_plot_history_missing_train_loss_names_the_keys():
    with pytest.raises(ValueError, match=r"train_loss.*\['epoch', 'val_loss'\]"):
        plot_history({"epoch": [1], "val_loss": [0.3]})


def test_plot_history_length_mismatch_and_wrong_type():
    with pytest.raises(ValueError, match="'val_loss'.*has 1 values"):
        plot_history({"train_loss": [1.0, 0.5], "val_loss": [0.3]})
    with pytest.raises(TypeError, match="history must be a dict"):
        plot_history([1.0, 0.5])


# --------------------------------------------------------------------------- image grid


@pytest.mark.parametrize(
    "shape, rgb",
    [((5, 8, 6), False), ((5, 1, 8, 6), False), ((5, 3, 8, 6), True), ((5, 8, 6, 3), True)],
)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_plot_image_grid_accepts_each_layout(shape, rgb, as_tensor):
    images = np.random.default_rng(0).random(shape, dtype=np.float32)
    if as_tensor:
        images = torch.from_numpy(images)
    labels = [f"img {i}" for i in range(5)]
    fig = plot_image_grid(images, labels=labels, ncols=3, title="batch")
    assert len(fig.axes) == 6  # 2 rows x 3 columns, the last one empty
    shown = [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()]
    assert len(shown) == 5
    expected_shape = (8, 6, 3) if rgb else (8, 6)
    assert all(arr.shape == expected_shape for arr in shown)
    assert [ax.get_title() for ax in fig.axes[:5]] == labels
    assert fig._suptitle.get_text() == "batch"


def test_plot_image_grid_shows_the_channels_last_pixels():
    images = np.zeros((2, 3, 4, 5), dtype=np.float32)  # (N, C, H, W)
    images[1, 2] = 1.0  # second image is pure blue
    fig = plot_image_grid(images)
    pixels = np.asarray(fig.axes[1].get_images()[0].get_array())
    assert pixels.shape == (4, 5, 3)
    assert np.all(pixels[..., 2] == 1.0) and np.all(pixels[..., :2] == 0.0)


def test_plot_image_grid_errors():
    with pytest.raises(ValueError, match=r"got shape \(2, 5, 8, 6\)"):
        plot_image_grid(np.zeros((2, 5, 8, 6)))
    with pytest.raises(ValueError, match=r"got shape \(8, 6\)"):
        plot_image_grid(np.zeros((8, 6)))
    with pytest.raises(ValueError, match="empty batch"):
        plot_image_grid(np.zeros((0, 8, 6)))
    with pytest.raises(ValueError, match=r"2 labels for 3 images"):
        plot_image_grid(np.zeros((3, 8, 6)), labels=["a", "b"])
    with pytest.raises(TypeError, match="labels must be strings"):
        plot_image_grid(np.zeros((2, 8, 6)), labels=[0, 1])
    with pytest.raises(ValueError, match=r"RGB images must lie in \[0, 1\]"):
        plot_image_grid(np.full((2, 3, 8, 6), -0.5, dtype=np.float32))
    with pytest.raises(ValueError, match="ncols must be at least 1"):
        plot_image_grid(np.zeros((2, 8, 6)), ncols=0)
    with pytest.raises(TypeError, match="NumPy array or a torch tensor"):
        plot_image_grid([[[0.0]]])


# --------------------------------------------------------------------------- decision boundary


def test_plot_decision_boundary_on_a_threshold_classifier():
    X = np.array([[-1.0, 0.0], [-2.0, 1.0], [1.0, 0.0], [2.0, -1.0]])
    y = np.array([0, 0, 1, 1])
    seen = {}

    def predict(points):
        seen["shape"], seen["dtype"] = points.shape, points.dtype
        return (points[:, 0] > 0).astype(int)

    ax = plot_decision_boundary(predict, X, y, resolution=30, padding=0.5)
    assert isinstance(ax, Axes)
    assert seen == {"shape": (900, 2), "dtype": np.float64}
    assert ax.get_xlim() == pytest.approx((-2.5, 2.5))
    assert ax.get_ylim() == pytest.approx((-1.5, 1.5))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    scatters = ax.collections[-2:]
    assert [len(s.get_offsets()) for s in scatters] == [2, 2]


def test_plot_decision_boundary_uses_the_given_axes_and_torch_inputs():
    _, ax = plt.subplots()
    X = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    out = plot_decision_boundary(
        lambda p: torch.zeros(len(p), dtype=torch.long), X, torch.tensor([0, 0]), ax=ax,
        resolution=5,
    )
    assert out is ax


def test_plot_decision_boundary_errors():
    X, y = np.zeros((4, 2)), np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        plot_decision_boundary(lambda p: p[:, 0], np.zeros((4, 3)), y)
    with pytest.raises(ValueError, match="X has 4 points but y has 3"):
        plot_decision_boundary(lambda p: p[:, 0], X, y[:3])
    with pytest.raises(ValueError, match=r"predict returned shape \(4,\) for 25 points"):
        plot_decision_boundary(lambda p: np.zeros(4, dtype=int), X, y, resolution=5)
    with pytest.raises(ValueError, match="class labels.*not scores"):
        plot_decision_boundary(lambda p: np.full(len(p), 0.3), X, y, resolution=5)
    with pytest.raises(TypeError, match="predict must be callable"):
        plot_decision_boundary("model", X, y)
    with pytest.raises(ValueError, match="resolution must be at least 2"):
        plot_decision_boundary(lambda p: p[:, 0], X, y, resolution=1)


# --------------------------------------------------------------------------- confusion matrix


def test_confusion_matrix_known_case():
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, expected)
    np.testing.assert_array_equal(confusion_matrix(torch.tensor(y_true), torch.tensor(y_pred), 3), expected)
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, 4)[3], [0, 0, 0, 0])


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match=r"y_pred has labels outside \[0, 3\): \[3\]"):
        confusion_matrix(np.array([0, 1]), np.array([0, 3]), 3)
    with pytest.raises(ValueError, match=r"y_true has labels outside \[0, 2\): \[-1\]"):
        confusion_matrix(np.array([-1, 1]), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="y_true has 2 labels but y_pred has 3"):
        confusion_matrix(np.array([0, 1]), np.array([0, 1, 1]), 2)
    with pytest.raises(ValueError, match="not scores"):
        confusion_matrix(np.array([0.5, 1.0]), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="n_classes must be at least 1"):
        confusion_matrix(np.array([0]), np.array([0]), 0)


def test_plot_confusion_matrix_normalises_rows():
    ax = plot_confusion_matrix(
        np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]), ["cat", "dog", "bird"]
    )
    values = np.asarray(ax.get_images()[0].get_array().filled(np.nan))
    np.testing.assert_allclose(values[:2], [[2 / 3, 1 / 3, 0.0], [0.0, 1.0, 0.0]])
    assert np.all(np.isnan(values[2]))  # no bird in the data: row left blank
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert "0.67" in [t.get_text() for t in ax.texts]


def test_plot_confusion_matrix_counts_and_bad_names():
    ax = plot_confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 1]), ["a", "b"], normalize=False)
    assert sorted(t.get_text() for t in ax.texts) == ["0", "0", "1", "2"]
    with pytest.raises(TypeError, match="class_names must be a sequence of strings"):
        plot_confusion_matrix(np.array([0]), np.array([0]), "ab")


# --------------------------------------------------------------------------- export


def test_figure_to_png_returns_png_bytes_and_closes_the_figure():
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    number = fig.number
    png = figure_to_png(fig, dpi=50)
    assert png[:4] == PNG_MAGIC
    assert len(png) > 100
    assert not plt.fignum_exists(number)


def test_figure_to_png_errors():
    with pytest.raises(TypeError, match="must be a matplotlib Figure"):
        figure_to_png("figure")
    fig = plt.figure()
    with pytest.raises(ValueError, match="dpi must be a positive number"):
        figure_to_png(fig, dpi=0)
