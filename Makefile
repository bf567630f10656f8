# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate demo worker lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/flask --app workflow db upgrade

demo: migrate
	$(BIN)/flask --app workflow demo load

## Serve the desk, a Celery worker and a mail catcher on the embedded defaults (SQLite, filesystem broker).
run: demo
	$(BIN)/python -m workflow.quickstart

## Install and run the whole test suite (services that are missing are skipped, unless CI=true).
test: install
	$(BIN)/ruff check workflow tests migrations bench celery_worker.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A celery_worker worker --loglevel INFO

clean:
	rm -rf $(VENV) instance .pytest_cache
