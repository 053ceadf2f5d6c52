# realtime-actors: every target installs what it needs into .venv under the repo.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint demo simulator bench clean

$(STAMP): setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,ray]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check realtime_actors voice_actors tests examples bench

test: $(STAMP) lint
	$(PY) -m pytest -q

demo: $(STAMP)
	$(PY) examples/run_all.py --out demo-output

simulator: $(STAMP)
	$(PY) -m realtime_actors.simulator --host 127.0.0.1 --port 8765

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
