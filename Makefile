# inspire_sim: one-command setup, run and test (see README "Quick start").
PY ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup browser clean-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

## run: set up and run the baseline scenario (10 replications), writing runs/baseline
run: $(STAMP)
	$(BIN)/inspire-sim run baseline --replications 10

## browser: Debian's Chromium for the browser tests (never a downloaded browser)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

## test: set up and run the whole test suite
test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

clean-venv:
	rm -rf $(VENV)
