"""The one protocol every check follows: case -> collect -> judge.

* a **case** is a JSON-safe dict describing what is compared (the Keras
  component's serialized config, shapes, seed, modes, what is forbidden);
* **collect(seed)** runs the student's code in the student's kernel and
  returns a payload (a dict of JSON-safe values and NumPy arrays);
* **judge(case, payload, seed)** is pure: it rebuilds the Keras side from the
  case, compares, and returns what it verified (a list of short phrases, or
  one phrase) or raises `CheckFailure`.

In a notebook, `run` calls `judge(case, collect(seed), seed)` right away. Both halves
compute with TF32 off (`run` switches it off before collecting, `judge_case` before judging).
Under `kcourse grade` it only records (kind, case, payload) and the grader
calls the very same `judge` (through `judge_case`, which switches TF32 off)
on the instructor's copy of the case, with a seed derived from a secret nonce.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import evidence
from ..determinism import disable_tf32

PASS_MARK = "\u2714"  # a heavy check mark


class _Plain:
    """IPython shows `_render_traceback_()` instead of a traceback: the message alone.

    The checker's own frames say nothing a student can act on; the message says
    what differs and, for an error in the student's code, the student's line.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class CheckFailure(_Plain, AssertionError):
    """The student's component does not behave like the built-in one."""


class CheckUsageError(_Plain, ValueError):
    """A check was called with arguments it cannot use."""


#: kind -> judge(case, payload, seed) -> verified phrase(s)
JUDGES: dict[str, Callable] = {}


def register(kind: str):
    """Decorator: make `judge(case, payload, seed)` the judge of checks of this kind."""
    def decorate(judge: Callable) -> Callable:
        if kind in JUDGES and JUDGES[kind] is not judge:
            raise RuntimeError(f"two judges registered for check kind {kind!r}")
        JUDGES[kind] = judge
        return judge
    return decorate


def judge_case(kind: str, case: dict, payload: dict, seed: int):
    """The verdict of a recorded check: the grader and the notebook both come here."""
    __tracebackhide__ = True
    if kind not in JUDGES:
        raise CheckUsageError(f"no judge for check kind {kind!r}")
    if not isinstance(payload, dict):
        raise CheckFailure("malformed evidence")
    if "failure" in payload:
        raise CheckFailure(str(payload["failure"]))
    disable_tf32()
    return JUDGES[kind](case, payload, seed)


def _summary(verified) -> str:
    if isinstance(verified, list | tuple):
        return "; ".join(verified)
    return str(verified)


def run(kind: str, case: dict, collect: Callable[[int], dict], *, title: str | None = None):
    """Collect, then judge here and print one ✔ line; under grading, record the payload instead.

    title: the start of the ✔ line (e.g. "Dense matches keras.layers.Dense"); the
    verified phrases follow it. Returns what was verified (None under grading).
    """
    __tracebackhide__ = True
    position = evidence.next_position()
    seed = evidence.seed_here(int(case.get("seed", 0)), position)
    # The student's half is computed with TF32 off too, as the judge's is: on an Ampere or
    # Hopper GPU its 10-bit mantissa would fail a correct layer at rtol 1e-4. (Found on an
    # H100: a built-in LSTM failed against itself when collected with TF32 on.)
    disable_tf32()
    if evidence.grading():
        try:
            payload = collect(seed)
        except (CheckFailure, CheckUsageError) as failure:
            payload = {"failure": str(failure)}
        evidence.record(kind, position, case, payload)
        print(f"(recorded for grading: {kind} check {position[1] + 1} of this cell)")
        return None
    try:
        verified = judge_case(kind, case, collect(seed), seed)
    except (CheckFailure, CheckUsageError) as failure:
        # Drop the checker's own frames: the student sees the message, not our code.
        raise failure.with_traceback(None) from None
    summary = _summary(verified)
    print(f"{PASS_MARK} {title}: {summary}" if title else f"{PASS_MARK} {summary}")
    return verified
