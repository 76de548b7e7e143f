"""One table of expression cases, run in Python and in the phone's JavaScript (under Node)."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from survey_app.formdefs.evaluator import NodeSet, format_number, to_string
from survey_app.formdefs.expressions import Context, ExpressionError, compile_expression

HERE = Path(__file__).resolve().parent
CASES_FILE = HERE / "expression_cases.json"
TABLE = json.loads(CASES_FILE.read_text(encoding="utf-8"))
CASES = TABLE["cases"] + [case for group in TABLE["groups"] for case in group["cases"]]
FORM_EXPR_JS = HERE.parents[1] / "static" / "js" / "form-expr.js"
FORM_EXPR_FILES = sorted(FORM_EXPR_JS.parent.glob("form-expr*.js"))
NODE = "/usr/bin/node"


def expected_outcome(case: dict) -> dict:
    if "error" in case:
        return {"error": case["error"]}
    if case.get("nan"):
        return {"nan": True}
    if "match" in case:
        return {"match": case["match"]}
    if "range" in case:
        return {"range": case["range"]}
    return {"value": case["expected"]}


def context_of(case: dict) -> Context:
    return Context(
        values=case.get("values", {}),
        member=case.get("member"),
        dot=case.get("dot"),
        today=case.get("today", TABLE["today"]),
        now=case.get("now", TABLE["now"]),
        choice=case.get("choice"),
        parents=case.get("parents", ()),
        positions=case.get("positions", ()),
        instances=case.get("instances", TABLE.get("instances")),
        choice_lists=case.get("choice_lists"),
        lang=case.get("lang"),
        last_saved=case.get("last_saved"),
    )


def python_outcome(case: dict) -> dict:
    try:
        expression = compile_expression(case["expr"], bool(case.get("columns")))
    except ExpressionError as exc:
        return {"error": exc.code}
    value = expression.evaluate(context_of(case))
    if type(value) is NodeSet:
        value = to_string(value)  # a nodeset is compared by its string value
    if isinstance(value, float) and math.isnan(value):
        return {"nan": True}
    if isinstance(value, float) and math.isinf(value):
        return {"nonfinite": format_number(value)}
    return {"value": value}


def same(got: dict, want: dict) -> bool:
    """Equal outcomes; a boolean is not a number, 3 and 3.0 are the same number."""
    if "match" in want:
        return isinstance(got.get("value"), str) and re.search(want["match"], got["value"]) is not None
    if "range" in want:
        value = got.get("value")
        return isinstance(value, (int, float)) and not isinstance(value, bool) and want["range"][0] <= value < want["range"][1]
    if set(got) != set(want):
        return False
    if "value" not in want:
        return got == want
    a, b = got["value"], want["value"]
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def test_the_table_covers_every_function_and_error_code():
    from survey_app.formdefs.evaluator import FUNCTIONS

    text = " ".join(case["expr"] for case in CASES)
    missing = [name for name in FUNCTIONS if f"{name}(" not in text]
    assert not missing, f"every function needs a case: {missing}"
    for group in TABLE["groups"]:
        assert group["source"] and all(url.startswith("https://") for url in group["source"]), group["about"]
    for form in (
        "..",
        "current()",
        "instance('",
        "]/",
        "[last()]",
        "[2]",
        "position(..)",
        "${last-saved#",
        "/data/",
        "indexed-repeat(",
        "jr:choice-name(",
        "decimal-date-time(",
        "date(",
        "format-date-time(",
    ):
        assert form in text, f"the table needs a case with {form}"
    codes = {case["error"] for case in CASES if "error" in case}
    assert codes == set(ExpressionError.MESSAGES)


def test_python_evaluator_gives_the_tables_answers():
    wrong = [
        (case["expr"], got, expected_outcome(case))
        for case in CASES
        if not same(got := python_outcome(case), expected_outcome(case))
    ]
    assert not wrong, "Python differs from the table:\n" + "\n".join(map(str, wrong))


def run_node(cases_file: Path, tmp_path: Path, check: bool = False):
    """Run the cases under Node against copies of static/js/form-expr*.js (the phone's very files) in a
    folder that makes them ES modules."""
    folder = tmp_path / "js"
    folder.mkdir(exist_ok=True)
    (folder / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    for path in FORM_EXPR_FILES:
        shutil.copy(path, folder / path.name)
    return subprocess.run(
        [NODE, str(HERE / "run_expr_cases.mjs"), str(folder / FORM_EXPR_JS.name), str(cases_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def test_javascript_evaluator_gives_the_same_answers(tmp_path):
    """static/js/form-expr.js, the very file the phone loads, run under Node on the same table."""
    completed = run_node(CASES_FILE, tmp_path)
    assert completed.returncode == 0, completed.stderr
    outcomes = json.loads(completed.stdout)
    assert len(outcomes) == len(CASES)
    wrong = [
        (case["expr"], got, expected_outcome(case)) for case, got in zip(CASES, outcomes) if not same(got, expected_outcome(case))
    ]
    assert not wrong, "JavaScript differs from the table:\n" + "\n".join(map(str, wrong))


def test_python_and_javascript_agree_beyond_the_table(tmp_path):
    """Outcomes the table does not pin down (error positions, odd numbers) still match."""
    extra = [
        {"expr": e}
        for e in (
            "string(1 div 7)",
            "string(2 * 0.1)",
            "string(1e0)",
            "1 + 'x'",
            "string(123456789.123)",
            "format-date(12345.999999, '%Y-%m-%d %H:%M:%S')",
            "string(-5 mod 2.5)",
            "string(0.000001)",
            "string(-0.0000002)",
            "string(9007199254740993)",
        )
    ]
    path = tmp_path / "extra_cases.json"
    path.write_text(json.dumps({**TABLE, "cases": extra}), encoding="utf-8")
    completed = run_node(path, tmp_path, check=True)
    for case, got in zip(extra, json.loads(completed.stdout)):
        assert same(python_outcome(case), got), case["expr"]


def test_errors_carry_a_position_the_admin_can_find():
    with pytest.raises(ExpressionError) as caught:
        compile_expression("${a} = 1 )")
    assert caught.value.code == "syntax" and caught.value.params["position"] == 10


def test_expressions_are_compiled_once():
    assert compile_expression("${a} + 1") is compile_expression("${a} + 1")
    assert compile_expression("${a} + ${b}").refs == {"a", "b"}


def test_the_evaluator_imports_no_flask():
    """expressions.py and evaluator.py stay usable by benchmarks and scoring without an app."""
    import ast

    package = HERE.parents[1] / "survey_app" / "formdefs"
    for module in ("expressions.py", "evaluator.py"):
        tree = ast.parse((package / module).read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {name for name in imported if name.split(".")[0] in ("flask", "flask_babel", "sqlalchemy")}
