# Two commands on a fresh machine: `make run` (the demo stack on the embedded default) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sharespine
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: run test lint format venv dev-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed
dev-venv: $(VENV)/.installed-dev

# The demo stack on the embedded default: SQLite and a file-based broker under var/.
run: venv
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py migrate --no-input
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	@echo ""
	@echo "Admin:     http://127.0.0.1:8000/admin/"
	@echo "Dashboard: http://127.0.0.1:8000/dashboard/"
	@echo "Logins (role, username, password):"
	@env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py create_demo_logins
	@mkdir -p var/demo
	@env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py seed_demo_merchant
	@echo "Simulators: Jetshop http://127.0.0.1:8010/_sim/orders, Visma agent http://127.0.0.1:8020/v1/health"
	@echo ""
	env -u DATABASE_URL -u REDIS_URL $(BIN)/honcho start -f Procfile

# The whole suite on PostgreSQL and Redis (DATABASE_URL/REDIS_URL, or the local defaults).
test: dev-venv
	scripts/system-packages.sh
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python scripts/check_services.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_ARGS)

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: dev-venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
