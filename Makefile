# The single commands used by people and by CI alike.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= sqlite:///var/lotline.db

.PHONY: install demo test lint typecheck unit bench clean lock

install: $(STAMP)

# Re-install only when the lock or the project metadata changed: quick and idempotent otherwise.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

demo: install
	$(BIN)/lotline demo --db $(DB)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

bench: install
	$(BIN)/python benchmarks/capture.py

# Recompile the lock (hashes, every extra) after changing the dependencies in pyproject.toml. Needs uv.
lock:
	uv pip compile pyproject.toml $(foreach x,postgres mqtt opcua mariadb edi workflows dev,--extra $(x)) \
		--python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
