"""Keep the message catalogs in step with the code.

    python -m survey_app.translations.catalog update   # extract, then merge into every .po
    python -m survey_app.translations.catalog compile  # write the .mo files the app loads

Message ids are English; vi/LC_MESSAGES/messages.po holds the Vietnamese the UI shows first.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
POT = HERE / "messages.pot"
LOCALES = ("vi",)


def extract(output: Path = POT) -> None:
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(HERE / "babel.cfg"),
         "-k", "_l", "-k", "lazy_gettext", "--no-location", "--sort-output", "--omit-header",
         "-o", str(output), str(PACKAGE)],
        check=True, capture_output=True,
    )


def update() -> None:
    extract()
    for locale in LOCALES:
        po = HERE / locale / "LC_MESSAGES" / "messages.po"
        command = "update" if po.exists() else "init"
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", command, "-i", str(POT),
                        "-d", str(HERE), "-l", locale, "--no-wrap"], check=True, capture_output=True)


def compile_all() -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(HERE),
                    "--statistics"], check=True)


if __name__ == "__main__":
    {"update": update, "compile": compile_all, "extract": extract}[sys.argv[1]]()
