"""Stale-output, error and execution-order detection on small hand-made notebooks."""
import nbformat
import pytest

from notebook_state import METADATA_KEY, check_notebook, code_hash


def _notebook(tmp_path, *, mode="full", sources=("x = 1", "print(x)")):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title")]
    for i, src in enumerate(sources, start=1):
        cell = nbformat.v4.new_code_cell(src)
        cell.execution_count = i
        nb.cells.append(cell)
    nb.metadata[METADATA_KEY] = {"mode": mode, "code_sha256": code_hash(nb)}
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    return nb, path


def test_fresh_notebook_passes(tmp_path):
    _, path = _notebook(tmp_path)
    assert check_notebook(path) == []


def test_code_changed_after_run_is_stale(tmp_path):
    nb, path = _notebook(tmp_path)
    nb.cells[2].source = "print(x + 1)"
    nbformat.write(nb, path)
    [problem] = check_notebook(path)
    assert "stale outputs" in problem


def test_install_cell_is_not_part_of_the_hash(tmp_path):
    nb, path = _notebook(tmp_path)
    before = code_hash(nb)
    nb.cells.insert(1, nbformat.v4.new_code_cell("%pip install x",
                                                 metadata={"tags": ["dlbook-install"]}))
    assert code_hash(nb) == before


def test_fast_mode_outputs_and_missing_record_are_rejected(tmp_path):
    _, path = _notebook(tmp_path, mode="fast")
    assert any("'fast' mode" in p for p in check_notebook(path))
    nb = nbformat.read(path, as_version=4)
    del nb.metadata[METADATA_KEY]
    nbformat.write(nb, path)
    assert any("no execution record" in p for p in check_notebook(path))


def test_error_output_is_reported(tmp_path):
    nb, path = _notebook(tmp_path)
    nb.cells[2].outputs = [nbformat.v4.new_output("error", ename="NameError",
                                                  evalue="name 'y' is not defined", traceback=[])]
    nbformat.write(nb, path)
    [problem] = check_notebook(path)
    assert "NameError" in problem


@pytest.mark.parametrize("counts", [(2, 1), (1, 1), (1, None), (1, 3)])
def test_cells_not_run_in_order_are_reported(tmp_path, counts):
    nb, path = _notebook(tmp_path)
    for cell, count in zip(nb.cells[1:], counts):
        cell.execution_count = count
    nbformat.write(nb, path)
    assert any("execution count" in p for p in check_notebook(path))
