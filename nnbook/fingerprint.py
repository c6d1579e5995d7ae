"""Source fingerprints: what code a function's output depends on, hashed.

A function's fingerprint covers its own source, the module-level definitions of its
module that it uses (followed transitively), and the whole source of every module of
its own package (`nnbook`) that its module imports (also transitively). Editing one experiment therefore
changes that experiment's fingerprint only, while editing a shared helper such as
`nnbook/data.py` changes the fingerprint of everything that imports it.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import symtable
import sys
from pathlib import Path
from typing import Callable

# Plumbing that declares experiments but cannot change what they compute.
NOT_DEPENDENCIES = frozenset({"nnbook", "nnbook.registry"})


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
    module = sys.modules[func.__module__]
    path = Path(module.__file__)
    parts = [_definitions_used(path, func.__name__)]
    for dep in sorted(project_imports(module.__name__)):
        parts.append(f"# {dep}\n" + _parsed(_module_path(dep)).source)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class _Parsed:
    """A module's source, lines, and module-level definitions by the names they bind."""

    def __init__(self, path: Path):
        self.source = path.read_text(encoding="utf-8")
        self.lines = self.source.splitlines()
        self.tree = ast.parse(self.source)
        self.scopes = {t.get_name(): t for t in symtable.symtable(self.source, str(path), "exec").get_children()}
        self.imports: dict[str, set[str]] = {}  # by package root, filled by _direct_imports
        self.defs: dict[str, ast.stmt] = {}
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for sub in ast.walk(target):
                        if isinstance(sub, ast.Name):
                            self.defs[sub.id] = node

    def reads(self, node: ast.stmt) -> set[str]:
        """The module-level names a definition reads: for a function or class, the globals of
        its body (its locals, parameters and nested scopes' locals excluded) and the names in its
        decorators; for an assignment, the names of its value."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in self.scopes:
            names = _globals(self.scopes[node.name])
            outer = node.decorator_list + getattr(node, "bases", [])
            outer += node.args.defaults + [d for d in node.args.kw_defaults if d] if hasattr(node, "args") else []
            for expr in outer:  # evaluated in the module's scope
                names |= {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
            return names
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}

    def segment(self, node: ast.stmt) -> str:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        return "\n".join(self.lines[first - 1 : node.end_lineno])


_parsed_cache: dict[Path, _Parsed] = {}


def _parsed(path: Path) -> _Parsed:
    """Parsed once per version of the file on disk."""
    cached = _parsed_cache.get(path)
    if cached is None or cached.source != path.read_text(encoding="utf-8"):
        cached = _parsed_cache[path] = _Parsed(path)
    return cached


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
    except ImportError:
        return False


def _definitions_used(path: Path, name: str) -> str:
    """The source of `name` and of the module-level definitions it reaches."""
    parsed = _parsed(path)
    seen: list[ast.stmt] = []
    todo = [name]
    while todo:
        node = parsed.defs.get(todo.pop())
        if node is None or node in seen:
            continue
        seen.append(node)
        todo.extend(parsed.reads(node))
    seen.sort(key=lambda n: n.lineno)
    return "\n".join(parsed.segment(n) for n in seen)


def _globals(scope: symtable.SymbolTable) -> set[str]:
    """Names a scope and the scopes nested in it read from the module."""
    names = {s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced()}
    for child in scope.get_children():
        names |= _globals(child)
    return names


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
    """The modules of `module`'s own package that it imports, transitively."""
    package_root = module.split(".")[0]
    found: set[str] = set()
    todo = [module]
    while todo:
        for name in _direct_imports(todo.pop(), package_root):
            if name not in found and name != module:
                found.add(name)
                todo.append(name)
    return found
