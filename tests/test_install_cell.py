"""Tests for the lessons' install cell (scripts/sync_install_cells.py): what it does on Colab,
in a checkout with dlbook_lib installed, and on a machine that has neither.

The cell's code runs here with ``exec``, with ``import dlbook_lib`` made to fail where the
package should be missing and pip replaced by a recorder; `make test-colab`
(scripts/test_colab_stack.sh) runs it for real, with pip, in a Colab-like environment."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from notebook_state import INSTALL_TAG, code_hash, is_install_cell
from sync_install_cells import ROOT, install_cell_source, package_spec, sync

SPEC = package_spec()


def _run_cell(capsys, monkeypatch, *, installed: bool, colab: str | None):
    """Execute the install cell; return (printed lines, pip commands it ran)."""
    ran = []

    def fake_run(command, **kwargs):
        ran.append((command, kwargs))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if colab == "env":
        monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-20260819-060000-RC00")
    elif colab == "module":
        monkeypatch.setitem(sys.modules, "google.colab", object())
    if not installed:
        monkeypatch.setitem(sys.modules, "dlbook_lib", None)  # `import dlbook_lib` fails
    exec(compile(install_cell_source(), "<install cell>", "exec"), {})
    return capsys.readouterr().out.splitlines(), ran


def test_installed_package_installs_nothing(capsys, monkeypatch):
    for colab in (None, "env"):
        lines, ran = _run_cell(capsys, monkeypatch, installed=True, colab=colab)
        assert lines == ["dlbook_lib is installed: nothing to install"]
        assert ran == []


@pytest.mark.parametrize("colab", ["env", "module"])
def test_colab_without_the_package_installs_it_without_upgrading(capsys, monkeypatch, colab):
    lines, ran = _run_cell(capsys, monkeypatch, installed=False, colab=colab)
    [(command, kwargs)] = ran
    # pip's default upgrade strategy (only-if-needed): nothing already installed is replaced,
    # and missing dependencies are still installed (no --no-deps).
    assert command == [sys.executable, "-m", "pip", "install", "--quiet", SPEC]
    assert not {"-U", "--upgrade", "--force-reinstall", "--no-deps", "--upgrade-strategy"} \
        & set(command)
    assert kwargs == {"check": True}
    assert lines == [f"installed {SPEC} (Colab's own packages kept)"]


def test_elsewhere_without_the_package_it_says_how_to_install(capsys, monkeypatch):
    lines, ran = _run_cell(capsys, monkeypatch, installed=False, colab=None)
    assert ran == []
    assert lines == [f"dlbook_lib is missing: install it with  pip install '{SPEC}'"]


def test_spec_comes_from_config_and_can_be_replaced(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://example.org/me/book/\n  branch: dev\n")
    assert package_spec(config) == "dlbook-lib @ git+https://example.org/me/book@dev"
    assert 'DLBOOK_LIB = "dlbook-lib @ git+https://example.org/me/book@dev"' \
        in install_cell_source(config)
    local = install_cell_source(spec="dlbook-lib @ file:///tmp/dlbook")
    assert 'DLBOOK_LIB = "dlbook-lib @ file:///tmp/dlbook"' in local
    with pytest.raises(ValueError, match="quotes"):
        install_cell_source(spec='x"y')


def test_cell_is_plain_python_within_88_columns():
    source = install_cell_source()
    compile(source, "<install cell>", "exec")  # no IPython magic
    assert max(len(line) for line in source.splitlines()) <= 88
    assert "import dlbook_lib  # noqa: F401 (only: is it installed?)" in source


def test_cell_passes_ruff_in_a_notebook(tmp_path):
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).is_file():
        pytest.skip("ruff is not installed")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# T"),
                nbformat.v4.new_code_cell(install_cell_source(),
                                          metadata={"tags": [INSTALL_TAG, "remove-cell"]}),
                nbformat.v4.new_code_cell("import os\n\nprint(os.sep)")]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run([ruff, "check", "--config", str(ROOT / "pyproject.toml"),
                             str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sync_updates_the_cell_in_place_and_keeps_the_run_record(tmp_path):
    nb = nbformat.v4.new_notebook()
    old = nbformat.v4.new_code_cell("old", metadata={"tags": [INSTALL_TAG]}, execution_count=1)
    old.outputs = [nbformat.v4.new_output("stream", text="old output\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), old,
                nbformat.v4.new_code_cell("x = 1", execution_count=2)]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    before = code_hash(nb)
    source = install_cell_source()
    assert sync(path, source, check=True) is True
    assert sync(path, source, check=False) is True
    assert sync(path, source, check=False) is False  # now current
    synced = nbformat.read(path, as_version=4)
    assert [is_install_cell(c) for c in synced.cells] == [False, True, False]
    cell = synced.cells[1]
    assert cell.source == source and cell.id == old.id
    assert cell.execution_count == 1 and cell.outputs == []  # the run record stays valid
    assert cell.metadata["tags"] == [INSTALL_TAG, "remove-cell"]
    assert code_hash(synced) == before


def test_sync_inserts_the_cell_after_the_title(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1")]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert sync(path, install_cell_source(), check=False) is True
    synced = nbformat.read(path, as_version=4)
    assert [is_install_cell(c) for c in synced.cells] == [False, True, False]
    assert synced.cells[1].metadata["tags"] == [INSTALL_TAG, "remove-cell"]
    assert code_hash(synced) == code_hash(nb)
