# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate demo worker lint clean lock

# Every install is the same: the exact versions and hashes of requirements.lock (`make lock` writes it again
# from pyproject.toml's lower bounds), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
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

## Write requirements.lock again (pinned versions with hashes) after a change to pyproject.toml's dependencies.
lock: install
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --no-emit-index-url --no-emit-find-links --extra test \
		--output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) instance .pytest_cache
