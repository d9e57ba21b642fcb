# Everyday tasks; .ci/run uses these too.
PYTHON ?= python
# import-linter's command (the [importlinter] contracts in setup.cfg: layers, the SDK boundary)
LINT_IMPORTS ?= lint-imports
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: test test-services coverage lint typecheck docs bench constraints translations

test:            ## the README's test command (SQLite; service tests skip when a service is missing)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

test-services:   ## the same suite on PostgreSQL and the real Redis; a missing service fails
	HUB_TEST_REQUIRE_SERVICES=1 HUB_TEST_DATABASE_URL=$(PG_URL) HUB_TEST_REDIS_URL=redis://127.0.0.1:6379/15 \
		$(PYTHON) -m pytest $(PYTEST_ARGS)

coverage:        ## the service-backed suite under coverage (branches, hub subprocesses), then the report and its floor
	rm -f .coverage .coverage.*
	$(MAKE) test-services PYTHON=$(PYTHON) PYTEST_ARGS="$(PYTEST_ARGS) --cov --cov-report= --cov-fail-under=0"
	$(PYTHON) -m coverage report

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy
	$(LINT_IMPORTS)

typecheck:
	$(PYTHON) -m mypy

docs:            ## regenerate docs/configuration.md and config/hub.example.toml
	itsm-hub config docs

bench:
	$(PYTHON) -m bench

# The catalogues (docs/admin.md, Languages): `requester` (what requesters read, babel-requester.cfg)
# and `messages` (the agents' pages, babel.cfg). Compiled .mo files are committed.
PYBABEL ?= pybabel
TRANSLATIONS = hub/translations
EXTRACT = $(PYBABEL) extract -k lazy_gettext --add-location=file --sort-output --project=itsm-hub \
	--msgid-bugs-address= --copyright-holder="the itsm-hub authors" -c Translators:
translations:    ## extract the texts, merge them into every language's catalogues, compile them
	$(EXTRACT) -F babel-requester.cfg -o $(TRANSLATIONS)/requester.pot .
	$(EXTRACT) -F babel.cfg -o $(TRANSLATIONS)/messages.pot .
	$(PYBABEL) update -D requester -i $(TRANSLATIONS)/requester.pot -d $(TRANSLATIONS) --ignore-pot-creation-date --ignore-obsolete
	$(PYBABEL) update -D messages -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-pot-creation-date --ignore-obsolete
	$(PYBABEL) compile -D requester -d $(TRANSLATIONS) --statistics
	$(PYBABEL) compile -D messages -d $(TRANSLATIONS) --statistics

constraints:     ## pin what this .venv holds as the versions CI installs with (constraints.txt)
	{ sed -n '1,3p' constraints.txt; $(PYTHON) -m pip freeze --exclude-editable | grep -v '^itsm-hub'; } > constraints.new
	mv constraints.new constraints.txt
