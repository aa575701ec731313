# marketintel: everything starts from python3, pip and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint eval ui lock sample-pdf clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)  ## create .venv with the locked dependencies

run: $(STAMP)  ## build the warehouse from the inbox (default: samples/) and print a summary
	$(BIN)/marketintel run

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

eval: $(STAMP)  ## extraction precision/recall on ../shared/corpus/dev
	$(BIN)/marketintel eval

ui: $(STAMP)  ## the Dagster UI on http://127.0.0.1:3000
	DAGSTER_HOME=$(CURDIR) $(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

lock:  ## re-resolve requirements.lock from pyproject.toml
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --universal -o requirements.lock

sample-pdf: $(STAMP)  ## regenerate samples/usgs_style_production_2025.pdf
	$(BIN)/python scripts/make_sample_pdf.py

clean:
	rm -rf data .dagster/storage .dagster/logs
