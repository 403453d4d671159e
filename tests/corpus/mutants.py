"""Mutants of the instructor's solution cells: small AST edits a test suite should notice.

    mutants("01_dense")  ->  [Mutant(id, cell, operator, description, source, diff), ...]

Operators (each applied at every place it fits, one edit per mutant):

    drop_keyword      remove one keyword argument of a call (activation="relu", optimizer=...)
    swap_string       replace a string constant with a plausible other ("relu" -> "linear")
    delete_statement  remove one statement other than a return (a `pass` keeps a body
                      that would be empty)
    swap_operands     swap the operands of + - @, or the first two arguments of a call
    change_number     an integer n -> n + 1, a float x -> 10 x
    drop_return       `return value` -> `return`
    super_init        super().__init__(**kwargs) -> super().__init__()

A mutant's id names the cell, the operator, what was edited and, when the same edit
fits several places, its occurrence: stable while the solution cells keep their code.
EQUIVALENT lists the mutants that cannot be told apart from the solution by design,
each with the reason; they are left out of the kill ratio. A topic's corpus module
(tests/corpus/<topic>.py) adds its own in EQUIVALENT_MUTANTS and its own string swaps
in STRING_SWAPS; `equivalent()` and `mutants()` merge them.
"""

from __future__ import annotations

import ast
import copy
import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from .harness import solution_sources

#: string constant -> the plausible wrong ones a mutant puts in its place
STRING_SWAPS = {
    "relu": ("linear", "sigmoid"),
    "softmax": ("linear", "sigmoid"),
    "sparse_categorical_crossentropy": ("categorical_crossentropy", "mse"),
    "accuracy": ("mse",),
    "adam": ("sgd",),
    "glorot_uniform": ("zeros", "random_normal"),
    "zeros": ("ones", "glorot_uniform"),
}

#: mutant id -> why no test can (or should) tell it from the solution
EQUIVALENT = {
    "fit_solution/drop_keyword/verbose=0": "verbose only changes what fit prints",
    "fit_solution/drop_keyword/batch_size=32": "32 is fit's default batch size",
    "fit_solution/change_number/0->1 in return model.fit(dataset.train.x, dataset.train.y,":
        "verbose=1 only changes what fit prints",
    "dense_solution/drop_keyword/initializer='glorot_uniform'":
        "glorot_uniform is add_weight's default initializer",
    "dense_solution/drop_keyword/name='kernel'":
        "weight names are free: weights are paired with Keras' in order",
    "dense_solution/drop_keyword/name='bias'":
        "weight names are free: weights are paired with Keras' in order",
    "dense_solution/swap_operands/outputs + self.bias": "float addition is commutative",
}


@dataclass(frozen=True)
class Mutant:
    id: str
    cell: str
    operator: str
    description: str
    source: str  # the mutated cell (ast.unparse of the edited tree)
    diff: str  # unified diff against ast.unparse of the solution cell


class _Edit(ast.NodeTransformer):
    """Apply one edit: `apply(node)` on the node whose position is `target`."""

    def __init__(self, target: int, apply):
        self.target, self.apply, self.index = target, apply, -1

    def generic_visit(self, node):
        self.index += 1
        if self.index == self.target:
            return self.apply(node)
        return super().generic_visit(node)


def _nodes(tree) -> list[ast.AST]:
    """Every node in the order _Edit visits them (pre-order)."""
    found = []

    def walk(node):
        found.append(node)
        for child in ast.iter_child_nodes(node):
            walk(child)

    walk(tree)
    return found


def _is_docstring(node, parents) -> bool:
    parent = parents.get(id(node))
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and isinstance(parent, ast.FunctionDef | ast.ClassDef | ast.Module)
            and parent.body and parent.body[0] is node)


def _topic(notebook: str):
    from . import topic_modules

    return next((m for m in topic_modules() if m.NOTEBOOK == notebook), None)


def equivalent() -> dict[str, str]:
    """Mutant id -> reason, over EQUIVALENT and every topic's EQUIVALENT_MUTANTS."""
    from . import topic_modules

    merged = dict(EQUIVALENT)
    for module in topic_modules():
        merged.update(getattr(module, "EQUIVALENT_MUTANTS", {}))
    return merged


def _edits(tree, swaps=STRING_SWAPS) -> Iterator[tuple[int, str, str, object]]:
    """(node position, operator, description, apply(node) -> new node) for every edit."""
    nodes = _nodes(tree)
    parents = {id(child): node for node in nodes for child in ast.iter_child_nodes(node)}
    for position, node in enumerate(nodes):
        if isinstance(node, ast.Call):
            for k, keyword in enumerate(node.keywords):
                if keyword.arg is None:
                    continue
                text = f"{keyword.arg}={ast.unparse(keyword.value)}"

                def drop(n, k=k):
                    n = copy.deepcopy(n)
                    del n.keywords[k]
                    return n
                yield position, "drop_keyword", text, drop
            if len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
                def swap_args(n):
                    n = copy.deepcopy(n)
                    n.args[0], n.args[1] = n.args[1], n.args[0]
                    return n
                yield position, "swap_operands", ast.unparse(node)[:70], swap_args
            if ast.unparse(node) == "super().__init__(**kwargs)":
                def no_kwargs(n):
                    n = copy.deepcopy(n)
                    n.keywords = []
                    return n
                yield position, "super_init", "super().__init__()", no_kwargs
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if isinstance(parents.get(id(node)), ast.Expr):
                continue  # a docstring
            for other in swaps.get(node.value, ()):
                yield (position, "swap_string", f"{node.value!r}->{other!r}",
                       lambda n, other=other: ast.copy_location(ast.Constant(other), n))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            new = node.value + 1 if isinstance(node.value, int) else node.value * 10
            where = node
            while not isinstance(where, ast.stmt):
                where = parents[id(where)]
            context = ast.unparse(where).splitlines()[0][:50]
            yield (position, "change_number", f"{node.value!r}->{new!r} in {context}",
                   lambda n, new=new: ast.copy_location(ast.Constant(new), n))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.MatMult):
            def swap(n):
                n = copy.deepcopy(n)
                n.left, n.right = n.right, n.left
                return n
            yield position, "swap_operands", ast.unparse(node)[:70], swap
        elif isinstance(node, ast.Return) and node.value is not None:
            yield (position, "drop_return", f"return {ast.unparse(node.value)[:60]}",
                   lambda n: ast.copy_location(ast.Return(value=None), n))
        if isinstance(node, ast.stmt) and not isinstance(
                node, ast.FunctionDef | ast.ClassDef | ast.Return) \
                and not _is_docstring(node, parents):  # a return is drop_return's
            yield (position, "delete_statement", ast.unparse(node).splitlines()[0][:70],
                   lambda n: None)


def _fill_empty_bodies(tree):
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if name == "body" and isinstance(body, list) and not body:
                body.append(ast.Pass())
    return tree


def cell_mutants(cell: str, source: str, swaps=STRING_SWAPS) -> list[Mutant]:
    """Every mutant of one solution cell."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    found, seen = [], {}
    for position, operator, description, apply in _edits(tree, swaps):
        edited = _fill_empty_bodies(_Edit(position, apply).visit(copy.deepcopy(tree)))
        ast.fix_missing_locations(edited)
        mutated = ast.unparse(edited)
        if mutated == original:
            continue
        key = f"{cell}/{operator}/{description}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}@{seen[key]}"
        diff = "".join(difflib.unified_diff(original.splitlines(True), mutated.splitlines(True),
                                            "solution", key, n=1))
        found.append(Mutant(key, cell, operator, description, mutated + "\n", diff))
    return found


def mutants(notebook: str) -> list[Mutant]:
    """Every mutant of every solution cell of the notebook, in notebook order."""
    swaps = {**STRING_SWAPS, **getattr(_topic(notebook), "STRING_SWAPS", {})}
    return [m for cell, source in solution_sources(notebook).items()
            for m in cell_mutants(cell, source, swaps)]
