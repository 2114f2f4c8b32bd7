# NKDash developer commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench bench-scale soak browser-deps lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Debian's Chromium and its driver for the browser tests, Xvfb and xdotool for the operator window test (root on
## CI; skipped when present).
browser-deps:
	@command -v chromedriver >/dev/null && command -v chromium >/dev/null && command -v Xvfb >/dev/null && \
	  command -v xdotool >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver xvfb xdotool imagemagick; }

run: install
	$(BIN)/python -m scripts.run_local $(ARGS)

test: install browser-deps
	$(BIN)/python -m pytest -m "not real_odoo"

## Tests against a real Odoo 17 (/work/shared/real-odoo: setup.sh, restore.sh, serve.sh); they skip when it does not
## answer at REAL_ODOO_URL (default http://127.0.0.1:8069, db nkdash_real17, admin/admin).
.PHONY: test-real-odoo
test-real-odoo: install
	$(BIN)/python -m pytest tests/real_odoo -m real_odoo

bench: install
	$(BIN)/python -m benchmarks

## The dashboard benchmark on the 100M-line lake (generated once, a day at a time, under benchmarks/; ~6 GB of disk
## and about an hour on two cores); its figures are merged into benchmarks/results.json as dashboard_100m_*.
bench-scale: install
	$(BIN)/python -m benchmarks.bench_dashboard_queries scale

## Celery soak: workers SIGKILLed and Redis restarted at random moments while days load; prints the figures.
## ARGS, e.g. ARGS="--minutes 20 --days 40".
soak: install
	$(BIN)/python -m benchmarks.soak_celery $(ARGS)

## Re-pin every transitive dependency after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache data-lake
