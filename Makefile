# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install migrate demo worker lint clean lock bench bench-clean translations messages

# Every install is the same: the exact versions and hashes of requirements.lock (`make lock` writes it again
# from pyproject.toml's lower bounds), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The page checkers the test suite runs (axe-core in Chromium, the Nu HTML checker on Java): npm packages at the
# exact versions and hashes of tests/a11y/package-lock.json. Without npm the page checks are skipped (not in CI).
CHECKERS := tests/a11y
CHECKERS_STAMP := $(CHECKERS)/node_modules/.installed

$(CHECKERS_STAMP): $(CHECKERS)/package.json $(CHECKERS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(CHECKERS) --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm is not installed: the page checks (axe-core, Nu HTML checker) will be skipped"; \
	fi

## The catalogues (workflow/translations/<language>/LC_MESSAGES/messages.po, committed) compiled to the .mo files
## the desk reads (not committed).
TRANSLATIONS := workflow/translations

translations: install
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS) 2>&1 | grep -v '^compiling' || true

## After adding or changing a string: extract every marked string again (babel.cfg says where), and bring each
## language's catalogue up to date; then translate what is new or fuzzy in the .po files.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k N_ \
		--add-comments=Translators: --add-location=file --sort-by-file --no-wrap --project=workflow \
		-o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap \
		--ignore-pot-creation-date

migrate: install translations
	$(BIN)/flask --app workflow db upgrade

demo: migrate
	$(BIN)/flask --app workflow demo load

## Serve the desk, a Celery worker and a mail catcher on the embedded defaults (SQLite, filesystem broker).
run: demo
	$(BIN)/python -m workflow.quickstart

## Install and run the whole test suite (services that are missing are skipped, unless CI=true), after the linter
## and the import contracts of .importlinter (which way the imports run).
test: install translations $(CHECKERS_STAMP)
	$(BIN)/ruff check workflow tests migrations bench celery_worker.py
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The scale benchmarks (bench/run.py): PostgreSQL and Redis on loopback, and wrk (apt-get install wrk).
## The first run seeds the bench databases (10k, 100k, 1M submissions) and keeps them for the next.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## Drop the bench databases.
bench-clean: install
	$(BIN)/python bench/run.py --drop

worker: install
	$(BIN)/celery -A celery_worker worker --loglevel INFO

## Write requirements.lock again (pinned versions with hashes) after a change to pyproject.toml's dependencies.
lock: install
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --no-emit-index-url --no-emit-find-links --extra test --extra bench \
		--output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) instance .pytest_cache $(CHECKERS)/node_modules
	find $(TRANSLATIONS) -name '*.mo' -delete
