# The two commands: `make demo` and `make test`. Everything else is a convenience.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export SPRO_HOME := $(CURDIR)

.PHONY: demo test ui serve bench docs portal install browser clean-warehouse

# (Re)install only when the pins change.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/spro demo

test: $(STAMP) browser
	$(BIN)/python -m pytest

# The portal's end-to-end tests drive Debian's chromium; install it when we can (root + apt),
# otherwise those tests skip with a message saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium) >/dev/null 2>&1; } || \
	  echo "chromium absent: the browser tests will be skipped"

ui: $(STAMP)
	$(BIN)/spro ui

serve: $(STAMP)
	$(BIN)/spro serve

portal: $(STAMP)
	$(BIN)/spro portal

docs: $(STAMP)
	$(BIN)/spro docs

# Includes dbt over ten years of history rebuilt from the generated months (--history-years).
bench: $(STAMP)
	$(BIN)/spro bench --history-years 10

clean-warehouse:
	rm -rf warehouse/spro.duckdb* warehouse/inbox warehouse/archive warehouse/quarantine warehouse/reports warehouse/exports warehouse/oref warehouse/dagster_home
