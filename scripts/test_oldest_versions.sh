#!/usr/bin/env bash
# Runs the unit tests of dlbook_lib against the oldest versions pyproject.toml promises to
# support (torch 2.4, numpy 1.x, ...), in a separate venv. Not part of `make test`: PyPI's
# torch 2.4 is a CUDA build of several GB. Usage: bash scripts/test_oldest_versions.sh [VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.cache/venv-oldest}
test -d "$VENV" || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet "torch==2.4.1" "numpy==1.26.4" "matplotlib==3.8.4" \
  "ipywidgets==8.1.2" "scikit-learn==1.4.2" "tqdm" "pytest" "nbformat" "pyyaml"
PYTHONPATH="$PWD" "$VENV/bin/python" -m pytest tests -q -p no:cacheprovider -m "not browser" \
  --ignore=tests/test_book_layout.py -W ignore::DeprecationWarning
