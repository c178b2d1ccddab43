# Uitleen — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# make test runs the suite in two pytest-xdist workers (this machine has two cores); TEST_WORKERS=0 runs it in one process
TEST_WORKERS ?= 2
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
export PYTHONPATH := $(CURDIR)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@echo "uitleen: installing the pinned dependencies into $(VENV) (the first time only; a few minutes)"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --disable-pip-version-check -c constraints.txt -e '.[dev]' \
	  | grep -E --line-buffered '^(Collecting|Successfully installed)' | sed -u 's/^/uitleen: pip: /'; \
	  test $${PIPESTATUS[0]} -eq 0
	@rm -f $(VENV)/.installed-*; touch $@
	@echo "uitleen: dependencies installed"

.PHONY: install
install: $(STAMP) catalogues ## create the virtualenv and install the pinned dependencies

# The pages' message catalogues: the frame's and each service's (each folder has its babel.cfg, and its
# catalogue in translations/: Dutch msgids, English in translations/en). The compiled .mo files are committed.
CATALOGUES := shared/pages services/booking/web services/inventory/web services/notify
PYBABEL := $(VENV)/bin/pybabel

.PHONY: catalogues
catalogues: $(STAMP) ## compile every pages catalogue (.po -> .mo): the frame's and each service's
	@for dir in $(CATALOGUES); do $(PYBABEL) -q compile -d $$dir/translations || exit 1; done

.PHONY: translations
translations: $(STAMP) ## extract each catalogue's texts into its messages.pot, update its English .po, compile
	@for dir in $(CATALOGUES); do \
	  $(PYBABEL) -q extract -F $$dir/babel.cfg -k _l -k ngettext:1,2 -k lazy_pgettext:1c,2 -o $$dir/translations/messages.pot $$dir || exit 1; \
	  if [ -f $$dir/translations/en/LC_MESSAGES/messages.po ]; then \
	    $(PYBABEL) -q update -i $$dir/translations/messages.pot -d $$dir/translations -l en --no-fuzzy-matching --ignore-obsolete || exit 1; \
	  else \
	    $(PYBABEL) -q init -i $$dir/translations/messages.pot -d $$dir/translations -l en || exit 1; \
	  fi; \
	done
	@$(MAKE) --no-print-directory catalogues

.PHONY: browser
browser: ## make sure Debian's chromium and axe-core are there for the browser tests
	bash deploy/ensure-browser.sh

.PHONY: run
run: $(STAMP) ## run the whole suite on the embedded default (SQLite, no servers) at http://127.0.0.1:8000
	$(PY) -m services.embedded.run

.PHONY: migrate
migrate: $(STAMP) ## apply every service's migrations to the databases the environment names
	$(PY) -m services.migrate

.PHONY: demo-data
demo-data: $(STAMP) ## load the Ghent demo data into the inventory database (idempotent)
	$(VENV)/bin/flask --app services.inventory.app:create_app load-demo

.PHONY: services
services: ## make sure PostgreSQL and Redis answer (start or install them if needed)
	bash deploy/ensure-services.sh

.PHONY: up
up: $(STAMP) services ## the production topology without Docker: deploy/Procfile under honcho, gateway on :8100
	mkdir -p var/nginx
	set -a && . deploy/local.env && set +a && $(PY) -m bench.topology prepare
	PATH="$(CURDIR)/$(VENV)/bin:/usr/sbin:$$PATH" $(VENV)/bin/honcho -f deploy/Procfile -e deploy/local.env -d . start

.PHONY: relay
relay: $(STAMP) ## publish every service's outbox to the broker (long-lived; production runs one per service)
	$(PY) -m shared.relay

.PHONY: worker-notify
worker-notify: $(STAMP) ## the notify Celery worker (queue "notify")
	$(VENV)/bin/celery -A services.notify.worker worker -Q notify --without-gossip --without-mingle

.PHONY: beat
beat: $(STAMP) ## celery beat (exactly one): every service's periodic tasks (booking's scans, notify's dispatch)
	$(VENV)/bin/celery -A services.beat beat --schedule var/celerybeat-schedule

.PHONY: test-faults
test-faults: $(STAMP) services ## the fault tests alone, with their measurements (kill -9, Redis and PostgreSQL restarts, SMTP down)
	$(VENV)/bin/pytest -m e2e -s tests/e2e/test_events_faults.py tests/e2e/test_database_restart.py tests/e2e/test_redis_down.py $(PYTEST_ARGS)

.PHONY: load
load: $(STAMP) services ## locust load test on the production topology, then the invariants (LOAD_USERS=200 LOAD_SECONDS=180)
	$(PY) -m bench.load $(LOAD_ARGS)

.PHONY: bench
bench: $(STAMP) services ## the benchmark suite on the production topology (~10 min; BENCH_ARGS="contention --size smoke")
	PATH="$(CURDIR)/$(VENV)/bin:/usr/sbin:$$PATH" $(PY) -m bench.run $(BENCH_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: typecheck
typecheck: $(STAMP) ## mypy on shared/ and the services
	$(VENV)/bin/mypy

.PHONY: pytest
pytest: $(STAMP) services browser ## the test suite against real PostgreSQL and Redis (TEST_WORKERS=2 xdist workers)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

.PHONY: test
test: lint typecheck pytest ## everything CI runs: ruff, mypy, pytest

.PHONY: format
format: $(STAMP) ## reformat the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: clean
clean: ## remove the embedded data in var/ (the demo starts afresh)
	rm -rf var/*.sqlite* var/celerybeat-schedule*
