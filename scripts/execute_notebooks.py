"""Re-run notebooks in full mode, in place, top to bottom, keeping widget state.

Usage: python scripts/execute_notebooks.py [PATH ...]   (folders are searched for *.ipynb)
       python scripts/execute_notebooks.py --fast PATH  (a quick try; tests reject its outputs)

Checkpoints go to a fresh folder under .cache/ for each run, so a full run never silently
resumes from an older run's checkpoint. To resume a killed run, set DLBOOK_CHECKPOINTS to the
folder it printed and run the same command again.

Each notebook gets a record in its metadata (see notebook_state.py): mode, device, library
versions, wall time and the hash of its code cells.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_state import METADATA_KEY, code_hash  # noqa: E402


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for name in ["numpy", "torch", "matplotlib", "ipywidgets", "scikit-learn", "dlbook-lib"]:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def execute(path: Path, *, fast: bool, timeout: int) -> float:
    """Execute one notebook in place; return its wall time in seconds."""
    from dlbook_lib.config import describe_device, get_device

    nb = nbformat.read(path, as_version=4)
    os.environ["DLBOOK_FAST"] = "1" if fast else "0"
    fresh_folder = "DLBOOK_CHECKPOINTS" not in os.environ
    if fresh_folder:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = Path(".cache") / "checkpoints" / f"{path.stem}-{stamp}"
        os.environ["DLBOOK_CHECKPOINTS"] = str(folder.resolve())
        print(f"  checkpoints: {folder} (set DLBOOK_CHECKPOINTS to it to resume)", flush=True)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        if fresh_folder:
            del os.environ["DLBOOK_CHECKPOINTS"]
    wall = time.perf_counter() - start
    nb.metadata[METADATA_KEY] = {
        "mode": "fast" if fast else "full",
        "device": describe_device(get_device()),
        "versions": library_versions(),
        "wall_seconds": round(wall, 1),
        "executed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code_sha256": code_hash(nb),
    }
    nbformat.write(nb, path)
    return wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["chapters"])
    parser.add_argument("--fast", action="store_true", help="fast mode (DLBOOK_FAST=1)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args()
    notebooks: list[Path] = []
    for raw in args.paths:
        p = Path(raw)
        if p.is_dir():
            notebooks += sorted(q for q in p.rglob("*.ipynb")
                                if ".ipynb_checkpoints" not in q.parts)
        elif p.suffix == ".ipynb" and p.is_file():
            notebooks.append(p)
        else:
            parser.error(f"{raw} is neither a notebook nor a folder")
    for nb_path in notebooks:
        print(f"executing {nb_path} ({'fast' if args.fast else 'full'} mode)...", flush=True)
        wall = execute(nb_path, fast=args.fast, timeout=args.timeout)
        print(f"  done in {wall:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
