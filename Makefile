# inspire_sim: one-command setup, run and test (see README "Quick start").
PY ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup browser check lint types test-fast clean-venv

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

## browser: Debian's Chromium (never a downloaded browser) and, only when solara-assets left the
## app's browser front-end incomplete, npm and the front-end cached from the npm registry. Installs only
## what is missing: a machine whose nodejs (with its own npm) came from elsewhere gets chromium
## alone, so apt never has to replace that nodejs ("held broken packages").
browser: $(STAMP)
	@missing=""; offline=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	$(BIN)/python -c "from inspire_sim.app.server import missing_frontend as m; raise SystemExit(bool(m()))" 2>/dev/null \
	  || offline="missing"; \
	[ -z "$$offline" ] || command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing from Debian:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi; \
	[ -z "$$offline" ] || $(BIN)/inspire-sim app --prepare-offline

## test: set up and run the whole test suite
test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

## check: lint (ruff), format check, types (mypy) and the fast test tier, in under a minute
check: lint types test-fast

lint: $(STAMP)
	$(BIN)/ruff check inspire_sim tests
	$(BIN)/ruff format --check inspire_sim tests

types: $(STAMP)
	$(BIN)/mypy

## test-fast: the tests not marked slow or browser (the tier `make check` runs)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not slow and not browser"

clean-venv:
	rm -rf $(VENV)
