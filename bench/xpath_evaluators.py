"""The measurements behind docs/xpath_evaluators.md: two ways of evaluating the forms' XPath.

    .venv/bin/python bench/xpath_evaluators.py [--orxe-bundle DIR] [--json out.json]

A: the app's own evaluators (survey_app/formdefs/evaluator.py on the server, static/js/form-expr.js
   on the phone) over the answers as JSON.
B: openrosa-xpath-evaluator (the evaluator Enketo and KoboToolbox run) over an XML DOM in Chromium,
   and elementpath (XPath 2.0 parser in XPath 1.0 compatibility mode, with the ODK functions
   registered: bench/xpath_b/elementpath_odk.py) over an ElementTree on the server. The case table's
   XLSForm expressions are turned into XPath over an XML model by bench/xpath_b/translate.py; the
   household form's binds are pyxform's own XPath.

For each: cases of tests/formdefs/expression_cases.json passing on each side, phone/server agreement,
time to evaluate all the household form's expressions for one household of 3 members (server: per
submission, building the instance included; phone: in Chromium), and the gzip size on the phone.
The ORXE bundle is built with npm and esbuild into a temporary folder (--orxe-bundle reuses one).
The last line is: cases=N own_agree=N pair_agree=N own_server_us=X pair_server_us=X server_ratio=R
own_phone_us=X pair_phone_us=X phone_ratio=R ("own": A, "pair": B; the ratios are B's time over A's).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "xpath_b"))

import elementpath_odk as B  # noqa: E402
from translate import Translated  # noqa: E402

from survey_app.formdefs import shipped  # noqa: E402
from survey_app.formdefs.evaluator import Context, to_string  # noqa: E402
from survey_app.formdefs.expressions import compile_expression  # noqa: E402
from survey_app.formdefs.validation import validate  # noqa: E402
from tests.formdefs import test_expressions as T  # noqa: E402
from tests.formdefs.answers import TODAY, household  # noqa: E402

ORXE_VERSION = "3.1.0"
FORGE_VERSION = "1.3.1"
ESBUILD_VERSION = "0.24.0"
CHROMIUM = "/usr/bin/chromium"
XF = "{http://www.w3.org/2002/xforms}"


# ---- the case table --------------------------------------------------------------------------


def same_b(got: dict, want: dict) -> bool:
    """The table's comparison, where a node's text stands for the JSON value it came from."""
    if T.same(got, want):
        return True
    if "value" in got and "value" in want and isinstance(got["value"], str) and not isinstance(want["value"], str):
        return got["value"] == to_string(want["value"])
    return False


def b_outcome_python(case: dict) -> dict:
    today, now = case.get("today", T.TABLE["today"]), case.get("now", T.TABLE["now"])
    try:
        translated = Translated(case, today, now)
        parser = _parser(today, now)
        token = parser.parse(B.prepare(translated.xpath2, translated.context))
        value = B.result(token.evaluate(B.context_of(ET.fromstring(translated.xml), translated.context, parser)))
    except Exception as exc:  # noqa: BLE001 - any failure of the prototype is an outcome
        return {"error": f"{type(exc).__name__}: {exc}"[:120]}
    return _outcome(value)


_PARSERS: dict = {}


def _parser(today, now):
    if (today, now) not in _PARSERS:
        _PARSERS[(today, now)] = B.make_parser(today, now)
    return _PARSERS[(today, now)]


def _outcome(value) -> dict:
    if isinstance(value, float) and math.isnan(value):
        return {"nan": True}
    if isinstance(value, float) and math.isinf(value):
        return {"nonfinite": "Infinity" if value > 0 else "-Infinity"}
    return {"value": value}


def passes(got: dict, want: dict, b: bool) -> bool:
    if "error" in want:
        return "error" in got and (b or got["error"] == want["error"])
    return same_b(got, want) if b else T.same(got, want)


def agree(phone: dict, server: dict, want: dict) -> bool:
    """The phone and the server give the same outcome; for a random output (uuid(), random(), an unseeded
    randomize(): the case gives a pattern or a range, not a value), both give one the case accepts."""
    if "match" in want or "range" in want:
        return T.same(phone, want) and T.same(server, want)
    if "error" in phone or "error" in server:
        return "error" in phone and "error" in server
    return T.same(phone, server) or same_b(phone, server) or same_b(server, phone)


def a_outcomes_js(tmp: Path) -> list[dict]:
    completed = T.run_node(T.CASES_FILE, tmp, check=True)
    return json.loads(completed.stdout)


# ---- the household form ----------------------------------------------------------------------


def household_answers() -> dict:
    return household()


def a_jobs(schema, answers: dict) -> list[dict]:
    """Every relevant/constraint/calculate/required expression of the form, for each place it applies."""
    jobs = []
    members = answers.get("members", [])
    for field in schema.walk():
        for attribute in ("relevant", "constraint", "calculate", "required"):
            expression = field.expression(attribute)
            if expression is None:
                continue
            if field.repeat is None:
                jobs.append({"source": expression.source, "member": None, "dot": answers.get(field.name)})
            else:
                jobs.extend({"source": expression.source, "member": i, "dot": m.get(field.name)} for i, m in enumerate(members))
    return jobs


def time_a_server(schema, answers, jobs, rounds=2000):
    compiled = [compile_expression(job["source"]) for job in jobs]
    members = answers["members"]

    def once():
        contexts = [
            Context(values=answers, dot=j["dot"], today="2025-06-15")
            if j["member"] is None
            else Context(
                values=answers, member=members[j["member"]], positions=(j["member"] + 1,), dot=j["dot"], today="2025-06-15"
            )
            for j in jobs
        ]
        return [e.evaluate(c) for e, c in zip(compiled, contexts)]

    results = once()
    per = best(lambda: once(), rounds)
    per_validate = best(lambda: validate(schema, answers, today=TODAY), max(rounds // 4, 50))
    return per, per_validate, results


def best(function, rounds, batches=5) -> float:
    timings = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(rounds // batches):
            function()
        timings.append((time.perf_counter() - start) / (rounds // batches))
    return min(timings)


def xform_binds(xform: str) -> tuple[ET.Element, list[dict]]:
    tree = ET.fromstring(xform)
    model = tree.find(f".//{XF}model")
    template = model.find(f"{XF}instance")[0]
    binds = []
    for bind in model.findall(f"{XF}bind"):
        for attribute in ("relevant", "constraint", "calculate", "required"):
            expr = bind.get(attribute)
            if expr and expr.strip() not in ("true()", "false()"):
                binds.append({"nodeset": bind.get("nodeset"), "expr": expr, "attribute": attribute})
    return template, binds


def strip(element: ET.Element) -> ET.Element:
    """The instance without the XForms namespace (the binds' paths have no prefix)."""
    for node in element.iter():
        node.tag = node.tag.split("}", 1)[-1]
        for key in [k for k in node.attrib if k.startswith("{")]:
            del node.attrib[key]
    return element


def fill(template: ET.Element, answers: dict) -> ET.Element:
    """The primary instance with the answers: each question's element gets its answer's text."""
    root = ET.Element(template.tag)

    def copy_into(source, target, values):
        for child in source:
            if child.tag == "members":
                continue
            node = ET.SubElement(target, child.tag)
            if len(child):
                copy_into(child, node, values)
            elif child.tag in values and values[child.tag] is not None:
                node.text = to_string(values[child.tag])

    copy_into(template, root, answers)
    member_template = template.find("members")
    position = list(template).index(member_template)
    for number, member in enumerate(answers.get("members", [])):
        node = ET.Element("members")
        copy_into(member_template, node, member)
        root.insert(position + number, node)
    return root


def time_b_server(template, binds, answers, rounds=300):
    parser = _parser("2025-06-15", "2025-06-15T10:30:00.000+07:00")
    tokens = [(parser.parse(_xpath2(b["expr"])), parser.parse(b["nodeset"])) for b in binds]

    def once():
        root = fill(template, answers)
        context = B.XPathContext(root)
        results = []
        for token, nodeset in tokens:
            for node in nodeset.evaluate(context) or []:
                context.item = node
                results.append(B.result(token.evaluate(context)))
        return results

    results = once()
    per = best(once, rounds)
    build = best(lambda: B.XPathContext(fill(template, answers)), rounds)
    return per, build, results


def _xpath2(expr: str) -> str:
    from translate import CLASHES

    code = re.sub(r"(?<![\w:-])(" + "|".join(re.escape(n) for n in CLASHES) + r")\(", r"odk:\1(", expr)
    return code.replace("odk:if(", "odk:choose(")


# ---- the phone (Chromium) ------------------------------------------------------------------


def orxe_bundle(folder: Path | None) -> Path:
    if folder and (folder / "orxe.js").exists():
        return folder
    folder = Path(tempfile.mkdtemp(prefix="orxe-"))
    subprocess.run(["npm", "init", "-y"], cwd=folder, check=True, capture_output=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--silent",
            f"openrosa-xpath-evaluator@{ORXE_VERSION}",
            f"node-forge@{FORGE_VERSION}",
            f"esbuild@{ESBUILD_VERSION}",
        ],
        cwd=folder,
        check=True,
    )
    (folder / "entry.js").write_text("window.orxe = require('openrosa-xpath-evaluator');\n")
    for name, extra in (("orxe.js", []), ("orxe-no-forge.js", ["--external:node-forge"])):
        subprocess.run(
            ["npx", "esbuild", "entry.js", "--bundle", "--minify", "--format=iife", *extra, f"--outfile={name}"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
    return folder


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6))


def run_chromium(bundle: Path, translated: list[dict], xml: str, binds: list[dict], jobs, answers, schema_json):
    from playwright.sync_api import sync_playwright

    static = ROOT / "static"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()

        def serve(route):
            path = route.request.url.split("://bench.local", 1)[1].split("?")[0]
            if path == "/":
                route.fulfill(body="<!doctype html><title>bench</title>", content_type="text/html")
            elif path.startswith("/static/"):
                route.fulfill(path=str(static / path[len("/static/") :]), content_type="text/javascript")
            else:
                route.fulfill(status=404)

        page.route("http://bench.local/**", serve)
        page.goto("http://bench.local/")
        page.add_script_tag(content=(bundle / "orxe.js").read_text())
        page.add_script_tag(content=(ROOT / "bench" / "xpath_b" / "harness.js").read_text())
        b_cases = page.evaluate("(cases) => window.benchB.cases(cases)", translated)
        b_house = page.evaluate("([xml, binds]) => window.benchB.household(xml, binds, 300)", [xml, binds])
        a_house = page.evaluate("([jobs, answers]) => window.benchA.household(jobs, answers, 3000)", [jobs, answers])
        a_model = page.evaluate("([schema, answers]) => window.benchA.formModel(schema, answers, 300)", [schema_json, answers])
        browser.close()
    return b_cases, b_house, a_house, a_model


#: The last commit with the hand-written evaluator before the ODK function library: the size baseline.
BEFORE = "3509d52"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orxe-bundle", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    cases = T.CASES
    wants = [T.expected_outcome(c) for c in cases]
    a_py = [T.python_outcome(c) for c in cases]
    with tempfile.TemporaryDirectory() as tmp:
        a_js = a_outcomes_js(Path(tmp))
    b_py = [b_outcome_python(c) for c in cases]
    translated = []
    for case in cases:
        today, now = case.get("today", T.TABLE["today"]), case.get("now", T.TABLE["now"])
        t = Translated(case, today, now)
        translated.append({"xml": t.xml, "context": t.context, "xpath": t.xpath})

    form = shipped.current("household_survey")
    answers = household_answers()
    jobs = a_jobs(form.schema, answers)
    template, binds = xform_binds(form.xform)
    template = strip(copy.deepcopy(template))
    a_server, a_validate, _ = time_a_server(form.schema, answers, jobs)
    b_server, b_build, b_results = time_b_server(template, binds, answers)
    xml = ET.tostring(fill(template, answers), encoding="unicode")

    bundle = orxe_bundle(args.orxe_bundle)
    b_js, b_house, a_house, a_model = run_chromium(bundle, translated, xml, binds, jobs, answers, form.schema.to_dict())

    main_js = subprocess.run(
        ["git", "show", f"{BEFORE}:static/js/form-expr.js"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    a_bytes = sum(gz(p.read_bytes()) for p in (ROOT / "static" / "js").glob("form-expr*.js"))
    report = {
        "cases": len(cases),
        "A": {
            "server_pass": sum(passes(g, w, False) for g, w in zip(a_py, wants)),
            "phone_pass": sum(passes(g, w, False) for g, w in zip(a_js, wants)),
            "agree": sum(agree(p, s, w) for p, s, w in zip(a_js, a_py, wants)),
            "server_us": a_server * 1e6,
            "server_validate_us": a_validate * 1e6,
            "server_jobs": len(jobs),
            "phone_us": a_house["ms"] * 1000,
            "phone_jobs": a_house["jobs"],
            "phone_form_model_us": a_model["ms"] * 1000,
            "gzip_bytes": a_bytes,
            "gzip_added_bytes": a_bytes - gz(main_js),
        },
        "B": {
            "server_pass": sum(passes(g, w, True) for g, w in zip(b_py, wants)),
            "phone_pass": sum(passes(g, w, True) for g, w in zip(b_js, wants)),
            "agree": sum(agree(p, s, w) for p, s, w in zip(b_js, b_py, wants)),
            "server_us": b_server * 1e6,
            "server_build_us": b_build * 1e6,
            "server_jobs": len(b_results),
            "phone_us": b_house["ms"] * 1000,
            "phone_jobs": b_house["jobs"],
            "gzip_bytes": gz((bundle / "orxe.js").read_bytes()),
            "gzip_bytes_without_digest": gz((bundle / "orxe-no-forge.js").read_bytes()),
        },
    }
    failures = {
        "B_server": [(c["expr"], g, w) for c, g, w in zip(cases, b_py, wants) if not passes(g, w, True)],
        "B_phone": [(c["expr"], g, w) for c, g, w in zip(cases, b_js, wants) if not passes(g, w, True)],
        "A_server": [(c["expr"], g, w) for c, g, w in zip(cases, a_py, wants) if not passes(g, w, False)],
        "A_phone": [(c["expr"], g, w) for c, g, w in zip(cases, a_js, wants) if not passes(g, w, False)],
        "A_disagree": [(c["expr"], p, s) for c, p, s, w in zip(cases, a_js, a_py, wants) if not agree(p, s, w)],
        "B_disagree": [(c["expr"], p, s) for c, p, s, w in zip(cases, b_js, b_py, wants) if not agree(p, s, w)],
    }
    if args.json:
        args.json.write_text(json.dumps({"report": report, "failures": failures}, ensure_ascii=False, indent=1, default=str))
    print(json.dumps(report, indent=1))
    a, b = report["A"], report["B"]
    print(
        f"cases={report['cases']} own_agree={a['agree']} pair_agree={b['agree']} "
        f"own_server_us={a['server_us']:.1f} pair_server_us={b['server_us']:.1f} "
        f"server_ratio={b['server_us'] / a['server_us']:.1f} own_phone_us={a['phone_us']:.1f} "
        f"pair_phone_us={b['phone_us']:.1f} phone_ratio={b['phone_us'] / a['phone_us']:.1f}"
    )
    if args.orxe_bundle is None:
        shutil.rmtree(bundle, ignore_errors=True)


if __name__ == "__main__":
    main()
