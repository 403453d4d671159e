"""Grading truth: realistic student answers, and what grading must make of them.

    harness.py      scores a set of solution cells by running the source notebook
                    in this process (hidden tests included)
    keras_tour.py   answers for solutions/00_keras_tour
    dense.py        answers for solutions/01_dense

Each answer is an `Entry`: the exercise (solution cell grade_id), the student's
code for that cell, and what grading must do with it: keep full marks (a valid
alternative) or take points away with a message that names the mistake.
"""
