"""Source fingerprints: what code a function's output depends on, hashed.

A function's fingerprint covers the definitions it reaches, followed transitively through the
modules of its own package (`nnbook`): its own source, and every module-level function, class,
constant and import statement that a reached definition reads, in its own module or in another
project module, and the statements of those modules that bind no name but run on import
(`np.seterr(all="raise")`). A name is followed wherever it is bound: `from nnbook.models import
dense_classifier`, a re-export (a name imported into one module from another and used from the
first), an import inside a function body, or an attribute of a module (`data.moons` after `from
nnbook import data` or `import nnbook.data as data` reaches `moons` and what it uses, not the
rest of `nnbook/data.py`). A class counts whole, methods included.

Where a use cannot be followed name by name, the module counts whole (its full text, and what
all of its definitions reach): a project module used bare (passed around, given to `getattr`),
`from ... import *` of a project module, a name a module does not define, a function that is not
a module-level definition. Plumbing that cannot change results (`NOT_DEPENDENCIES`) and modules
outside the package (their versions are part of the result key) are left out.

The text hashed is cut from the source itself without comments, docstrings, trailing spaces and
blank lines (kept inside multi-line strings), so rewording a comment or a docstring changes no
fingerprint; it is never regenerated from the syntax tree, whose printed form varies between
Python versions. The parts are ordered by module, then by line.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import symtable
import sys
import tokenize
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

# Plumbing that declares experiments but cannot change what they compute.
NOT_DEPENDENCIES = frozenset({"nnbook", "nnbook.registry"})

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
IMPORTS = (ast.Import, ast.ImportFrom)
WHOLE = "*"  # in `reached`: the module counts whole

Uses = frozenset  # of attribute chains (tuples of str) a name is read with; () is a bare use
BARE: Uses = frozenset({()})


def package_stamp(package: str) -> str:
    """A hex digest of every Python source file of `package`: if it is unchanged, so is every
    fingerprint of the package's functions."""
    root = Path(importlib.util.find_spec(package).origin).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(func: Callable) -> str:
    """A hex digest of everything in the project that `func`'s output depends on."""
    return hashlib.sha256(source_used(func).encode()).hexdigest()


def source_used(func: Callable) -> str:
    """The text `fingerprint` hashes: the normalized source of what `func` reaches."""
    return _walk(func.__module__, func.__name__).text()


def reached(func: Callable) -> dict[str, list[str]]:
    """Per project module, the names bound by the definitions `func` reaches ([WHOLE] for a module
    that counts whole)."""
    return _walk(func.__module__, func.__name__).names()


def _walk(module: str, name: str) -> _Walk:
    walk = _Walk(module)
    walk.start(module, name)
    return walk


# -- one module's source ---------------------------------------------------------------


class _Imported(NamedTuple):
    """What an import binds a name to: module `module` (relative by `level`), or its `attr`."""

    level: int
    module: str
    attr: str | None  # None: the module itself; "*" for `from module import *`
    loaded: str = ""  # `import a.b.c` binds `a` and loads `a.b.c`


class _Unit(NamedTuple):
    """What one module-level statement reads."""

    reads: frozenset[str]  # module-level names
    imports: dict[str, list[_Imported]]  # names bound by imports inside it (a function's local imports)
    uses: dict[str, Uses]  # how each of those names is read


class _Parsed:
    """A module's source, its normalized lines, and its module-level statements by the names they bind."""

    def __init__(self, path: Path):
        self.source = path.read_text(encoding="utf-8")
        self.tree = ast.parse(self.source)
        self.is_package = path.name == "__init__.py"
        self._nodes = {stmt: list(ast.walk(stmt)) for stmt in self.tree.body}  # each statement's, walked once
        self.clean = _normalized_lines(self.source, _docstrings([self.tree, *chain(*self._nodes.values())]))
        table = symtable.symtable(self.source, str(path), "exec")
        self.scopes = {(t.get_name(), t.get_lineno()): t for t in table.get_children()}
        self.imports: dict[str, set[str]] = {}  # by package root, filled by _direct_imports
        self.bindings: dict[str, list[ast.stmt]] = {}
        self.effects: list[ast.stmt] = []  # run on import, bind nothing: `np.seterr(all="raise")`
        docstring = self.tree.body[:1] if _docstrings([self.tree]) else []
        for stmt in self.tree.body:
            names = _bound_names(stmt, self._nodes[stmt])
            for name in names:
                self.bindings.setdefault(name, []).append(stmt)
            if not names and stmt not in docstring:
                self.effects.append(stmt)
        self.stars = [imp for stmt in self.tree.body if not isinstance(stmt, DEFINITIONS)  # not allowed inside
                      for node in self._nodes[stmt] if isinstance(node, ast.ImportFrom)
                      for _, imp in _import_bindings(node) if imp.attr == "*"]
        self._units: dict[ast.stmt, _Unit] = {}

    def segment(self, stmt: ast.stmt) -> str:
        """The normalized text of a statement, its decorators included."""
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        return "\n".join(line for line in self.clean[first - 1 : stmt.end_lineno] if line is not None)

    def text(self) -> str:
        """The normalized text of the whole module."""
        return "\n".join(line for line in self.clean if line is not None)

    def unit(self, stmt: ast.stmt) -> _Unit:
        if stmt not in self._units:
            nodes = self._nodes[stmt]
            reads = self._reads(stmt, nodes)
            imports: dict[str, list[_Imported]] = {}
            for node in nodes:
                if isinstance(node, IMPORTS):
                    for name, imp in _import_bindings(node):
                        imports.setdefault(name, []).append(imp)
            self._units[stmt] = _Unit(frozenset(reads), imports, _attribute_chains(nodes, reads | set(imports)))
        return self._units[stmt]

    def _reads(self, stmt: ast.stmt, nodes: list[ast.AST]) -> set[str]:
        """The module-level names a statement reads: for a function or class, the globals of its
        body (its locals, parameters and nested scopes' locals excluded) and the names evaluated
        around it (decorators, bases, defaults, annotations); for anything else, every name it loads."""
        scope = self.scopes.get((stmt.name, stmt.lineno)) if isinstance(stmt, DEFINITIONS) else None
        if scope is None:
            return {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        outer = {n.id for expr in _outer(stmt, nodes) for n in ast.walk(expr) if isinstance(n, ast.Name)}
        return _globals(scope) | outer


_parsed_cache: dict[Path, _Parsed] = {}


def _parsed(path: Path) -> _Parsed:
    """Parsed once per version of the file on disk."""
    cached = _parsed_cache.get(path)
    if cached is None or cached.source != path.read_text(encoding="utf-8"):
        cached = _parsed_cache[path] = _Parsed(path)
    return cached


def _normalized_lines(source: str, docstrings: list[ast.expr]) -> list[str | None]:
    """Each line of `source` without comments and `docstrings` and with trailing spaces cut; None
    for a line left blank. Lines inside a multi-line string literal are kept as they are."""
    lines = source.split("\n")
    cuts = [_char_span(lines, node) for node in docstrings]
    keep_end: set[int] = set()  # rows whose trailing spaces belong to a string
    keep_row: set[int] = set()  # rows that belong to a string even when blank
    opened: list[tuple[int, int]] = []  # starts of the f-strings (Python 3.12+ tokens) not yet closed
    starts = {getattr(tokenize, t) for t in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, t)}
    ends = {getattr(tokenize, t) for t in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, t)}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            cuts.append((tok.start, tok.end))
        elif tok.type in starts:
            opened.append(tok.start)
        elif tok.type == tokenize.STRING or (tok.type in ends and opened):
            start = opened.pop() if tok.type in ends else tok.start
            if tok.end[0] > start[0] and not any(a <= start < b for a, b in cuts):
                keep_end.update(range(start[0], tok.end[0]))
                keep_row.update(range(start[0] + 1, tok.end[0] + 1))
    for (r0, c0), (r1, c1) in sorted(cuts, reverse=True):  # from the end, so that earlier columns hold
        if r0 == r1:
            lines[r0 - 1] = lines[r0 - 1][:c0] + lines[r0 - 1][c1:]
        else:
            lines[r0 - 1 : r1] = [lines[r0 - 1][:c0]] + [""] * (r1 - r0 - 1) + [lines[r1 - 1][c1:]]
    out: list[str | None] = []
    for row, line in enumerate(lines, start=1):
        line = line if row in keep_end else line.rstrip()
        out.append(line if line.strip() or row in keep_row else None)
    return out


def _docstrings(nodes: Iterable[ast.AST]) -> list[ast.expr]:
    """The docstrings of the modules, functions and classes among `nodes`."""
    found = []
    for node in nodes:
        if isinstance(node, (ast.Module, *DEFINITIONS)) and node.body:
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.append(value)
    return found


def _char_span(lines: list[str], node: ast.expr) -> tuple[tuple[int, int], tuple[int, int]]:
    """A node's (row, column) start and end, columns in characters (the AST counts UTF-8 bytes)."""
    def position(row: int, offset: int) -> tuple[int, int]:
        return row, len(lines[row - 1].encode()[:offset].decode())

    return position(node.lineno, node.col_offset), position(node.end_lineno, node.end_col_offset)


def _import_bindings(node: ast.Import | ast.ImportFrom) -> list[tuple[str, _Imported]]:
    """The names an import statement binds, with what each is bound to."""
    if isinstance(node, ast.Import):
        return [(a.asname, _Imported(0, a.name, None)) if a.asname
                else (a.name.split(".")[0], _Imported(0, a.name.split(".")[0], None, a.name)) for a in node.names]
    return [(a.asname or a.name, _Imported(node.level, node.module or "", a.name)) for a in node.names]


def _bound_names(stmt: ast.stmt, nodes: list[ast.AST]) -> set[str]:
    """The module-level names a module-level statement binds (or mutates: `TABLE[k] = v`);
    `nodes`: all the nodes of the statement."""
    if isinstance(stmt, IMPORTS):
        return {name for name, imp in _import_bindings(stmt) if imp.attr != "*"}
    names = {n for g in nodes if isinstance(g, ast.Global) for n in g.names}  # `global x` in a function
    if isinstance(stmt, DEFINITIONS):
        return names | {stmt.name}
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and not isinstance(node.ctx, ast.Load):
            names |= {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
        elif isinstance(node, (*DEFINITIONS, ast.ExceptHandler)) and node.name:
            names.add(node.name)
        elif isinstance(node, IMPORTS):
            names |= {name for name, imp in _import_bindings(node) if imp.attr != "*"}
    return names


def _outer(node: ast.stmt, nodes: list[ast.AST]) -> list[ast.expr]:
    """The expressions of a definition evaluated in the module's scope, and every annotation in it
    (`nodes`: all the nodes of the definition)."""
    exprs = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        exprs += node.bases + [k.value for k in node.keywords]
    else:
        exprs += node.args.defaults + [d for d in node.args.kw_defaults if d]
    for sub in nodes:
        if isinstance(sub, (ast.arg, ast.AnnAssign)) and sub.annotation:
            exprs.append(sub.annotation)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.returns:
            exprs.append(sub.returns)
    return exprs


def _globals(scope: symtable.SymbolTable) -> set[str]:
    """Names a scope and the scopes nested in it read from the module."""
    names = {s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()}
    for child in scope.get_children():
        names |= _globals(child)
    return names


def _attribute_chains(nodes: list[ast.AST], names: set[str]) -> dict[str, Uses]:
    """For each of `names`, the attribute chains it is loaded with among `nodes`: `data.moons(...)`
    gives ("moons",), a bare `data` gives ()."""
    parents = {id(n.value): n for n in nodes if isinstance(n, ast.Attribute)}
    chains: dict[str, set[tuple[str, ...]]] = {}
    for n in nodes:
        if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load):
            attrs, current = [], n
            while id(current) in parents:
                current = parents[id(current)]
                attrs.append(current.attr)
            chains.setdefault(n.id, set()).add(tuple(attrs))
    return {name: frozenset(c) for name, c in chains.items()}


# -- following names across modules ----------------------------------------------------


class _Walk:
    """The statements, and the whole modules, that one function reaches."""

    def __init__(self, module: str):
        self.root = module.split(".")[0]
        self.excluded = NOT_DEPENDENCIES - {module}
        self.modules: dict[str, _Parsed | None] = {}
        self.statements: dict[str, set[ast.stmt]] = {}
        self.whole: set[str] = set()
        self.done: set[tuple] = set()

    def text(self) -> str:
        parts = []
        for module in sorted(self.whole | set(self.statements)):
            parsed = self.parsed(module)
            if module in self.whole:
                parts.append(f"# {module}\n{parsed.text()}")
            else:
                stmts = sorted(self.statements[module], key=lambda s: (s.lineno, s.end_lineno))
                parts.append(f"# {module}\n" + "\n".join(parsed.segment(s) for s in stmts))
        return "\n".join(parts)

    def names(self) -> dict[str, list[str]]:
        found = {m: sorted(set().union(*(_bound_names(s, self.parsed(m)._nodes[s]) for s in stmts)))
                 for m, stmts in self.statements.items()}
        return dict(sorted((found | {m: [WHOLE] for m in self.whole}).items()))

    def parsed(self, module: str) -> _Parsed | None:
        """A project module's parsed source; None for a module outside the project."""
        if module not in self.modules:
            path = _module_path(module) if module.split(".")[0] == self.root and _is_module(module) else None
            self.modules[module] = _parsed(path) if path is not None and path.suffix == ".py" else None
        return self.modules[module]

    def once(self, *key) -> bool:
        """True the first time `key` is seen: each step is taken once, which also ends cycles."""
        if key in self.done:
            return False
        self.done.add(key)
        return True

    def start(self, module: str, name: str) -> None:
        if name in self.parsed(module).bindings:
            self.name(module, name, BARE)
        else:  # a lambda, a nested function or one bound dynamically
            self.whole_module(module)

    def statement(self, module: str, stmt: ast.stmt) -> None:
        """A module-level statement is reached: its text, and what it reads."""
        if not self.once("statement", module, stmt):
            return
        parsed = self.parsed(module)
        self.include(module, stmt)
        unit = parsed.unit(stmt)
        for name in unit.reads:
            self.name(module, name, unit.uses.get(name, frozenset()))
        for name, imports in unit.imports.items():
            for imp in imports:
                self.imported(module, imp, unit.uses.get(name, frozenset()))
        for imp in parsed.stars:
            self.imported(module, imp, BARE)

    def include(self, module: str, stmt: ast.stmt) -> None:
        """A statement's text is part of the fingerprint, with the module's import-time effects."""
        self.statements.setdefault(module, set()).add(stmt)
        if self.once("effects", module):
            for effect in self.parsed(module).effects:
                self.statement(module, effect)

    def name(self, module: str, name: str, uses: Uses) -> None:
        """A module-level `name` of `module` is read (an unbound one is a builtin)."""
        if not self.once("name", module, name, uses):
            return
        for stmt in self.parsed(module).bindings.get(name, []):
            if isinstance(stmt, IMPORTS):
                self.include(module, stmt)
                for bound, imp in _import_bindings(stmt):
                    if bound == name:
                        self.imported(module, imp, uses)
            else:
                self.statement(module, stmt)

    def imported(self, module: str, imp: _Imported, uses: Uses) -> None:
        """A name that an import in `module` binds is read with `uses`."""
        target = self.absolute(module, imp)
        if imp.attr == "*":
            self.module(target, BARE)
        elif imp.attr is not None:
            self.attribute(target, imp.attr, uses)
        else:
            self.module(target, uses)
            if () in uses or not uses:  # the bare name also gives the loaded submodules
                parts = imp.loaded.split(".")
                for i in range(len(target.split(".")) + 1, len(parts) + 1):
                    self.whole_module(".".join(parts[:i]))

    def module(self, module: str, uses: Uses) -> None:
        """A project module is read through a name, with `uses`."""
        if self.parsed(module) is None:
            return
        if () in uses or not uses:
            self.whole_module(module)
        for first in sorted({c[0] for c in uses if c}):
            self.attribute(module, first, frozenset(c[1:] for c in uses if c and c[0] == first))

    def attribute(self, module: str, name: str, uses: Uses) -> None:
        """Attribute `name` of `module` is read (`module.name` or `from module import name`)."""
        parsed = self.parsed(module)
        if parsed is None or not self.once("attribute", module, name, uses):
            return
        found = name in parsed.bindings
        if found and module not in self.excluded:
            self.name(module, name, uses)
        if parsed.is_package and self.parsed(f"{module}.{name}") is not None:
            found = True
            self.module(f"{module}.{name}", uses)
        if not found:  # not defined in the source: set from elsewhere, or through `import *`
            self.whole_module(module)

    def whole_module(self, module: str) -> None:
        """A module counts whole: its text, and everything its statements reach or bind."""
        parsed = self.parsed(module)
        if parsed is None or module in self.excluded or not self.once("whole", module):
            return
        self.whole.add(module)
        for stmt in parsed.tree.body:
            if isinstance(stmt, IMPORTS):
                for _, imp in _import_bindings(stmt):
                    self.imported(module, imp, BARE)
            else:
                self.statement(module, stmt)

    def absolute(self, module: str, imp: _Imported) -> str:
        """The full name of the module an import in `module` names."""
        if not imp.level:
            return imp.module
        package = module if self.parsed(module).is_package else module.rpartition(".")[0]
        if imp.level > 1:
            package = package.rsplit(".", imp.level - 1)[0]
        return f"{package}.{imp.module}" if imp.module else package


# -- module lookup and the import graph (for reloading helpers) --------------------------


def _module_path(name: str) -> Path:
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__file__", None):
        return Path(module.__file__)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ImportError(f"cannot find module {name}")
    return Path(spec.origin)


def _is_module(name: str) -> bool:
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _direct_imports(module: str, package_root: str) -> set[str]:
    """The modules of `package_root` that `module` imports itself."""
    path = _module_path(module)
    parsed = _parsed(path)
    if package_root in parsed.imports:
        return parsed.imports[package_root]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(parsed.tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        found |= {n for n in names if n.split(".")[0] == package_root and n != module and n not in NOT_DEPENDENCIES
                  and _is_module(n)}
    parsed.imports[package_root] = found
    return found


def project_imports(module: str) -> set[str]:
    """The modules of `module`'s own package that it imports, transitively (for reloading them)."""
    package_root = module.split(".")[0]
    found: set[str] = set()
    todo = [module]
    while todo:
        for name in _direct_imports(todo.pop(), package_root):
            if name not in found and name != module:
                found.add(name)
                todo.append(name)
    return found
