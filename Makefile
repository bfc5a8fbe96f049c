# Two commands on a fresh machine:  make demo  (run the main job)  ·  make test  (run every test)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DASHBOARD = dashboard

.PHONY: install demo run test unit e2e bench bench-quick clean

install: $(VENV)/.installed $(DASHBOARD)/node_modules/.installed

# The dashboard's browser libraries (Leaflet, ECharts), exactly as dashboard/package-lock.json pins them.
$(DASHBOARD)/node_modules/.installed: $(DASHBOARD)/package.json $(DASHBOARD)/package-lock.json
	@command -v npm >/dev/null || { echo "make install: npm (Node.js 20) is needed for the dashboard's libraries: apt-get install npm" >&2; exit 1; }
	npm ci --prefix $(DASHBOARD) --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: install  ## the 02:15 heat alarm, on the embedded broker, SQLite and the sample district
	$(BIN)/gridalert demo

run: install
	$(BIN)/gridalert run

test: install  ## unit and end-to-end tests (PostgreSQL too when GRIDALERT_TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest

unit: install
	$(BIN)/python -m pytest tests/unit

e2e: install
	$(BIN)/python -m pytest tests/e2e

bench: install  ## issue 9: reference loop, pipeline throughput and latency, timers, residents, Faust's own floor on Apache Kafka (~30 min); rewrites docs/performance.md's Pipeline and Faust sections
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/faust_floor.py --docs

bench-quick: install  ## the same harness as a smoke run (Kaiyang map, one worker, small counts); writes only .gridalert/bench/
	$(BIN)/python benchmarks/pipeline.py --quick

clean:
	rm -rf $(VENV) .gridalert .pytest_cache *.egg-info $(DASHBOARD)/node_modules
