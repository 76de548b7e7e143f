"""ODK Validate (the JavaRosa check ODK Collect runs on a form), from the jar pyxform ships.

One JVM checks many XForms at once: `validate({"name": xml, ...})` gives the names of the forms it refused,
each with JavaRosa's message. Java comes from Debian's default-jre-headless, installed by tests/run.sh.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pyxform

JAR = Path(pyxform.__file__).parent / "validators" / "odk_validate" / "bin" / "ODK_Validate.jar"
_FAILED = "The following files failed validation:"


def validate(xforms: dict[str, str]) -> dict[str, str]:
    """{name: message} of the XForms ODK Validate refuses (an empty dict when it accepts them all)."""
    java = shutil.which("java")
    assert java, "java is missing: tests/run.sh installs default-jre-headless"
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for name, xml in xforms.items():
            path = Path(folder) / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.xml"
            path.write_text(xml, encoding="utf-8")
            paths[str(path)] = name
        done = subprocess.run(
            [java, "-Djava.awt.headless=true", "-jar", str(JAR), *paths],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
    output = done.stdout
    if _FAILED not in output:
        assert done.returncode == 0, output[-2000:]
        return {}
    failed = [line.strip() for line in output.split(_FAILED, 1)[1].splitlines() if line.strip() in paths]
    messages = {}
    for path in failed:  # JavaRosa's message follows "Validating: <path>" for that file
        block = output.split(f"Validating: {path}", 1)[-1].split("Validating: ", 1)[0]
        reason = next((line for line in block.splitlines() if "Exception" in line), "") or block.strip()[:500]
        messages[paths[path]] = reason.strip()
    return messages
