# Shortcuts for the README's two commands (setup is included: a fresh clone needs nothing else).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-dev app test lint test-slow

$(BIN)/python:
	$(PY) -m venv $(VENV)

setup: $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt

setup-dev: $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt

app: setup
	$(BIN)/streamlit run Home.py

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: setup-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

test-slow: setup-dev
	$(BIN)/python -m pytest -m slow
