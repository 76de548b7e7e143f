"""The lint rules hold for the whole project, run by the test command: ruff for Python (pyproject.toml,
[tool.ruff]) and ESLint for the scripts in static/ (eslint.config.js; tests/run.sh installs it with npm ci)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    found = Path(sys.executable).with_name("ruff")
    return [str(found)] if found.exists() else [shutil.which("ruff") or "ruff"]


def test_ruff_finds_nothing():
    result = subprocess.run(
        [*_ruff(), "check", "--no-cache", "--output-format", "concise", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_would_change_nothing():
    result = subprocess.run(
        [*_ruff(), "format", "--check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, "run `ruff format .`:\n" + result.stdout + result.stderr


def test_ruff_format_sees_a_badly_laid_out_file(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("x = {  'a':1 }\n")
    result = subprocess.run(
        [*_ruff(), "format", "--check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "bad.py" in result.stdout + result.stderr


def test_ruff_sees_a_mistake(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    result = subprocess.run(
        [*_ruff(), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "F401" in result.stdout


ESLINT = ROOT / "node_modules" / ".bin" / "eslint"


def _eslint(*args, stdin: str | None = None):
    assert ESLINT.exists(), "ESLint is not installed: run `npm ci` in the project folder (tests/run.sh does)"
    return subprocess.run([str(ESLINT), *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=180)


def test_eslint_finds_nothing():
    result = _eslint("static/js", "static/sw.js")
    assert result.returncode == 0, result.stdout + result.stderr


def test_eslint_sees_a_mistake():
    # Given on stdin under a phone script's name: the same rules apply, and no file is written beside the app's.
    result = _eslint(
        "--stdin", "--stdin-filename", "static/js/phone/probe.js", stdin="export function f() { return undefinedName; }\n"
    )
    assert result.returncode == 1 and "no-undef" in result.stdout
