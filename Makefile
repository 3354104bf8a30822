# The one entry point for humans and CI. `make run` and `make check` need only Python and pip.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
export RAY_ENABLE_UV_RUN_RUNTIME_ENV := 0

PACKAGES := core data features strategies backtest risk portfolio execution live signals api ml compliance audit
MYPY_TARGETS := $(foreach p,$(PACKAGES),-p qgtm_$(p)) -p qgtm_app
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
DIST := dist
KEY_DIR := var/keys

.PHONY: help setup run check lint format type imports test isolation sbom sign verify-signatures monitoring audit-deps bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

setup:  ## install uv if missing and sync the locked environment
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked --all-packages --all-groups

run: setup  ## the daemon in paper mode on bundled real data (SQLite, in-process bus, simulated venue)
	$(UV) run --frozen qgtm run

check: setup lint type imports test isolation sbom sign verify-signatures monitoring audit-deps  ## the whole test gate
	@echo "gate: all steps passed"

lint:  ## ruff lint and format check, zero warnings
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format:  ## apply ruff formatting and safe fixes
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

type:  ## mypy --strict over every package and the app
	$(UV) run --frozen mypy $(MYPY_TARGETS)

imports:  ## import-linter: 13 packages import only core; only the app imports several
	$(UV) run --frozen lint-imports

test:  ## pytest over every package and tests/ with branch coverage >= 85%
	$(UV) run --frozen pytest --cov --cov-branch --cov-report=term --cov-report=xml -q -p no:cacheprovider

isolation: $(DIST)/.built  ## each package installs from its wheel next to qgtm-core only, and imports
	$(UV) run --frozen python infra/release/check_isolation.py $(DIST) $(PACKAGES)

$(DIST)/.built: $(shell find packages apps -name '*.py' -o -name pyproject.toml | sort)
	rm -rf $(DIST) && mkdir -p $(DIST)
	$(UV) build --all-packages --wheel --out-dir $(DIST) -q
	touch $@

sbom: setup  ## CycloneDX SBOM of the locked environment
	mkdir -p $(DIST)
	$(UV) run --frozen cyclonedx-py environment --of JSON -o $(DIST)/sbom.cdx.json .venv
	$(UV) run --frozen python -c "import json,sys; d=json.load(open('$(DIST)/sbom.cdx.json')); n=len(d.get('components',[])); print(f'sbom: {n} components'); sys.exit(0 if n > 50 else 1)"

sign: $(DIST)/.built sbom  ## sign wheels and SBOM (Ed25519, minisign format)
	$(UV) run --frozen qgtm release sign --dir $(DIST) --key-dir $(KEY_DIR)

verify-signatures:  ## verify in-process, then cross-check with the real minisign tool when installed
	$(UV) run --frozen qgtm release verify --dir $(DIST) --public-key $(KEY_DIR)/release.pub
	@if command -v minisign >/dev/null 2>&1; then \
		for f in $(DIST)/*.whl $(DIST)/sbom.cdx.json; do minisign -Vqm "$$f" -p $(KEY_DIR)/release.pub; done; \
		echo "minisign cross-check: every signature verified by minisign $$(minisign -v 2>&1 | head -1)"; \
	else echo "minisign cross-check: NOT RUN (minisign is not installed; .ci/run installs it)"; fi

monitoring:  ## Prometheus alert rules are valid (promtool from Debian's prometheus package)
	@if command -v promtool >/dev/null 2>&1; then \
		promtool check rules infra/prometheus/alerts.yml && promtool test rules infra/prometheus/alerts_test.yml \
		&& promtool check config infra/prometheus/prometheus.yml; \
	else echo "promtool check rules: NOT RUN (promtool is not installed; .ci/run installs it)"; fi

audit-deps:  ## vulnerability scan needs the online advisory database: run in the GitHub workflow only
	@if [ "$${GITHUB_ACTIONS:-}" = "true" ]; then $(UV) run --frozen --with pip-audit pip-audit --strict; \
	else echo "pip-audit: NOT RUN (offline; the GitHub workflow runs pip-audit --strict)"; fi

bench:  ## every benchmark, printing figures
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(UV) run --frozen python "$$b"; done

clean:  ## remove build outputs and run state
	rm -rf $(DIST) .coverage coverage.xml .mypy_cache .ruff_cache .pytest_cache var/runs var/latest-run
