"""Shared test set-up: the Agg backend, and access to the maintenance scripts in scripts/."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def running_in_ci() -> bool:
    """True under CI (`CI=true`), where a missing dataset or browser must fail, not skip."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
