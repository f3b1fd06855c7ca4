# dlbook: build the book, run the tests, re-execute the lessons. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PORT ?= 8000
NB ?= chapters
# Prints how long a part of `make test` took.
TIMED = TIMEFORMAT="[time] $@: %R s"; time

.PHONY: help venv book web-assets serve test test-setup lint test-unit test-notebooks test-book \
        test-browser test-colab execute env clean

help:
	@echo "make book      build the HTML book into _build/html (committed outputs, warnings are errors)"
	@echo "make serve     serve _build/html on http://127.0.0.1:$(PORT) (loopback only)"
	@echo "make test      lint, unit tests, every notebook in fast mode, the book build, browser tests, test-colab"
	@echo "make lint      ruff check of dlbook_lib, tests, scripts and the notebooks ([tool.ruff])"
	@echo "make test-colab  lesson 1.3 in classic Jupyter on Colab's widget stack (ipywidgets 7.7.1)"
	@echo "make execute   re-run notebooks in full mode, in place (NB=path/to/notebook.ipynb for one)"
	@echo "make env       print versions, device, mode and the datasets found"

# The virtual environment with the pinned, tested versions (requirements.txt) and the
# helper package installed editable. Re-made when requirements.txt or pyproject.toml change.
venv: $(INSTALLED)
$(INSTALLED): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

web-assets:
	bash scripts/fetch_web_assets.sh

book: venv web-assets
	rm -rf _build/html
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo "Book built: run 'make serve' and open http://127.0.0.1:$(PORT)/ (or open _build/html/index.html)."

serve:
	@test -f _build/html/index.html || { echo "no book in _build/html: run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

env: venv
	$(BIN)/python -m dlbook_lib

# System packages the tests need: Fashion-MNIST (Debian's dataset-fashion-mnist) and Chromium.
test-setup:
	@bash scripts/install_test_system_packages.sh

# ruff over the package, the tests, the scripts and the notebooks' code cells; the rules and
# their per-notebook relaxations are in pyproject.toml ([tool.ruff]).
lint: venv
	$(TIMED) $(BIN)/ruff check dlbook_lib tests scripts chapters

test-unit: venv
	$(TIMED) $(BIN)/python -m pytest tests -m "not browser" -q

# A fresh checkpoint folder, so no notebook resumes from an earlier run instead of training.
test-notebooks: venv
	ckpt=$$(mktemp -d); trap 'rm -rf "$$ckpt"' EXIT; \
	$(TIMED) env DLBOOK_FAST=1 DLBOOK_CHECKPOINTS="$$ckpt" MPLBACKEND=module://matplotlib_inline.backend_inline \
	  $(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider -q $(NB)

test-book: book

test-browser: venv
	$(TIMED) $(BIN)/python -m pytest tests -m browser -q

# Colab's widget stack (ipywidgets 7.7.1, classic Notebook 6.5) in .venv-colab: lesson 1.3
# run in classic Jupyter through Chromium, its knobs turned; the install cell replaces nothing.
test-colab: venv
	$(TIMED) env PYTHON=$(PYTHON) BOOK_VENV=$(VENV) bash scripts/test_colab_stack.sh

test: test-setup venv
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-unit
	$(MAKE) --no-print-directory test-notebooks
	TIMEFORMAT="[time] book: %R s"; time $(MAKE) --no-print-directory book
	$(MAKE) --no-print-directory test-browser
	$(MAKE) --no-print-directory test-colab

execute: venv
	$(BIN)/python scripts/execute_notebooks.py $(NB)

clean:
	rm -rf _build .pytest_cache .ruff_cache
