"""A corpus of hostile and malformed submissions of 01_dense, one per threat.

Each attack is code a student puts in a solution cell of the untouched
release notebook (or a way of mangling the file). None of them implements
Dense honestly, so each must score exactly what the untouched release
scores; an attack that worked would show as points (A-read, A-forge, ...) or as
a change outside its sandbox (A-write), which tests/test_grading.py checks.

Placeholders filled in by the test: {ROOT} the project checkout, {TARGETS} a
list of paths outside the sandbox that must stay unchanged, {PORT} a TCP port
on which the test listens on the host.
"""

import json

ATTACKS = {
    # --- read the instructor's files and use them ---------------------------------
    "read_solutions": '''
import glob, json, os
candidates = ["{ROOT}/src/kcourse/reference/dense.py",
              *glob.glob("{ROOT}/solutions/01_dense/*.ipynb"), *glob.glob("/work/**/*.ipynb")]
for path in candidates:
    try:
        text = open(path).read()
    except OSError:
        continue
    if path.endswith(".py"):
        exec(text)          # the reference Dense, if the sandbox let us read it
    else:
        for cell in json.loads(text)["cells"]:
            if "class Dense" in "".join(cell["source"]):
                exec("".join(cell["source"]))
if "Dense" not in globals():
    try:
        from kcourse.reference.dense import Dense  # noqa: F401
    except ImportError:
        pass
''',
    # --- write outside: gradebook, results, other students, the course ------------
    "write_outside": '''
import os, sqlite3
for target in {TARGETS}:
    try:
        if target.endswith(".db"):
            db = sqlite3.connect(target)
            db.execute("UPDATE grade SET auto_score = 99")
            db.commit()
        elif os.path.isdir(target):
            open(os.path.join(target, "pwned.txt"), "w").write("x")
        else:
            open(target, "a").write("pwned")
    except Exception:
        pass
''',
    # --- make the tests pass without running: patch the checker -------------------
    "patch_checks": '''
import kcourse.checks as checks_module
for name in dir(checks_module):
    if name.startswith("check_"):
        setattr(checks_module, name, lambda *a, **k: print("\\u2714 all good"))
class Dense:
    def __init__(self, *args, **kwargs):
        pass
def build_digit_classifier():
    import keras
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    model.compile("adam", "mse")
    return model
''',
    # --- forge the evidence file, then silence the checks ------------------------
    "forge_evidence": '''
import json, os
import numpy as np
from kcourse import evidence
fake = {"label": "your Dense", "outputs": [np.zeros((4, 3), "float32")] * 2,
        "gradients": [], "weight_names": [], "config": {}, "clone_output": np.zeros((4, 3))}
with open(os.environ.get("KCOURSE_EVIDENCE", "/dev/null"), "a") as sink:
    for cell in ["dense_relu", "dense_variants", "classifier_accuracy"]:
        for index in range(8):
            sink.write(json.dumps({"cell": cell, "index": index, "kind": "layer",
                                   "args": {}, "payload": evidence.to_json(fake)}) + "\\n")
import kcourse.checks as checks_module
checks_module.check_layer = lambda *a, **k: None
checks_module.check_architecture = checks_module.check_accuracy = lambda *a, **k: None
checks_module.check_history = lambda *a, **k: None
class Dense:
    def __init__(self, *args, **kwargs):
        pass
''',
    # --- hide failures: every later cell becomes `pass`, tracebacks vanish --------
    "hide_failures": '''
import sys
ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: ["pass\\n"])
ip.showtraceback = lambda *a, **k: None
sys.excepthook = lambda *a: None
''',
    # --- crash or leave the kernel --------------------------------------------------
    "exit_kernel": "import os\nos._exit(0)\n",
    "kill_kernel": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    "segfault": "import ctypes\nctypes.string_at(0)\n",
    "kill_harness": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(-1, 9)\n",
    # --- exhaust resources -----------------------------------------------------------
    "memory": "blocks = []\nwhile True:\n    blocks.append(bytearray(256 * 2**20))\n",
    "cpu_forever": "while True:\n    pass\n",
    "fork_bomb": '''
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
''',
    "disk": '''
with open("big.bin", "wb") as sink:
    for _ in range(4096):
        sink.write(b"0" * 2**20)
''',
    "output_flood": "for _ in range(200000):\n    print('x' * 500)\n",
    # --- reach the network -------------------------------------------------------------
    "network": '''
import socket
for host in ["127.0.0.1", "10.0.2.2", "pypi.org"]:
    try:
        socket.create_connection((host, {PORT}), timeout=3).sendall(b"pwned")
    except OSError:
        pass
''',
}


def attack_notebook(release_json: str, code: str) -> str:
    """The release notebook with `code` as the Dense solution cell."""
    nb = json.loads(release_json)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "dense_solution":
            cell["source"] = code
    return json.dumps(nb)


MALFORMED = ("invalid_json", "empty_file", "binary_garbage", "no_cells", "tests_deleted",
             "tests_rewritten_points_inflated", "cells_duplicated", "metadata_stripped",
             "nbformat_3", "wrong_name_release")


def malformed(release_json: str) -> dict[str, str | bytes]:
    """Submissions whose file is broken or whose structure was tampered with."""
    nb = json.loads(release_json)

    def variant(change) -> str:
        copy = json.loads(release_json)
        change(copy)
        return json.dumps(copy)

    def drop_tests(n):
        n["cells"] = [c for c in n["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")]

    def inflate_points(n):
        for c in n["cells"]:
            meta = c["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                meta.update(points=100, locked=False)
                c["source"] = "print('\\u2714 passed')"

    def duplicate_cells(n):
        n["cells"] = n["cells"] + n["cells"]

    def strip_metadata(n):
        for c in n["cells"]:
            c["metadata"] = {}

    return {
        "invalid_json": b"{ this is not json",
        "empty_file": b"",
        "binary_garbage": bytes(range(256)) * 64,
        "no_cells": json.dumps({"metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        "tests_deleted": variant(drop_tests),
        "tests_rewritten_points_inflated": variant(inflate_points),
        "cells_duplicated": variant(duplicate_cells),
        "metadata_stripped": variant(strip_metadata),
        "nbformat_3": json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                                  "worksheets": [{"cells": []}]}),
        "wrong_name_release": json.dumps(nb),   # saved as my_work.ipynb by the test
    }


# --- shortcuts: the built-in layer, disguised so that reading the code plainly misses it ---
# Each replaces only the Dense solution cell of the *solution* notebook, so the
# classifier cell is honest; the grader's static scan must zero the two Dense test
# cells (naming the cell, the line and the forbidden name) and nothing else.
SHORTCUTS = {
    # wraps keras.layers.Dense, reached through an alias and a computed attribute name
    "wrapped_builtin": ('''
import keras.layers as _lib


class Dense(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units, self.use_bias = units, use_bias
        self.activation = keras.activations.get(activation)
        self.inner = getattr(_lib, "De" + "nse")(units, activation=activation,
                                                 use_bias=use_bias)

    def build(self, input_shape):
        self.inner.build(input_shape)

    def call(self, inputs):
        return self.inner(inputs)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "use_bias": self.use_bias,
                       "activation": keras.activations.serialize(self.activation)})
        return config
''', 10, "keras.layers.Dense"),
    # Keras' private implementation: passes the in-kernel checks, refused by the scan
    "keras_src_ops": ("private_ops", 1, "keras.src.ops"),
}


def shortcut_notebook(source_json: str, name: str) -> str:
    """The solution notebook with the Dense cell replaced by the shortcut `name`."""
    code = SHORTCUTS[name][0]
    if code == "private_ops":
        nb = json.loads(source_json)
        cell = next(c for c in nb["cells"]
                    if c["metadata"].get("nbgrader", {}).get("grade_id") == "dense_solution")
        honest = "".join(cell["source"])
        code = "from keras.src import ops as _private\n" + honest.replace(
            "keras.ops.matmul(inputs, self.kernel)", "_private.matmul(inputs, self.kernel)")
        assert code.count("_private") == 2
    return attack_notebook(source_json, code)
