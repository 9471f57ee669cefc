"""Fail when a runtime dependency is GPL or AGPL licensed (the project is MIT; see LICENSE).

The runtime set is everything `requirements.txt` pulls in, transitively: each requirement (with
its extras) is looked up among the installed distributions (`importlib.metadata`) and its own
`Requires-Dist` entries are followed, markers evaluated for this interpreter, so dev tools
(pytest, ruff, pip-licenses itself) are not part of it. pip-licenses (`--from=all`) then reports
every package's declared licence: the SPDX `License-Expression`, the trove classifiers and the
free-text `License` field.

A package is an offender when what it declares leaves no permissive choice: a GPL or AGPL
expression or classifier, with no other licence offered beside it (`MIT OR GPL-2.0` lets us take
MIT). LGPL is acceptable: the app only imports such libraries (psycopg2 is LGPL with exceptions)
and never modifies or statically links them, which the LGPL allows in a program under any licence.

Prints one line per offender and exits 1; prints a summary and exits 0 when there is none.
Run in the project's virtualenv: `.venv/bin/python scripts/check_licenses.py`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"

# SPDX ids of the GPL family (GPL-3.0-only, AGPL-3.0-or-later, GPL-2.0+); LGPL ids never match,
# since "GPL" must not follow a letter.
_COPYLEFT_ID = re.compile(r"(?<![A-Za-z])A?GPL-[0-9.]+(-only|-or-later|\+)?(?![A-Za-z])", re.I)
_COPYLEFT_CLASSIFIER = re.compile(r"GNU (Affero )?General Public License", re.I)
# Free text such as "GPLv3", "GNU GPL v2", "AGPL-3.0"; "LGPL"/"Lesser" never match.
_COPYLEFT_TEXT = re.compile(r"(?<![A-Za-z])A?GPL(v?[0-9.+]+)?(?![A-Za-z])|GNU (Affero )?General Public License", re.I)
_UNKNOWN = {"", "UNKNOWN"}


def read_requirements(path: Path) -> list[Requirement]:
    """The requirements listed in `path` (comments, blank lines and `-r`/`-c` options skipped)."""
    requirements = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirements.append(Requirement(line))
    return requirements


def runtime_closure(requirements: list[Requirement]) -> tuple[dict[str, str], list[str]]:
    """Walk the installed distributions from `requirements`, extras and markers included.

    Returns ({canonical name: distribution name}, [requirements that are not installed]).
    """
    found: dict[str, str] = {}
    missing: list[str] = []
    visited: set[tuple[str, str]] = set()  # (package, extra); "" is the package without extras
    # Each entry: a requirement, and the extra of the package that declared it (for its marker).
    pending = [(requirement, "") for requirement in requirements]
    while pending:
        requirement, declared_for = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": declared_for}):
            continue
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(str(requirement))
            continue
        name = canonicalize_name(requirement.name)
        found[name] = distribution.metadata["Name"]
        for extra in {"", *requirement.extras}:
            if (name, extra) not in visited:
                visited.add((name, extra))
                pending.extend((Requirement(line), extra) for line in distribution.requires or [])
    return found, missing


def licence_report(names: list[str]) -> list[dict]:
    """pip-licenses' JSON report (`--from=all`) for the installed packages `names`."""
    output = subprocess.run(  # noqa: S603 (this interpreter and installed package names)
        [sys.executable, "-m", "piplicenses", "--from=all", "--format=json", "--packages", *names],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def _alternatives(expression: str) -> list[str]:
    # Top-level OR splits the choices; parentheses are rare enough in practice to be read whole.
    return [part.strip(" ()") for part in re.split(r"\s+OR\s+", expression)]


def copyleft_reason(package: dict) -> str | None:
    """Why `package` (a pip-licenses row) leaves no permissive choice, or None when it does."""
    expression = package.get("License-Expression", "UNKNOWN")
    if expression not in _UNKNOWN:
        choices = _alternatives(expression)
        if all(_COPYLEFT_ID.search(choice) for choice in choices):
            return f"License-Expression {expression!r}"
        return None  # an SPDX expression is authoritative (PEP 639)
    classifiers = [c.strip() for c in package.get("License-Classifier", "UNKNOWN").split(";")]
    classifiers = [c for c in classifiers if c not in _UNKNOWN]
    if classifiers:
        if all(_COPYLEFT_CLASSIFIER.search(c) and not re.search(r"Lesser|Library", c) for c in classifiers):
            return f"classifier {'; '.join(classifiers)!r}"
        return None
    text = package.get("License-Metadata", "UNKNOWN")
    if text not in _UNKNOWN and _COPYLEFT_TEXT.search(text) and not re.search(r"Lesser|Library", text, re.I):
        return f"License {text!r}"
    return None


def main() -> int:
    closure, missing = runtime_closure(read_requirements(REQUIREMENTS))
    for requirement in missing:
        print(f"check_licenses: {requirement} is required but not installed; run `make install`")
    if missing:
        return 1
    report = licence_report(sorted(closure.values()))
    offenders = [(package, reason) for package in report if (reason := copyleft_reason(package))]
    for package, reason in offenders:
        print(f"check_licenses: {package['Name']} {package['Version']} is copyleft ({reason}); not allowed at runtime")
    unknown = [
        package["Name"]
        for package in report
        if all(package.get(key, "UNKNOWN") in _UNKNOWN for key in ("License-Expression", "License-Classifier"))
        and package.get("License-Metadata", "UNKNOWN") in _UNKNOWN
    ]
    if unknown:
        print(f"check_licenses: declare no licence (check by hand): {', '.join(sorted(unknown))}")
    if offenders:
        return 1
    print(f"check_licenses: {len(report)} runtime packages, none GPL or AGPL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
