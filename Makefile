# Keras from the inside. Two commands do everything:
#   make lab    set up (first time), then open the course in JupyterLab
#   make test   set up (first time), then run the whole test suite
# Headless lab for scripts:  make lab HEADLESS=1 PORT=8890 [TOKEN=secret]
# Instructors (nbgrader's formgrader and Create Assignment tools):  make lab INSTRUCTOR=1
# Tests: NOTEBOOK_DIR=<folder> serves another folder; LAB_ARGS=... extra JupyterLab options.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= test
PORT ?= 8888
TOKEN ?=
HEADLESS ?=
INSTRUCTOR ?=
NOTEBOOK_DIR ?= course
LAB_ARGS ?=
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

NBVAL := --nbval --nbval-kernel-name kcourse --nbval-sanitize-with tests/nbval_sanitize.cfg \
         --nbval-cell-timeout 300

.PHONY: system setup lab test test-fast lint release build doctor clean

# ---------------------------------------------------------------- set-up (first use)
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else \
	  "Keras from the inside needs Python 3.11 (found %d.%d at $(PYTHON)); \
	  run: make PYTHON=/path/to/python3.11 ..." % sys.version_info[:2])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	touch $@

setup: $(STAMP)
	@$(BIN)/python -m kcourse install-kernel

# ------------------------------------------------------------------------ students
# Student mode: lab/student/ (on JUPYTER_CONFIG_PATH) hides nbgrader's instructor tools and
# JupyterLab's news pop-up (lab/README.md). Instructors: make lab INSTRUCTOR=1.
lab: setup
	$(BIN)/python -m kcourse release --missing-only
	$(if $(INSTRUCTOR),,JUPYTER_CONFIG_PATH=$(CURDIR)/lab/student) \
	$(BIN)/jupyter lab --notebook-dir=$(NOTEBOOK_DIR) $(LAB_ARGS) \
	  $(if $(HEADLESS),--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port_retries=0) \
	  --ServerApp.port=$(PORT) $(if $(TOKEN),--IdentityProvider.token=$(TOKEN)) \
	  $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True)

doctor: setup
	$(BIN)/python -m kcourse doctor

# --------------------------------------------------------------------- maintainers
# The checker's unit tests run on the JAX backend too, and every solution notebook runs
# on the JAX course kernel with each test cell passing; beside that, everything on
# TensorFlow: unit tests, reference == Keras, release sync and leaks, nbgrader round trip,
# grading, the browser test, strict nbval over every solution notebook.
# The two stages run side by side (scripts/test-stages.sh); each prints its wall time.
# System packages first: bubblewrap (grading sandbox) and Chromium (browser test); as root
# they are installed with apt, otherwise make stops and prints the command.
test: system setup lint
	@BIN=$(BIN) NBVAL="$(NBVAL)" bash scripts/test-stages.sh

system:
	@bash scripts/system-packages.sh

test-fast: setup
	$(BIN)/python -m pytest -p no:cacheprovider -m "not slow" tests

lint: setup
	$(BIN)/ruff check .

# --------------------------------------------------------------------- instructors
# From each solutions/NN_topic/NN_topic.py (authors edit only that): write the reference
# module src/kcourse/reference/<topic>.py from its solution cells, then execute it into
# the .ipynb beside it. References only, no notebook run:
#   $(BIN)/python -m kcourse build --references-only [--check]
build: setup
	$(BIN)/python -m kcourse build

# Regenerate the student release course/ from solutions/ (overwrites course/).
release: setup
	$(BIN)/python -m kcourse release

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache src/*.egg-info
