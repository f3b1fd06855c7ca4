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
    plot_histories,
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
    with pytest.raises(ValueError, match="ncols must be >= 1"):
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
    with pytest.raises(ValueError, match="resolution must be >= 2"):
        plot_decision_boundary(lambda p: p[:, 0], X, y, resolution=1)


def test_plot_decision_boundary_window_boundary_line_and_point_size():
    # A perceptron on AND (lesson 1.3): fires when x1 + x2 - 1.5 > 0.
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 0, 0, 1])
    predict = lambda p: (p @ np.array([1.0, 1.0]) - 1.5 > 0).astype(int)  # noqa: E731
    ax = plot_decision_boundary(predict, X, y, xlim=(-0.5, 1.5), ylim=(-0.5, 1.5),
                                boundary=True, point_size=90, resolution=101)
    assert ax.get_xlim() == pytest.approx((-0.5, 1.5))
    assert ax.get_ylim() == pytest.approx((-0.5, 1.5))
    contour_sets = [c for c in ax.collections if getattr(c, "filled", None) is False]
    assert len(contour_sets) == 1  # the line (the regions are a filled contour set)
    # the line lies on x1 + x2 = 1.5, to within a grid step
    vertices = np.concatenate([path.vertices for path in contour_sets[0].get_paths()])
    np.testing.assert_allclose(vertices.sum(axis=1), 1.5, atol=0.03)
    scatters = [c for c in ax.collections if hasattr(c, "get_sizes") and len(c.get_offsets())
                and getattr(c, "filled", None) is None]
    assert {float(s.get_sizes()[0]) for s in scatters} == {90.0}

    ax = plot_decision_boundary(predict, X, y, point_size=0, resolution=5)
    assert ax.get_legend() is None
    assert all(getattr(c, "filled", None) is not None for c in ax.collections)  # no points


def test_plot_decision_boundary_rejects_bad_windows():
    X, y = np.zeros((4, 2)), np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match=r"xlim must have low < high, got \(1.0, 0.0\)"):
        plot_decision_boundary(lambda p: p[:, 0] > 0, X, y, xlim=(1.0, 0.0))
    with pytest.raises(TypeError, match="ylim must be a pair"):
        plot_decision_boundary(lambda p: p[:, 0] > 0, X, y, ylim=1.0)
    with pytest.raises(ValueError, match="padding must be finite and >= 0"):
        plot_decision_boundary(lambda p: p[:, 0] > 0, X, y, padding=-1.0)


# --------------------------------------------------------------------------- several runs


def fit_history(losses, accuracies=None):
    """A history shaped like dlbook_lib.training.fit's, one entry per epoch."""
    history = {"epoch": list(range(1, len(losses) + 1)), "train_loss": list(losses),
               "val_loss": [2 * v for v in losses]}
    if accuracies is not None:
        history["val_accuracy"] = list(accuracies)
    return history


def test_plot_histories_draws_one_line_per_run_in_every_panel():
    runs = {"classic": fit_history([1.0, 0.8, 0.7], [0.5, 0.6, 0.7]),
            "modern": fit_history([0.9, 0.5], [0.6, 0.8])}
    fig = plot_histories(runs, title="LeNet")
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == [
        "training loss", "validation loss", "validation accuracy"]
    assert fig._suptitle.get_text() == "LeNet"
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["classic", "modern"]
        classic, modern = ax.get_lines()
        assert classic.get_color() != modern.get_color()
        assert list(classic.get_xdata()) == [1, 2, 3] and list(modern.get_xdata()) == [1, 2]
        assert ax.get_xlabel() == "epoch"
    np.testing.assert_allclose(fig.axes[2].get_lines()[1].get_ydata(), [0.6, 0.8])
    # the same run keeps its colour across panels
    assert len({ax.get_lines()[0].get_color() for ax in fig.axes}) == 1


def test_plot_histories_chosen_keys_and_accuracy_only_when_every_run_has_it():
    runs = {"a": fit_history([1.0, 0.5], [0.4, 0.6]), "b": fit_history([1.0, 0.4])}
    fig = plot_histories(runs)  # "b" has no accuracy: only the losses by default
    assert [ax.get_title() for ax in fig.axes] == ["training loss", "validation loss"]
    fig = plot_histories({"a": runs["a"]}, keys=["val_accuracy"])
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "validation accuracy"


def test_plot_histories_of_the_step_loop():
    runs = {"WGAN": {"step": [10, 20, 30], "critic_loss": [3.0, 2.0, 1.0], "w_estimate": [1, 2, 3]},
            "WGAN-GP": {"step": [10, 20], "critic_loss": [2.0, 1.5], "w_estimate": [0.5, 1.0]}}
    fig = plot_histories(runs)
    assert [ax.get_title() for ax in fig.axes] == ["critic loss", "w estimate"]
    assert fig.axes[0].get_xlabel() == "step"
    assert list(fig.axes[0].get_lines()[0].get_xdata()) == [10, 20, 30]
    fig = plot_histories(runs, keys=["w_estimate"])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["WGAN", "WGAN-GP"]


def test_plot_histories_without_an_x_key_counts_from_one_and_four_panels_wrap():
    runs = {"run": {"a": [1, 2], "b": [3, 4], "c": [5, 6], "d": [7, 8]}}
    fig = plot_histories(runs)
    assert len([ax for ax in fig.axes if ax.axison]) == 4
    assert list(fig.axes[0].get_lines()[0].get_xdata()) == [1, 2]
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (2, 2)


def test_plot_histories_errors():
    good = fit_history([1.0, 0.5])
    with pytest.raises(ValueError, match="histories is empty"):
        plot_histories({})
    with pytest.raises(TypeError, match="histories must be a dict"):
        plot_histories([good])
    with pytest.raises(TypeError, match=r"histories\['a'\] must be a history dict"):
        plot_histories({"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"run 'b' has no 'val_accuracy'; its history has keys"):
        plot_histories({"a": fit_history([1.0], [0.5]), "b": good}, keys=["val_accuracy"])
    with pytest.raises(ValueError, match=r"run 'a': 'train_loss' has 3 values but 'epoch' has 2"):
        plot_histories({"a": {**good, "train_loss": [1.0, 2.0, 3.0]}})
    with pytest.raises(ValueError, match="different lengths"):
        plot_histories({"a": {"x1": [1, 2], "x2": [1]}})
    with pytest.raises(ValueError, match="share no series"):
        plot_histories({"a": {"step": [1], "loss": [1.0]}, "b": {"step": [1], "gap": [0.0]}})
    with pytest.raises(ValueError, match="keys is empty"):
        plot_histories({"a": good}, keys=[])
    with pytest.raises(TypeError, match="keys must be a list of strings"):
        plot_histories({"a": good}, keys="train_loss")
    with pytest.raises(ValueError, match="run 'a' has no 'step'"):
        plot_histories({"a": good}, x="step")


# --------------------------------------------------------------------------- confusion matrix


def test_confusion_matrix_known_case():
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, expected)
    np.testing.assert_array_equal(
        confusion_matrix(torch.tensor(y_true), torch.tensor(y_pred), 3), expected)
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
    with pytest.raises(ValueError, match="n_classes must be >= 1"):
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
    ax = plot_confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 1]), ["a", "b"],
                               normalize=False)
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
    with pytest.raises(ValueError, match="dpi must be finite and > 0"):
        figure_to_png(fig, dpi=0)
