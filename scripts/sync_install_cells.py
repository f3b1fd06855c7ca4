"""Write the Colab install cell at the top of every notebook, from `_config.yml`.

The repository URL and branch live in one place, `_config.yml` (`repository:`). Each notebook
opens (after its title) with one small cell, tagged ``dlbook-install`` and ``remove-cell``
(hidden in the HTML book), that installs `dlbook_lib` from that repository when it is missing
(Colab) and does nothing where it is installed (a local checkout).

Usage: python scripts/sync_install_cells.py [--check]   (--check: report, change nothing)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_state import INSTALL_TAG, is_install_cell  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def install_cell_source(config_path: Path = ROOT / "_config.yml") -> str:
    """The install cell's code, built from the repository URL and branch in `_config.yml`."""
    config = yaml.safe_load(config_path.read_text())
    repo = config["repository"]
    url, branch = repo["url"].rstrip("/"), repo.get("branch", "main")
    return (
        "# On Colab: install the book's helper package when it is missing. Locally: nothing.\n"
        "try:\n"
        "    import dlbook_lib  # noqa: F401 (only: is it installed?)\n"
        "except ImportError:\n"
        f'    %pip install --quiet "dlbook-lib @ git+{url}@{branch}"'
    )


def sync(path: Path, source: str, *, check: bool) -> bool:
    """Make the notebook's install cell match `source`; return True if it had to change."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if is_install_cell(c)]
    if len(cells) == 1 and cells[0].source == source:
        return False
    if check:
        return True
    nb.cells = [c for c in nb.cells if not is_install_cell(c)]
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [INSTALL_TAG, "remove-cell"]})
    position = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells.insert(position, cell)
    nbformat.write(nb, path)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    source = install_cell_source()
    changed = [p for p in sorted((ROOT / "chapters").rglob("*.ipynb"))
               if ".ipynb_checkpoints" not in p.parts and sync(p, source, check=args.check)]
    for p in changed:
        print(("out of date: " if args.check else "updated: ") + str(p.relative_to(ROOT)))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
