"""nbgrader configuration of the course (run nbgrader from this folder).

solutions/ (one level up) is nbgrader's source, course/ its release; the
runtime folders (submitted/, autograded/, feedback/) and gradebook.db live
here and are git-ignored.
"""

c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.course_id = "keras-from-the-inside"
c.CourseDirectory.source_directory = "../solutions"
c.CourseDirectory.release_directory = "../course"
# Jupytext twins (*.py) of the notebooks are authoring files, not course material.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py", "*.keras",
]

# Every notebook names the course kernel; nbgrader must not replace it.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# TensorFlow's first import and a short training run can take a while on 2 cores.
c.ExecutePreprocessor.timeout = 300
c.ExecutePreprocessor.startup_timeout = 120
c.ExecutePreprocessor.interrupt_on_timeout = True
# A student who deletes a graded or read-only cell gets it back from the source.
c.OverwriteCells.add_missing_cells = True
