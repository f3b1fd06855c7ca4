"""`python -m dlbook_lib`: print the environment a lesson would run in.

Versions, the device, fast/full mode, and which datasets were found where. Run it first when
a lesson misbehaves, and paste its output into a bug report.
"""
from __future__ import annotations

import importlib.metadata as md
import os
import platform


def environment_report() -> str:
    """The report as text (one `name: value` line each)."""
    from dlbook_lib import config, datasets

    lines = [f"python: {platform.python_version()} ({platform.platform()})"]
    for name in ["dlbook-lib", "numpy", "torch", "matplotlib", "ipywidgets", "scikit-learn"]:
        try:
            lines.append(f"{name}: {md.version(name)}")
        except md.PackageNotFoundError:
            lines.append(f"{name}: not installed")
    try:
        device = config.describe_device(config.get_device())
    except (ImportError, RuntimeError, ValueError) as error:
        device = f"unavailable ({error})"
    lines.append(f"device: {device}")
    fast = os.environ.get(config.FAST_ENV_VAR, "")
    lines.append(f"mode: {config.mode_name()} ({config.FAST_ENV_VAR}={fast!r})")
    found = datasets.find_fashion_mnist_dir()
    lines.append("fashion-mnist: " + (str(found) if found else
                 "not found (sudo apt-get install dataset-fashion-mnist, or set DLBOOK_DATA; "
                 "online, the loader downloads it)"))
    sets = ", ".join(datasets.SKLEARN_DATASETS)
    lines.append(f"scikit-learn sets: bundled with scikit-learn ({sets})")
    return "\n".join(lines)


if __name__ == "__main__":
    print(environment_report())
