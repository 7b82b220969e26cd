# The two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_NO_INPUT := 1

.PHONY: run test install install-test apt-deps lint typecheck pytest eval ingest serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# torch first, pinned: pip takes the CPU build of 2.13.0 from local disk.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install torch==2.13.0
	$(PIP) install -e .
	$(BIN)/whatworks export-onnx
	touch $@

# llama.cpp (the LLM server the tests run) is built from source for AVX2, not for the building CPU: on a CPU
# that advertises AMX inside a VM that does not enable AMX's tile state, `-march=native` compiles ggml's AMX
# kernels and the server dies at its first completion (SIGSEGV at `ldtilecfg`). No pip cache, so that a wheel
# built earlier with native flags is not reused. The version range is the `llm` extra's in pyproject.toml.
# The stamp makes a venv that has a natively built one rebuild it once.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

$(VENV)/.llama-avx2: | $(VENV)/.installed
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) install --no-cache-dir --force-reinstall --no-deps 'llama-cpp-python[server]>=0.3,<0.4'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed $(VENV)/.llama-avx2
	$(PIP) install -e '.[test,llm]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Debian's chromium for the widget tests (Playwright drives it; no browser download) and PostgreSQL
# for the SQL store's tests (they start their own server in a temporary directory).
apt-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing chromium and postgresql from Debian"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium postgresql >/dev/null; \
	fi

ingest: install
	$(BIN)/whatworks-ingest corpus/ || echo "some files failed to ingest (listed above); serving the rest"

serve: install
	$(BIN)/whatworks serve --host 127.0.0.1 --port 8000

run: ingest serve

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

pytest: install-test apt-deps
	$(BIN)/pytest

test: lint typecheck pytest

bench: install-test
	$(PIP) install -e '.[test,llm,bench]'
	$(BIN)/python benchmarks/ingest.py --docs 300 --pairs 1
	$(BIN)/python benchmarks/query.py
	$(BIN)/python benchmarks/scifact.py

clean:
	rm -rf data artifacts .pytest_cache .mypy_cache .ruff_cache
