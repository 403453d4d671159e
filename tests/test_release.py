"""course/ is exactly what nbgrader generates from solutions/, and leaks nothing."""

import filecmp
import json

import pytest
from course_files import COURSE, SOLUTIONS, assignments, read, release_notebooks

from kcourse import release as release_module
from kcourse.authoring import HIDDEN_TESTS, SOLUTION, nbgrader_cells, region_lines


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    target = tmp_path_factory.mktemp("course")
    release_module.release(course=target)
    return target


def test_committed_course_equals_a_fresh_release(fresh_release):
    fresh = sorted(p.relative_to(fresh_release) for p in fresh_release.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(COURSE) for p in COURSE.rglob("*") if p.is_file())
    assert fresh == committed, "course/ has other files than the release: run `make release`"
    for relative in fresh:
        assert filecmp.cmp(fresh_release / relative, COURSE / relative, shallow=False), (
            f"course/{relative} differs from a fresh release: run `make release`"
        )


def test_every_assignment_is_released():
    assert {p.parent.name for p in release_notebooks()} == set(assignments())


def _outside_regions(source: str, markers) -> list[str]:
    """The lines of a cell outside its BEGIN/END regions: what the release keeps."""
    inside, kept = False, []
    for line in source.splitlines():
        if line.strip() == markers[0]:
            inside = True
        elif line.strip() == markers[1]:
            inside = False
        elif not inside:
            kept.append(line)
    return kept


def _secret_lines(markers):
    """Distinctive lines from solution regions or hidden tests of all source notebooks."""
    notebooks = {path: read(path) for path in SOLUTIONS.glob("*/*.ipynb")}
    # What a student sees anyway (prose and code outside the regions, in any notebook of
    # the course: 00 tells how to call super().__init__ before 02 writes it) is no secret.
    visible = "\n".join(line for nb in notebooks.values() for cell in nb.cells
                         for line in _outside_regions(cell.source, markers))
    secrets = {}
    for path, nb in notebooks.items():
        for cell in nb.cells:
            for line in region_lines(cell.source, markers):
                text = line.strip()
                # Short lines ("return model", ")") are not evidence of a leak.
                if len(text) >= 20 and text not in visible:
                    secrets[text] = path.name
    return secrets


def test_a_line_outside_the_regions_is_no_secret():
    source = ("visible_call(x)  # shown to the student\n### BEGIN HIDDEN TESTS\n"
              "visible_call(x)  # shown to the student\nhidden_call_with_a_long_name(y)\n"
              "### END HIDDEN TESTS")
    assert _outside_regions(source, HIDDEN_TESTS) == ["visible_call(x)  # shown to the student"]


@pytest.mark.parametrize("markers", [SOLUTION, HIDDEN_TESTS], ids=["solutions", "hidden-tests"])
def test_release_leaks_no_solution_and_no_hidden_test(markers):
    secrets = _secret_lines(markers)
    assert secrets, "no secret lines found: the leak test would test nothing"
    for notebook in release_notebooks():
        text = "\n".join(cell.source for cell in read(notebook).cells)
        assert markers[0] not in text
        for line, source in secrets.items():
            assert line not in text, f"{notebook.name} contains a line of {source}: {line!r}"


def test_release_notebooks_have_no_outputs_and_use_the_course_kernel():
    for notebook in release_notebooks():
        nb = read(notebook)
        assert nb.metadata.kernelspec.name == "kcourse"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


def test_release_keeps_stubs_where_solutions_were():
    for notebook in release_notebooks():
        nb = read(notebook)
        stubs = nbgrader_cells(nb, "solution")
        assert stubs and all("raise NotImplementedError()" in c.source for c in stubs)


def test_missing_only_restores_deleted_notebooks_and_keeps_student_work(tmp_path, capsys):
    two = ["00_keras_tour", "01_dense"]  # every release costs an nbgrader run per notebook
    release_module.release(two, course=tmp_path)
    worked = tmp_path / "01_dense" / "01_dense.ipynb"
    deleted = tmp_path / "00_keras_tour" / "00_keras_tour.ipynb"
    nb = json.loads(worked.read_text())
    nb["cells"][0]["source"] = "my notes"
    worked.write_text(json.dumps(nb))
    before = worked.read_bytes()
    deleted.unlink()

    changes = release_module.release(two, course=tmp_path, missing_only=True)

    assert worked.read_bytes() == before
    assert deleted.is_file()
    assert changes == [f"wrote {deleted}"], changes  # 01 is there: not generated again

    # a folder whose notebook is gone but which holds other files: the notebook comes
    # back, the other files stay as they are
    deleted.unlink()
    mine = deleted.parent / "my_notes.txt"
    mine.write_text("notes")
    assert release_module.release(two, course=tmp_path, missing_only=True) == [
        f"wrote {deleted}"]
    assert mine.read_text() == "notes" and worked.read_bytes() == before


def test_release_of_an_unknown_assignment_says_so():
    with pytest.raises(release_module.ReleaseError, match="no assignment '99_nothing'"):
        release_module.release(["99_nothing"], course=COURSE)
