"""Drive classic Jupyter Notebook (Colab's widget stack) in Chromium: run a lesson, turn knobs.

Run by scripts/test_colab_stack.sh (`make test-colab`) with the book's .venv (Playwright),
against a notebook server from .venv-colab (ipywidgets 7.7.1, classic Notebook 6.5) that
already serves the lesson. It:

1. opens the lesson and runs every cell with a live kernel (Cell > Run All), then checks that
   no cell holds an error and that the install cell printed the line expected of it;
2. finds the first control (``.dlbook-control``): the widget is drawn, not its static
   fallback picture, no tab bar shows, and exactly one picture is visible;
3. moves the slider (keyboard, as a reader would) and clicks a toggle button, checking that
   every setting shows another picture and that going back shows the first one again;
4. saves the widget state (Widgets > Save Notebook Widget State, then File > Save), shuts the
   kernel down, opens the notebook again (a new kernel that knows none of the widgets) and
   moves the slider once more: the picture still changes, in the browser alone.

Exits 0 when all holds; prints what it checked and any failure.

Usage: python drive_classic_notebook.py BASE_URL TOKEN NOTEBOOK EXPECTED_INSTALL_LINE [SHOTS]
"""
from __future__ import annotations

import json
import shutil
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from browser.conftest import CHROMIUM_ARGS  # noqa: E402  (the book's browser tests' flags)

# Run All is over when every code cell has its execution count, or when a cell failed (the
# notebook then drops the cells queued after it) and the kernel is idle again.
ALL_CELLS_RAN = """() => {
    const cells = Jupyter.notebook.get_cells().filter(c => c.cell_type === "code");
    const idle = Jupyter.notebook.kernel.is_connected() && document
        .querySelector("#kernel_indicator_icon").classList.contains("kernel_idle_icon");
    const failed = cells.some(c => c.output_area.outputs.some(o => o.output_type === "error"));
    return idle && cells.length > 0
        && (failed || cells.every(c => typeof c.input_prompt_number === "number"));
}"""

ERRORS = """() => Jupyter.notebook.get_cells().flatMap((c, i) => c.cell_type !== "code" ? [] :
    c.output_area.outputs.filter(o => o.output_type === "error")
        .map(o => `cell ${i}: ${o.ename}: ${o.evalue}`))"""

OUTPUT_TEXT = """i => Jupyter.notebook.get_cell(i).output_area.outputs
    .map(o => o.text || JSON.stringify(o.data || {})).join("")"""

# SHA-256 of every picture of the control that is shown (a hidden Tab page has no
# offsetParent), as in tests/browser/test_book_pages.py.
VISIBLE_DIGESTS = """async imgs => {
    const shown = imgs.filter(img => img.offsetParent !== null && img.naturalWidth > 0);
    return Promise.all(shown.map(async img => {
        const bytes = await (await fetch(img.src)).arrayBuffer();
        const digest = await crypto.subtle.digest("SHA-256", bytes);
        return Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, "0")).join("");
    }));
}"""

VISIBLE_COUNT = "els => els.filter(el => el.offsetParent !== null).length"


class Checks:
    """Collects what was checked; a failed check stops the run with its message."""

    def __init__(self, page, shots: Path | None):
        self.page, self.shots, self.count = page, shots, 0

    def __call__(self, condition: bool, message: str) -> None:
        if not condition:
            if self.shots is not None:
                self.page.screenshot(path=str(self.shots / "failure.png"), full_page=True)
            raise SystemExit(f"FAIL: {message}")
        self.count += 1
        print(f"ok: {message}")


def visible_picture(control, check) -> str:
    digests = control.locator("img").evaluate_all(VISIBLE_DIGESTS)
    check(len(digests) == 1, f"one picture of the control is visible (got {len(digests)})")
    return digests[0]


def settle(page) -> None:
    page.wait_for_timeout(600)


def turn_knobs(page, check, *, when: str) -> None:
    """Move the first control's slider and toggle buttons; each setting shows its picture."""
    control = page.locator(".dlbook-control").first
    control.wait_for(state="visible", timeout=60_000)
    check(control.locator(".p-TabBar, .lm-TabBar, .widget-tab-bar").evaluate_all(VISIBLE_COUNT)
          == 0, f"{when}: no tab bar is visible (the stylesheet hides them)")
    first = visible_picture(control, check)
    handle = control.locator(".ui-slider-handle").first  # ipywidgets 7's jQuery UI slider
    handle.focus()
    handle.press("ArrowRight")
    settle(page)
    moved = visible_picture(control, check)
    check(moved != first, f"{when}: moving the slider changed the picture")
    buttons = control.locator(".widget-toggle-button")
    if buttons.count() >= 2:
        buttons.nth(1).click()
        settle(page)
        toggled = visible_picture(control, check)
        check(toggled not in (first, moved), f"{when}: a toggle button changed the picture")
        buttons.nth(0).click()
        settle(page)
        check(visible_picture(control, check) == moved,
              f"{when}: the first toggle button brought the slider's picture back")
    handle.focus()
    handle.press("ArrowLeft")
    settle(page)
    check(visible_picture(control, check) == first,
          f"{when}: moving the slider back showed the first picture again")


def open_notebook(context, url: str, errors: list[str]):
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_function("() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
                           " && Jupyter.notebook.kernel.is_connected()", timeout=60_000)
    return page


def main() -> int:
    base, token, notebook, expected_install = sys.argv[1:5]
    shots = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    url = f"{base}/notebooks/{notebook}?token={token}"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    errors: list[str] = []
    off_loopback: list[str] = []
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})

        def only_loopback(route):
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "blob:",
                                             "data:")):
                route.continue_()
            else:
                off_loopback.append(route.request.url)
                route.abort()

        context.route("**/*", only_loopback)
        page = open_notebook(context, url, errors)
        check = Checks(page, shots)

        # 1. Run every cell with the live kernel, as a reader does (Cell > Run All).
        page.click("#celllink")
        page.click("#run_all_cells")
        page.wait_for_function(ALL_CELLS_RAN, timeout=300_000, polling=500)
        print(f"all cells ran in {time.monotonic() - started:.0f} s (since the page opened)")
        cell_errors = page.evaluate(ERRORS)
        check(cell_errors == [], f"no cell holds an error {cell_errors or ''}")
        install_output = page.evaluate(OUTPUT_TEXT, 1).strip()
        check(install_output == expected_install,
              f"the install cell printed {install_output!r}")

        # 2. The control is the live widget, not its static fallback picture.
        control_cell = page.locator(".cell", has=page.locator(".dlbook-control")).first
        check(control_cell.locator(".output_png").evaluate_all(VISIBLE_COUNT) == 0,
              "the control's output shows the widget, not the static fallback picture")

        # 3. Turn the knobs with the live kernel.
        turn_knobs(page, check, when="live kernel")
        if shots is not None:
            control_cell.screenshot(path=str(shots / "control-live.png"))

        # 4. Save the widget state, shut the kernel down, reopen: the knobs still work.
        page.locator("#menus a.dropdown-toggle", has_text="Widgets").click()
        page.get_by_text("Save Notebook Widget State").click()
        page.evaluate("() => Jupyter.notebook.save_notebook()")
        page.wait_for_function("() => !Jupyter.notebook.dirty", timeout=30_000)
        kernel_id = page.evaluate("() => Jupyter.notebook.kernel.id")
        page.close()
        request = urllib.request.Request(f"{base}/api/kernels/{kernel_id}", method="DELETE",
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            check(response.status == 204, "the lesson's kernel was shut down")
        with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=30) as response:
            check(kernel_id not in [k["id"] for k in json.load(response)],
                  "the old kernel is gone")
        page = open_notebook(context, url, errors)
        check.page = page
        new_kernel = page.evaluate("() => Jupyter.notebook.kernel.id")
        check(new_kernel != kernel_id, "the reopened notebook runs a new kernel")
        turn_knobs(page, check, when="reopened with saved widget state, new kernel")

        check(errors == [], f"no page error {errors or ''}")
        if off_loopback:
            print(f"note: {len(off_loopback)} request(s) off loopback blocked: {off_loopback}")
        browser.close()
    print(f"PASS: {check.count} checks in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
