# The two commands a reader needs:
#   make book   build the website into _build/html (warnings are errors), and its Chinese
#               edition into _build/html/zh (the same pages, translated by locales/zh_CN)
#   make test   every check: unit tests, every notebook (nbval), the site build, clean-notebook
#               check, browser test; each notebook runs once (the site is built from nbval's run)
# Both set themselves up on a fresh machine: system packages (npm, a CJK font, chromium for the
# browser test) through .ci/setup_system.sh, Python packages into .venv/.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CACHE := _build/.jupyter_cache
# pip warns about every local index folder that lacks a package; those lines are noise.
PIPQUIET := grep -v -E "is ignored: it is neither a file nor a directory" || true
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
UNIT_TESTS := $(BIN)/python -m pytest tests helpers book/_ext --doctest-modules -q -m "not site" -p no:cacheprovider
# The exact environment (requirements-lock.txt) is a Linux x86_64, Python 3.11 one; elsewhere
# the portable requirements.txt is installed.
REQUIREMENTS := $(shell if [ "$$(uname -s)-$$(uname -m)" = "Linux-x86_64" ] && \
  $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; \
  then echo requirements-lock.txt; else echo requirements.txt; fi)

.PHONY: help setup-book setup-test install vendor book test unit unit-fast notebooks clean-check site-test \
        build build-from-cache build-zh gettext i18n-update i18n-check check-reused lock \
        check-requirements

help:
	@echo "make book   - build the site into _build/html (creates .venv on first use)"
	@echo "make test   - run every check: unit tests, notebooks, site build, browser test"
	@echo "make lock   - regenerate requirements-lock.txt from requirements.txt (Linux, Python 3.11)"
	@echo "make check-requirements - resolve requirements.txt for Linux, macOS and Windows, Python 3.10-3.12"
	@echo "make i18n-update - after an English edit: refresh locales/zh_CN's catalogues (new, fuzzy entries)"
	@echo "make i18n-check  - fail unless every sentence of the book is translated (make test runs it)"

# System packages first, so that a missing one stops the run in seconds, not after 20 minutes.
setup-book:
	@.ci/setup_system.sh npm fonts-noto-cjk

setup-test:
	@.ci/setup_system.sh npm fonts-noto-cjk chromium

$(STAMP): $(REQUIREMENTS) pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10 or newer is needed"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing $(REQUIREMENTS) into $(VENV) (first time: a few minutes)"
	@start=$$(date +%s); \
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | $(PIPQUIET); \
	$(BIN)/python -m pip install -q -r $(REQUIREMENTS) 2>&1 | $(PIPQUIET); \
	$(BIN)/python -m pip install -q --no-deps -e . 2>&1 | $(PIPQUIET); \
	echo "installed in $$(( $$(date +%s) - start )) s"
	@$(BIN)/python -c "import torch, helpers, jupyter_book; print('torch', torch.__version__, '| helpers', helpers.__version__)"
	@touch $(STAMP)

install: $(STAMP)

vendor: setup-book
	@.ci/vendor_js.sh

# The build itself. `make book` empties the execution cache first, so every notebook runs
# afresh in the build; `make test` fills the cache from its nbval run instead.
build-from-cache: install vendor
	@echo "building the book"
	@rm -rf _build/html _build/.doctrees _build/jupyter_execute
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . -W --keep-going; \
	echo "site built in $$(( $$(date +%s) - start )) s"
	@$(MAKE) --no-print-directory build-zh

# The Chinese edition: the same project with language = zh_CN, rendered from the English
# build's execution cache (no notebook runs again), into _build/html/zh.
build-zh: install
	@echo "building the Chinese edition (中文版)"
	@$(BIN)/python .ci/build_edition.py zh_CN

# The English sentences, as message templates (_build/gettext/**/*.pot), from the cache.
gettext: install
	@$(BIN)/python .ci/build_edition.py gettext

# After an English edit: merge the new sentences into locales/zh_CN (changed ones become
# fuzzy, keeping the old translation to revise) and regenerate the Chinese notebooks
# (book/zh/, for Colab and download); translate what it lists, then run it again.
i18n-update: gettext
	@$(BIN)/python .ci/i18n.py update _build/gettext locales zh_CN
	@$(BIN)/python .ci/zh_notebooks.py write

# Every sentence translated (none empty or fuzzy, math and references intact), and the
# Chinese notebooks generated from the current notebooks and catalogues.
i18n-check: gettext
	@$(BIN)/python .ci/i18n.py check _build/gettext locales zh_CN
	@$(BIN)/python .ci/zh_notebooks.py check

build: install vendor
	@rm -rf $(CACHE)
	@$(MAKE) --no-print-directory build-from-cache

book: build
	@echo "open file://$(CURDIR)/_build/html/index.html"

unit: install
	@echo "== unit tests and docstring examples of helpers/ =="
	@$(UNIT_TESTS)

# The quick loop while editing helpers/: everything but the tests marked slow (about 25 s).
unit-fast: install
	@$(UNIT_TESTS) -m "not site and not slow"

clean-check: install
	@echo "== notebooks stored without outputs =="
	@$(BIN)/python .ci/check_clean_notebooks.py $(NOTEBOOKS)

notebooks: install vendor
	@echo "== every notebook, top to bottom (nbval) =="
	@$(BIN)/python .ci/run_notebooks.py $(NOTEBOOKS)

check-reused: install
	@$(BIN)/python .ci/check_build_reused.py $(CACHE) $(NOTEBOOKS)

site-test: install setup-test
	@echo "== browser test of the built site =="
	@$(BIN)/python -m pytest tests -q -m site -p no:cacheprovider

# make test: the unit tests run on one core while nbval runs the notebooks (one thread each)
# on the other; nbval's executions go into the cache, and the site is built from them.
test: setup-test clean-check vendor
	@rm -rf $(CACHE)
	@mkdir -p _build
	@start=$$(date +%s); \
	echo "== unit tests (in the background, log in _build/unit.log) and every notebook (nbval) =="; \
	( $(UNIT_TESTS) > _build/unit.log 2>&1; echo $$? > _build/unit.rc ) & \
	unit_pid=$$!; \
	nb_rc=0; $(BIN)/python .ci/run_notebooks.py --cache $(CACHE) --json _build/notebook_times.json \
	    $(NOTEBOOKS) || nb_rc=$$?; \
	wait $$unit_pid || true; \
	echo "== unit tests and docstring examples of helpers/ =="; tail -n 25 _build/unit.log; \
	unit_rc=$$(cat _build/unit.rc); \
	echo "unit + notebooks took $$(( $$(date +%s) - start )) s"; \
	[ "$$unit_rc" = 0 ] || { echo "unit tests failed (exit $$unit_rc): see _build/unit.log" >&2; exit 1; }; \
	[ "$$nb_rc" = 0 ] || { echo "a notebook failed under nbval (see above)" >&2; exit 1; }
	@$(MAKE) --no-print-directory i18n-check
	@$(MAKE) --no-print-directory build-from-cache
	@$(MAKE) --no-print-directory check-reused
	@$(MAKE) --no-print-directory site-test
	@echo "make test: all checks passed"

# requirements-lock.txt: what requirements.txt resolves to today, in a fresh venv
# (Linux x86_64, Python 3.11: the build machines'). Commit the result.
lock:
	@tmp=$$(mktemp -d); \
	$(PYTHON) -m venv $$tmp/venv; \
	$$tmp/venv/bin/python -m pip install -q --upgrade pip 2>&1 | $(PIPQUIET); \
	$$tmp/venv/bin/python -m pip install -q -r requirements.txt 2>&1 | $(PIPQUIET); \
	{ echo "# The exact environment of the build machines (Linux x86_64, Python 3.11), installed by make."; \
	  echo "# Generated by 'make lock' from requirements.txt on $$(date -u +%Y-%m-%d); do not edit by hand."; \
	  $$tmp/venv/bin/python -m pip freeze --exclude-editable; } > requirements-lock.txt; \
	rm -rf $$tmp; \
	echo "wrote requirements-lock.txt ($$(grep -vc '^#' requirements-lock.txt) packages)"

check-requirements:
	@.ci/check_requirements.sh
