"""Running the student's code: its errors become one readable CheckFailure at the student's line."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import traceback

import keras
import numpy as np

from ._protocol import CheckFailure, CheckUsageError

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KERAS_WRAPPER_LINES = ("Exception encountered when calling", "Arguments received", "\u2022")


def strip_ansi(text: str) -> str:
    return _ANSI_ESCAPE.sub("", text)


#: Libraries whose code is never the student's, wherever they are installed.
_LIBRARIES = ("keras", "kcourse", "tensorflow", "tf_keras", "jax", "jaxlib", "numpy", "scipy",
              "optree", "ml_dtypes", "flax", "torch", "h5py")


@functools.cache
def _library_roots() -> tuple[str, ...]:
    """The folders of _LIBRARIES and of the standard library, as given and resolved.

    Not only site-packages: a GPU machine here installs Keras with `pip --target` into a
    folder on PYTHONPATH, and a maintainer may run a source checkout of Keras.
    """
    folders = [os.path.dirname(os.__file__)]
    for name in _LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.submodule_search_locations:
            folders += list(spec.submodule_search_locations)
    roots = {os.path.join(f, "") for folder in folders
             for f in (os.path.abspath(folder), os.path.realpath(folder))}
    return tuple(sorted(roots))


def is_library_file(filename: str) -> bool:
    """True for code of Keras, the backends, NumPy, kcourse or Python itself.

    Everything else (a notebook cell, a test file, a student's module) is the student's.
    """
    return ("site-packages" in filename or "/kcourse/" in filename
            or filename.startswith("<frozen") or "/lib/python3" in filename
            or filename.startswith(_library_roots()))


def student_frame(error: BaseException) -> str:
    """' (in call, line 12: return x @ self.w)' for the innermost frame of the student's code."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not is_library_file(f.filename)]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (in {frame.name}, line {frame.lineno}: {(frame.line or '').strip()})"


def error_summary(error: BaseException) -> str:
    """The informative lines of an exception, without Keras' call wrapper.

    Keras wraps errors raised inside call() ("Exception encountered when
    calling ...") and deserialization errors ("... Exception encountered: <cause>");
    the cause is kept, ANSI colour codes are removed.
    """
    text = strip_ansi(str(error))
    if "Exception encountered:" in text:
        cause = text.split("Exception encountered:", 1)[1].strip()
        head = text.split("Exception encountered:", 1)[0].strip().splitlines()
        first = head[0].strip() if head else ""
        return f"{first} Cause: {cause.splitlines()[0].strip()}" if cause else first
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(_KERAS_WRAPPER_LINES):
            return line
    return ""


def _super_init_forgotten(error: BaseException) -> bool:
    text = str(error)
    return isinstance(error, AttributeError) and (
        "has no attribute 'built'" in text or "_tracker" in text or "_lock" in text
        or "_trainable" in text or "_called" in text or "has no attribute 'name'" in text
    )


SUPER_INIT_HINT = (
    "call super().__init__(**kwargs) first thing in your __init__: without it Keras' "
    "Layer is never set up (no name, no weights list, no `built` flag)."
)


def run_student(what: str, fn, *args, **kwargs):
    """Call student code; turn its exceptions into one readable CheckFailure."""
    try:
        return fn(*args, **kwargs)
    except (CheckFailure, CheckUsageError):
        raise
    except NotImplementedError:
        raise CheckFailure(
            f"{what} raised NotImplementedError: replace `raise NotImplementedError()` "
            "with your implementation."
        ) from None
    except Exception as error:
        if _super_init_forgotten(error):
            raise CheckFailure(f"{what} failed: {SUPER_INIT_HINT}") from None
        raise CheckFailure(
            f"{what} raised {type(error).__name__}: {error_summary(error)}"
            f"{student_frame(error)}"
        ) from None


def reraise(error):
    raise error


def as_numpy(value, what: str) -> np.ndarray:
    """A student's result as a NumPy array, or a CheckFailure saying what it was."""
    if value is None:
        raise CheckFailure(f"{what} returned None: did you forget `return`?")
    try:
        return np.asarray(keras.ops.convert_to_numpy(value))
    except Exception:
        raise CheckFailure(f"{what} returned {type(value).__name__}, not a tensor.") from None


def _innermost_cell_frame(tb, shell=None) -> tuple[str, str]:
    """('Dense.__init__', 'Cell In[12], line 7, in __init__') for the innermost function
    defined in a notebook cell (ipykernel names cell files /tmp/ipykernel_*/N.py);
    ('', '') when there is none. The second part is IPython's own frame label, which
    `kcourse grade` reads to name the student's cell."""
    name, where = "", ""
    names = getattr(getattr(shell, "compile", None), "_filename_map", {})
    for frame, line in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if "ipykernel_" in filename or filename.startswith("<ipython-input"):
            function = frame.f_code.co_name
            if function != "<module>":
                owner = frame.f_locals.get("self")
                name = f"{type(owner).__name__}.{function}" if owner is not None else function
                count = names.get(filename)
                where = f"Cell In[{count}], line {line}, in {function}" if count else ""
    return name, where


def unfinished_exercise(shell, etype, value, tb, tb_offset=None) -> list[str]:
    """IPython's view of a NotImplementedError raised by an unfilled exercise: one line
    saying which function is not written yet and what to do, not a traceback; a second
    line says where it was raised."""
    what, where = _innermost_cell_frame(tb, shell)
    named = f"`{what}` is" if what else "an exercise above is"
    stb = [f"NotImplementedError: {named} not written yet. Replace "
           "`raise NotImplementedError()` in its exercise cell with your code, run that "
           "cell, then run this one again."]
    if where:
        stb.append(f"(raised in {where})")
    shell._showtraceback(etype, value, stb)  # IPython shows nothing itself for custom handlers
    return stb


def explain_unfinished_exercises() -> None:
    """In IPython, show an unfilled exercise's NotImplementedError as one friendly line."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((NotImplementedError,), unfinished_exercise)
