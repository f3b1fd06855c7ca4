#!/usr/bin/env bash
# Runs ON the lent GPU machine (see scripts/device_bundle.sh): installs the carried wheels,
# executes the given notebooks in full mode in place (scripts/execute_notebooks.py) and copies
# them to $OUT, from where the device tool brings them back.
# Usage there: bash scripts/device_execute.sh NOTEBOOK.ipynb [...]
set -euo pipefail
test -d .device/whl || { echo "no .device/whl: carry .device (scripts/device_bundle.sh)" >&2; exit 1; }
test "$#" -gt 0 || { echo "name the notebooks to execute" >&2; exit 1; }
python3 -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .device/whl/*.whl
export PYTHONPATH=/tmp/site DLBOOK_DATA="$PWD/.device/data" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
status=0
python3 scripts/execute_notebooks.py "$@" || status=$?
for notebook in "$@"; do
  cp "$notebook" "${OUT:-/tmp}/"
done
exit "$status"
