# Two commands on a fresh machine: `make demo` and `make test`. Both build .venv when missing.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
GOLDSET := $(VENV)/bin/goldset
STAMP   := $(VENV)/.goldset-installed

.PHONY: demo serve test test-slow bench lint docs clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# Build this repository's own workspace from the demo golden set and report on it.
demo: $(STAMP)
	$(GOLDSET) import demo/support-bot.jsonl --on-duplicate update
	$(GOLDSET) stats
	$(GOLDSET) validate
	$(GOLDSET) coverage
	$(GOLDSET) run add demo/baseline-run.jsonl --name baseline --model demo-model-v1 --replace
	$(GOLDSET) run add demo/candidate-run.jsonl --name candidate --model demo-model-v2 --replace
	$(GOLDSET) run compare baseline candidate
	$(GOLDSET) run report candidate

# The web app and API over this repository's demo workspace (http://127.0.0.1:8000).
# First: goldset user add you@example.com --role admin (prints your token once).
serve: $(STAMP)
	$(GOLDSET) serve

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check goldset tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# docs/cli.md from the commands' --help and goldset.errors; `docs/gen_cli.py --check` in the tests.
docs: $(STAMP)
	$(PY) docs/gen_cli.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
