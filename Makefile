# realtime-actors: every target installs what it needs into .venv under the repo.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck demo simulator bench soak clean

# editable_mode=compat puts a plain path in site-packages, which type checkers follow (mypy
# on your own scripts finds the package); setuptools' default editable finder is invisible to them
$(STAMP): setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,simulator,ray]' --config-settings editable_mode=compat
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check realtime_actors voice_actors tests examples bench

typecheck: $(STAMP)
	$(PY) -m mypy

test: $(STAMP) lint typecheck
	$(PY) -m pytest -q

demo: $(STAMP)
	$(PY) examples/run_all.py --out demo-output

simulator: $(STAMP)
	$(PY) -m realtime_actors.simulator --host 127.0.0.1 --port 8765 --http-port 8766

soak: $(STAMP)
	rm -f chaos-report.jsonl
	REALTIME_ACTORS_CHAOS_SEEDS=$$(seq -s, 1 $${SEEDS:-50}) REALTIME_ACTORS_CHAOS_REPORT=chaos-report.jsonl \
		$(PY) -m pytest -q tests/chaos/test_chaos_soak.py
	$(PY) tests/chaos/summary.py chaos-report.jsonl

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
