#!/usr/bin/env bash
# Runs the unit tests of dlbook_lib in a separate venv against:
# * VERSIONS=oldest (default): the oldest versions pyproject.toml promises to support (torch
#   2.4, numpy 1.x, ...) with ipywidgets 7.7.1, Colab's and the floor; then the controls'
#   tests again on ipywidgets 8.1.2, the oldest 8.x tested;
# * VERSIONS=colab: Colab's own versions (googlecolab/backend-info, pip-freeze.txt of
#   2026-08-19: torch 2.11.0, numpy 2.1.3, ipywidgets 7.7.1 ...), for Colab's Python 3.13.
# PYTHON picks the interpreter (torch 2.4 has no wheels for 3.13, so `oldest` needs <= 3.12).
# Not part of `make test`: PyPI's torch is a CUDA build of several GB.
# Usage: [PYTHON=python3.12] [VERSIONS=oldest|colab] bash scripts/test_oldest_versions.sh [VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VERSIONS=${VERSIONS:-oldest}
VENV=${1:-.cache/venv-$VERSIONS-$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}
case "$VERSIONS" in
  oldest) pins=("torch==2.4.1" "numpy==1.26.4" "matplotlib==3.8.4" "scikit-learn==1.4.2"
                "ipywidgets==7.7.1" "widgetsnbextension==3.6.10" "tqdm==4.60.0") ;;
  colab)  pins=("torch==2.11.0" "numpy==2.1.3" "matplotlib==3.10.0" "scikit-learn==1.6.1"
                "ipywidgets==7.7.1" "widgetsnbextension==3.6.10" "tqdm==4.67.3"
                "ipykernel==6.17.1" "ipython==7.34.0" "traitlets==5.7.1" "pillow==11.3.0") ;;
  *) echo "VERSIONS must be oldest or colab, got $VERSIONS" >&2; exit 2 ;;
esac
test -d "$VENV" || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet "${pins[@]}" pytest nbformat pyyaml
run_tests() {
  PYTHONPATH="$PWD" "$VENV/bin/python" -m pytest -q -p no:cacheprovider -m "not browser" \
    -W ignore::DeprecationWarning "$@"
}
"$VENV/bin/python" -c 'import sys, ipywidgets, numpy, torch
print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, numpy {numpy.__version__},"
      f" ipywidgets {ipywidgets.__version__}")'
status=0
run_tests tests --ignore=tests/test_book_layout.py || status=1
if [ "$VERSIONS" = oldest ]; then
  "$VENV/bin/python" -m pip install --quiet "ipywidgets==8.1.2"
  "$VENV/bin/python" -c 'import ipywidgets; print(f"ipywidgets {ipywidgets.__version__}")'
  run_tests tests/test_controls.py tests/test_install_cell.py || status=1
  # Back to 7.7.1, so that a rerun starts from the same environment.
  "$VENV/bin/python" -m pip install --quiet "ipywidgets==7.7.1" "widgetsnbextension==3.6.10"
fi
exit $status
