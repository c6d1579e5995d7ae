# nnbook: every target works on a fresh clone; the first one run creates .venv.
# Reading, building and serving the book installs only the site dependencies (no TensorFlow);
# TensorFlow comes in with the `experiments` extra, when an experiment has to run.
PYTHON  ?= python3
ADDRESS ?= 127.0.0.1:8000
JOBS    ?=
JOBS_OPTION := $(if $(JOBS),-j $(JOBS))
VENV    := .venv
BIN     := $(VENV)/bin
UV      := $(BIN)/uv
INSTALL := $(UV) pip install --quiet --python $(BIN)/python
SITE_DEPS        := $(VENV)/.installed-site
EXPERIMENT_DEPS  := $(VENV)/.installed-experiments
DEV_DEPS         := $(VENV)/.installed-dev
BENCH_DEPS       := $(VENV)/.installed-bench
NOTEBOOK_DEPS    := $(VENV)/.installed-notebooks
export NO_MKDOCS_2_WARNING := 1

.PHONY: setup experiments-setup test-setup notebooks-setup notebooks figures site serve deploy test bench lighthouse plotly-bundle check clean stale-needs-tensorflow

setup: $(SITE_DEPS)        ## the site dependencies only: build and serve from committed results

experiments-setup: $(EXPERIMENT_DEPS)  ## also TensorFlow, Keras and the rest, to run experiments

test-setup: $(DEV_DEPS)    ## also pytest and Playwright, to run single tests (.venv/bin/python -m pytest ...)

notebooks-setup: $(NOTEBOOK_DEPS)  ## Jupyter, and TensorFlow to rerun experiments, to open the pages' notebooks

notebooks: $(NOTEBOOK_DEPS)  ## write each topic's notebook into notebooks/ and open them in Jupyter
	$(BIN)/nnbook notebooks --out notebooks
	$(BIN)/jupyter lab notebooks

# uv installs the packages, several times faster than pip; the machine's pip installs uv itself
# into the new venv (or, with no pip outside, the venv's own pip does).
$(UV):
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check uv 2>/dev/null || \
	  { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --disable-pip-version-check uv; }

$(SITE_DEPS): pyproject.toml | $(UV)
	$(INSTALL) -e .
	touch $@

$(EXPERIMENT_DEPS): pyproject.toml $(SITE_DEPS)
	@echo "nnbook: installing TensorFlow and the other experiment dependencies (-e '.[experiments]', about 2 GB, once)"
	$(INSTALL) -e '.[experiments]'
	touch $@

$(DEV_DEPS): pyproject.toml $(SITE_DEPS)
	@echo "nnbook: installing the test dependencies, TensorFlow included (-e '.[dev]')"
	$(INSTALL) -e '.[dev]'
	touch $(EXPERIMENT_DEPS) $(BENCH_DEPS) $@

$(BENCH_DEPS): pyproject.toml $(SITE_DEPS)
	$(INSTALL) -e '.[bench]'
	touch $@

$(NOTEBOOK_DEPS): pyproject.toml $(SITE_DEPS)
	@echo "nnbook: installing Jupyter and what the notebooks run, TensorFlow included (-e '.[notebooks]')"
	$(INSTALL) -e '.[notebooks]'
	touch $(EXPERIMENT_DEPS) $@

stale-needs-tensorflow: $(SITE_DEPS)  # stale results must be recomputed: install what experiments need
	@test -f $(EXPERIMENT_DEPS) || $(BIN)/nnbook check >/dev/null 2>&1 || { \
	  echo "nnbook: some results are stale and must be recomputed, which needs TensorFlow"; \
	  $(MAKE) --no-print-directory $(EXPERIMENT_DEPS); }

figures: $(EXPERIMENT_DEPS)  ## run the experiments whose results are stale (JOBS=N worker processes; default: the cores)
	$(BIN)/nnbook figures $(JOBS_OPTION)

site: stale-needs-tensorflow  ## nnbook build (mkdocs build --strict) into site/
	$(BIN)/nnbook build $(JOBS_OPTION)

serve: stale-needs-tensorflow  ## browse the book at http://$(ADDRESS)/ (make serve ADDRESS=0.0.0.0:8000)
	NNBOOK_SITE_URL=http://$(ADDRESS)/ $(BIN)/nnbook serve --address $(ADDRESS) $(JOBS_OPTION)

deploy: $(SITE_DEPS)       ## publish to GitHub Pages (the gh-pages branch) with mkdocs gh-deploy
	$(BIN)/nnbook check
	$(BIN)/mkdocs gh-deploy --strict --force --no-history

test: $(DEV_DEPS)          ## unit, experiment (smoke), site and browser tests
	$(BIN)/python -m pytest

check: $(SITE_DEPS)        ## fail when committed results are stale
	$(BIN)/nnbook check

BENCH_ARGS ?=
bench: $(BENCH_DEPS)       ## timing and page-weight measurements; BENCH_ARGS=--full adds cold full-profile runs
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

lighthouse: $(SITE_DEPS)   ## Lighthouse mobile scores of every page beside the plain build (npm, chromium; ~30 min)
	$(BIN)/python benchmarks/lighthouse.py

# plotly.js from npm, bundled with only the trace types of nnbook/assets/vendor/plotly-nnbook.js,
# in the version the installed plotly Python package writes figures for.
PLOTLY_JS_VERSION = $(shell $(BIN)/python -c "import plotly.offline as o; print(o.get_plotlyjs_version())")
ESBUILD_VERSION   := 0.28.2
PLOTLY_BUILD      := .cache/plotly-build
plotly-bundle: $(SITE_DEPS)  ## rebuild the vendored plotly.js bundle (npm; commit the result)
	npm install --no-save --no-audit --no-fund --prefix $(PLOTLY_BUILD) plotly.js@$(PLOTLY_JS_VERSION) esbuild@$(ESBUILD_VERSION)
	NODE_PATH=$(PLOTLY_BUILD)/node_modules $(PLOTLY_BUILD)/node_modules/.bin/esbuild nnbook/assets/vendor/plotly-nnbook.js \
	  --bundle --minify --format=iife --global-name=Plotly --target=es2016 --define:global=window \
	  --define:define.amd=false --loader:.css=empty --log-level=warning \
	  --banner:js='/* plotly.js v$(PLOTLY_JS_VERSION) (MIT, see plotly.js-LICENSE), the trace types of plotly-nnbook.js */' \
	  --outfile=nnbook/assets/vendor/plotly-nnbook.min.js
	cp $(PLOTLY_BUILD)/node_modules/plotly.js/LICENSE nnbook/assets/vendor/plotly.js-LICENSE

clean:                     ## remove the site and local caches (committed results stay)
	test ! -x $(BIN)/nnbook || $(BIN)/nnbook clean
	rm -rf .pytest_cache
