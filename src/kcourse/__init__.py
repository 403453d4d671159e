"""Keras from the inside: helper library for the course.

Modules:
    checks       student component vs built-in Keras component
    data         offline data sets with deterministic splits
    plots        training curves and image grids
    doctor       environment report (`python -m kcourse doctor`)
    kernel       the course Jupyter kernel spec
    determinism  TF32 off, seeds, deterministic ops
    release      regenerate course/ from solutions/ with nbgrader
    reference    reference solutions (instructor side; off limits to students)
"""

__version__ = "0.1.0"
