# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

.PHONY: run test install messages migrate demo lint bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

messages: install
	$(MANAGE) compilemessages --ignore=$(VENV) --ignore=var -v 0

migrate: install
	$(MANAGE) migrate --noinput -v 0

demo: migrate messages
	$(MANAGE) seed_demo

run: demo
	@echo "Serving on http://127.0.0.1:8000/ (log in with a demo login above)"
	$(MANAGE) runserver 127.0.0.1:8000

test: install messages
	DATABASE_URL="$$($(PY) scripts/test_database_url.py)" REDIS_URL="$$($(PY) scripts/test_redis_url.py)" \
		$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) benchmarks/run.py

clean:
	rm -rf var/staticfiles var/exports
