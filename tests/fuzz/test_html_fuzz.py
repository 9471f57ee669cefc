"""HTML fuzzing: every page of the URL map gets arbitrary query strings, every form arbitrary fields.

The API has schemathesis (test_api_schemathesis.py); this is the same idea for the web face, with
hypothesis. Logged in as a full user (one row of every table, `make_full_user`):

- every GET rule outside /api, /static and the probes is sent query strings whose keys are the
  parameters the web views read (plus random ones, repeated at will) and whose values mix valid
  values with Unicode digits, huge, negative and non-finite numbers, NUL bytes, 10,000-character
  strings and impossible dates;
- every POST rule of the web blueprints is sent its Flask-WTF form's fields (plus `csrf_token` and
  random ones) with values from the same mix.

No answer may be a 5xx, and a form that was not accepted (anything but a 302 redirect) must leave
every table of the metadata exactly as it was. Ids in paths are the full user's real ids; an
object a form deleted is made again, so later examples still reach a real row.

The routes, their forms and their parameters are read from the app (URL map, view sources, form
classes), so a page or form added later is fuzzed without editing this file; a POST rule whose form
cannot be found fails by name. Runs are deterministic (`derandomize`) and bounded (`MAX_EXAMPLES`
per route, `HTML_FUZZ_MAX_EXAMPLES` to change it).
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

import expense_app.web
from expense_app.extensions import db
from expense_app.models import User
from expense_app.services import sign_ins
from expense_app.web import forms as form_package
from tests import factories
from tests.conftest import make_app
from tests.security.matrix import KINDS, OBJECT_ENDPOINTS, URL_SECRETS

MAX_EXAMPLES = int(os.environ.get("HTML_FUZZ_MAX_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # No shrinking: it could take minutes, and the failing request is printed whole anyway.
    phases=[Phase.explicit, Phase.generate],
    # The app, client and full user are made once per route and shared by its examples on purpose:
    # each example starts from a fresh login and compares the database with itself.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

EXCLUDED_BLUEPRINTS = frozenset({"health", "api-docs", "swagger_ui_assets"})
EXCLUDED_ENDPOINTS = frozenset({"static", "prometheus_metrics"})
# Pages for visitors: they are fuzzed without a session (logged in, they only redirect).
ANONYMOUS_ENDPOINTS = frozenset(
    {"auth.login", "auth.register", "password_reset.forgot_password", "password_reset.reset_password"}
)
# POST views that build no form of their own (the CSRF token is all they read).
FORMLESS_ENDPOINTS = frozenset(
    {
        "auth.logout",
        "recurring.pause",
        "recurring.resume",
        # Issue 16 (recovery): the security page's buttons
        "security_settings.end_session",
        "security_settings.end_api_sign_in",
        "security_settings.sign_out_others",
    }
)

# --- values ------------------------------------------------------------------------------------------

HOSTILE_VALUES = [
    # Unicode digits: str.isdigit() accepts them, int() and Decimal() do not all agree.
    "\N{SUPERSCRIPT TWO}",
    "\N{ARABIC-INDIC DIGIT THREE}",
    "\N{MATHEMATICAL BOLD DIGIT FIVE}",
    "\N{FULLWIDTH DIGIT ONE}",
    "\N{FULLWIDTH DIGIT ONE}\N{FULLWIDTH DIGIT ZERO}.\N{FULLWIDTH DIGIT ZERO}\N{FULLWIDTH DIGIT ZERO}",
    "\N{ARABIC-INDIC DIGIT THREE}.\N{ARABIC-INDIC DIGIT ZERO}\N{ARABIC-INDIC DIGIT ZERO}",
    "2026-\N{ARABIC-INDIC DIGIT ZERO}\N{ARABIC-INDIC DIGIT ONE}-15",
    "\N{SUPERSCRIPT TWO}\N{SUPERSCRIPT ZERO}\N{SUPERSCRIPT TWO}\N{SUPERSCRIPT SIX}-01-01",
    # Numbers out of every range.
    "-1",
    "0",
    "-0.01",
    "1.005",
    "99999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "9" * 5000,
    "-" + "1" * 5000,
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1e1000000",
    "1E-1000000",
    "0x10",
    "1_000",
    " 12 ",
    # Control characters and size.
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: x=1",
    "x" * 10_000,
    "€" * 3000,
    # Dates that do not exist or that databases cannot hold.
    "2026-02-30",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-13",
    "2026-00",
    "-2026-01-01",
    "2026/01/15",
    # Empty and odd.
    "",
    " ",
    "null",
    "[]",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%",
    "//evil.example/",
]
# The coverage pass sends each of these alone in each parameter and field (the random pass mixes all).
CORE_HOSTILE_VALUES = [
    "\N{SUPERSCRIPT TWO}",
    "\N{ARABIC-INDIC DIGIT THREE}",
    "\N{MATHEMATICAL BOLD DIGIT FIVE}",
    "\N{FULLWIDTH DIGIT ONE}",
    "-1",
    "99999999999999999999",
    "9" * 5000,
    "NaN",
    "Infinity",
    "1e1000000",
    "a\x00b",
    "x" * 10_000,
    "2026-02-30",
    "0000-01-01",
    "",
]
# Values that pass a field's checks, so a form with one hostile field reaches the service's rules.
VALID_VALUES = {
    "amount": ["12.50", "1", "0.01"],
    "min_amount": ["1.00"],
    "max_amount": ["500"],
    "date": ["2026-01-15"],
    "date_from": ["2025-01-01"],
    "date_to": ["2026-12-31"],
    "start_date": ["2026-12-04"],
    "end_date": ["2027-06-30"],
    "apply_from": ["2027-01-04"],
    "effective_from": ["2027-01"],
    "month": ["2026-12", "2025-01"],
    "currency": ["EUR", "usd", "JPY"],
    "locale": ["de_DE", "fr-CH", "ja_JP"],
    "payment_method": ["cash", "credit_card"],
    "rollover": ["none", "surplus", "full"],
    "interval_unit": ["day", "week", "month", "year"],
    "interval_count": ["1", "2"],
    "max_occurrences": ["3"],
    "scope": ["all", "future"],
    "sort": ["date_desc", "amount_asc"],
    "per_page": ["10", "50"],
    "page": ["1", "2"],
    "period": ["this_month", "last_30_days", "custom"],
    "tags": ["home, food", "weekly"],
    "tag": ["home"],
    "name": ["Fuzzed"],
    "color": ["#123456"],
    "icon": ["star"],
    "description": ["Fuzzed"],
    "full_name": ["Fuzz"],
    "email": ["fuzz@example.com"],
    # Never the user's real password: the session must survive every example.
    "password": ["not the password"],
    "current_password": ["not the password"],
    "new_password": ["another long passphrase"],
    "next": ["/expenses", "/"],
}
# Fields whose valid values are the full user's ids (filled in per test).
ID_FIELDS = ("category_id", "reassign_to")

hostile = st.sampled_from(HOSTILE_VALUES)
numbers = st.integers(min_value=-(2**80), max_value=2**80).map(str)
texts = st.text(max_size=30)


def values_for(name: str, ids: list[str]) -> st.SearchStrategy[str]:
    """Values for the field or parameter `name`: valid ones as often as hostile or random ones."""
    valid = VALID_VALUES.get(name.removeprefix("quick-"), [])
    if name.removeprefix("quick-") in ID_FIELDS:
        valid = [*ids, *valid]
    branches = [hostile, numbers, texts]
    if valid:
        branches = [st.sampled_from(valid), *branches, st.sampled_from(valid)]
    return st.one_of(*branches)


def pairs_for(names: list[str], ids: list[str], *, complete: bool) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Lists of (key, value): known names (repeats included) and random keys.

    With `complete`, every known name is present once more, so whole forms are sent too.
    """
    key = st.one_of(st.sampled_from(names), st.sampled_from(names), texts) if names else texts
    loose = st.lists(key.flatmap(lambda name: st.tuples(st.just(name), values_for(name, ids))), max_size=10)
    if not complete or not names:
        return loose
    whole = st.tuples(*(st.tuples(st.just(name), values_for(name, ids)) for name in names)).map(list)
    return st.one_of(loose, st.tuples(whole, loose).map(lambda both: both[0] + both[1]))


# --- what the app declares ---------------------------------------------------------------------------

_APP = make_app("sqlite://")  # never connects: only the URL map and the views are read


def _form_classes() -> dict[str, type[FlaskForm]]:
    """Every Flask-WTF form class of expense_app/web/forms, by class name."""
    found = {}
    for info in pkgutil.iter_modules(form_package.__path__):
        module = importlib.import_module(f"{form_package.__name__}.{info.name}")
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, FlaskForm) and value.__module__ == module.__name__:
                found[value.__name__] = value
    return found


FORM_CLASSES = _form_classes()
FORM_CALL = re.compile(r"\b([A-Z]\w*Form)\(([^)]*)")


def form_fields(form_class: type[FlaskForm], prefix: str = "") -> list[str]:
    """The names a browser posts for `form_class` (with its prefix), `csrf_token` included."""
    names = {
        name
        for klass in form_class.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, UnboundField) and not name.startswith("_")
    }
    return [*sorted(f"{prefix}-{name}" if prefix else name for name in names), "csrf_token"]


def posted_fields(endpoint: str) -> list[str] | None:
    """The fields the view of `endpoint` reads from its form, or None when no form can be found."""
    if endpoint in FORMLESS_ENDPOINTS:
        return ["csrf_token"]
    source = inspect.getsource(_APP.view_functions[endpoint])
    names: set[str] = set()
    for form_name, arguments in FORM_CALL.findall(source):
        if form_name in FORM_CLASSES and "formdata=None" not in arguments:
            prefix = re.search(r'prefix="([^"]+)"', arguments)
            names.update(form_fields(FORM_CLASSES[form_name], prefix.group(1) if prefix else ""))
    return sorted(names) or None


def _query_parameters() -> dict[str, list[str]]:
    """Per web module, the query parameters its views read: `args.get/getlist("...")`, the fields of
    forms fed `request.args`, and `next` (read by the login redirect and the edit pages)."""
    found = {}
    for path in Path(expense_app.web.__file__).parent.glob("*.py"):
        source = path.read_text()
        names = {"next", *re.findall(r"args\.(?:get|getlist)\(\s*\"(\w+)\"", source)}
        for form_name in re.findall(r"\b([A-Z]\w*Form)\(formdata=request\.args", source):
            names.update(form_fields(FORM_CLASSES[form_name]))
        names.discard("csrf_token")
        found[f"{expense_app.web.__name__}.{path.stem}"] = sorted(names)
    return found


QUERY_PARAMETERS = _query_parameters()
ALL_QUERY_PARAMETERS = sorted({name for names in QUERY_PARAMETERS.values() for name in names})


def page_parameters(endpoint: str) -> list[str]:
    """The query parameters the module of `endpoint`'s view reads."""
    return QUERY_PARAMETERS.get(_APP.view_functions[endpoint].__module__, ["next"])


def _rules(method: str) -> list:
    params = []
    for rule in sorted(_APP.url_map.iter_rules(), key=lambda r: r.rule):
        blueprint = rule.endpoint.rpartition(".")[0]
        if (
            rule.rule.startswith("/api")
            or method not in (rule.methods or ())
            or rule.endpoint in EXCLUDED_ENDPOINTS
            or blueprint in EXCLUDED_BLUEPRINTS
        ):
            continue
        params.append(pytest.param(rule, id=f"{method} {rule.rule}"))
    return params


# --- the logged-in browser ---------------------------------------------------------------------------


class Browser:
    """A test client of the full user's, with the ids that fill the URL's `<int:...>` parts."""

    def __init__(self, app, full_user, rule):
        self.app = app
        self.full = full_user
        self.rule = rule
        self.client = app.test_client()
        declared = OBJECT_ENDPOINTS.get(rule.endpoint)
        self.kind = declared.kind if declared else None
        self.object_id = self._first_id() if rule.arguments else None

    def _first_id(self) -> int | str:
        if self.rule.endpoint in URL_SECRETS:
            return self._secret()
        if self.kind is None:
            pytest.fail(
                f"{self.rule.rule} takes {sorted(self.rule.arguments)}: declare endpoint {self.rule.endpoint!r} "
                "in OBJECT_ENDPOINTS (tests/security/matrix.py) so the fuzzer knows which object to open.",
                pytrace=False,
            )
        key = f"{self.kind.replace(' ', '_')}_id"
        if key in self.full.ids:
            return self.full.ids[key]
        # A kind the full user has no row of in that state (a staged import): made for the test.
        with self.app.app_context():
            return KINDS[self.kind].create(self.full.user)

    def _secret(self) -> str:
        # A new one per request: a reset that went through spent the last one.
        with self.app.app_context():
            (value,) = URL_SECRETS[self.rule.endpoint](self.full.user).values()
        return value

    def url(self) -> str:
        """The rule's path with the object id; the object is made again when a form deleted it."""
        if self.object_id is None:
            return self.rule.rule
        if self.rule.endpoint in URL_SECRETS:
            (argument,) = self.rule.arguments
            return re.sub(rf"<(?:[^:<>]+:)?{argument}>", self._secret(), self.rule.rule)
        with self.app.app_context():
            if KINDS[self.kind].read(self.object_id) is None:
                self.object_id = KINDS[self.kind].create(self.full.user)
        (argument,) = self.rule.arguments
        return re.sub(rf"<(?:[^:<>]+:)?{argument}>", str(self.object_id), self.rule.rule)

    def browser_session_id(self) -> str:
        """The flask-login id of a new server-side browser session of the full user (one per
        example: a fuzzed logout ends the session it ran in)."""
        with self.app.app_context():
            user = db.session.get(User, self.full.user.id)
            user.web_sid = sign_ins.start_web_session(user=user)
            return user.get_id()

    def start_example(self) -> None:
        """A fresh session: anonymous on the visitor pages, the full user's everywhere else."""
        with self.client.session_transaction() as session:
            session.clear()
            if self.rule.endpoint not in ANONYMOUS_ENDPOINTS:
                session["_user_id"] = self.browser_session_id()
                session["_fresh"] = True

    def category_ids(self) -> list[str]:
        """Two real categories of the user's: an empty one with a budget, and Food with expenses."""
        with self.app.app_context():
            food = factories.category_id(self.full.user, "Food")
        return [str(self.full.ids["category_id"]), str(food)]


@pytest.fixture
def browser_for(app, full_user):
    return lambda rule: Browser(app, full_user, rule)


def _explain(response) -> str:
    """The status and the page's title (or the start of the body)."""
    body = response.get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", body, re.S)
    return f"{response.status_code} {title.group(1).strip() if title else body[:120]!r}"


def base_form(fields: list[str], ids: list[str]) -> dict[str, str]:
    """A form with a valid value in every field that has one (the coverage pass varies one at a time)."""
    form = {}
    for name in fields:
        bare = name.removeprefix("quick-")
        if bare in ID_FIELDS:
            form[name] = ids[-1]
        elif bare in VALID_VALUES:
            form[name] = VALID_VALUES[bare][0]
    return form


def _report(failures: list[str]) -> str:
    shown = "\n".join(failures[:25])
    return f"{len(failures)} failing request(s):\n{shown}"


# --- the tests ---------------------------------------------------------------------------------------


def _get(browser: Browser, pairs: list[tuple[str, str]]) -> tuple[str, object]:
    browser.start_example()
    url = browser.url()
    response = browser.client.get(url, query_string=urlencode(pairs))
    # Reading the whole body runs streamed responses (the CSV export) to their end.
    response.get_data()
    return f"GET {url}?{urlencode(pairs)[:200]}", response


def _post(app, browser: Browser, pairs: list[tuple[str, str]]) -> str | None:
    """Post `pairs`; a description of what went wrong, or None."""
    browser.start_example()
    url = browser.url()
    with app.app_context():
        before = factories.all_rows()
    response = browser.client.post(url, data=MultiDict(pairs))
    response.get_data()
    sent = f"POST {url} {pairs!r:.300}"
    if response.status_code >= 500:
        return f"{sent} -> {_explain(response)}"
    if response.status_code != 302:
        with app.app_context():
            after = factories.all_rows()
        changed = factories.changed_tables(before, after)
        if changed:
            return f"{sent} was refused ({response.status_code}) but changed {changed}"
    return None


def _run(check, failures: list[str]) -> None:
    """Run the random pass, then fail with everything both passes found."""
    try:
        check()
    except AssertionError as error:
        failures.append(f"random pass: {error}")
    assert not failures, _report(failures)


def _fields_or_fail(rule) -> list[str]:
    fields = posted_fields(rule.endpoint)
    if fields is None:
        pytest.fail(
            f"POST {rule.rule}: no Flask-WTF form found in the view of {rule.endpoint!r}; add the endpoint to "
            "FORMLESS_ENDPOINTS in tests/fuzz/test_html_fuzz.py if it reads none.",
            pytrace=False,
        )
    return fields


@pytest.mark.parametrize("rule", _rules("GET"))
def test_page_survives_any_query_string(browser_for, rule):
    browser = browser_for(rule)

    # Coverage pass: every parameter the page's module reads, with each core hostile value alone.
    failures = []
    for name in page_parameters(rule.endpoint):
        for value in CORE_HOSTILE_VALUES:
            sent, response = _get(browser, [(name, value)])
            if response.status_code >= 500:
                failures.append(f"{sent} -> {_explain(response)}")

    # Random pass: any mix of known and unknown keys, repeated, with any values.
    @FUZZ
    @given(pairs=pairs_for(ALL_QUERY_PARAMETERS, browser.category_ids(), complete=False))
    def check(pairs):
        sent, response = _get(browser, pairs)
        assert response.status_code < 500, f"{sent} -> {_explain(response)}"

    _run(check, failures)


@pytest.mark.parametrize("rule", _rules("POST"))
def test_form_survives_any_fields_and_changes_nothing_when_refused(app, browser_for, rule):
    fields = _fields_or_fail(rule)
    browser = browser_for(rule)
    ids = browser.category_ids()

    # Coverage pass: each field with each core hostile value, the other fields valid. The token and
    # the submit button are not read by the views (CSRF is off in tests): the random pass sends them.
    base = base_form(fields, ids)
    failures = []
    for name in (field for field in fields if field != "csrf_token" and not field.endswith("submit")):
        for value in CORE_HOSTILE_VALUES:
            failure = _post(app, browser, list({**base, name: value}.items()))
            if failure:
                failures.append(failure)

    # Random pass: whole forms and partial ones, repeated fields, unknown fields, any values.
    @FUZZ
    @given(pairs=pairs_for(fields, ids, complete=True))
    def check(pairs):
        failure = _post(app, browser, pairs)
        assert failure is None, failure

    _run(check, failures)
