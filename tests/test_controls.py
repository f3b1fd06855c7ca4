"""Tests for dlbook_lib.controls: pre-computed figures switched by jslink-ed knobs.

They run on both ipywidgets lines: 8 (the pinned environment: ``Stack``) and 7.7 (Colab's:
``Tab`` with a hidden tab bar); ``PAGES`` is the page widget of the installed one."""
import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from ipywidgets.widgets.widget_link import Link  # what jslink returns (not exported at top level)

from dlbook_lib.controls import (  # noqa: E402
    IPYWIDGETS_MAJOR,
    PAGES,
    TAB_BAR_STYLE,
    precomputed_control,
)

PNG_MAGIC = b"\x89PNG"


@pytest.fixture(autouse=True)
def full_mode(monkeypatch):
    """Full mode unless a test says otherwise (the test run itself may set DLBOOK_FAST=1)."""
    monkeypatch.setenv("DLBOOK_FAST", "0")
    plt.close("all")
    yield
    plt.close("all")


class Recorder:
    """An experiment that records its calls and draws a figure that differs per setting."""

    def __init__(self):
        self.calls = []
        self.pngs = {}

    def __call__(self, lr, activation="relu", depth=1):
        self.calls.append((lr, activation, depth))
        fig, ax = plt.subplots(figsize=(1.0, 1.0), dpi=30)
        # a different text per call, so every PNG differs
        ax.set_title(f"{lr}-{activation}-{depth}")
        ax.plot([0, 1], [0, lr])
        return fig


def _leaf_stacks_of(stack):
    """The Stacks one level below ``stack``."""
    return [child for child in stack.children if isinstance(child, PAGES)]


def _stack_of(box):
    stacks = [child for child in box.children if isinstance(child, PAGES)]
    assert len(stacks) == 1
    return stacks[0]


def _assert_linked(link, knob, stack):
    assert isinstance(link, Link)
    assert link.source == (knob, "index")
    assert link.target == (stack, "selected_index")


# --------------------------------------------------------------------------- one knob


def test_one_knob_builds_one_stack_of_images():
    experiment = Recorder()
    box = precomputed_control(experiment, {"lr": [0.01, 0.1, 1.0]}, title="Learning rate")

    assert isinstance(box, widgets.VBox)
    assert "dlbook-control" in box._dom_classes
    assert isinstance(box.children[0], widgets.HTML) and "Learning rate" in box.children[0].value
    assert experiment.calls == [(0.01, "relu", 1), (0.1, "relu", 1), (1.0, "relu", 1)]

    knob = box.knobs["lr"]
    assert isinstance(knob, widgets.SelectionSlider)
    assert knob.options == (("0.01", 0.01), ("0.1", 0.1), ("1", 1.0))
    assert knob.index == 0 and knob.value == 0.01
    assert knob.description == "lr"
    assert "dlbook-knob" in knob._dom_classes

    stack = _stack_of(box)
    assert "dlbook-stack" in stack._dom_classes
    assert stack.selected_index == 0
    assert list(stack.children) == [box.images[(v,)] for v in (0.01, 0.1, 1.0)]
    assert all(isinstance(img, widgets.Image) and img.format == "png" for img in stack.children)
    assert all(img.value[:4] == PNG_MAGIC for img in stack.children)
    assert len({img.value for img in stack.children}) == 3  # one distinct picture per setting

    assert len(box.links) == 1
    _assert_linked(box.links[0], knob, stack)
    assert plt.get_fignums() == []  # every figure was closed after rendering


def test_each_image_is_the_figure_of_its_settings():
    def experiment(lr):
        fig = plt.figure(figsize=(1, 1), dpi=30)
        fig.text(0.5, 0.5, str(lr))
        return fig

    box = precomputed_control(experiment, {"lr": [0.5, 2.0]})
    for lr in (0.5, 2.0):
        expected = io.BytesIO()
        fig = experiment(lr)
        fig.savefig(expected, format="png", bbox_inches="tight")
        plt.close(fig)
        assert box.images[(lr,)].value == expected.getvalue()


def test_string_and_bool_knobs_are_toggle_buttons():
    box = precomputed_control(
        lambda activation, use_bias: plt.figure(figsize=(1, 1), dpi=20),
        {"activation": ["relu", "tanh"], "use_bias": [True, False]},
    )
    for name in ("activation", "use_bias"):
        assert isinstance(box.knobs[name], widgets.ToggleButtons)
        assert box.knobs[name].index == 0
    assert box.knobs["use_bias"].description == "use bias"
    assert box.knobs["use_bias"].style.description_width == "initial"
    assert box.knobs["activation"].options == (("relu", "relu"), ("tanh", "tanh"))


def test_close_numbers_get_labels_that_tell_them_apart():
    box = precomputed_control(
        lambda x: plt.figure(figsize=(1, 1), dpi=20), {"x": [0.1234567, 0.1234568, 3]}
    )
    labels = [label for label, _ in box.knobs["x"].options]
    assert len(set(labels)) == 3


# --------------------------------------------------------------------------- two and three knobs


def test_two_knobs_nest_stacks_and_link_every_inner_stack():
    experiment = Recorder()
    lrs, activations = [0.01, 0.1, 1.0], ["relu", "tanh"]
    box = precomputed_control(experiment, {"lr": lrs, "activation": activations})

    # itertools.product order: the first knob varies slowest
    assert experiment.calls == [(lr, act, 1) for lr in lrs for act in activations]
    assert set(box.images) == {(lr, act) for lr in lrs for act in activations}
    assert len({img.value for img in box.images.values()}) == 6

    outer = _stack_of(box)
    inner = _leaf_stacks_of(outer)
    assert len(inner) == 3 and box.stacks == [[outer], inner]
    for lr, stack in zip(lrs, inner):
        assert "dlbook-stack" in stack._dom_classes
        assert stack.selected_index == 0
        assert list(stack.children) == [box.images[(lr, act)] for act in activations]
    assert outer.selected_index == 0

    lr_knob, act_knob = box.knobs["lr"], box.knobs["activation"]
    assert [child for child in box.children if child in (lr_knob, act_knob)] == [lr_knob, act_knob]
    assert len(box.links) == 1 + 3
    _assert_linked(box.links[0], lr_knob, outer)
    for link, stack in zip(box.links[1:], inner):
        _assert_linked(link, act_knob, stack)


def test_three_knobs_nest_three_levels():
    experiment = Recorder()
    box = precomputed_control(
        experiment, {"lr": [0.1, 1.0], "activation": ["relu", "tanh"], "depth": [1, 2]}
    )
    assert len(box.images) == 8 and len(experiment.calls) == 8
    assert [len(level) for level in box.stacks] == [1, 2, 4]
    depth = 0
    node = _stack_of(box)
    while isinstance(node, PAGES):
        depth += 1
        node = node.children[0]
    assert depth == 3 and node is box.images[(0.1, "relu", 1)]
    depth_links = [link for link in box.links if link.source[0] is box.knobs["depth"]]
    assert {id(link.target[0]) for link in depth_links} == {id(s) for s in box.stacks[2]}
    assert len(box.links) == 1 + 2 + 4


# --------------------------------------------------------------------------- fast mode


def test_fast_mode_keeps_first_and_last_settings(monkeypatch):
    monkeypatch.setenv("DLBOOK_FAST", "1")
    experiment = Recorder()
    box = precomputed_control(experiment, {"lr": [0.01, 0.1, 1.0], "activation": ["relu"]})
    assert box.settings == {"lr": [0.01, 1.0], "activation": ["relu"]}
    assert experiment.calls == [(0.01, "relu", 1), (1.0, "relu", 1)]
    assert box.knobs["lr"].options == (("0.01", 0.01), ("1", 1.0))
    assert len(box.links) == 1 + 2


def test_fast_mode_uses_fast_knobs_when_given(monkeypatch):
    monkeypatch.setenv("DLBOOK_FAST", "1")
    experiment = Recorder()
    box = precomputed_control(
        experiment, {"lr": [0.01, 0.1, 1.0]}, fast_knobs={"lr": [0.1]}
    )
    assert experiment.calls == [(0.1, "relu", 1)]
    assert set(box.images) == {(0.1,)}


def test_full_mode_ignores_fast_knobs():
    experiment = Recorder()
    precomputed_control(experiment, {"lr": [0.01, 1.0]}, fast_knobs={"lr": [0.1]})
    assert [call[0] for call in experiment.calls] == [0.01, 1.0]


# --------------------------------------------------------------------------- validation


def _never_called(**kwargs):
    raise AssertionError("the experiment must not run when the knobs are invalid")


@pytest.mark.parametrize(
    "knobs, error, match",
    [
        ({}, ValueError, "knobs is empty"),
        ({"lr": []}, ValueError, "knob 'lr' in knobs has no settings"),
        ({"lr": [0.1, 0.2, 0.1]}, ValueError, r"repeats settings: 0\.1"),
        ({"act": ["relu", "relu"]}, ValueError, "repeats settings: 'relu'"),
        ({"lr": 0.1}, TypeError, "must be a list or tuple"),
        ({"act": "relu"}, TypeError, "must be a list or tuple"),
        ({"lr": [0.1, "big"]}, TypeError, "all numbers or all strings/bools"),
        ({"f": [max, min]}, TypeError, "all numbers or all strings/bools"),
        ({"lr": [float("nan")]}, ValueError, "NaN"),
        ([("lr", [0.1])], TypeError, "knobs must be a dict"),
    ],
)
def test_bad_knobs_are_rejected(knobs, error, match):
    with pytest.raises(error, match=match):
        precomputed_control(_never_called, knobs)


def test_knob_that_is_not_a_parameter_of_the_experiment():
    def experiment(lr, width=8):
        raise AssertionError("not called")

    message = r"knob 'depth' is not a keyword parameter.*\['lr', 'width'\]"
    with pytest.raises(ValueError, match=message):
        precomputed_control(experiment, {"lr": [0.1], "depth": [1, 2]})


def test_kwargs_experiment_accepts_any_knob_name():
    seen = []

    def experiment(**settings):
        seen.append(settings)
        return plt.figure(figsize=(1, 1), dpi=20)

    precomputed_control(experiment, {"anything_at_all": [1, 2]})
    assert seen == [{"anything_at_all": 1}, {"anything_at_all": 2}]


def test_required_parameter_without_knob_and_positional_only():
    def experiment(lr, width):
        raise AssertionError("not called")

    with pytest.raises(ValueError, match=r"needs parameter\(s\) \['width'\] that no knob sets"):
        precomputed_control(experiment, {"lr": [0.1]})

    def positional_only(lr, /):
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="knob 'lr' is not a keyword parameter"):
        precomputed_control(positional_only, {"lr": [0.1]})


def test_experiment_that_does_not_return_a_figure():
    with pytest.raises(TypeError, match=r"experiment\(lr=0\.1\) returned Axes"):
        precomputed_control(lambda lr: plt.subplots()[1], {"lr": [0.1]})
    with pytest.raises(TypeError, match="experiment must be callable"):
        precomputed_control("train", {"lr": [0.1]})


def test_fast_knobs_must_name_the_same_knobs():
    with pytest.raises(ValueError, match="fast_knobs must name the same knobs"):
        precomputed_control(_never_called, {"lr": [0.1, 1.0]}, fast_knobs={"width": [1]})
    with pytest.raises(ValueError, match="knob 'lr' in fast_knobs has no settings"):
        precomputed_control(_never_called, {"lr": [0.1, 1.0]}, fast_knobs={"lr": []})


# --------------------------------------------------------------------------- results


def _figure_and_result(lr, activation="relu"):
    """An experiment that also returns what it "measured": a dict per setting."""
    fig, ax = plt.subplots(figsize=(1.0, 1.0), dpi=30)
    ax.set_title(f"{lr}-{activation}")
    return fig, {"accuracy": lr * (2 if activation == "tanh" else 1), "activation": activation}


def test_results_map_each_setting_to_what_the_experiment_returned():
    knobs = {"lr": [0.1, 0.2], "activation": ["relu", "tanh"]}
    box = precomputed_control(_figure_and_result, knobs)
    assert list(box.results) == list(box.images)  # same keys, in itertools.product order
    assert list(box.results) == [(0.1, "relu"), (0.1, "tanh"), (0.2, "relu"), (0.2, "tanh")]
    assert box.results[0.2, "tanh"] == {"accuracy": 0.4, "activation": "tanh"}
    assert box.result(activation="relu", lr=0.2) == box.results[0.2, "relu"]
    for image in box.images.values():  # the figures still become the control's images
        assert bytes(image.value).startswith(PNG_MAGIC)
    assert plt.get_fignums() == []


def test_results_of_a_single_knob_use_one_tuples_and_fast_mode_settings(monkeypatch):
    monkeypatch.setenv("DLBOOK_FAST", "1")
    box = precomputed_control(_figure_and_result, {"lr": [0.1, 0.2, 0.3]})
    assert box.results == {(0.1,): {"accuracy": 0.1, "activation": "relu"},
                           (0.3,): {"accuracy": 0.3, "activation": "relu"}}
    assert box.result(lr=0.3)["accuracy"] == 0.3
    with pytest.raises(ValueError, match=r"no result for \{'lr': 0.2\}; the control computed"):
        box.result(lr=0.2)  # fast mode skipped it
    with pytest.raises(ValueError, match=r"needs one setting per knob \['lr'\]"):
        box.result(lr=0.1, activation="relu")


def test_a_figure_alone_gives_none_results_and_the_static_fallback_still_works():
    box = precomputed_control(Recorder(), {"lr": [0.1, 1.0]})
    assert box.results == {(0.1,): None, (1.0,): None}
    data = box._repr_mimebundle_()
    assert data["text/plain"].startswith("Interactive control (lr: [0.1, 1.0])")


def test_static_fallback_of_a_control_with_results():
    import base64

    box = precomputed_control(_figure_and_result, {"lr": [0.1, 0.2], "activation": ["relu"]})
    png = base64.b64decode(box._repr_mimebundle_()["image/png"])
    assert png.startswith(PNG_MAGIC)
    assert box.results[0.1, "relu"]["accuracy"] == 0.1


def test_experiment_returning_a_pair_without_a_figure_is_refused():
    with pytest.raises(TypeError, match=r"returned a tuple \(float, float\); it must return a "
                                        r"matplotlib Figure or a \(Figure, result\) pair"):
        precomputed_control(lambda lr: (lr, lr), {"lr": [0.1]})
    with pytest.raises(TypeError, match=r"returned a tuple \(Figure, int, int\)"):
        precomputed_control(lambda lr: (plt.figure(), 1, 2), {"lr": [0.1]})


# --------------------------------------------------------------------------- serialisation


def test_widget_tree_serialises_with_links_and_images():
    box = precomputed_control(Recorder(), {"lr": [0.1, 1.0], "activation": ["relu", "tanh"]})
    tree = [box, *box.knobs.values(), *box.images.values(), *box.links]
    tree += [stack for level in box.stacks for stack in level]
    state = widgets.Widget.get_manager_state(widgets=tree)["state"]

    for link in box.links:
        saved = state[link.model_id]
        assert saved["model_name"] == "LinkModel"
        knob, stack = link.source[0], link.target[0]
        assert saved["state"]["source"] == [f"IPY_MODEL_{knob.model_id}", "index"]
        assert saved["state"]["target"] == [f"IPY_MODEL_{stack.model_id}", "selected_index"]
    for image in box.images.values():
        assert state[image.model_id]["model_name"] == "ImageModel"
        assert state[image.model_id]["buffers"]  # the PNG travels with the saved state
    outer = box.stacks[0][0]
    assert state[outer.model_id]["state"]["selected_index"] == 0
    # the whole registry (everything alive in this process) serialises too
    assert box.model_id in widgets.Widget.get_manager_state()["state"]


def test_static_fallback_shows_every_setting_as_small_multiples():
    import base64

    import matplotlib.image

    from dlbook_lib.controls import small_multiples_png

    box = precomputed_control(
        Recorder(), {"lr": [0.1, 0.2, 0.3], "activation": ["relu", "tanh"]}, title="t"
    )
    data = box._repr_mimebundle_()
    # The live widget is still there, so Jupyter and the HTML book draw the control ...
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == box.model_id
    # ... and frontends without widgets get a readable line and one picture of all settings.
    assert data["text/plain"].startswith("Interactive control (lr: [0.1, 0.2, 0.3]; "
                                         "activation: ['relu', 'tanh'])")
    png = base64.b64decode(data["image/png"])
    assert png.startswith(PNG_MAGIC) and png == small_multiples_png(box)
    sheet = matplotlib.image.imread(io.BytesIO(png), format="png")
    # 3 rows (lr) x 2 columns (activation) of square panels plus a title line each: wider
    # than one panel, taller than wide.
    height, width = sheet.shape[:2]
    assert width == pytest.approx(2 * 4.5 * 100, abs=2)
    assert height > width
    assert plt.get_fignums() == []  # the sheet's figure is closed, not shown twice


def test_small_multiples_png_rejects_other_widgets():
    from dlbook_lib.controls import small_multiples_png

    with pytest.raises(TypeError, match="made by precomputed_control, got VBox"):
        small_multiples_png(widgets.VBox())


def test_small_multiples_wrap_a_long_knob_into_rows_of_three():
    import matplotlib.image

    from dlbook_lib.controls import small_multiples_png

    box = precomputed_control(Recorder(), {"lr": [0.1, 0.2, 0.3, 0.4, 0.5]})
    sheet = matplotlib.image.imread(io.BytesIO(small_multiples_png(box)), format="png")
    height, width = sheet.shape[:2]
    assert width == pytest.approx(3 * 4.5 * 100, abs=2)     # three columns, not five
    panel = matplotlib.image.imread(io.BytesIO(box.images[(0.1,)].value), format="png")
    one_row = 100 * (4.5 * panel.shape[0] / panel.shape[1] + 0.35)  # a panel plus its title
    assert height == pytest.approx(2 * one_row, abs=2)       # 5 panels -> 2 rows


# --------------------------------------------------------------------------- ipywidgets 7 and 8


def test_the_page_widget_follows_the_installed_ipywidgets():
    assert IPYWIDGETS_MAJOR == int(widgets.__version__.split(".")[0])
    if IPYWIDGETS_MAJOR >= 8:
        assert PAGES is widgets.Stack
    else:
        assert PAGES is widgets.Tab and not hasattr(widgets, "Stack")


@pytest.mark.skipif(IPYWIDGETS_MAJOR < 8, reason="ipywidgets 8 only")
def test_ipywidgets_8_controls_have_no_stylesheet():
    box = precomputed_control(Recorder(), {"lr": [0.1, 1.0]})
    assert not [c for c in box.children if isinstance(c, widgets.HTML)]
    assert box.children[-1] is box.stacks[0][0]


@pytest.mark.skipif(IPYWIDGETS_MAJOR >= 8, reason="ipywidgets 7 only")
def test_ipywidgets_7_tabs_carry_labels_and_a_hidden_stylesheet():
    box = precomputed_control(
        Recorder(), {"lr": [0.01, 0.1], "activation": ["relu", "tanh"]}, title="t"
    )
    outer = box.stacks[0][0]
    assert [outer.get_title(i) for i in range(2)] == ["0.01", "0.1"]
    for inner in box.stacks[1]:
        assert [inner.get_title(i) for i in range(2)] == ["relu", "tanh"]
    style = box.children[-1]
    assert isinstance(style, widgets.HTML) and style.value == TAB_BAR_STYLE
    assert style.layout.display == "none"
    assert ".dlbook-stack > .p-TabBar" in TAB_BAR_STYLE


@pytest.mark.skipif(IPYWIDGETS_MAJOR >= 8, reason="ipywidgets 7 only")
def test_ipywidgets_7_display_sends_the_widget_view_and_the_fallback(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda data, raw=False: shown.append((data, raw)))
    box = precomputed_control(Recorder(), {"lr": [0.1, 1.0]})
    box._ipython_display_()
    [(data, raw)] = shown
    assert raw is True
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == box.model_id
    assert data["text/plain"].startswith("Interactive control (lr: [0.1, 1.0])")
    assert data["image/png"]
