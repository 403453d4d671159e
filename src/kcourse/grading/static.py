"""Read solution cells without running them: shortcuts, and which cells a test depends on.

The grader refuses shortcuts a second time, outside the student's kernel, from
the *source* of the solution cells. `scan(source, forbidden)` parses one cell
(IPython syntax included) and returns a `Finding` for

* every use of a forbidden dotted name (`keras.layers.Dense`, `keras.src`, ...),
  through imports, aliases, attribute chains, literal `getattr` and
  `globals()["..."]`: `import keras.layers as L; L.Dense` is `keras.layers.Dense`;
* every dynamic access that could hide such a use: `getattr`/`setattr` with a
  computed name (on anything but `self`), `vars`/`globals()`/`locals()` other
  than a literal key, `__import__`, `importlib`, `exec`, `eval`, `compile`,
  `__builtins__`, `sys.modules`, `__dict__`, `__subclasses__`, IPython magics
  that run code.

Which solution cells a test cell depends on (`dependencies`): the names its
source uses, closed over the earlier cells that define them. A test cell is
refused (`refusals`) when such a solution cell has a finding for the names the
test's checks forbid; the forbidden names come from the instructor's run.
`earlier_failures` uses the same dependencies to say which earlier cell's
error stopped a check. Nothing here imports Keras or runs student code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# ------------------------------------------------------------------------------ plain text

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain(text: object) -> str:
    """`text` without ANSI escape sequences (terminal colours) or other control characters."""
    return _CONTROL.sub("", _ANSI.sub("", str(text)))


# ---------------------------------------------------------------------------- what is refused

#: Calling any of these can run or reach code the scan cannot see.
DYNAMIC_NAMES = {
    "exec": "exec runs code built at run time",
    "eval": "eval runs code built at run time",
    "compile": "compile turns a string into code",
    "__import__": "__import__ imports a module by a computed name",
    "__builtins__": "__builtins__ reaches exec, eval and __import__ indirectly",
    "breakpoint": "breakpoint can run arbitrary code",
}
#: Importing any of these is refused: they reach modules, objects or code indirectly.
DYNAMIC_MODULES = ("importlib", "imp", "pkgutil", "runpy", "zipimport", "builtins",
                   "__builtin__", "ctypes", "gc", "inspect", "pickle", "marshal", "dill",
                   "cloudpickle", "code", "codeop")
#: Dotted names whose use is refused (matched like forbidden names).
DYNAMIC_DOTTED = ("sys.modules", "sys._getframe", "sys.meta_path", "sys.path_hooks",
                  "sys.path_importer_cache", "operator.attrgetter", "operator.methodcaller")
#: Attributes that reach objects by a side door.
DYNAMIC_ATTRIBUTES = ("__dict__", "__subclasses__", "__globals__", "__builtins__", "__code__",
                      "__closure__", "__getattribute__", "__import__", "__loader__", "__spec__",
                      "__wrapped__", "__reduce__", "__reduce_ex__")
#: Built-ins allowed only in a checked form (literal attribute name or key).
GUARDED_BUILTINS = ("getattr", "setattr", "delattr", "vars", "globals", "locals")
#: IPython magics allowed in a solution cell (time and timeit: their code is scanned).
SAFE_MAGICS = ("time", "timeit", "matplotlib", "precision")

#: Other spellings of the same objects: tf.keras is Keras 3, `tf` is tensorflow's usual alias.
_SPELLINGS = (("tf.", "tensorflow."), ("tensorflow.compat.v1.", "tensorflow."),
              ("tensorflow.compat.v2.", "tensorflow."), ("tensorflow.keras.", "keras."),
              ("keras._tf_keras.keras.", "keras."), ("keras.api.", "keras."))
_MAX_CANDIDATES = 64


def canonical(name: str) -> str:
    """One spelling per object: 'tf.nn.conv2d' -> 'tensorflow.nn.conv2d'."""
    changed = True
    while changed:
        changed = False
        for old, new in _SPELLINGS:
            if (name + ".").startswith(old):
                name = (new + name[len(old):]).rstrip(".")
                changed = True
    return name


def _matches(name: str, banned: Iterable[str]) -> str | None:
    name = canonical(name)
    for item in banned:
        if name == item or name.startswith(item + "."):
            return item
    return None


@dataclass(frozen=True)
class Finding:
    """One refused use in a cell: where, what, and why (in words for a student)."""

    line: int
    name: str          # the forbidden dotted name, or the dynamic construct
    code: str          # the source line, stripped
    kind: str          # "forbidden" or "dynamic"
    reason: str = ""

    def describe(self) -> str:
        where = f"line {self.line} (`{_short(self.code)}`)"
        if self.kind == "forbidden":
            return (f"{where} uses {self.name}, which this exercise forbids; write the "
                    "computation yourself with keras.ops")
        return (f"{where}: {self.reason}, which can hide a forbidden built-in; the grader "
                "refuses it, so write the code with plain names and attributes")


def _short(code: str, limit: int = 90) -> str:
    return code if len(code) <= limit else code[:limit - 3] + "..."


# ------------------------------------------------------------------------ parsing a cell


def _leading_blank_lines(text: str) -> int:
    lines = text.splitlines()
    return next((i for i, line in enumerate(lines) if line.strip()), len(lines))


def _ipython(source: str) -> str:
    """What IPython runs for this cell (magics as calls, leading blank lines dropped)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def dropped_lines(source: str) -> int:
    """Leading blank lines IPython drops: a traceback's 'line 2' is line 2 + this of the cell."""
    return max(0, _leading_blank_lines(source) - _leading_blank_lines(_ipython(source)))


def python_source(source: str) -> str:
    """The cell as plain Python, with the cell's own line numbers (blank lines put back)."""
    python = _ipython(source)
    return "\n" * max(0, _leading_blank_lines(source) - _leading_blank_lines(python)) + python


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(python_source(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def defined_names(tree: ast.Module) -> set[str]:
    """Names a cell binds in the notebook's global namespace."""
    names: set[str] = set()

    def visit(node, top: bool):
        if isinstance(node, ast.Global):
            names.update(node.names)
        if top:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    if alias.name != "*":
                        names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                names.add(node.id)
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(node, _SCOPES)
            if isinstance(node, ast.NamedExpr) and isinstance(child, ast.Name):
                inner = top  # a walrus binds in the enclosing scope
            visit(child, inner)

    visit(tree, True)
    return names


def used_names(tree: ast.Module, python: str = "") -> set[str]:
    """Global names a cell reads (a function's own locals and parameters excluded)."""
    try:
        import symtable

        tables, names = [symtable.symtable(python, "<cell>", "exec")], set()
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        module = table.get_type() == "module"
        names |= {s.get_name() for s in table.get_symbols()
                  if s.is_referenced() and (module or s.is_global())}
    return names


# ---------------------------------------------------------------------------- the scanner


@dataclass
class Bindings:
    """What names may stand for: dotted targets (imports, aliases) and constant strings."""

    targets: dict[str, set[str]] = field(default_factory=dict)
    strings: dict[str, set[str] | None] = field(default_factory=dict)
    literal: dict[str, bool] = field(default_factory=dict)  # bound only to plain literals

    def copy(self) -> Bindings:
        return Bindings({k: set(v) for k, v in self.targets.items()},
                        {k: (set(v) if v is not None else None) for k, v in self.strings.items()},
                        dict(self.literal))


class _Scanner:
    def __init__(self, tree: ast.Module, lines: list[str], forbidden: Sequence[str],
                 bindings: Bindings, line_offset: int = 0):
        self.tree, self.lines, self.offset = tree, lines, line_offset
        self.forbidden = [canonical(f) for f in forbidden]
        self.b = bindings
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.findings: list[Finding] = []
        self.seen: set[tuple[int, str]] = set()

    # ---- constant strings
    def strings(self, node) -> set[str] | None:
        """The strings `node` may evaluate to, if it is built from literals only."""
        if isinstance(node, ast.Constant):
            return {node.value} if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            value = self.b.strings.get(node.id)
            return set(value) if value else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._product([self.strings(node.left), self.strings(node.right)])
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    if value.format_spec is not None or value.conversion not in (-1, 115):
                        return None
                    value = value.value
                parts.append(self.strings(value))
            return self._product(parts)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            base = self.strings(node.value)
            bounds = [self._integer(getattr(node.slice, k)) for k in ("lower", "upper", "step")]
            if base is None or any(b is False for b in bounds):
                return None
            return {s[slice(*bounds)] for s in base}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and not node.keywords:
            base = self.strings(node.func.value)
            if base is None:
                return None
            method = node.func.attr
            if method == "join" and len(node.args) == 1 \
                    and isinstance(node.args[0], ast.List | ast.Tuple):
                parts = [self.strings(e) for e in node.args[0].elts]
                if any(p is None for p in parts):
                    return None
                joined = set()
                for sep in base:
                    joined |= {sep.join(c) for c in self._combinations(parts)}
                return joined
            if method in ("lower", "upper", "capitalize", "title", "strip") and not node.args:
                return {getattr(s, method)() for s in base}
            if method == "replace" and len(node.args) == 2:
                old, new = self.strings(node.args[0]), self.strings(node.args[1])
                if old is None or new is None or len(base) * len(old) * len(new) > 4096:
                    return None
                return {s.replace(o, n) for s in base for o in old for n in new}
        return None

    @staticmethod
    def _integer(node):
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
                and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int):
            return -node.operand.value
        return False

    @staticmethod
    def _combinations(parts):
        combos = [()]
        for options in parts:
            combos = [c + (o,) for c in combos for o in options][:_MAX_CANDIDATES]
        return combos

    def _product(self, parts) -> set[str] | None:
        if any(p is None for p in parts):
            return None
        return {"".join(c) for c in self._combinations(parts)}

    @staticmethod
    def is_literal(node, b: Bindings) -> bool:
        """A plain string literal, or a name bound only to plain string literals."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return True
        return isinstance(node, ast.Name) and b.literal.get(node.id, False) \
            and bool(b.strings.get(node.id))

    # ---- dotted names
    def resolve(self, node) -> set[str]:
        """Dotted names the expression may stand for ('keras.layers.Dense')."""
        if isinstance(node, ast.Name):
            return {node.id} | self.b.targets.get(node.id, set())
        if isinstance(node, ast.Attribute):
            names = self._extend(self.resolve(node.value), {node.attr})
            return names.union(*(self.b.targets.get(n, ()) for n in names))
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("getattr", "setattr", "delattr") \
                    and len(node.args) >= 2:
                names = self.strings(node.args[1]) or set()
                return self._extend(self.resolve(node.args[0]), names)
            if isinstance(func, ast.Name) and func.id == "__import__" and node.args:
                return self.strings(node.args[0]) or set()
            if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
                return self._namespace_item(func.value, node.args[0])
            if node.args and any(_matches(c, ["importlib.import_module"])
                                 for c in self.resolve(func)):
                return self.strings(node.args[0]) or set()
            return set()
        if isinstance(node, ast.Subscript):
            return self._namespace_item(node.value, node.slice)
        if isinstance(node, ast.NamedExpr):
            return self.resolve(node.value)
        return set()

    def _namespace_item(self, namespace, key) -> set[str]:
        """`globals()["x"]`, `vars(m)["x"]`, `m.__dict__["x"]` (and .get) as dotted names."""
        keys = self.strings(key) or set()
        if isinstance(namespace, ast.Call) and isinstance(namespace.func, ast.Name):
            if namespace.func.id in ("globals", "locals") and not namespace.args:
                return {k for k in keys} | {t for k in keys for t in self.b.targets.get(k, ())}
            if namespace.func.id == "vars" and len(namespace.args) == 1:
                return self._extend(self.resolve(namespace.args[0]), keys)
        if isinstance(namespace, ast.Attribute) and namespace.attr == "__dict__":
            return self._extend(self.resolve(namespace.value), keys)
        return set()

    @staticmethod
    def _extend(bases: set[str], attrs: set[str]) -> set[str]:
        names = sorted(f"{b}.{a}" for b in sorted(bases)[:_MAX_CANDIDATES]
                       for a in sorted(attrs)[:_MAX_CANDIDATES] if a)
        return set(names[:_MAX_CANDIDATES])

    # ---- findings
    def line_of(self, node) -> tuple[int, str]:
        line = getattr(node, "lineno", 1)
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        return line + self.offset, text

    def add(self, node, name: str, kind: str, reason: str = "", key: str = "") -> None:
        line, text = self.line_of(node)
        if (line, key or name) not in self.seen:
            self.seen.add((line, key or name))
            self.findings.append(Finding(line, name, text, kind, reason))

    def check_names(self, node, names: Iterable[str]) -> None:
        for name in sorted(names):
            hit = _matches(name, self.forbidden)
            if hit:  # named in full (keras.src.layers.Dense), one finding per line and hit
                self.add(node, canonical(name), "forbidden", key=hit)
                return
        for name in sorted(names):
            if _matches(name, DYNAMIC_DOTTED):
                self.add(node, _matches(name, DYNAMIC_DOTTED), "dynamic",
                         f"{_matches(name, DYNAMIC_DOTTED)} reaches objects by a computed name")
                return

    def parent(self, node):
        return self.parents.get(node)

    def guarded_use_is_fine(self, node: ast.Name) -> bool:
        """getattr/setattr/delattr/vars/globals/locals in a form the scan can follow."""
        call = self.parent(node)
        if not (isinstance(call, ast.Call) and call.func is node) or \
                any(isinstance(a, ast.Starred) for a in call.args) or call.keywords:
            return False
        name = node.id
        if name in ("getattr", "setattr", "delattr"):
            if len(call.args) < 2:
                return False
            target = call.args[0]
            return self.is_literal(call.args[1], self.b) or (
                isinstance(target, ast.Name) and target.id == "self")
        if name == "vars" and len(call.args) == 1 and isinstance(call.args[0], ast.Name) \
                and call.args[0].id == "self":
            return True
        return self._literal_item(call)

    def _literal_item(self, namespace) -> bool:
        """`namespace[...]` or `namespace.get(...)` with a literal key."""
        outer = self.parent(namespace)
        if isinstance(outer, ast.Subscript) and outer.value is namespace:
            return self.is_literal(outer.slice, self.b)
        if isinstance(outer, ast.Attribute) and outer.value is namespace and outer.attr == "get":
            call = self.parent(outer)
            return isinstance(call, ast.Call) and call.func is outer and bool(call.args) \
                and self.is_literal(call.args[0], self.b)
        return False

    def computed_reason(self, node: ast.Name) -> str:
        call = self.parent(node)
        name = node.id
        if name in ("getattr", "setattr", "delattr") and isinstance(call, ast.Call) \
                and call.func is node and len(call.args) >= 2:
            reason = f"{name} with a computed attribute name"
            resolved = sorted(self.resolve(call))
            if resolved:
                reason += f" (it gives {canonical(resolved[0])})"
            return reason
        if name in ("getattr", "setattr", "delattr"):
            return f"{name} used other than as getattr(object, 'literal name')"
        return f"{name}() used other than with a literal key"

    def magic(self, call: ast.Call) -> bool:
        """True if this get_ipython() use is a safe magic (whose code is then scanned)."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("run_line_magic",
                                                                   "run_cell_magic")):
            return False
        inner = func.value
        if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)
                and inner.func.id == "get_ipython" and not inner.args):
            return False
        if len(call.args) < 2 or not all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                                         for a in call.args):
            return False
        magic = call.args[0].value
        if magic not in SAFE_MAGICS:
            return False
        line = self.line_of(call)[0]
        for code in [a.value for a in call.args[1:]]:
            for start in range(len(code.split())):  # skip options like `-n1 -r1`
                candidate = " ".join(code.split()[start:]) if func.attr == "run_line_magic" \
                    else code
                tree = parse(candidate)
                if tree is not None:
                    nested = _Scanner(tree, candidate.splitlines(), self.forbidden, self.b,
                                      line - 1 + (1 if func.attr == "run_cell_magic" else 0))
                    nested.run()
                    for finding in nested.findings:
                        if (finding.line, finding.name) not in self.seen:
                            self.seen.add((finding.line, finding.name))
                            self.findings.append(finding)
                    break
                if func.attr == "run_cell_magic":
                    break
        return True

    def run(self) -> list[Finding]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.check_import(node, alias.name)
            elif isinstance(node, ast.ImportFrom):
                module = ("." * node.level) + (node.module or "")
                for alias in node.names:
                    if alias.name == "*":
                        self.check_star(node, module)
                    else:
                        self.check_import(node, f"{module}.{alias.name}" if module
                                          else alias.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in DYNAMIC_NAMES:
                    self.add(node, node.id, "dynamic", DYNAMIC_NAMES[node.id])
                elif node.id in GUARDED_BUILTINS and not self.guarded_use_is_fine(node):
                    self.add(node, node.id, "dynamic", self.computed_reason(node))
                elif node.id == "get_ipython":
                    call = self.parent(self.parent(self.parent(node)))
                    if not (isinstance(call, ast.Call) and self.magic(call)):
                        self.add(node, "get_ipython", "dynamic",
                                 "an IPython magic or shell command runs code the grader "
                                 "cannot read")
                self.check_names(node, self.resolve(node))
            elif isinstance(node, ast.Attribute):
                if node.attr in DYNAMIC_ATTRIBUTES and not (
                        node.attr == "__dict__" and (self._literal_item(node) or (
                            isinstance(node.value, ast.Name) and node.value.id == "self"))):
                    self.add(node, node.attr, "dynamic",
                             f"{node.attr} reaches objects without naming them")
                self.check_names(node, self.resolve(node))
            elif isinstance(node, ast.Call | ast.Subscript):
                self.check_names(node, self.resolve(node))
        self.findings.sort(key=lambda f: (f.line, f.kind != "forbidden"))
        return self.findings

    def check_import(self, node, module: str) -> None:
        if module.startswith("."):
            return
        root = module.split(".")[0]
        if root in DYNAMIC_MODULES:
            self.add(node, root, "dynamic", f"the module {root} reaches code indirectly")
        self.check_names(node, {module})

    def check_star(self, node, module: str) -> None:
        name = canonical(module)
        for item in self.forbidden:
            if item.startswith(name + ".") or _matches(name, [item]):
                self.add(node, f"{item} (through `from {name} import *`)", "forbidden", key=item)
                return
        if name.split(".")[0] in DYNAMIC_MODULES:
            self.add(node, name, "dynamic", f"the module {name} reaches code indirectly")


def _bind(tree: ast.Module, bindings: Bindings) -> Bindings:
    """`bindings` updated with the aliases and constant strings the cell binds (any scope)."""
    b = bindings.copy()
    scanner = _Scanner(tree, [], (), b)

    def assign(target, value):
        if isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List) \
                and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts, strict=True):
                assign(t, v)
            return
        key = _dotted(target)
        if key is None:
            return
        dotted = {canonical(d) for d in scanner.resolve(value)} if value is not None else set()
        if dotted:
            b.targets.setdefault(key, set()).update(dotted)
            if len(b.targets[key]) > _MAX_CANDIDATES:
                b.targets[key] = set(sorted(b.targets[key])[:_MAX_CANDIDATES])
        strings = scanner.strings(value) if value is not None else None
        literal = value is not None and scanner.is_literal(value, b)
        if key in b.strings and b.strings[key] is None:
            return
        if strings is None:
            b.strings[key] = None
            b.literal[key] = False
        else:
            b.strings[key] = (b.strings.get(key) or set()) | strings
            b.literal[key] = b.literal.get(key, True) and literal

    def loop(target, iterable):
        while isinstance(iterable, ast.Subscript) and isinstance(iterable.slice, ast.Slice) \
                or isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) \
                and iterable.func.id in ("sorted", "reversed") and len(iterable.args) == 1:
            iterable = iterable.value if isinstance(iterable, ast.Subscript) else iterable.args[0]
        if isinstance(iterable, ast.Tuple | ast.List | ast.Set):
            for element in iterable.elts:
                assign(target, element)
        else:
            assign(target, None)

    for _ in range(3):  # aliases of aliases
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        b.targets.setdefault(alias.asname, set()).add(canonical(alias.name))
                    else:
                        root = alias.name.split(".")[0]
                        b.targets.setdefault(root, set()).add(root)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                for alias in node.names:
                    if alias.name != "*":
                        b.targets.setdefault(alias.asname or alias.name, set()).add(
                            canonical(f"{node.module}.{alias.name}"))
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    assign(target, node.value)
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr):
                assign(node.target, node.value)
            elif isinstance(node, ast.AugAssign):
                assign(node.target, None)
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                loop(node.target, node.iter)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                assign(node.optional_vars, node.context_expr)
            elif isinstance(node, ast.arguments):
                for arg in [*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg,
                            node.kwarg]:
                    if arg is not None and arg.arg != "self":
                        b.strings[arg.arg] = None
                        b.literal[arg.arg] = False
    return b


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


@dataclass
class CellScan:
    findings: list[Finding]
    bindings: Bindings          # after the cell
    defines: set[str]
    uses: set[str]
    parsed: bool


def scan_cell(source: str, forbidden: Sequence[str] = (),
              bindings: Bindings | None = None) -> CellScan:
    """Findings of one cell, given the aliases earlier cells bound; and what it binds."""
    bindings = bindings or Bindings()
    tree = parse(source)
    if tree is None:  # it cannot run either: its own error fails its tests
        return CellScan([], bindings, set(), set(), False)
    try:
        after = _bind(tree, bindings)
        python = python_source(source)
        findings = _Scanner(tree, python.splitlines(), forbidden, after).run()
        return CellScan(findings, after, defined_names(tree), used_names(tree, python), True)
    except RecursionError:  # nested deeper than any honest cell: refuse rather than guess
        return CellScan([Finding(1, "nesting", "", "dynamic",
                                 "code nested too deeply for the grader to read")],
                        bindings, set(), set(), False)


def scan(source: str, forbidden: Sequence[str] = ()) -> list[Finding]:
    """Refused uses in one cell's source: forbidden dotted names, and dynamic access."""
    return scan_cell(source, forbidden).findings


# --------------------------------------------------------------------------- the notebook


@dataclass(frozen=True)
class Cell:
    """A code cell of the graded notebook (the source notebook with the student's code)."""

    position: int           # index in the notebook's cells (markdown included)
    source: str
    grade_id: str | None = None
    solution: bool = False
    test: bool = False

    def label(self) -> str:
        if self.solution:
            return f"your cell '{self.grade_id}'"
        if self.test:
            return f"the test cell '{self.grade_id}'"
        first = next((s.strip() for s in self.source.splitlines() if s.strip()
                      and not s.strip().startswith("#")), "")
        return f"cell {self.position + 1} (`{_short(first, 60)}`)"


def code_cells(nb) -> list[Cell]:
    cells = []
    for position, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = cell.get("source", "")
        cells.append(Cell(position, "".join(source) if isinstance(source, list) else str(source),
                          meta.get("grade_id"), bool(meta.get("solution")),
                          bool(meta.get("grade"))))
    return cells


class Notebook:
    """The graded notebook's code cells, each read once."""

    def __init__(self, cells: list[Cell]):
        self.cells = cells
        self.scans: list[CellScan] = []
        self.before: list[Bindings] = []
        bindings = Bindings()
        for cell in cells:
            self.before.append(bindings)
            result = scan_cell(cell.source, (), bindings)
            self.scans.append(result)
            bindings = result.bindings
        # A solution cell with dynamic access may bind any name: every later cell needs it.
        self.opaque = {i for i, (c, s) in enumerate(zip(cells, self.scans, strict=True))
                       if c.solution and any(f.kind == "dynamic" for f in s.findings)}

    def dependencies(self, index: int) -> list[int]:
        """Earlier cells (indices into .cells) that cell `index` needs, transitively."""
        needed, queue = set(), [index]
        while queue:
            current = queue.pop()
            names = self.scans[current].uses
            for earlier in range(index):
                if earlier in needed:
                    continue
                if self.scans[earlier].defines & names or earlier in self.opaque:
                    needed.add(earlier)
                    queue.append(earlier)
        return sorted(needed)

    def findings(self, index: int, forbidden: Sequence[str]) -> list[Finding]:
        return scan_cell(self.cells[index].source, forbidden, self.before[index]).findings


def forbidden_by_cell(manifest: list[dict]) -> dict[str, list[str]]:
    """grade_id -> dotted names the instructor's checks of that cell forbid."""
    result: dict[str, list[str]] = {}
    for record in manifest:
        args = record.get("args") if isinstance(record, dict) else None
        names = args.get("forbidden") if isinstance(args, dict) else None
        if isinstance(names, list):
            bucket = result.setdefault(str(record.get("cell")), [])
            bucket.extend(n for n in names if isinstance(n, str) and n not in bucket)
    return result


def refusals(notebook: Notebook, forbidden: dict[str, list[str]]) -> dict[str, str]:
    """Test grade_id -> why it scores zero: a solution cell it needs uses a shortcut."""
    refused = {}
    for index, cell in enumerate(notebook.cells):
        names = forbidden.get(cell.grade_id or "")
        if not cell.test or not names:
            continue
        for earlier in notebook.dependencies(index):
            if not notebook.cells[earlier].solution:
                continue
            found = notebook.findings(earlier, names)
            if found:
                more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
                refused[cell.grade_id] = (
                    f"refused without running the check: {notebook.cells[earlier].label()}, "
                    f"{found[0].describe()}{more}.")
                break
    return refused


# ------------------------------------------------------------------ errors of earlier cells


@dataclass(frozen=True)
class CellError:
    """The error a cell showed in the run: name, message, and its frames in notebook cells."""

    ename: str
    evalue: str
    frames: tuple[tuple[int, int, str], ...] = ()  # (execution count, line, function)

    def summary(self) -> str:
        text = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        return _short(plain(text).strip(), 240)


_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)(?:, in (\w+))?")


def frames_of(traceback: Iterable[str]) -> tuple[tuple[int, int, str], ...]:
    """(execution count, line, function) of each traceback frame that is in a notebook cell."""
    found = []
    for entry in traceback:
        for match in _FRAME.finditer(plain(entry)):
            found.append((int(match.group(1)), int(match.group(2)), match.group(3) or ""))
    return tuple(found[-20:])


def _origin(notebook: Notebook, error: CellError, counts: dict[int, int]) -> str:
    """', in your cell 'X' (line L, in f: `code`)' for the deepest frame in a solution cell."""
    for count, line, function in reversed(error.frames):
        index = counts.get(count)
        if index is None or not notebook.cells[index].solution:
            continue
        cell = notebook.cells[index]
        lines = cell.source.splitlines()
        line += dropped_lines(cell.source)
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        where = f"line {line}" + (f", in {function}" if function else "")
        return f", in {cell.label()} ({where}: `{_short(code, 80)}`)" if code else \
            f", in {cell.label()} ({where})"
    return ""


def explain_errors(notebook: Notebook, errors: dict[int, CellError],
                   counts: dict[int, int]) -> tuple[dict[str, str], dict[str, str]]:
    """(own, earlier): per test grade_id, its own error, and the earlier cell that failed.

    errors: index into notebook.cells -> CellError; counts: execution count -> index.
    `earlier` names the first cell the test depends on that raised in the run.
    """
    own, earlier = {}, {}
    for index, cell in enumerate(notebook.cells):
        if not cell.test:
            continue
        if index in errors:
            own[cell.grade_id] = errors[index].summary() + _origin(notebook, errors[index],
                                                                    counts)
        failed = [i for i in notebook.dependencies(index) if i in errors]
        if failed:
            first = failed[0]
            text = (f"{notebook.cells[first].label()} raised {errors[first].summary()} "
                    f"earlier{_origin(notebook, errors[first], counts)}; fix that first")
            if index in errors:
                text += f" (here it showed as {errors[index].summary()})"
            earlier[cell.grade_id] = text
    return own, earlier
