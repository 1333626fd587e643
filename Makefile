# traitlens — `make run` (reference table on the bundled model) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: the CPU wheel on this disk; an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/traitlens similarity --example

lint: install
	$(VENV)/bin/ruff check src tests benchmarks

test: lint
	$(PY) -m pytest

bench: install
	$(PY) benchmarks/similarity_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
