# wam-tts: every target sets itself up from a clean clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
# LeRobot's LingBot-VA port needs Python >= 3.12; its tests run in a second venv
PYTHON312 ?= $(or $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12)),python3.12)
LEROBOT_VENV := .venv-lerobot
LEROBOT_STAMP := $(LEROBOT_VENV)/.installed
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# MUJOCO_GL: eval/envs/rendering.py picks EGL on a GPU machine and OSMesa otherwise (set it to override)
export HF_HUB_OFFLINE := 1

.PHONY: install install-lerobot test test-main test-lerobot test-fast demo report bench gpu-check lint mutate clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@# torch 2.13.0 (CPU) first, so the project's range installs nothing heavier
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[all,dev]"
	@# offscreen rendering on a CPU machine goes through OSMesa
	@ldconfig -p | grep -q libOSMesa || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libosmesa6 >/dev/null; \
	  else echo "warning: libOSMesa missing; camera observations need 'apt-get install libosmesa6'"; fi; }
	@touch $(STAMP)

install-lerobot: $(LEROBOT_STAMP)

$(LEROBOT_STAMP): pyproject.toml
	@test -d $(LEROBOT_VENV) || $(PYTHON312) -m venv $(LEROBOT_VENV)
	@# dataset + evaluation: lerobot-eval imports LeRobotDataset; the wam_tts plug-in's records need pandas/pyarrow
	$(LEROBOT_VENV)/bin/pip install -q "lerobot[lingbot-va,dataset,evaluation]==0.6.1" "pytest>=8" "pytest-timeout>=2.2" "hypothesis>=6.100"
	$(LEROBOT_VENV)/bin/pip install -q -e . --no-deps
	@touch $@

test: test-main test-lerobot

test-main: install
	$(PY) -m pytest -q

# the LingBot-VA adapter against LeRobot's real model code (tiny, random-initialised, CPU),
# and lerobot-eval with --policy.type=wam_tts (eval/lerobot_plugin) on it
test-lerobot: install-lerobot
	$(LEROBOT_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/lerobot tests/adapters/lingbot_va

test-fast: install
	$(PY) -m pytest -q -m "not slow"

demo: install
	$(PY) -m eval.run

bench: install
	$(PY) -m eval.bench
	@# LingBot-VA's KV cache per N: measured on the tiny policy (.venv-lerobot), computed for the released model
	@if [ -x $(LEROBOT_VENV)/bin/python ]; then $(LEROBOT_VENV)/bin/python -m adapters.lingbot_va.cache_size; \
	else $(PY) -m adapters.lingbot_va.cache_size --no-tiny; fi

# on a CUDA GPU: the released LingBot-VA architecture (random weights), batched vs sequential,
# peak memory per N, the out-of-memory fallback, Cosmos-Policy's device placement (fake upstream)
gpu-check: install-lerobot
	$(LEROBOT_VENV)/bin/python -m adapters.lingbot_va.gpu_check

# mutation testing of wam_tts/ and the results store (not in CI; ~20 min on 2 cores)
MUTANTS ?= 150
mutate: install
	$(PY) tests/mutation/mutate.py --sample $(MUTANTS) --seed 0

lint: install
	$(PY) -m ruff check wam_tts adapters eval tests

clean:
	rm -rf $(VENV) $(LEROBOT_VENV) .pytest_cache .hypothesis outputs multirun
