"""Evidence: what a student's component did, for a verdict reached outside the student's process.

A check has two halves. The *student side* runs the student's code on inputs
the checker chooses and collects what it produced (outputs, gradients,
configuration, predictions): the evidence. The *judge* compares that evidence
with the built-in Keras component. In a student's session both halves run in
the kernel. Under `kcourse grade` the kernel runs in a sandbox with
KCOURSE_EVIDENCE (a file) and KCOURSE_NONCE (a secret for this grading run)
set: the student side appends one JSON line per check to the file and the
grader's judge, in its own process, recomputes the Keras side from the
instructor's copy of the check's arguments and inputs derived from the nonce.
Nothing the student's code prints, raises or patches decides a verdict.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

import numpy as np

ENV_FILE = "KCOURSE_EVIDENCE"
ENV_NONCE = "KCOURSE_NONCE"

#: Largest array accepted back from a sandbox (elements), and largest evidence file.
MAX_ARRAY_ELEMENTS = 4_000_000
MAX_EVIDENCE_BYTES = 64 * 1024 * 1024

_position = {"cell": None, "index": 0}


def grading() -> bool:
    """True inside a grading sandbox (the harness sets KCOURSE_EVIDENCE)."""
    return bool(os.environ.get(ENV_FILE))


def enter_cell(cell_id: str) -> None:
    """Called by the grading harness before each graded cell: numbers the checks in it."""
    _position["cell"], _position["index"] = str(cell_id), 0


def derive_seed(nonce: str, cell: str | None, index: int, seed: int) -> int:
    """The seed of check number `index` of `cell` in a grading run with this nonce."""
    digest = hashlib.sha256(f"{nonce}/{cell}/{index}/{seed}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def next_position() -> tuple[str | None, int]:
    position = (_position["cell"], _position["index"])
    _position["index"] += 1
    return position


def seed_here(seed: int, position: tuple[str | None, int]) -> int:
    """In grading, the seed derived from the nonce for this position; else `seed` itself."""
    if not grading():
        return seed
    return derive_seed(os.environ.get(ENV_NONCE, ""), position[0], position[1], seed)


def record(kind: str, position, args: dict, payload: dict) -> None:
    """Append one check's evidence to the grading evidence file."""
    line = json.dumps({"cell": position[0], "index": position[1], "kind": kind,
                       "args": to_json(args), "payload": to_json(payload)})
    with open(os.environ[ENV_FILE], "a", encoding="utf-8") as sink:
        sink.write(line + "\n")


# ------------------------------------------------------------------------ JSON encoding


def to_json(value):
    """Arrays become {"__array__": dtype, "shape", "data"(base64)}; tuples become lists."""
    if isinstance(value, np.ndarray | np.generic):
        array = np.ascontiguousarray(value)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"cannot record arrays of dtype {array.dtype}")
        return {"__array__": array.dtype.str, "shape": list(array.shape),
                "data": base64.b64encode(array.tobytes()).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


class EvidenceError(ValueError):
    """Evidence that cannot be decoded (malformed, oversized, wrong type)."""


def from_json(value):
    """Inverse of to_json, validating every array it rebuilds."""
    if isinstance(value, dict) and "__array__" in value:
        try:
            dtype = np.dtype(value["__array__"])
            shape = tuple(int(d) for d in value["shape"])
            if dtype.kind not in "fiub" or any(d < 0 for d in shape):
                raise EvidenceError("bad array header")
            if int(np.prod(shape, dtype=np.int64)) > MAX_ARRAY_ELEMENTS:
                raise EvidenceError("array too large")
            data = base64.b64decode(value["data"], validate=True)
            return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
        except EvidenceError:
            raise
        except Exception as error:
            raise EvidenceError(f"malformed array: {error}") from None
    if isinstance(value, dict):
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def read(path) -> list[dict]:
    """Records of an evidence file; malformed lines are skipped (they count as no evidence)."""
    records = []
    try:
        size = os.path.getsize(path)
    except OSError:
        return records
    if size > MAX_EVIDENCE_BYTES:
        raise EvidenceError(f"evidence file of {size} bytes exceeds {MAX_EVIDENCE_BYTES}")
    with open(path, encoding="utf-8", errors="replace") as source:
        for line in source:
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(item, dict) and {"cell", "index", "kind", "args", "payload"} <= set(item):
                records.append(item)
    return records


def digest(array) -> str:
    """A fingerprint of an array's values and shape (which data a check was given)."""
    array = np.ascontiguousarray(np.asarray(array))
    return hashlib.sha256(str(array.shape).encode() + array.tobytes()).hexdigest()[:16]
