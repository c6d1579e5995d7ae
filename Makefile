# nnbook: every target works on a fresh clone; the first one run creates .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: setup figures site serve test bench check clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

figures: $(STAMP)          ## run the experiments whose results are stale
	$(BIN)/nnbook figures

site: $(STAMP)             ## mkdocs build --strict into site/
	$(BIN)/nnbook build

serve: $(STAMP)            ## browse the book at http://127.0.0.1:8000
	$(BIN)/nnbook serve

test: $(STAMP)             ## unit, experiment (smoke), site and browser tests
	$(BIN)/python -m pytest

check: $(STAMP)            ## fail when committed results are stale
	$(BIN)/nnbook check

bench: $(STAMP)            ## timing and page-weight measurements
	$(BIN)/python benchmarks/run.py

clean:                     ## remove the site and local caches (committed results stay)
	test ! -x $(BIN)/nnbook || $(BIN)/nnbook clean
	rm -rf .pytest_cache
