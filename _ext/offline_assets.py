"""Sphinx extension: serve MathJax and the Jupyter widget manager from the book itself.

`make book` runs scripts/fetch_web_assets.sh, which puts pinned copies of MathJax 3 and of
`@jupyter-widgets/html-manager` (with RequireJS) under `_vendor/`. When they are there, this
extension copies them into the built book's `_static/` and points Sphinx's `mathjax_path`
and myst-nb's `nb_ipywidgets_js` at them, so a page makes no request off the reader's machine.
When they are missing, the defaults (CDN addresses) stay and the build says so.

They live in `_vendor/`, not `_static/`, because Jupyter Book adds every `.js` file under
`_static/` to every page.

It also removes duplicated inline scripts (see `_drop_duplicate_scripts`).
"""
from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR_DIR = "_vendor"
MATHJAX_FILE = "mathjax/es5/tex-mml-chtml.js"
REQUIRE_FILE = "widgets/require.js"
WIDGETS_FILE = "widgets/embed-amd.js"
PATHS_FILE = "widgets-paths.js"  # _ext/static/: tells RequireJS where the widget files are


def _use_vendored_assets(app: Sphinx, config: Config) -> None:
    vendor = Path(app.srcdir) / VENDOR_DIR
    wanted = [vendor / MATHJAX_FILE, vendor / REQUIRE_FILE, vendor / WIDGETS_FILE]
    missing = [str(p.relative_to(app.srcdir)) for p in wanted if not p.is_file()]
    if missing:
        logger.info(
            "offline_assets: %s missing (run scripts/fetch_web_assets.sh); "
            "pages will load MathJax and the widget manager from CDNs",
            ", ".join(missing),
        )
        return
    config.html_static_path = [*config.html_static_path, str(vendor), str(Path(__file__).parent / "static")]
    config.mathjax_path = MATHJAX_FILE
    # Relative paths are resolved against _static/. No data-jupyter-widgets-cdn: the bundle
    # holds the standard widgets, and the book uses no third-party widget libraries.
    config.nb_ipywidgets_js = {REQUIRE_FILE: {}, PATHS_FILE: {}, WIDGETS_FILE: {}}
    logger.info("offline_assets: serving MathJax and the widget manager from %s", vendor)


def _drop_duplicate_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Keep one copy of each script tag.

    With Jupyter Book 1 / Sphinx 7 the inline scripts of sphinx-thebe and sphinx-togglebutton
    are emitted twice per page; the second `const THEBE_JS_URL` is a SyntaxError in the
    browser ("Identifier 'THEBE_JS_URL' has already been declared").
    """
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set = set()
    unique = []
    for script in scripts:
        # Inline scripts appear once with filename None and once with "": treat them alike.
        key = (getattr(script, "filename", str(script)) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: it is the builder's own list, which later handlers extend


# ipywidgets 8's controls call MathJax 2's `MathJax.Hub.Queue` to typeset widget labels; the
# book loads MathJax 3, which has no `Hub`, and every labelled widget would throw a TypeError
# and stop rendering. This maps the call onto MathJax 3's `typesetPromise`. Deferred scripts
# (MathJax) have run by DOMContentLoaded; widgets render later, on `load`.
MATHJAX2_HUB_SHIM = """
document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (mj && !mj.Hub) {
    mj.Hub = {Queue: function (job) {
      var element = job && job[2];
      if (mj.typesetPromise) { mj.typesetPromise(element ? [element] : undefined); }
    }};
  }
});
"""


def _add_mathjax2_shim(app: Sphinx, config: Config) -> None:
    app.add_js_file(None, body=MATHJAX2_HUB_SHIM.strip())


def setup(app: Sphinx) -> dict:
    # Run before myst-nb reads its configuration (default priority 500).
    app.connect("config-inited", _use_vendored_assets, priority=100)
    app.connect("config-inited", _add_mathjax2_shim)
    # Early: Sphinx stops calling html-page-context handlers at the first that returns a
    # value, so a late handler may never run.
    app.connect("html-page-context", _drop_duplicate_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

