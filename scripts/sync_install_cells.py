"""Write the Colab install cell at the top of every notebook, from `_config.yml`.

The repository URL and branch live in one place, `_config.yml` (`repository:`). Each notebook
opens (after its title) with one small cell, tagged ``dlbook-install`` and ``remove-cell``
(hidden in the HTML book, left out of the notebooks' code hash), that prints one line:

* `dlbook_lib` importable (a local checkout, or Colab after the first run): installs nothing;
* missing on Colab (``google.colab`` imported, or ``COLAB_RELEASE_TAG`` set): installs it
  with pip from that repository. Plain ``pip install``, never ``--upgrade``: pip's default
  "only-if-needed" strategy leaves every installed package that satisfies dlbook_lib's
  ranges alone, which on Colab is all of them (numpy, torch, matplotlib, ipywidgets ...);
  dependencies that are missing are still installed;
* missing anywhere else: installs nothing and prints the pip command that would.

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


def package_spec(config_path: Path = ROOT / "_config.yml") -> str:
    """The pip requirement of `dlbook_lib` from the repository and branch in `_config.yml`."""
    config = yaml.safe_load(config_path.read_text())
    repo = config["repository"]
    url, branch = repo["url"].rstrip("/"), repo.get("branch", "main")
    return f"dlbook-lib @ git+{url}@{branch}"


def install_cell_source(
    config_path: Path = ROOT / "_config.yml", *, spec: str | None = None
) -> str:
    """The install cell's code, built from the repository URL and branch in `_config.yml`.

    ``spec`` replaces the pip requirement (tests install from a local checkout instead).
    Every line fits the notebooks' 88 columns; the cell is plain Python (pip runs in a
    subprocess, no ``%pip`` magic), so its one line of output is its own.
    """
    spec = package_spec(config_path) if spec is None else spec
    if '"' in spec or "\\" in spec:
        raise ValueError(f"pip requirement {spec!r} must not contain quotes or backslashes")
    return (
        "# dlbook_lib, the book's helper package: on Colab installed when missing (nothing\n"
        "# that Colab has is upgraded); elsewhere this cell only says how to install it.\n"
        "import os\n"
        "import sys\n"
        "\n"
        f'DLBOOK_LIB = "{spec}"\n'
        "try:\n"
        "    import dlbook_lib  # noqa: F401 (only: is it installed?)\n"
        '    print("dlbook_lib is installed: nothing to install")\n'
        "except ImportError:\n"
        '    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:\n'
        "        import importlib\n"
        "        import subprocess\n"
        "\n"
        "        # pip's default strategy: installs what is missing, upgrades nothing.\n"
        '        pip = [sys.executable, "-m", "pip", "install", "--quiet", DLBOOK_LIB]\n'
        "        subprocess.run(pip, check=True)\n"
        "        importlib.invalidate_caches()\n"
        '        print(f"installed {DLBOOK_LIB} (Colab\'s own packages kept)")\n'
        "    else:\n"
        "        print(f\"dlbook_lib is missing: install it with  pip install '{DLBOOK_LIB}'\")"
    )


def sync(path: Path, source: str, *, check: bool) -> bool:
    """Make the notebook's install cell match `source`; return True if it had to change."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if is_install_cell(c)]
    if len(cells) == 1 and cells[0].source == source:
        return False
    if check:
        return True
    if len(cells) == 1:
        # In place: the cell keeps its place, id and execution count, so the notebook's run
        # record stays valid (the cell is outside the code hash); its old output goes.
        cells[0].source = source
        cells[0].outputs = []
        tags = cells[0].metadata.setdefault("tags", [])
        tags += [tag for tag in (INSTALL_TAG, "remove-cell") if tag not in tags]
        nbformat.write(nb, path)
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
