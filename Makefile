# baglab: 'sudo make lab-up' then 'sudo make test'.  Every target installs what is missing.
TOPO   ?= topologies/bag-mini.yaml
NAME   ?= default
VENV   := .venv
BAGLAB := $(VENV)/bin/baglab
PYTEST := $(VENV)/bin/pytest

.PHONY: deps lab-up lab-down lab-status plan test test-unit bench clean

deps:
	@scripts/install-deps.sh

plan: deps
	$(BAGLAB) plan $(TOPO)

lab-up: deps
	$(BAGLAB) up $(TOPO) --name $(NAME)

lab-down: deps
	$(BAGLAB) down --name $(NAME)

lab-status: deps
	$(BAGLAB) status --name $(NAME)

test: deps
	$(PYTEST) tests

test-unit: deps
	$(PYTEST) -m "not lab" tests

bench: deps
	$(VENV)/bin/python bench/bringup.py

clean:
	rm -rf $(VENV) build *.egg-info reports
