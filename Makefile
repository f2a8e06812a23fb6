# taobao-sim: common tasks. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
REPLICATES ?= 20

.PHONY: run test notebooks test-slow lint docs bench calibrate calibrate-checks calibrate-heze results golden mutation clean help

help:
	@echo "make run    - set up .venv and run the Dinglou scenario ($(REPLICATES) replicates)"
	@echo "make test   - set up .venv with the test tools and run the tests"
	@echo "make notebooks - execute every notebook in place (small sizes), saving its outputs"
	@echo "make test-slow - the long tests (full Daiji on both engines, ...)"
	@echo "make lint   - ruff check"
	@echo "make docs   - regenerate docs/SCENARIO.md and the generated tables of docs/ODD.md"
	@echo "make bench  - benchmarks, writes benchmarks/results.json (QUICK=1: under a minute, to"
	@echo "             benchmarks/results-quick.json, not tracked)"
	@echo "make calibrate - Bayesian calibration of Dinglou (ABC-SMC, under an hour on 2 cores;"
	@echo "                 RESUME=1 continues a killed one); report in docs/CALIBRATION.md"
	@echo "make calibrate-checks - recovery and leave-one-target-out checks of the latest one"
	@echo "make calibrate-heze - discovery and ties on H1-H2 with Dinglou's targets (about 40 min)"
	@echo "make results - regenerate the README's figures in results/figures/"
	@echo "make golden - rewrite the golden record of outputs after a deliberate model change"
	@echo "make mutation - mutation testing (cosmic-ray; SAMPLE=150 mutants, about an hour;"
	@echo "                RETEST=results/mutation/<stamp>: test that campaign's survivors again)"
	@echo "make clean  - remove .venv and caches (not results/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/taobao-sim run scenarios/dinglou.toml --replicates $(REPLICATES)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

notebooks: $(VENV)/.installed-dev
	TAOBAO_SIM_QUICK=1 $(BIN)/python notebooks/execute.py

test-slow: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m slow

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

results: $(VENV)/.installed
	$(BIN)/taobao-sim figures results/figures

calibrate: $(VENV)/.installed
	$(BIN)/taobao-sim calibrate scenarios/calibration/dinglou.toml --workers 2 --docs docs \
		$(if $(RESUME),--resume,)

calibrate-checks: $(VENV)/.installed
	$(BIN)/taobao-sim calibrate scenarios/calibration/dinglou.toml --workers 2 --docs docs \
		--checks $$(ls -d results/calibration/dinglou/*/ | sort | tail -1)

calibrate-heze: $(VENV)/.installed
	$(BIN)/taobao-sim calibrate scenarios/calibration/heze.toml --docs docs

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench.py $(if $(QUICK),--quick,)

golden: $(VENV)/.installed-dev
	$(BIN)/python -m tests.golden.cases

mutation: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e ".[dev,mutation]"
	$(BIN)/python -m tests.mutation.run $(if $(SAMPLE),--sample $(SAMPLE),) $(if $(RETEST),--retest $(RETEST),)

docs: $(VENV)/.installed
	$(BIN)/python -m taobao_sim.apps.docs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build src/*.egg-info
