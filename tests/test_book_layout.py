"""The book's structure: every _toc.yml entry exists, every notebook is listed, and every
committed notebook carries fresh full-run outputs and the current Colab install cell."""
from pathlib import Path

import nbformat
import pytest
import yaml

from notebook_state import check_notebook, is_install_cell
from sync_install_cells import install_cell_source

ROOT = Path(__file__).resolve().parent.parent


def _toc_files(node) -> list[str]:
    files = []
    if isinstance(node, dict):
        if "file" in node:
            files.append(node["file"])
        for value in node.values():
            files += _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            files += _toc_files(item)
    return files


TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
TOC_FILES = [TOC["root"], *_toc_files(TOC.get("parts", []))]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)


def _resolve(entry: str) -> list[Path]:
    return [p for p in (ROOT / f"{entry}{ext}" for ext in (".ipynb", ".md")) if p.is_file()]


@pytest.mark.parametrize("entry", TOC_FILES)
def test_every_toc_entry_exists(entry):
    assert len(_resolve(entry)) == 1, (
        f"_toc.yml lists {entry!r}, but no single .ipynb/.md has that name")


def test_every_notebook_is_listed_in_the_toc():
    listed = {p for entry in TOC_FILES for p in _resolve(entry)}
    unlisted = [str(p.relative_to(ROOT)) for p in NOTEBOOKS if p not in listed]
    assert not unlisted, f"notebooks missing from _toc.yml: {unlisted}"
    assert NOTEBOOKS, "no notebooks under chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_are_fresh_full_runs(path):
    problems = check_notebook(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_current_install_cell(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if is_install_cell(c)]
    assert len(cells) == 1 and cells[0].source == install_cell_source(), (
        f"{path.name}: run `python scripts/sync_install_cells.py`")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


def test_shell_scripts_parse():
    """Every script under scripts/ is valid bash (they run on machines CI never sees)."""
    import subprocess

    scripts = sorted((ROOT / "scripts").glob("*.sh"))
    assert scripts
    for script in scripts:
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{script.name}: {result.stderr}"
