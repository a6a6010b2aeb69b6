# The quick start is two commands: `make run` and `make test`. Both build .venv first.
#
# PYTHON: python3.11 if it is installed, else the first of python3, python3.13, python3.12 that
# is 3.11 or newer. Override with `make PYTHON=/path/to/python3.x test`.
PYTHON_CANDIDATES := python3.11 python3 python3.13 python3.12
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in $(PYTHON_CANDIDATES); do \
	if command -v $$p >/dev/null 2>&1 && \
	   $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
		echo $$p; break; fi; done)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run check test lint bench soak image clean catalogs catalogs-extract catalogs-update catalogs-compile catalogs-check

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (looked for: $(PYTHON_CANDIDATES)); install it or run make PYTHON=/path/to/python3.x"; exit 2; }
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11+ or set PYTHON=python3.x"; exit 2; }
	$(PYTHON) -m venv $(VENV) || { echo "could not create $(VENV): on Debian/Ubuntu install the python3-venv package"; exit 2; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/csp-bot serve

# What is configured and what is missing, without reaching Slack or OVHcloud.
check: $(STAMP)
	$(BIN)/csp-bot check --offline

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ack_latency.py

soak: $(STAMP)
	$(BIN)/python bench/soak.py

# The message catalogues (README: "How a translator adds or corrects a language").
# update: new texts of the translated modules into every bot/locale/<lang>/LC_MESSAGES/messages.po
# compile: the .mo files (optional: the bot compiles a .po in memory when no fresh .mo is there)
catalogs: catalogs-update catalogs-compile

catalogs-extract: $(STAMP)
	$(BIN)/python -m bot.core.catalogs extract

catalogs-update: $(STAMP)
	$(BIN)/python -m bot.core.catalogs update

catalogs-compile: $(STAMP)
	$(BIN)/python -m bot.core.catalogs compile

catalogs-check: $(STAMP)
	$(BIN)/python -m bot.core.catalogs check

# The container image (docs/deploy.md); needs a container engine.
image:
	docker build -t csp-bot:local .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
