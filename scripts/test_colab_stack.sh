#!/usr/bin/env bash
# `make test-colab`: the lessons on Colab's widget stack, in a real client.
#
# 1. .venv-colab (ignored) gets Colab's versions of the widget stack and of dlbook_lib's
#    dependencies (tests/colab/requirements-colab.txt: ipywidgets 7.7.1, widgetsnbextension
#    3.6.10, classic Notebook 6.5.7, ipykernel 6.17.1, ...), without dlbook_lib;
# 2. the unit tests of dlbook_lib.controls run on ipywidgets 7.7.1 (the package imported from
#    this checkout, nothing installed);
# 3. classic Jupyter Notebook from .venv-colab serves a copy of lesson 1.3 on 127.0.0.1, with
#    COLAB_RELEASE_TAG set as on Colab and DLBOOK_FAST=1; the copy's install cell is the one
#    scripts/sync_install_cells.py writes, with this checkout (file://) in place of the
#    GitHub URL, which this machine cannot reach;
# 4. tests/colab/drive_classic_notebook.py (the book's .venv: Playwright over Debian's
#    Chromium) runs every cell with a live kernel (the install cell installs dlbook_lib with
#    pip, as on Colab), turns the control's knobs and checks the picture changes, then saves
#    the widget state, reopens the notebook on a new kernel and turns them again;
# 5. `pip freeze` of .venv-colab before and after: installing dlbook_lib added dlbook-lib
#    and replaced nothing.
#
# Usage: bash scripts/test_colab_stack.sh   (VENV_COLAB=path for another venv, PYTHON=the
# interpreter to make it with, BOOK_VENV=the book's venv; KEEP=1 keeps the temporary folder
# with the notebook, the server log and a screenshot of the control)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV_COLAB=${VENV_COLAB:-.venv-colab}
case "$VENV_COLAB" in /*) ;; *) VENV_COLAB="$ROOT/$VENV_COLAB" ;; esac
PY=${PYTHON:-python3}
BOOK_PY=${BOOK_VENV:-.venv}/bin/python  # the book's venv: Playwright, nbformat
REQS=tests/colab/requirements-colab.txt
LESSON=chapters/part1_foundations/1_03_perceptron.ipynb
started=$SECONDS

# Like the book's browser tests: without Chromium or Playwright, skip locally, fail under CI.
missing=""
command -v chromium >/dev/null || missing="Chromium (sudo apt-get install chromium)"
"$BOOK_PY" -c 'import playwright' 2>/dev/null \
  || missing="${missing:+$missing, }the book's venv with Playwright (make venv)"
if [ -n "$missing" ]; then
  case "${CI:-}" in
    1|true|TRUE|True|yes) echo "FAIL: test-colab needs $missing (CI=true)"; exit 1 ;;
    *) echo "SKIP: test-colab needs $missing"; exit 0 ;;
  esac
fi

# 1. The Colab-like stack, re-made when its pins change.
stamp="$VENV_COLAB/.stack-installed"
if ! { test -f "$stamp" && cmp -s "$stamp" "$REQS"; }; then
  rm -rf "$VENV_COLAB"
  "$PY" -m venv "$VENV_COLAB"
  "$VENV_COLAB/bin/python" -m pip install --quiet -r "$REQS" >"$VENV_COLAB/pip-install.log" 2>&1 \
    || { cat "$VENV_COLAB/pip-install.log"; exit 1; }
  cp "$REQS" "$stamp"
fi
CPY="$VENV_COLAB/bin/python"
"$CPY" -m pip uninstall --quiet --yes dlbook-lib >/dev/null 2>&1 || true
# (from /, so that this checkout is not on sys.path)
(cd / && "$CPY" - <<'EOF'
import sys
import ipywidgets, notebook, numpy, torch, widgetsnbextension
print(f"colab-like stack: Python {sys.version.split()[0]}, ipywidgets {ipywidgets.__version__}, "
      f"widgetsnbextension {widgetsnbextension.__version__}, notebook {notebook.__version__}, "
      f"numpy {numpy.__version__}, torch {torch.__version__}")
assert ipywidgets.__version__ == "7.7.1" and not hasattr(ipywidgets, "Stack")
try:
    import dlbook_lib  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("dlbook_lib is importable before the install cell ran")
EOF
)

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# 2. The controls' unit tests on ipywidgets 7.7.1 (dlbook_lib from this checkout).
PYTHONPATH="$ROOT" "$CPY" -m pytest tests/test_controls.py -q -p no:cacheprovider \
  -W ignore::DeprecationWarning

"$CPY" -m pip freeze --all | sort > "$tmp/freeze-before.txt"

# 3. A copy of the lesson, with the install cell pointed at this checkout.
mkdir -p "$tmp/notebooks" "$tmp/jupyter-data" "$tmp/jupyter-config" "$tmp/checkpoints"
spec="dlbook-lib @ file://$ROOT"
"$BOOK_PY" - "$LESSON" "$tmp/notebooks" "$spec" <<'EOF'
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, "scripts")
from sync_install_cells import install_cell_source, sync

lesson, folder, spec = sys.argv[1:4]
copy = Path(folder) / Path(lesson).name
nb = nbformat.read(lesson, as_version=4)
for cell in nb.cells:  # a fresh notebook: no outputs, no widget state of ipywidgets 8
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
nb.metadata.pop("widgets", None)
nbformat.write(nb, copy)
sync(copy, install_cell_source(spec=spec), check=False)
EOF

port=$("$CPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$("$CPY" -c 'import secrets; print(secrets.token_hex(16))')
# Colab's marker, fast mode, and Jupyter folders of our own (no user kernels or settings).
env PATH="$(dirname "$CPY"):$PATH" COLAB_RELEASE_TAG=dlbook-test-colab DLBOOK_FAST=1 \
  DLBOOK_CHECKPOINTS="$tmp/checkpoints" JUPYTER_DATA_DIR="$tmp/jupyter-data" \
  JUPYTER_CONFIG_DIR="$tmp/jupyter-config" \
  "$(dirname "$CPY")/jupyter-notebook" --no-browser --ip=127.0.0.1 --port="$port" \
  --port-retries=0 --allow-root --NotebookApp.token="$token" --notebook-dir="$tmp/notebooks" \
  >"$tmp/server.log" 2>&1 &
server_pid=$!
up() { "$CPY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' \
  "http://127.0.0.1:$port/api/status?token=$token" 2>/dev/null; }
for _ in $(seq 1 60); do
  if up; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
  sleep 0.5
done
up || { cat "$tmp/server.log"; echo "the notebook server did not start"; exit 1; }

# 4. The real client: Chromium, the lesson, a live kernel, the knobs.
if ! "$BOOK_PY" tests/colab/drive_classic_notebook.py "http://127.0.0.1:$port" "$token" \
    "$(basename "$LESSON")" "installed $spec (Colab's own packages kept)" "$tmp/shots"; then
  echo "--- notebook server log (last 60 lines)"; tail -n 60 "$tmp/server.log"
  exit 1
fi

# 5. Installing dlbook_lib replaced nothing.
"$CPY" -m pip freeze --all | sort > "$tmp/freeze-after.txt"
added=$(comm -13 "$tmp/freeze-before.txt" "$tmp/freeze-after.txt")
removed=$(comm -23 "$tmp/freeze-before.txt" "$tmp/freeze-after.txt")
if [ -n "$removed" ] || [ "$(grep -vc '^dlbook-lib @ ' <<<"$added" || true)" != 0 ] \
    || ! grep -q '^dlbook-lib @ ' <<<"$added"; then
  echo "FAIL: pip freeze changed beyond adding dlbook-lib"
  echo "removed or replaced:"; echo "${removed:-  (none)}"
  echo "added:"; echo "${added:-  (none)}"
  exit 1
fi
echo "ok: pip freeze before/after the install cell: only added $added"
echo "PASS: test-colab in $((SECONDS - started)) s"
