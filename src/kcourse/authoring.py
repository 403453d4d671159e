"""Build the solution notebooks and the reference modules from their jupytext twins.

Authors edit solutions/NN_topic/NN_topic.py (jupytext percent format: `# %%`
cells, nbgrader metadata in the cell header). `build()` does two things:

* writes src/kcourse/reference/<topic>.py from the solution cells of the
  script (`write_references`: markers dropped, code kept, plus the notebook's
  imports those cells use); `python -m kcourse build --references-only` does
  only this, in a second, without running any notebook;
* turns each script into the .ipynb beside it, executes it top to bottom with
  the course kernel, and stores the outputs that nbval later compares. Cell
  ids are derived from the cell's position (or grade_id), so rebuilding an
  unchanged notebook rewrites the same file.

It also reads the exercises of a notebook: `exercise_points_problems` says
where the points in an "## Exercise N · title (P points)" heading differ
from the points of the test cells below it.
"""

from __future__ import annotations

import ast
import builtins
import symtable
import sys
import textwrap
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from . import paths
from .exercises import (  # noqa: F401  the exercises of a notebook; the kernel reads them too
    EXERCISE_HEADING,
    STATED_POINTS,
    Exercise,
    exercise_points_problems,
    exercises,
    test_descriptions,
)
from .kernel import KERNEL_NAME

CELL_TIMEOUT = 300


def twin(notebook: Path) -> Path:
    """The jupytext percent script of a notebook."""
    return notebook.with_suffix(".py")


def _assign_ids(nb) -> None:
    for index, cell in enumerate(nb.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id or f"cell-{index:03d}"


def from_script(script: Path):
    """The notebook a percent script describes (no outputs), with stable cell ids."""
    nb = jupytext.read(script)
    nb.metadata.pop("jupytext", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    _assign_ids(nb)
    return nb


def execute(nb, workdir: Path, kernel_name: str = KERNEL_NAME):
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=kernel_name,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    for cell in nb.cells:  # execution timestamps differ on every run
        cell.get("metadata", {}).pop("execution", None)
    return nb


def build(assignments: list[str] | None = None, *, references_only: bool = False) -> None:
    """Write the reference modules, then (unless references_only) execute the notebooks."""
    for line in write_references(assignments):
        print(line)
    if references_only:
        return
    for assignment in assignments or paths.assignments_with_scripts():
        for script in sorted((paths.solutions_dir() / assignment).glob("*.py")):
            started = time.perf_counter()
            target = script.with_suffix(".ipynb")
            previous = target.read_bytes() if target.is_file() else None
            nb = from_script(script)
            # written first: the last cell (checks.progress) reads the test cells' sources
            # from the file, and they must be these, not the previous build's
            nbformat.write(nb, target)
            try:
                nb = execute(nb, script.parent)
            except BaseException:
                if previous is not None:  # a failed build leaves the last good notebook
                    target.write_bytes(previous)
                raise
            nbformat.write(nb, target)
            print(f"built {target} in {time.perf_counter() - started:.1f} s")


# ----------------------------------------------------------- nbgrader regions of a cell

SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TESTS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def region_lines(source: str, markers: tuple[str, str]) -> list[str]:
    """The lines of `source` between the BEGIN and END markers (markers excluded)."""
    inside, lines = False, []
    for line in source.splitlines():
        if line.strip() == markers[0]:
            inside = True
        elif line.strip() == markers[1]:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def without_markers(source: str) -> str:
    """The cell as the solution runs it: every nbgrader marker line removed."""
    markers = {*SOLUTION, *HIDDEN_TESTS}
    return "\n".join(line for line in source.splitlines() if line.strip() not in markers)


def nbgrader_cells(nb, kind: str) -> list:
    """Cells whose nbgrader metadata sets `kind` ("solution" or "grade") to true."""
    return [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get(kind)]


class AuthoringError(ValueError):
    """A solution notebook cannot be turned into what `make build` writes from it."""


# ------------------------------------------------- reference modules from solution cells
#
# The one rule that names a reference module: solutions/NN_topic/NN_topic.py writes
# src/kcourse/reference/topic.py (01_dense -> dense, 00_keras_tour -> keras_tour), the
# same topic name the checks' mistakes module and the tests use.


def reference_name(assignment: str) -> str:
    """The reference module of an assignment: "NN_topic" -> "topic"."""
    number, _, topic = assignment.partition("_")
    if not (number.isdigit() and topic.isidentifier() and topic.islower()):
        raise AuthoringError(
            f"assignment {assignment!r} is not named NN_topic with a lower-case Python "
            "identifier as topic (e.g. 02_conv2d): its reference module needs that name"
        )
    return topic


def reference_dir() -> Path:
    """src/kcourse/reference of the checkout."""
    return paths.project_root() / "src" / "kcourse" / "reference"


def script_of(assignment: str) -> Path:
    """solutions/NN_topic/NN_topic.py, the file authors edit."""
    script = paths.solutions_dir() / assignment / f"{assignment}.py"
    if not script.is_file():
        raise AuthoringError(f"{assignment} has no jupytext script {script}")
    return script


def _bound_names(node: ast.Import | ast.ImportFrom) -> list[tuple[str, ast.alias]]:
    """(name the statement binds, its alias) for each alias of an import statement."""
    return [(alias.asname or alias.name.split(".")[0], alias) for alias in node.names]


def _notebook_imports(cells) -> dict[str, tuple[str | None, ast.alias]]:
    """name -> (module of a `from` import, or None; alias): top-level imports of `cells`."""
    imports: dict[str, tuple[str | None, ast.alias]] = {}
    for cell in cells:
        # IPython magics and shell escapes (%matplotlib, !ls) are not Python: skip them.
        lines = without_markers(cell.source).splitlines()
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)
        try:
            body = ast.parse(code).body
        except SyntaxError:
            continue  # not Python this module could use anyway
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom) and not getattr(node, "level", 0):
                module = node.module if isinstance(node, ast.ImportFrom) else None
                for name, alias in _bound_names(node):
                    imports.setdefault(name, (module, alias))
    return imports


def _free_names(code: str, filename: str) -> set[str]:
    """Global names `code` reads but neither defines at top level nor gets from builtins."""
    table = symtable.symtable(code, filename, "exec")
    defined = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    read: set[str] = set()
    scopes = [table]
    while scopes:
        scope = scopes.pop()
        read |= {s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()}
        scopes.extend(scope.get_children())
    return read - defined - set(dir(builtins))


def _import_section(module: str) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    return 3 if top == "kcourse" else 2


def _member_key(name: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then other names."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name


def _import_block(needed: dict[str, tuple[str | None, ast.alias]]) -> str:
    """The import statements for `needed`, grouped and sorted as ruff's isort wants them."""
    plain: set[tuple[str, str]] = set()
    from_members: dict[str, set[str]] = {}
    for module, alias in needed.values():
        text = alias.name + (f" as {alias.asname}" if alias.asname else "")
        if module is None:
            plain.add((alias.name, f"import {text}"))
        else:
            from_members.setdefault(module, set()).add(text)
    sections: dict[int, list[tuple[int, str, str]]] = {}
    for module, statement in plain:
        sections.setdefault(_import_section(module), []).append((0, module.lower(), statement))
    for module, members in from_members.items():
        names = sorted(members, key=_member_key)
        statement = f"from {module} import {', '.join(names)}"
        if len(statement) > 100:
            statement = f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"
        sections.setdefault(_import_section(module), []).append((1, module.lower(), statement))
    return "\n\n".join("\n".join(s for *_, s in sorted(sections[key])) for key in sorted(sections))


def _title(nb) -> str:
    """The first markdown heading of the notebook, without its '#'s."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip().replace("\\", "\\\\").replace('"', "'")
    return "a solution notebook"


def reference_source(nb, source: str) -> str | None:
    """The text of the reference module of notebook `nb`, authored in `source`.

    nb: the notebook (from_script); source: its script's path relative to the
    checkout, named in the header. None when the notebook has no solution cells.
    Raises AuthoringError when the solution cells read a name that neither they
    nor an import of the notebook define (the module could not run on its own).
    """
    solutions = nbgrader_cells(nb, "solution")
    if not solutions:
        return None
    bodies = [without_markers(cell.source).strip("\n") for cell in solutions]
    code = "\n\n\n".join(bodies) + "\n"
    others = [c for c in nb.cells
              if c.cell_type == "code" and not any(c is s for s in solutions)]
    imports = _notebook_imports(others)
    free = _free_names(code, source)
    missing = sorted(free - set(imports))
    if missing:
        raise AuthoringError(
            f"the solution cells of {source} use {', '.join(missing)}, which no solution "
            "cell defines and no import in the notebook provides, so the reference module "
            "could not run on its own: define it inside the solution cell that uses it, or "
            "pass it as an argument"
        )
    needed = {name: imports[name] for name in sorted(free)}
    needed |= {n: i for n, i in imports.items() if i[0] == "__future__"}
    header = (f"# GENERATED from {source} by `make build`;\n# edit that file, not this "
              "one. Only the references: `python -m kcourse build --references-only`.")
    docstring = textwrap.fill(f'"""Reference solutions of "{_title(nb)}".', width=100)
    parts = [
        header,
        docstring + "\n\nThe notebook's solution cells in order, without their nbgrader markers, "
        "and the\nimports they use. kcourse.checks refuses components from this package.\n"
        '"""',
    ]
    if needed:
        parts.append(_import_block(needed))
    parts.append(f'SOURCE = "{source}"\n\n\n{code}')
    return "\n".join(parts[:2]) + "\n\n" + "\n\n".join(parts[2:])


def references(assignments: list[str] | None = None) -> dict[str, str]:
    """module name -> text of its reference module, for each assignment with solution cells."""
    generated = {}
    for assignment in assignments or paths.assignments_with_scripts():
        script = script_of(assignment)
        relative = script.relative_to(paths.project_root()).as_posix()
        text = reference_source(from_script(script), relative)
        if text is not None:
            generated[reference_name(assignment)] = text
    return generated


def write_references(assignments: list[str] | None = None, *, target: Path | None = None,
                     check: bool = False) -> list[str]:
    """Write (or with check=True only compare) the reference modules; one line per module.

    Lines start with "wrote", "unchanged" or, with check=True, "stale".
    """
    target = Path(target or reference_dir())
    lines = []
    for name, text in references(assignments).items():
        path = target / f"{name}.py"
        if path.is_file() and path.read_bytes() == text.encode():
            lines.append(f"unchanged {path}")
        elif check:
            lines.append(f"stale {path}: run `python -m kcourse build --references-only`")
        else:
            path.write_bytes(text.encode())
            lines.append(f"wrote {path}")
    return lines
