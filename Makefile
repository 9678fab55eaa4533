# The two commands a reader needs:
#   make book   build the website into _build/html (warnings are errors)
#   make test   unit tests, every notebook (nbval), the site build, clean-notebook check, browser test
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip warns about every local index folder that lacks a package; those lines are noise.
PIPQUIET := grep -v -E "is ignored: it is neither a file nor a directory" || true
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))

.PHONY: help install vendor book test unit notebooks clean-check site-test build clean

help:
	@echo "make book   - build the site into _build/html (creates .venv on first use)"
	@echo "make test   - run every check: unit tests, notebooks, site build, browser test"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing requirements into $(VENV) (first time: a few minutes)"
	@$(BIN)/python -m pip install -q --upgrade pip 2>&1 | $(PIPQUIET)
	@$(BIN)/python -m pip install -q -r requirements.txt 2>&1 | $(PIPQUIET)
	@$(BIN)/python -m pip install -q --no-deps -e . 2>&1 | $(PIPQUIET)
	@$(BIN)/python -c "import torch, helpers, jupyter_book; print('torch', torch.__version__, '| helpers', helpers.__version__)"
	@touch $(STAMP)

install: $(STAMP)

vendor:
	@.ci/vendor_js.sh

build: install vendor
	@echo "building the book (executes every notebook)"
	@rm -rf _build/html _build/.doctrees _build/jupyter_execute
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . -W --keep-going; \
	echo "site built in $$(( $$(date +%s) - start )) s"

book: build
	@echo "open file://$(CURDIR)/_build/html/index.html"

unit: install
	@echo "== unit tests and docstring examples of helpers/ =="
	@$(BIN)/python -m pytest tests helpers book/_ext --doctest-modules -q -m "not site" -p no:cacheprovider

clean-check: install
	@echo "== notebooks stored without outputs =="
	@$(BIN)/python .ci/check_clean_notebooks.py $(NOTEBOOKS)

notebooks: install vendor
	@echo "== every notebook, top to bottom (nbval) =="
	@$(BIN)/python .ci/run_notebooks.py $(NOTEBOOKS)

site-test: install
	@echo "== browser test of the built site =="
	@$(BIN)/python -m pytest tests -q -m site -p no:cacheprovider

test: clean-check unit notebooks build site-test
	@echo "make test: all checks passed"
