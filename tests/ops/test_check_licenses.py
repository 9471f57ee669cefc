"""The runtime licence check (scripts/check_licenses.py): what counts as copyleft, what is runtime."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("check_licenses", ROOT / "scripts" / "check_licenses.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row(expression="UNKNOWN", classifier="UNKNOWN", text="UNKNOWN", name="pkg") -> dict:
    return {
        "Name": name,
        "Version": "1.0",
        "License-Expression": expression,
        "License-Classifier": classifier,
        "License-Metadata": text,
    }


@pytest.mark.parametrize(
    "package",
    [
        row(expression="GPL-3.0-only"),
        row(expression="AGPL-3.0-or-later"),
        row(expression="GPL-2.0+"),
        row(expression="GPL-2.0-only OR AGPL-3.0-only"),
        row(expression="MIT AND GPL-3.0-or-later"),
        row(classifier="GNU General Public License v3 (GPLv3)"),
        row(classifier="GNU Affero General Public License v3"),
        row(text="GPLv3"),
        row(text="GNU GPL v2"),
    ],
)
def test_copyleft_declarations_are_offenders(check, package):
    assert check.copyleft_reason(package)


@pytest.mark.parametrize(
    "package",
    [
        row(expression="MIT"),
        row(expression="LGPL-2.1-or-later"),
        row(expression="LGPL-3.0-only OR GPL-3.0-only"),
        row(expression="MIT OR GPL-2.0-only"),  # dual licensed: we take MIT
        row(classifier="GNU Library or Lesser General Public License (LGPL)", text="LGPL with exceptions"),
        row(classifier="GNU Lesser General Public License v3 (LGPLv3)"),
        row(classifier="MIT License; GNU General Public License v2 (GPLv2)"),
        row(text="BSD-3-Clause"),
        row(text="LGPL"),
        row(),
    ],
)
def test_permissive_lgpl_and_dual_licences_are_accepted(check, package):
    assert check.copyleft_reason(package) is None


def test_the_closure_follows_extras_and_stops_at_runtime(check):
    found, missing = check.runtime_closure([Requirement("flask-limiter[redis]"), Requirement("flask")])
    assert {"flask-limiter", "limits", "redis", "flask", "werkzeug", "jinja2"} <= set(found)
    assert "pytest" not in found and "pip-licenses" not in found
    assert missing == []


def test_the_closure_skips_what_a_marker_excludes_and_reports_what_is_missing(check):
    found, missing = check.runtime_closure(
        [Requirement('flask; python_version < "3"'), Requirement("surely-not-installed-pkg==1.0")]
    )
    assert found == {}
    assert missing == ["surely-not-installed-pkg==1.0"]


def test_runtime_requirements_have_no_dev_tools(check):
    found, missing = check.runtime_closure(check.read_requirements(check.REQUIREMENTS))
    assert missing == []
    assert {"flask", "psycopg2-binary", "redis", "sentry-sdk"} <= set(found)
    assert not {"pytest", "ruff", "hypothesis", "schemathesis", "pip-licenses", "playwright"} & set(found)


def test_an_offender_fails_the_check_with_one_line_naming_it(check, monkeypatch, capsys):
    monkeypatch.setattr(
        check,
        "licence_report",
        lambda names: [row(expression="MIT", name="fine"), row(expression="AGPL-3.0-only", name="viral")],
    )
    assert check.main() == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "check_licenses: viral 1.0 is copyleft (License-Expression 'AGPL-3.0-only'); not allowed at runtime"
    ]


def test_the_real_runtime_set_passes(check, capsys):
    assert check.main() == 0, capsys.readouterr().out
    assert "none GPL or AGPL" in capsys.readouterr().out


def test_ci_runs_the_check_after_lint_and_the_tool_is_pinned():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("\nmake lint") < ci.index("\n.venv/bin/python scripts/check_licenses.py") < ci.index(" make test ")
    assert "pip-licenses==" in (ROOT / "requirements-dev.txt").read_text()
    assert "pip-licenses" not in (ROOT / "requirements.txt").read_text()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) 2026 The Expense Manager authors")
