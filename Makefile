# Shortcuts for the commands in the README; each works on a fresh clone (it makes .venv).
VENV := .venv
BIN := $(VENV)/bin

.PHONY: lint typecheck check test i18n bench demo

$(BIN)/coprod-bot: pyproject.toml
	python3 -m venv $(VENV) && $(BIN)/pip install -q -e '.[test,dev]'
	touch $@

lint: $(BIN)/coprod-bot  ## ruff on bot/ and handlers/
	$(BIN)/ruff check bot handlers

typecheck: $(BIN)/coprod-bot  ## mypy (strict) on bot/ and handlers/
	$(BIN)/mypy

check: lint typecheck  ## what .ci/run runs before the tests

test: $(BIN)/coprod-bot  ## the whole suite (PostgreSQL too when COPROD_TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest

i18n: $(BIN)/coprod-bot  ## extract messages, update the catalogues, compile
	$(BIN)/coprod-bot i18n

bench: $(BIN)/coprod-bot  ## the speed scripts (SQLite unless DATABASE_URL is given)
	$(BIN)/python bench/bench_ledger.py $(if $(DATABASE_URL),--database-url $(DATABASE_URL))
	$(BIN)/python bench/bench_shifts.py $(if $(DATABASE_URL),--database-url $(DATABASE_URL))
	$(BIN)/python bench/bench_audience.py $(if $(DATABASE_URL),--database-url $(DATABASE_URL))
	$(BIN)/python bench/bench_summary.py $(if $(DATABASE_URL),--database-url $(DATABASE_URL))

demo: $(BIN)/coprod-bot  ## the bot against the local emulator, chatting in this terminal
	$(BIN)/coprod-bot demo
