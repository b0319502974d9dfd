# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test install bench clean

run: $(VENV)/.installed
	$(VENV)/bin/openzone serve --demo

test: $(VENV)/.installed-test
	$(PY) -m pytest

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

bench: $(VENV)/.installed-test
	$(PY) bench/approve_to_queryable.py
	$(PY) bench/query_overhead.py

clean:
	rm -rf $(VENV) .openzone
