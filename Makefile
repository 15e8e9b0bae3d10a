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

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

## browser: Debian's Chromium (never a downloaded browser) and npm, and the app's
## browser front-end cached from the npm registry, for the browser tests
browser: $(STAMP)
	@command -v chromium >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium npm; }
	$(BIN)/inspire-sim app --prepare-offline

## test: set up and run the whole test suite
test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

clean-venv:
	rm -rf $(VENV)
