#!/usr/bin/env bash
# Prepares .device/ for full runs of notebooks on a lent GPU machine (the `device` tool of this
# workplace). That machine has Python 3.12 with PyTorch, NumPy, matplotlib, scikit-learn and
# tqdm, but no Jupyter packages and no network. This puts into .device/ (ignored by git):
#   whl/   wheels of the pinned Jupyter packages (requirements.txt) and of dlbook_lib itself
#   data/  the four Fashion-MNIST files
# Then call the device tool with carry [".device"] and the command
#   bash scripts/device_execute.sh chapters/part4_cnn/4_04_lenet.ipynb ...
# Usage: bash scripts/device_bundle.sh   (needs `make venv` and the Fashion-MNIST files here)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
test -x "$PY" || { echo "run 'make venv' first" >&2; exit 1; }
rm -rf .device && mkdir -p .device/whl .device/data/fashion-mnist

# The Jupyter packages that executing a notebook needs, at the versions this book pins, and
# everything they need, as wheels for CPython 3.12 on x86-64 Linux.
grep -iE '^(nbclient|nbformat|ipykernel|ipywidgets)==' requirements.txt > .device/top.txt
"$PY" -m pip download --quiet --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform any \
  -c requirements.txt -r .device/top.txt -d .device/whl
rm .device/top.txt
# The machine has these already (see the device tool's KINDS.md); carrying them would only
# shadow its own versions.
for name in attrs packaging psutil pygments python_dateutil typing_extensions; do
  rm -f .device/whl/"$name"-*.whl
done
"$PY" -m pip wheel --quiet --no-deps --no-build-isolation -w .device/whl .
rm -rf build  # setuptools' scratch folder from building that wheel

# Fashion-MNIST, from wherever dlbook_lib finds it here.
src=$("$PY" -c "from dlbook_lib.datasets import find_fashion_mnist_dir as f; d = f(); print(d or '')")
test -n "$src" || { echo "no Fashion-MNIST files here: see README (dataset-fashion-mnist)" >&2; exit 1; }
cp "$src"/*-ubyte* .device/data/fashion-mnist/

echo "prepared .device/ ($(du -sh .device | cut -f1)); the whole carried tree must stay under 64 MiB:"
du -sh --exclude=.git --exclude=.venv --exclude=_build --exclude=_vendor --exclude=.cache . | cut -f1
