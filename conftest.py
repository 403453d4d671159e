"""`make test`'s parallel workers: the order in which they take the tests.

scripts/test-stages.sh runs the TensorFlow stage on pytest-xdist workers with
`--dist loadscope --no-loadscope-reorder`: a test file's functions, a test class (one per
notebook's corpus, tests/test_corpus.py), or a solution notebook's nbval cells run whole
on one worker, in order (module fixtures start once: the lab, the grading batch; one
kernel runs a notebook's cells). They are handed out costliest first (COSTLIEST), then
in collection order, so that no long one starts last.

(`--dist loadgroup` would need no test classes, but pytest-xdist 3.8 names a group by
rewriting `item._nodeid`, which pytest 9.2 no longer reads: every test became its own
group and a notebook's nbval cells ran on two kernels.) This file sits at the root so
that it applies to `pytest solutions` as well as to `pytest tests`.
"""

import pytest

#: Units known to take minutes, costliest first (measured with --durations).
COSTLIEST = ("tests/test_corpus.py::TestCorpus_00_keras_tour",
             "tests/test_corpus.py::TestCorpus_01_dense", "tests/test_grading.py",
             "tests/test_autograde.py", "tests/test_corpus.py::TestCorpus_03_convolution",
             "tests/test_corpus.py::TestCorpus_06_lstm_gru", "tests/test_browser.py",
             "tests/test_corpus.py::TestCorpus_02_activations",
             "tests/test_corpus.py::TestCorpus_05_rnn",
             "tests/test_corpus.py::TestCorpus_04_pooling", "tests/test_corpus.py",
             "tests/test_release.py")


def _scope(item) -> str:
    """xdist's loadscope unit: the node id up to its last '::' (a file, or a class)."""
    return item.nodeid.rsplit("::", 1)[0]


@pytest.hookimpl(tryfirst=True)  # the order the workers report
def pytest_collection_modifyitems(config, items):
    if not hasattr(config, "workerinput"):  # an xdist worker: it sends this order
        return
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(_scope(item), []).append(item)
    rank = {name: COSTLIEST.index(name) if name in COSTLIEST else len(COSTLIEST)
            for name in files}
    ordered = sorted(files, key=lambda name: rank[name])  # stable: else collection order
    items[:] = [item for name in ordered for item in files[name]]
