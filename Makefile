# The two commands of the README.  Each creates .venv when missing and
# installs what it needs, so both work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8888
# Jupyter refuses to run as root without this flag (CI and Binder-like boxes).
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_ARGS ?=

.PHONY: lab test lint format bench profile mutation js html install install-test install-bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . jupyterlab
	touch $@

# The bench extra too: tests/test_bench.py runs the benchmarks (SimFaaS, pyinstrument).
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

## make lab: JupyterLab on the course, on 127.0.0.1 with a token.
lab: install
	$(BIN)/jupyter lab --ip 127.0.0.1 --port $(PORT) --ServerApp.root_dir=notebooks \
		--LabApp.news_url=None $(ROOT_FLAG)

## make test: lint, then every test (unit, property, README, notebooks via nbval).
test: install-test
	$(BIN)/ruff check lambda_lab tests bench scripts
	$(BIN)/ruff format --check lambda_lab tests bench scripts
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check lambda_lab tests bench scripts

format: install-test
	$(BIN)/ruff format lambda_lab tests bench scripts
	$(BIN)/ruff check --fix lambda_lab tests bench scripts

## make bench: the benchmarks of bench/, printed as ratios to their references.
bench: install-bench
	$(BIN)/python bench/async_invoke.py
	$(BIN)/python bench/coldstart.py
	$(BIN)/python bench/mappings.py

## make profile: each benchmark workload once under pyinstrument, into bench/profiles/.
profile: install-bench
	$(BIN)/python bench/profile.py async-traffic loop sync-traffic coldstart

## make mutation: mutmut over lambda_lab/sim (slow, not part of make test), then a
## per-module table that fails below MUTATION_MIN %.  mutmut copies the code to mutants/.
MUTMUT_ARGS   ?= --max-children 2
MUTATION_MIN  ?= 90
mutation: install-test
	$(BIN)/mutmut run $(MUTMUT_ARGS)
	$(BIN)/python scripts/mutation_report.py --min $(MUTATION_MIN) --mutmut $(BIN)/mutmut

## make js: rebuild lambda_lab/widgets/static/views.js from js/ (needs Node and npm).
## The built file is committed, so installing the package never needs Node.
js:
	cd js && npm ci && npm run build

## make html: export the course to build/html, each view shown as its static SVG
## (nbconvert would otherwise pick the live widget view, blank offline).
html: install
	$(BIN)/python -c "import glob, lambda_lab; print(*lambda_lab.publish(sorted(glob.glob('notebooks/*.ipynb'))), sep='\n')"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis mutants
