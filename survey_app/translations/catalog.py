"""Keep the message catalogs in step with the code.

    python -m survey_app.translations.catalog update   # extract, then merge into every .po
    python -m survey_app.translations.catalog compile  # write the .mo files the app loads
    python -m survey_app.translations.catalog merge    # update, take pending/*.json into vi, compile

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
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(HERE / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(output),
            str(PACKAGE),
        ],
        check=True,
        capture_output=True,
    )


def update() -> None:
    extract()
    for locale in LOCALES:
        po = HERE / locale / "LC_MESSAGES" / "messages.po"
        command = "update" if po.exists() else "init"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "babel.messages.frontend",
                command,
                "-i",
                str(POT),
                "-d",
                str(HERE),
                "-l",
                locale,
                "--no-wrap",
            ],
            check=True,
            capture_output=True,
        )


def compile_all() -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(HERE), "--statistics"], check=True)


def merge_pending() -> list[str]:
    """Update, fill Vietnamese from pending/*.json (then delete them), compile; return what is still missing."""
    import json

    from babel.messages.pofile import read_po, write_po

    update()
    pending = {}
    files = sorted((HERE / "pending").glob("*.json"))
    for path in files:
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    po_path = HERE / "vi" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as f:
        catalog = read_po(f)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in pending and (not message.string or "fuzzy" in message.flags):
            message.string = pending[key]
            message.flags.discard("fuzzy")
        if not message.string or "fuzzy" in message.flags:
            missing.append(key)
    with po_path.open("wb") as f:
        write_po(f, catalog, width=0)
    for path in files:
        path.unlink()
    compile_all()
    return missing


if __name__ == "__main__":
    result = {"update": update, "compile": compile_all, "extract": extract, "merge": merge_pending}[sys.argv[1]]()
    if result:
        print("still untranslated:", *result, sep="\n  ")
