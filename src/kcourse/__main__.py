"""Command line: `python -m kcourse COMMAND` (also `kcourse COMMAND`); see --help."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kcourse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    doctor = commands.add_parser("doctor", help="report versions, devices, determinism; verdict")
    doctor.add_argument("--json", action="store_true", help="machine-readable report")
    commands.add_parser("install-kernel",
                        help="install the course Jupyter kernels (TensorFlow, JAX) in this env")
    release = commands.add_parser("release", help="generate course/ from solutions/ (nbgrader)")
    release.add_argument("assignments", nargs="*", help="default: all of solutions/")
    release.add_argument(
        "--missing-only", action="store_true",
        help="only add notebooks absent from course/; never overwrite a student's work",
    )
    progress = commands.add_parser(
        "progress", help="run your notebooks in course/ on a copy; print each test cell's result")
    progress.add_argument("--course", default="course", help="folder of notebooks (course/)")
    progress.add_argument("--kernel", default=None, help="kernel name (default: kcourse)")
    grade = commands.add_parser("grade", help="grade a class in sandboxes, in parallel")
    from .grading.cli import add_arguments

    add_arguments(grade)
    build = commands.add_parser(
        "build", help="solutions/*/*.py -> kcourse/reference/*.py and executed .ipynb (authors)"
    )
    build.add_argument("assignments", nargs="*", help="default: all of solutions/")
    build.add_argument(
        "--references-only", action="store_true",
        help="only regenerate src/kcourse/reference/ from the solution cells; run no notebook",
    )
    build.add_argument(
        "--check", action="store_true",
        help="with --references-only: write nothing, exit 1 if a reference module is stale",
    )
    args = parser.parse_args(argv)

    if args.command == "doctor":
        from .doctor import main as doctor_main

        return doctor_main(as_json=args.json)
    if args.command == "install-kernel":
        from .kernel import install_kernels

        for target in install_kernels():
            print(f"installed the course kernel in {target}")
        return 0
    if args.command == "progress":
        from pathlib import Path

        from .progress import main as progress_main

        return progress_main(Path(args.course), args.kernel)
    if args.command == "grade":
        from .grading.cli import main as grade_main

        return grade_main(args)
    if args.command == "build":
        from .authoring import AuthoringError, write_references
        from .authoring import build as build_notebooks

        try:
            if args.check:
                if not args.references_only:
                    parser.error("--check goes with --references-only")
                lines = write_references(args.assignments or None, check=True)
                print("\n".join(lines))
                return 1 if any(line.startswith("stale") for line in lines) else 0
            build_notebooks(args.assignments or None, references_only=args.references_only)
        except AuthoringError as error:
            print(f"kcourse build: {error}", file=sys.stderr)
            return 2
        return 0
    if args.command == "release":
        from .release import ReleaseError, release

        try:
            release(args.assignments or None, missing_only=args.missing_only)
        except ReleaseError as error:
            print(f"kcourse release: {error}", file=sys.stderr)
            return 2
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
