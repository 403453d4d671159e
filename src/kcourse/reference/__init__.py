"""Reference solutions, importable (instructor side).

Each module mirrors the solution cells of one solution notebook, without the
nbgrader markers; tests/test_reference.py proves the text is identical to the
notebook's and that the components match the built-in Keras ones. Students
must not import this package: kcourse.checks refuses a component that uses it,
and the grading sandbox does not contain it.
"""
