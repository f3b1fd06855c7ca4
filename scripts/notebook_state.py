"""What a committed notebook must satisfy, and the record `make execute` leaves in it.

Every lesson is committed with the outputs of a full run. `scripts/execute_notebooks.py`
writes into each notebook's metadata, under ``"dlbook"``, the mode, the device, library
versions, the wall time, and a SHA-256 of its code cells. `check_notebook` then finds:

* stale outputs: the code changed after its outputs were made (hash mismatch);
* outputs from fast mode, or from no recorded run at all;
* error outputs;
* cells not executed once each, top to bottom (execution counts 1, 2, 3, ...).

The Colab install cell (tagged ``dlbook-install``) is left out of the hash: it is written by
`scripts/sync_install_cells.py` from `_config.yml` and does nothing locally.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat

INSTALL_TAG = "dlbook-install"
METADATA_KEY = "dlbook"


def is_install_cell(cell) -> bool:
    """True for the generated Colab install cell."""
    return cell.cell_type == "code" and INSTALL_TAG in cell.get("metadata", {}).get("tags", [])


def code_hash(nb) -> str:
    """SHA-256 of the notebook's code cells (install cell excluded), in order."""
    sources = [cell.source.rstrip() for cell in nb.cells
               if cell.cell_type == "code" and not is_install_cell(cell)]
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()


def check_notebook(path: str | Path) -> list[str]:
    """Return the problems of a committed notebook, in plain words; empty when it is fine."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    problems: list[str] = []
    record = nb.metadata.get(METADATA_KEY)
    if not record:
        problems.append(f"{path}: no execution record: run `make execute NB={path}`")
    else:
        if record.get("mode") != "full":
            problems.append(
                f"{path}: outputs come from {record.get('mode')!r} mode, not a full run")
        if record.get("code_sha256") != code_hash(nb):
            problems.append(f"{path}: stale outputs: code changed after the last run; "
                            f"run `make execute NB={path}`")
    expected = 1
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if not cell.source.strip():
            problems.append(f"{path}: cell {index} is an empty code cell")
            continue
        if cell.execution_count != expected:
            problems.append(f"{path}: cell {index} has execution count {cell.execution_count}, "
                            f"expected {expected} (cells must run once each, top to bottom)")
        expected = (cell.execution_count or expected) + 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"{path}: cell {index} holds an error: "
                                f"{output.get('ename')}: {output.get('evalue')}")
    return problems
