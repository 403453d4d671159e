#!/usr/bin/env bash
# The two stages of `make test`, side by side (called by the Makefile; BIN and NBVAL come
# from it). One stage rarely keeps both cores busy (kernels start, JupyterLab and the
# browser wait), so the JAX stage runs beside the TensorFlow stage; its output is
# printed when both are done. Each stage prints its wall time; the exit status is the
# first failing stage's.
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

echo "== everything on TensorFlow (library; release; round trip; grading; nbval)"
echo "   (beside it: the checker self-test and solution notebooks on JAX; output below)"
began=$(date +%s)
# shellcheck disable=SC2086  # NBVAL is a list of options
"$BIN/python" -m pytest -p no:cacheprovider --durations=15 \
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
