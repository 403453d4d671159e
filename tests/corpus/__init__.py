"""Grading truth: realistic student answers, and what grading must make of them.

    harness.py      scores a set of solution cells by running the source notebook
                    in this process (hidden tests included)
    mutants.py      small AST edits of the solution cells (bench/mutants.py)
    <topic>.py      answers for one notebook (keras_tour.py: 00_keras_tour, dense.py:
                    01_dense, ...): NOTEBOOK, ENTRIES and MUTANT_SAMPLE

Each answer is an `Entry`: the exercise (solution cell grade_id), the student's
code for that cell, and what grading must do with it: keep full marks (a valid
alternative) or take points away with a message that names the mistake.
MUTANT_SAMPLE lists mutant ids (bench/mutants.py --list) that tests/test_corpus.py
requires to lose points. A new topic module is found by `corpora()`; nothing to register.
"""

from __future__ import annotations

import importlib
import pkgutil

_NOT_TOPICS = {"harness", "mutants"}


def topic_modules() -> list:
    """Every corpus module (one per notebook), sorted by notebook."""
    found = [importlib.import_module(f"{__name__}.{info.name}")
             for info in pkgutil.iter_modules(__path__) if info.name not in _NOT_TOPICS]
    return sorted(found, key=lambda module: module.NOTEBOOK)


def corpora() -> dict:
    """Notebook -> its list of Entry."""
    return {module.NOTEBOOK: module.ENTRIES for module in topic_modules()}


def mutant_samples() -> dict:
    """Notebook -> the mutant ids that must lose points."""
    return {module.NOTEBOOK: tuple(getattr(module, "MUTANT_SAMPLE", ()))
            for module in topic_modules()}
