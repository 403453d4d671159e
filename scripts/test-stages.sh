#!/usr/bin/env bash
# The two stages of `make test`, side by side (called by the Makefile; BIN and NBVAL come
# from it). The TensorFlow stage runs on two pytest-xdist workers (TF_WORKERS), which take
# whole units (a test file's functions, a notebook's corpus class, a notebook's nbval
# cells), costliest first (conftest.py);
# the JAX stage runs beside it and its output is printed
# when both are done. One test file rarely keeps a core busy (kernels start, JupyterLab
# and the browser wait), so three processes share the two cores. Each stage prints its
# wall time; the exit status is the first failing stage's.
set -uo pipefail
BIN=${BIN:-.venv/bin}
log=$(mktemp -t kcourse-jax-stage.XXXXXX)
trap 'rm -f "$log"' EXIT
start=$(date +%s)

(
  began=$(date +%s)
  KERAS_BACKEND=jax "$BIN/python" -m pytest -q -p no:cacheprovider --durations=5 \
    tests/test_checks*.py tests/test_notebooks_jax.py
  status=$?
  echo "== checker self-test and solution notebooks on JAX: $(( $(date +%s) - began )) s"
  exit $status
) >"$log" 2>&1 &
jax=$!

echo "== everything on TensorFlow (library; release; round trip; grading; nbval), ${TF_WORKERS:-2} workers"
echo "   (beside it: the checker self-test and solution notebooks on JAX; output below)"
began=$(date +%s)
# shellcheck disable=SC2086  # NBVAL is a list of options
"$BIN/python" -m pytest -p no:cacheprovider --durations=25 \
  -n "${TF_WORKERS:-2}" --dist loadscope --no-loadscope-reorder \
  --ignore=tests/test_notebooks_jax.py tests solutions $NBVAL
tf=$?
echo "== everything on TensorFlow: $(( $(date +%s) - began )) s"

wait $jax
jaxstatus=$?
echo
echo "== checker self-test and solution notebooks on JAX (ran beside TensorFlow):"
cat "$log"
echo "== both stages: $(( $(date +%s) - start )) s"
[ $tf -ne 0 ] && exit $tf
exit $jaxstatus
