# The two commands of the README: `make demo` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 5000
PY      = $(VENV)/bin/python
FLASK   = $(VENV)/bin/flask --app example_app
PYTEST_ARGS ?=
# two workers, a test file each at a time (a file's tests share its fixtures); PYTEST_WORKERS=0 runs in one process
PYTEST_WORKERS ?= 2

.PHONY: demo test bench wheel clean translations

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.example: setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[example]'
	@touch $@

$(VENV)/.test: setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.example

# MLflow's server, measured beside the registry, in a venv of its own: it pins gunicorn<27
MLFLOW_VENV ?= .venv-mlflow

$(MLFLOW_VENV)/.installed:
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MLFLOW_VENV)/bin/python -m pip install --quiet mlflow==3.17.2
	@touch $@

$(VENV)/.bench: setup.cfg pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $@ $(VENV)/.test $(VENV)/.example

demo: $(VENV)/.example
	$(FLASK) init-db
	$(FLASK) seed-demo
	@echo "Serving the example portal on http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.test
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: $(VENV)/.bench $(MLFLOW_VENV)/.installed
	BENCH_MLFLOW_BIN=$(abspath $(MLFLOW_VENV))/bin $(PY) -m bench $(BENCH_ARGS)

# Extract the strings of the registry and of the example portal, merge them into the Japanese
# catalogues, and compile those (the .mo files are committed: a wheel and a fresh clone carry them).
BABEL = $(VENV)/bin/pybabel
translations: $(VENV)/.test
	$(BABEL) extract -F babel.cfg -k _l -k lazy_gettext -k plural_template:1,2 --no-location --sort-output \
	    --project flask-modelregistry -o flask_modelregistry/translations/model_registry.pot .
	$(BABEL) update -i flask_modelregistry/translations/model_registry.pot -d flask_modelregistry/translations \
	    -D model_registry --ignore-obsolete
	$(BABEL) compile -d flask_modelregistry/translations -D model_registry --statistics
	cd example_app && ../$(BABEL) extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o translations/messages.pot .
	$(BABEL) update -i example_app/translations/messages.pot -d example_app/translations --ignore-obsolete
	$(BABEL) compile -d example_app/translations --statistics

wheel: | $(PY)
	$(PY) -m pip install --quiet build
	$(PY) -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) $(MLFLOW_VENV) build dist *.egg-info .pytest_cache
