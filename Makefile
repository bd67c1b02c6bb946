# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet
MANAGE := DJANGO_DEBUG=1 $(PY) manage.py

.PHONY: run test install install-dev requirements messages migrate demo lint bench clean backup restore

# Production runs requirements.txt alone (the Dockerfile); the demo adds requirements-demo.txt;
# tests, lint and benchmarks add requirements-dev.txt. All three are pinned with hashes
# (`make requirements` regenerates them from the short *.in lists).
$(VENV)/.installed: requirements.txt requirements-demo.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -r requirements.txt -r requirements-demo.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) -r requirements.txt -r requirements-demo.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

requirements: install-dev
	for f in requirements requirements-demo requirements-dev; do \
		$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
			--no-emit-index-url --no-emit-find-links $$f.in; done

messages: install
	$(MANAGE) compilemessages --ignore=$(VENV) --ignore=var -v 0

migrate: install
	$(MANAGE) migrate --noinput -v 0

demo: migrate messages
	$(MANAGE) seed_demo

run: demo
	@echo "Serving on http://127.0.0.1:8000/ (log in with a demo login above)"
	$(MANAGE) runserver 127.0.0.1:8000

# The suite runs in one worker per core (pytest-xdist), each test file whole in one worker (their module
# fixtures are built once); `make test PYTEST_WORKERS=0` runs it in this process.
PYTEST_WORKERS ?= auto

test: install-dev messages
	DJANGO_DEBUG=1 DATABASE_URL="$$($(PY) scripts/test_database_url.py)" REDIS_URL="$$($(PY) scripts/test_redis_url.py)" \
		$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: install-dev
	DJANGO_DEBUG=1 $(PY) benchmarks/run.py

# Operations (README: Backups). Run with the production environment (DATABASE_URL, the keys, DIBAO_VAR_DIR);
# in docker compose: `docker compose exec web python manage.py backup`.
backup:
	$(PY) manage.py backup $(if $(TO),--to $(TO))

restore:
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=<backup folder> [FORCE=1]"; exit 2; }
	$(PY) manage.py restore "$(BACKUP)" $(if $(FORCE),--force)

clean:
	rm -rf var/staticfiles var/exports
