"""Reference solutions, importable (instructor side). GENERATED: never edit by hand.

`make build` (or, without running any notebook, `python -m kcourse build
--references-only`) writes one module per solution notebook: <topic>.py from
the solution cells of solutions/NN_topic/NN_topic.py, markers dropped, with the
imports those cells use (kcourse.authoring.write_references). Edit the notebook's
script, then regenerate; tests/test_reference.py fails when a module is stale and
proves the components match the built-in Keras ones. Students must not import
this package: kcourse.checks refuses a component that uses it, and the grading
sandbox does not contain it.
"""
