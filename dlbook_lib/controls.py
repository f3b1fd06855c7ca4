"""Knobs that work in Jupyter, in Colab and on the static HTML page alike.

A Python callback behind a slider needs a running kernel, which the HTML book does not have.
So :func:`precomputed_control` runs the experiment once for every combination of a few
settings per knob, keeps each figure as a PNG image, and lets the *browser* switch images:

* the images sit in nested page widgets, one nesting level per knob (the outer one over the
  first knob's values holds one per value over the second knob, and so on, down to the
  images);
* every knob is tied with :func:`ipywidgets.jslink` from its ``index`` to the
  ``selected_index`` of every page widget on its level.

``jslink`` runs in the browser, so the widget state that Jupyter saves in the notebook (and
that myst-nb embeds in the HTML page) keeps working without Python.

The page widget depends on the installed ipywidgets, read once at import (:data:`PAGES`):

* **ipywidgets 8** (the book's pinned environment, Jupyter, the HTML book):
  :class:`ipywidgets.Stack`, which draws only its selected child.
* **ipywidgets 7.7** (what Colab ships, with its 7.x widget frontend; ``Stack`` does not exist
  there): :class:`ipywidgets.Tab`, whose ``selected_index`` picks the child it draws in the
  same way. A stylesheet in a hidden ``HTML`` widget of the control hides the tab bars and
  the tab borders (CSS class ``dlbook-stack``), so the knobs alone switch the picture; where
  a frontend drops the stylesheet, the tab bars show the settings' labels and switch the
  picture too (``jslink`` works both ways). Still all in the browser: the picture follows
  the knobs with a live kernel and in a notebook reopened with its saved widget state.

An experiment may also return a ``(Figure, result)`` pair: the control keeps each result in
``control.results`` (settings tuple -> result), so a lesson can print a table of what the runs
found without writing a global from inside the experiment.

Where no widget can be drawn at all (GitHub's notebook view, ``jupyter nbconvert`` without
the widget state), the control falls back to a static picture: every setting side by side as
small multiples, each labelled with its settings. Frontends that can draw the widget prefer
it and never show that picture.
"""
from __future__ import annotations

import base64
import html
import inspect
import io
import itertools
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.image
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from PIL import Image

from dlbook_lib.config import is_fast_mode
from dlbook_lib.plotting import figure_to_png

KnobValue = Any  # a number, a string or a bool

#: The major version of the installed ipywidgets: 8 (or later), or 7 (Colab ships 7.7.1).
IPYWIDGETS_MAJOR = int(widgets.__version__.split(".")[0])

#: The widget that shows one of its children, chosen by ``selected_index`` in the browser:
#: :class:`ipywidgets.Stack` on ipywidgets 8; on 7.7, which has no ``Stack``,
#: :class:`ipywidgets.Tab` with its tab bar hidden by :data:`TAB_BAR_STYLE`.
PAGES: type[widgets.Box] = widgets.Stack if IPYWIDGETS_MAJOR >= 8 else widgets.Tab

#: ipywidgets 7.7 only: the stylesheet that makes the ``Tab`` widgets of a control look like
#: ``Stack`` (no tab bar, no border, no padding). It sits in a hidden ``HTML`` widget of the
#: control, so it travels with the saved widget state. The tab bar's classes: ``p-TabBar``
#: (Phosphor, classic Notebook's widgetsnbextension 3.x, tested) and ``lm-TabBar`` (Lumino,
#: which JupyterLab's 7.x widget extension uses).
TAB_BAR_STYLE = (
    "<style>"
    ".dlbook-stack > .widget-tab-bar, .dlbook-stack > .p-TabBar, .dlbook-stack > .lm-TabBar"
    " { display: none !important; }"
    " .dlbook-stack > .widget-tab-contents"
    " { border: none !important; padding: 0 !important; overflow: visible !important; }"
    "</style>"
)


def _is_number(value: Any) -> bool:
    """True for ints and floats (NumPy's too), False for bools."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number_label(value: numbers.Real) -> str:
    """A short readable label: ``0.01``, ``3e-05``, ``128``."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return f"{float(value):g}"


def _check_knobs(knobs: Any, what: str) -> dict[str, list[KnobValue]]:
    """Validate a knobs mapping and return it as ``{name: [values, ...]}``."""
    if not isinstance(knobs, Mapping):
        raise TypeError(f"{what} must be a dict of name -> settings, got {type(knobs).__name__}")
    if len(knobs) == 0:
        raise ValueError(f"{what} is empty: give at least one knob, e.g. {{'lr': [0.01, 0.1]}}")
    checked: dict[str, list[KnobValue]] = {}
    for name, settings in knobs.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"knob name {name!r} in {what} is not a valid keyword argument name")
        if isinstance(settings, (str, bytes)) or not isinstance(settings, Sequence):
            raise TypeError(
                f"settings of knob {name!r} must be a list or tuple of values, "
                f"got {type(settings).__name__}"
            )
        values = list(settings)
        if len(values) == 0:
            raise ValueError(f"knob {name!r} in {what} has no settings")
        numeric = [_is_number(v) for v in values]
        if all(numeric):
            if any(math.isnan(float(v)) for v in values):
                raise ValueError(f"knob {name!r} in {what} has a NaN setting")
        elif not all(isinstance(v, (str, bool)) for v in values):
            raise TypeError(
                f"settings of knob {name!r} must be all numbers or all strings/bools, got "
                f"{[type(v).__name__ for v in values]} (use names and map them inside the "
                "experiment, e.g. activation='relu')"
            )
        duplicates = sorted({repr(v) for i, v in enumerate(values) if v in values[:i]})
        if duplicates:
            raise ValueError(f"knob {name!r} in {what} repeats settings: {', '.join(duplicates)}")
        checked[name] = values
    return checked


def _check_experiment(experiment: Any, names: Sequence[str]) -> None:
    """Check that ``experiment`` accepts every knob name as a keyword, and needs nothing else."""
    if not callable(experiment):
        raise TypeError(f"experiment must be callable, got {type(experiment).__name__}")
    try:
        signature = inspect.signature(experiment)
    except (TypeError, ValueError) as err:
        raise TypeError(f"cannot read the parameters of experiment {experiment!r}: {err}") from err
    params = signature.parameters
    takes_any_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    for name in names:
        param = params.get(name)
        if param is not None and param.kind in keyword_kinds:
            continue
        if param is None and takes_any_keyword:
            continue
        accepted = [p.name for p in params.values() if p.kind in keyword_kinds]
        raise ValueError(
            f"knob {name!r} is not a keyword parameter of experiment "
            f"{getattr(experiment, '__name__', experiment)!r}; it accepts {accepted}"
        )
    missing = [
        p.name
        for p in params.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        and p.name not in names
    ]
    if missing:
        raise ValueError(f"experiment needs parameter(s) {missing} that no knob sets")


def _labels(values: list[KnobValue]) -> list[str]:
    """The labels a knob shows for its settings: short numbers, or the strings/bools."""
    if all(_is_number(v) for v in values):
        labels = [_number_label(v) for v in values]
        if len(set(labels)) < len(labels):  # too close for the short form: show them in full
            labels = [repr(v) for v in values]
        return labels
    return [str(v) for v in values]


def _make_knob(name: str, values: list[KnobValue]) -> widgets.ValueWidget:
    """A SelectionSlider for numbers, ToggleButtons for strings/bools; starts at values[0]."""
    description = name.replace("_", " ")
    style = {"description_width": "initial"}  # show long descriptions in full
    labels = _labels(values)
    if all(_is_number(v) for v in values):
        knob = widgets.SelectionSlider(
            options=list(zip(labels, values)),
            index=0,
            description=description,
            style=style,
        )
    else:
        knob = widgets.ToggleButtons(
            options=list(zip(labels, values)),
            index=0,
            description=description,
            style=style,
        )
    knob.add_class("dlbook-knob")
    return knob


def _build_stack(
    settings_lists: list[list[KnobValue]],
    images: dict[tuple, widgets.Image],
    prefix: tuple,
    stacks_by_level: list[list[widgets.Box]],
) -> widgets.Widget:
    """The tree of :data:`PAGES` widgets below ``prefix``: one nesting level per knob, images
    at the leaves."""
    level = len(prefix)
    if level == len(settings_lists):
        return images[prefix]
    children = [
        _build_stack(settings_lists, images, prefix + (value,), stacks_by_level)
        for value in settings_lists[level]
    ]
    stack = PAGES(children=children, selected_index=0)
    if IPYWIDGETS_MAJOR < 8:  # a Tab: titles for its (hidden) tab bar
        for index, label in enumerate(_labels(settings_lists[level])):
            stack.set_title(index, label)
    stack.add_class("dlbook-stack")
    stacks_by_level[level].append(stack)
    return stack


class PrecomputedControl(widgets.VBox):
    """The box :func:`precomputed_control` returns: a ``VBox`` with a static fallback.

    Its display data holds the widget view and, for frontends that cannot draw widgets, a PNG
    of all settings as small multiples (``image/png``) and a one-line description
    (``text/plain``). Frontends pick the richest type they can show, so Jupyter, Colab after
    a run and the HTML book show the live control.
    """

    def result(self, **settings: KnobValue) -> Any:
        """The result of the experiment for one setting of every knob, e.g.
        ``control.result(activation="relu", learning_rate=0.1)``.

        Raises:
            ValueError: unless ``settings`` names every knob once, with a setting the control
                computed.
        """
        names = list(self.settings)
        if sorted(settings) != sorted(names):
            raise ValueError(f"result() needs one setting per knob {names}, got {sorted(settings)}")
        key = tuple(settings[name] for name in names)
        if key not in self.results:
            computed = ", ".join(f"{n}: {self.settings[n]}" for n in names)
            raise ValueError(f"no result for {settings}; the control computed {computed}")
        return self.results[key]

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        if IPYWIDGETS_MAJOR >= 8:
            data = super()._repr_mimebundle_(**kwargs)
        elif self._view_name is None:
            data = None
        else:  # ipywidgets 7 displays through _ipython_display_ below: the same view data
            data = {"application/vnd.jupyter.widget-view+json": {
                "version_major": 2, "version_minor": 0, "model_id": self.model_id}}
        if data is None:  # a widget without a view: nothing to add to
            return data
        names = list(self.settings)
        data["text/plain"] = (
            f"Interactive control ({'; '.join(f'{n}: {self.settings[n]}' for n in names)}). "
            "Without widgets, the picture shows every setting side by side."
        )
        data["image/png"] = base64.b64encode(small_multiples_png(self)).decode("ascii")
        return data

    if IPYWIDGETS_MAJOR < 8:
        # ipywidgets 7 widgets display through _ipython_display_ (IPython then ignores
        # _repr_mimebundle_): display the same bundle, fallback picture included.
        def _ipython_display_(self, **kwargs: Any) -> None:
            """Display the widget view with its static fallback (ipywidgets 7)."""
            from IPython.display import display

            data = self._repr_mimebundle_()
            if data is not None:
                display(data, raw=True)
                self._handle_displayed(**kwargs)


def small_multiples_png(control: PrecomputedControl, *, panel_width: float = 4.5) -> bytes:
    """All of a control's pictures in one PNG, each panel titled with its settings.

    The panels follow the order of the settings: one row per combination of the other knobs'
    settings and one column per setting of the last knob, or, when the last knob has more
    than four settings, rows of three panels (so a single knob with many settings does not
    become one very wide strip).

    Args:
        control: a box made by :func:`precomputed_control`.
        panel_width: width of one panel in inches (the images keep their aspect ratio).

    Returns:
        The PNG file's bytes (a 128-colour palette image, to keep notebooks small).

    Raises:
        TypeError: if ``control`` was not made by :func:`precomputed_control`.
    """
    if not isinstance(control, PrecomputedControl):
        raise TypeError(
            f"control must be made by precomputed_control, got {type(control).__name__}"
        )
    names = list(control.settings)
    last_settings = control.settings[names[-1]]
    keys = list(itertools.product(*(control.settings[n] for n in names)))
    n_cols = len(last_settings) if len(last_settings) <= 4 else 3
    n_rows = math.ceil(len(keys) / n_cols)
    pictures = {
        key: matplotlib.image.imread(io.BytesIO(image.value), format="png")
        for key, image in control.images.items()
    }
    height, width = next(iter(pictures.values())).shape[:2]
    panel_height = panel_width * height / width + 0.35  # room for the panel's title
    fig, axes = plt.subplots(
        n_rows, n_cols, squeeze=False, figsize=(panel_width * n_cols, panel_height * n_rows)
    )
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, key in zip(axes.flat, keys):
        ax.imshow(pictures[key])
        ax.set_title(", ".join(f"{n} = {v}" for n, v in zip(names, key)), fontsize=8)
    fig.tight_layout(pad=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    # The sheet is saved inside the notebook next to the widget's own images: a palette of 128
    # colours (Pillow comes with matplotlib) keeps it about a quarter of the size, and plots
    # with a handful of colours look the same.
    buffer.seek(0)
    palette = Image.open(buffer).convert("RGB").quantize(colors=128)
    small = io.BytesIO()
    palette.save(small, format="png", optimize=True)
    return small.getvalue()


def precomputed_control(
    experiment: Callable[..., Figure | tuple[Figure, Any]],
    knobs: Mapping[str, Sequence[KnobValue]],
    *,
    fast_knobs: Mapping[str, Sequence[KnobValue]] | None = None,
    title: str | None = None,
) -> PrecomputedControl:
    """Pre-compute a figure per combination of knob settings; the browser switches them.

    ``experiment(**settings)`` is called once per combination, in ``itertools.product`` order
    of the knobs' settings; each figure becomes a PNG :class:`ipywidgets.Image` and is closed.
    An experiment that returns ``(figure, result)`` also hands back what it measured (a number,
    a history dict...): ``box.results`` maps each settings tuple to it, so no global is needed.
    Numeric knobs become a ``SelectionSlider``, string/bool knobs ``ToggleButtons``; each is
    ``jslink``-ed (``index`` -> ``selected_index``) to every page widget of its nesting level,
    so the control works without a kernel (static HTML book, a reopened notebook). The page
    widget follows the installed ipywidgets (:data:`PAGES`): ``Stack`` on ipywidgets 8; on 7.7
    (Colab), which has no ``Stack``, a ``Tab`` whose tab bar the control's stylesheet hides,
    linked in the browser the same way.

    Example::

        def experiment(lr, activation):
            ...train, then return a matplotlib Figure...

        precomputed_control(experiment, {"lr": [0.001, 0.01, 0.1], "activation": ["relu", "tanh"]})

        def experiment(lr, activation):     # a figure and what the run measured
            ...
            return fig, history["val_accuracy"][-1]

        control = precomputed_control(experiment, {"lr": [0.01, 0.1], "activation": ["relu"]})
        control.results[0.1, "relu"]        # or control.result(lr=0.1, activation="relu")

    Args:
        experiment: returns a ``matplotlib.figure.Figure`` for one setting of every knob, or a
            pair ``(Figure, result)`` with any result object.
        knobs: keyword of ``experiment`` -> its settings (a list, at least one value, no
            duplicates; all numbers, or all strings/bools). Keep them few: the number of
            figures is the product of the list lengths.
        fast_knobs: settings to use in fast mode (``DLBOOK_FAST=1``), same names as ``knobs``;
            when ``None`` fast mode keeps each knob's first and last setting.
        title: optional bold line above the knobs.

    Returns:
        A :class:`PrecomputedControl` (a ``VBox``, CSS class ``dlbook-control``) holding the
        title, the knobs and the outer page widget (and, on ipywidgets 7, a hidden ``HTML``
        widget with :data:`TAB_BAR_STYLE`); where widgets cannot be drawn it shows all
        settings as small multiples instead (:func:`small_multiples_png`). For inspection
        it carries: ``box.knobs`` (name -> knob widget), ``box.images`` (settings tuple in
        knob order -> Image), ``box.links`` (every ``Link`` that ``jslink`` made),
        ``box.stacks`` (one list of page widgets, ``Stack`` or ``Tab``, per knob level),
        ``box.settings`` (name -> the settings actually used) and ``box.results`` (the same
        keys as ``box.images``, in knob order, also for a single knob: ``(value,)``; each
        maps to the experiment's result, ``None`` where it returned a Figure alone);
        :meth:`PrecomputedControl.result` looks one up by knob names.

    Raises:
        TypeError: if ``experiment`` is not callable or returns neither a Figure nor a
            ``(Figure, result)`` pair, or knob settings have the wrong type.
        ValueError: for an empty ``knobs``, a knob without settings, repeated settings, a knob
            name that ``experiment`` does not accept, a required parameter of ``experiment``
            that no knob sets, or ``fast_knobs`` with other names than ``knobs``.
    """
    full_settings = _check_knobs(knobs, "knobs")
    if fast_knobs is not None:
        fast_settings = _check_knobs(fast_knobs, "fast_knobs")
        if list(fast_settings) != list(full_settings):
            raise ValueError(
                f"fast_knobs must name the same knobs as knobs, in the same order: "
                f"got {list(fast_settings)}, expected {list(full_settings)}"
            )
    else:  # first and last: the fewest settings that still exercise the switching
        fast_settings = {
            name: values[:1] + values[-1:] if len(values) > 1 else values
            for name, values in full_settings.items()
        }
    names = list(full_settings)
    _check_experiment(experiment, names)
    settings = fast_settings if is_fast_mode() else full_settings
    settings_lists = [settings[name] for name in names]

    images: dict[tuple, widgets.Image] = {}
    results: dict[tuple, Any] = {}
    for combination in itertools.product(*settings_lists):
        kwargs = dict(zip(names, combination))
        returned = experiment(**kwargs)
        fig, result = returned, None
        if isinstance(returned, tuple) and len(returned) == 2:
            fig, result = returned
        if not isinstance(fig, Figure):
            got = type(returned).__name__
            if isinstance(returned, tuple):
                got = f"a tuple ({', '.join(type(item).__name__ for item in returned)})"
            raise TypeError(
                f"experiment({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) returned "
                f"{got}; it must return a matplotlib Figure or a (Figure, result) pair"
            )
        results[combination] = result
        image = widgets.Image(
            value=figure_to_png(fig),
            format="png",
            layout=widgets.Layout(max_width="100%", height="auto"),
        )
        images[combination] = image

    stacks_by_level: list[list[widgets.Box]] = [[] for _ in names]
    outer_stack = _build_stack(settings_lists, images, (), stacks_by_level)

    knob_widgets = {name: _make_knob(name, settings[name]) for name in names}
    links = [
        widgets.jslink((knob_widgets[name], "index"), (stack, "selected_index"))
        for name, level_stacks in zip(names, stacks_by_level)
        for stack in level_stacks
    ]

    header = [] if title is None else [widgets.HTML(f"<b>{html.escape(title)}</b>")]
    # ipywidgets 7: the stylesheet that hides the Tabs' bars, in a widget that draws nothing.
    style = [] if IPYWIDGETS_MAJOR >= 8 else [
        widgets.HTML(TAB_BAR_STYLE, layout=widgets.Layout(display="none"))]
    box = PrecomputedControl(children=[*header, *knob_widgets.values(), outer_stack, *style])
    box.add_class("dlbook-control")
    # Plain attributes (not traits): they keep the links alive and let tests inspect the tree.
    box.knobs = knob_widgets
    box.images = images
    box.links = links
    box.stacks = stacks_by_level
    box.settings = {name: list(values) for name, values in zip(names, settings_lists)}
    box.results = results
    return box
