# baglab: 'sudo make lab-up' then 'sudo make test'.  Every target installs what is missing.
TOPO   ?= topologies/bag-mini.yaml
NAME   ?= default
VENV   := .venv
BAGLAB := $(VENV)/bin/baglab
PYTEST := $(VENV)/bin/pytest

CHECK_PREFIX ?= ck

.PHONY: check-all lint docs deps lab-up lab-down lab-status plan test test-unit bench clean docker-setup docker-image test-docker frr-roots test-frr test-versions test-interrupt test-matrix

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

lint: deps
	$(VENV)/bin/ruff check lab tests bench

# the documentation site into site/; --strict: a broken link or a page missing from the navigation fails
docs: deps
	$(VENV)/bin/mkdocs build --strict -d site/

test-unit: deps
	$(PYTEST) -m "not lab" tests

# docker runtime: Debian's docker.io + a dockerd (no bridge, no iptables), the node image (cached by
# recipe hash), then the convergence suite on containers
docker-setup: deps
	@scripts/docker-setup.sh

frr-roots: deps
	$(VENV)/bin/python -m lab.frr.roots

docker-image: docker-setup
	$(VENV)/bin/python -m lab.frr.image

test-docker: docker-image
	$(PYTEST) tests/convergence --runtime docker --report-dir reports/docker

# the convergence suite again, every router on FRR FRR_TEST (a root from 'make frr-roots')
FRR_TEST ?= 10.3
test-frr: deps
	$(VENV)/bin/python -m lab.frr.roots $(FRR_TEST)
	$(PYTEST) tests/convergence --frr $(FRR_TEST) --report-dir reports/frr-$(FRR_TEST)

# the missing-bandwidth tests on every version (CI runs 8.4 and 10.3 only, to stay under an hour)
test-versions: deps
	$(VENV)/bin/python -m lab.frr.roots
	BAGLAB_TEST_VERSIONS="8.4 10.3 10.7" $(PYTEST) tests/lab/test_bandwidth_missing.py tests/lab/test_frr_versions.py tests/lab/test_lb_wrap_live.py tests/lab/test_prod_live.py

# every kill point and signal moment on every runtime (CI runs the ones with the most half-built state)
test-interrupt: deps
	BAGLAB_FULL_MATRIX=1 $(PYTEST) tests/lab/test_interrupt.py

# every failure the shipped intent files state, and bag-mini's whole N-1 sweep (CI runs subsets)
test-matrix: deps
	BAGLAB_FULL_MATRIX=1 $(PYTEST) tests/checks/test_intents_live.py tests/lab/test_interrupt.py tests/sweep/test_sweep.py

bench: deps
	$(VENV)/bin/python bench/bringup.py

clean:
	rm -rf $(VENV) build *.egg-info reports

# every shipped intent file on its own lab, bag-scale's included (116 routers: not in CI)
check-all: deps
	@set -e; for t in bag-mini bag-2region bag-agg bag-routes bag-scale; do \
	  n=$(CHECK_PREFIX)-$$t; $(BAGLAB) up topologies/$$t.yaml --name $$n >/dev/null; \
	  rc=0; $(BAGLAB) check topologies/intents/$$t.yaml --name $$n --json reports/check-$$t.json \
	    --junit reports/check-$$t.xml --html reports/check-$$t.html || rc=$$?; \
	  $(BAGLAB) down --name $$n >/dev/null; [ $$rc -eq 0 ] || exit $$rc; done
