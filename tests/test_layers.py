"""Arrows between the packages of survey_app (issue 21): no module reaches into another package's private
names, and no capability imports the app factory or the command line, which sit above every capability.

Read from the source with ast, so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import survey_app

ROOT = Path(survey_app.__file__).resolve().parent
#: The top layer: they assemble the capabilities, nothing below imports them (the package's __init__ only
#: re-exports create_app; the gunicorn settings start the app).
TOP = {"survey_app", "survey_app.app", "survey_app.cli", "survey_app.gunicorn_conf"}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _package(module: str) -> str:
    """The capability a module belongs to (survey_app.teams.views -> survey_app.teams); core modules are
    their own."""
    return ".".join(module.split(".")[:2])


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("survey_app"):
            yield node.module, [alias.name for alias in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("survey_app"):
                    yield alias.name, [], node.lineno


def test_no_module_imports_another_packages_private_names():
    found = []
    for module, tree in _modules():
        for target, names, line in _imports(tree):
            private = [name for name in names if name.startswith("_") and not name.startswith("__")]
            if private and _package(target) != _package(module):
                found.append(f"{module}:{line} imports {', '.join(private)} from {target}")
    assert found == []


def test_nothing_below_the_top_imports_the_app_factory_or_the_cli():
    found = [
        f"{module}:{line} imports {target}"
        for module, tree in _modules()
        if module not in TOP
        for target, names, line in _imports(tree)
        if (target in TOP and target != "survey_app") or (target == "survey_app" and set(names) & {"app", "cli", "create_app"})
    ]
    assert found == []


def test_the_check_sees_a_private_import():
    tree = ast.parse("from survey_app.accounts.views import _safe_next\n")
    ((target, names, _line),) = list(_imports(tree))
    assert target == "survey_app.accounts.views" and names == ["_safe_next"]
    assert _package(target) != _package("survey_app.teams.views")
