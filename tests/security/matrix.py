"""The security matrix's view of the app: every route from the URL map, and what each one needs.

The tests in this folder are parametrized over `ROUTES`, read from the URL map of a real app, so a
route added tomorrow is in the matrix tomorrow. What cannot be derived from the map is declared
here, in one place, and a route that is not covered by a declaration fails with a message saying
what to add:

- `OBJECT_ENDPOINTS`: every endpoint whose URL takes an object id, with the kind of object (which
  factory makes the victim's object, how to read it back) and the request a second user sends.
- `PUBLIC_ENDPOINTS` / `PUBLIC_BLUEPRINTS`: HTML routes reachable without logging in.
- `API_PUBLIC_OPERATIONS`: the only /api/v1 operations that take no token.
- `API_WRITE_BODIES`: a valid body for every API operation that accepts one (mass assignment and
  injection tests start from it).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import current_app
from werkzeug.routing import IntegerConverter, Rule, UUIDConverter

from expense_app.extensions import db
from expense_app.models import (
    Budget,
    BudgetVersion,
    Category,
    Expense,
    ImportBatch,
    ImportPreset,
    ImportRow,
    PersonalAccessToken,
    RecurringExpense,
    RecurringOccurrence,
    RuleRun,
    RuleRunChange,
    User,
)
from expense_app.models import Rule as CategorisationRule  # `Rule` is werkzeug's URL rule here
from expense_app.services import categorization, import_presets, imports, mfa, mfa_challenges
from tests import factories
from tests.conftest import PASSWORD, make_app

API_PREFIX = "/api/v1/"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})

# HTML routes anyone may open: the auth pages, static files, probes, metrics and the API docs.
# Not `auth.two_factor` (the login's second step): without a pending challenge it sends the visitor
# to /login as a protected page does; tests/web/test_two_factor.py covers it with one.
PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.login",
        "auth.register",
        "static",
        "prometheus_metrics",
        # Issue 16 (recovery): the forgotten-password pages
        "password_reset.forgot_password",
        "password_reset.reset_password",
    }
)
PUBLIC_BLUEPRINTS = frozenset({"health", "api-docs", "docs_redirects", "swagger_ui_assets"})
# Pages that exist only with a setting the test app does not have (mail: MAIL_SERVER); they are
# tested with it in their own tests (tests/web/test_password_reset.py).
MAY_BE_ABSENT = frozenset({"password_reset.forgot_password"})
# The readiness probe answers 503 while the schema is behind the code (e.g. a migration in progress).
MAY_BE_UNAVAILABLE = frozenset({"health.health_db"})
# The only API operations that work without a token (refresh and logout need one: they are tested).
API_PUBLIC_OPERATIONS = frozenset(
    {
        ("Authentication.register", "POST"),
        ("Authentication.login", "POST"),
        ("Authentication.login_second_factor", "POST"),
    }
)


@dataclass(frozen=True)
class Route:
    """One (URL rule, HTTP method) pair of the app."""

    rule: str
    method: str
    endpoint: str
    id_arguments: tuple[str, ...]
    arguments: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.rule.startswith(API_PREFIX)

    @property
    def is_public_page(self) -> bool:
        blueprint = self.endpoint.rpartition(".")[0]
        return self.endpoint in PUBLIC_ENDPOINTS or blueprint in PUBLIC_BLUEPRINTS

    @property
    def is_public_api(self) -> bool:
        return (self.endpoint, self.method) in API_PUBLIC_OPERATIONS

    @property
    def writes(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")

    def url(self, **values) -> str:
        """The path with each `<converter:name>` replaced by `values[name]` (1 / "x" when absent)."""

        def fill(match: re.Match) -> str:
            name = match.group(2)
            if name in values:
                return str(values[name])
            return "1" if name in self.id_arguments else "x"

        return re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", fill, self.rule)

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def _is_id(rule: Rule, name: str) -> bool:
    converter = rule._converters[name]
    return isinstance(converter, IntegerConverter | UUIDConverter) or name.endswith("_id")


def _routes() -> list[Route]:
    app = make_app("sqlite://")  # never connects: only the URL map is read
    routes = []
    for rule in app.url_map.iter_rules():
        ids = tuple(name for name in rule.arguments if _is_id(rule, name))
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            routes.append(Route(rule.rule, method, rule.endpoint, ids, tuple(sorted(rule.arguments))))
    return sorted(routes, key=lambda route: (route.rule, route.method))


ROUTES = _routes()


def routes(predicate: Callable[[Route], bool]) -> list:
    """`ROUTES` matching `predicate`, as pytest params with readable ids."""
    return [pytest.param(route, id=str(route)) for route in ROUTES if predicate(route)]


# --- objects a user owns ---------------------------------------------------------------------------


def food_of(user: User) -> int:
    """The id of `user`'s starter category Food (inside an app context)."""
    return factories.category_id(user, "Food")


def database_state() -> dict[str, list]:
    """Every row of every table (inside an app context), to prove that a request changed nothing."""
    return factories.all_rows()


def _row(model, object_id: int) -> dict | None:
    row = db.session.execute(sa.select(model.__table__).where(model.id == object_id)).mappings().first()
    return dict(row) if row is not None else None


def make_category(owner: User) -> int:
    """A category of `owner` with no expenses (so deleting it would succeed if ownership were ignored)."""
    return factories.create_category(owner, name=factories.unique("Victim's savings {}"), icon="lock")


def read_category(object_id: int) -> dict | None:
    return _row(Category, object_id)


def make_expense(owner: User) -> int:
    return factories.create_expense(
        owner, amount="123.45", description="Victim's dinner", tags=["private"], notes="only mine"
    )


def read_expense(object_id: int) -> dict | None:
    row = _row(Expense, object_id)
    if row is not None:
        expense = db.session.get(Expense, object_id, options=[sa.orm.selectinload(Expense.tags)])
        row["tags"] = sorted(tag.name for tag in expense.tags)
    return row


def make_budget(owner: User) -> int:
    return factories.create_budget(owner, amount="500.00")


def read_budget(object_id: int) -> dict | None:
    row = _row(Budget, object_id)
    if row is not None:
        versions = db.session.execute(sa.select(BudgetVersion.__table__).where(BudgetVersion.budget_id == object_id))
        row["versions"] = sorted(map(repr, versions.all()))
    return row


def recurring_start() -> dt.date:
    """The first date of the recurring expenses made here: soon, so it is the next occurrence."""
    return dt.date.today() + dt.timedelta(days=3)


def make_recurring(owner: User) -> int:
    return factories.create_recurring(
        owner, amount="950.00", start_date=recurring_start(), description="Victim's rent", tags=["home"]
    )


def make_paused_recurring(owner: User) -> int:
    """A paused recurring expense (resuming it is a change the matrix can see)."""
    return factories.create_paused_recurring(
        owner, amount="950.00", start_date=recurring_start(), description="Victim's rent", tags=["home"]
    )


def read_recurring(object_id: int) -> dict | None:
    row = _row(RecurringExpense, object_id)
    if row is not None:
        template = db.session.get(RecurringExpense, object_id, options=[sa.orm.selectinload(RecurringExpense.tags)])
        row["tags"] = sorted(tag.name for tag in template.tags)
        occurrences = db.session.execute(
            sa.select(RecurringOccurrence.__table__).where(RecurringOccurrence.recurring_id == object_id)
        )
        row["occurrences"] = sorted(map(repr, occurrences.all()))
    return row


@dataclass(frozen=True)
class ObjectKind:
    """How to create an object for a user (returns its id) and read it back (None when gone)."""

    create: Callable[[User], int]
    read: Callable[[int], dict | None]


# --- issue 14, the Rules API (rapi): rules and rule runs ---------------------------------------------


def make_rule(owner: User) -> int:
    return categorization.create_rule(
        user=owner,
        name="Victim's rule",
        conditions=[{"field": "description", "operator": "contains", "value": "victim"}],
        actions=[{"type": "add_tags", "tags": ["private"]}],
    ).id


def read_rule(object_id: int) -> dict | None:
    return _row(CategorisationRule, object_id)


def make_rule_run(owner: User) -> int:
    """An applied run that changed one expense; its rule is deleted after, so the owner's rules
    stay those of `make_rule` (the order body lists them)."""
    expense_id = factories.create_expense(owner, amount="7.00", description="Victim's lunch")
    day = db.session.get(Expense, expense_id).date
    rule_id = make_rule(owner)
    run = categorization.apply_run(user=owner, date_from=day, date_to=day, rule_ids=[rule_id])
    categorization.delete_rule(user=owner, rule_id=rule_id)
    return run.id


def read_rule_run(object_id: int) -> dict | None:
    row = _row(RuleRun, object_id)
    if row is not None:
        changes = db.session.execute(sa.select(RuleRunChange.__table__).where(RuleRunChange.run_id == object_id))
        row["changes"] = sorted(map(repr, changes.all()))
    return row


def rule_document(c: Context) -> dict:
    return {
        "conditions": [{"field": "description", "operator": "contains", "value": "lunch"}],
        "actions": [{"type": "set_category", "category_id": c.category_id}, {"type": "add_tags", "tags": ["meal"]}],
    }


# --- end of the Rules API block ------------------------------------------------------------------


# --- issue 15, the import pages (h-web): a staged import batch -------------------------------------

IMPORT_CSV = (
    b"Date,Amount,Description\n2020-02-10,-4.20,Matrix snack\n2020-02-11,-9.99,Matrix book\n2020-02-12,30.00,Refund\n"
)


# The first row of the batch made last: the row form names its row in the body, which an attack
# body (built from the Attacker alone) cannot look up, so the factory leaves it here.
LAST_IMPORT_ROW: dict[str, int] = {}


def make_import_batch(owner: User) -> int:
    """A staged (not committed) import of a three-row CSV, with a default category."""
    batch = imports.create_batch(user=owner, data=IMPORT_CSV, filename="matrix.csv", default_category_id=food_of(owner))
    LAST_IMPORT_ROW["id"] = db.session.scalar(
        sa.select(sa.func.min(ImportRow.id)).where(ImportRow.batch_id == batch.id)
    )
    return batch.id


IMPORT_QIF = b"!Type:Bank\nD02/03/2020\nT-12.50\nPMatrix beans\n^\n"


def make_qif_import_batch(owner: User) -> int:
    """A staged QIF import whose dates read both ways (it asks the day/month order)."""
    return imports.create_batch(
        user=owner, data=IMPORT_QIF, filename="matrix.qif", default_category_id=food_of(owner)
    ).id


def make_committed_import_batch(owner: User) -> int:
    """The same import, committed (what undo takes)."""
    batch_id = make_import_batch(owner)
    imports.commit_batch(user=owner, batch_id=batch_id)
    return batch_id


def read_import_batch(object_id: int) -> dict | None:
    found = _row(ImportBatch, object_id)
    if found is None:
        return None
    rows = db.session.scalars(sa.select(ImportRow).where(ImportRow.batch_id == object_id).order_by(ImportRow.id))
    found["rows"] = [(row.status, row.include, row.category_id, tuple(row.tags), row.expense_id) for row in rows]
    return found


def _import_row_form(attacker: Attacker) -> dict:
    return {
        "data": {
            "row_id": str(LAST_IMPORT_ROW.get("id", "")),
            "includable": "1",
            "include": "y",
            "category_id": str(attacker.category_id),
        }
    }


def _import_mapping_form(attacker: Attacker) -> dict:
    return {
        "data": {
            "encoding": "utf-8",
            "delimiter": ",",
            "quotechar": '"',
            "thousands": "",
            "amount_sign": "negative_is_expense",
            "column_description": "Description",
            "skip_rows": "0",
            "has_header": "y",
            "date_format": "%Y-%m-%d",
            "decimal": ".",
            "column_date": "Date",
            "column_amount": "Amount",
            "preset_name": "Taken over",
            "apply": "Use these settings",
        }
    }


# --- issue 15, the Import API: presets (batches are the import pages' kinds above) -----------------


def make_import_preset(owner: User) -> int:
    return import_presets.create_preset(
        user=owner,
        name=factories.unique("Victim's bank {}"),
        settings={"delimiter": ",", "has_header": True, "date_format": "%Y-%m-%d"},
    ).id


def read_import_preset(object_id: int) -> dict | None:
    return _row(ImportPreset, object_id)


def last_import_row() -> int:
    """The first row of the staged batch made last (`make_import_batch`), for URLs that name a row."""
    return LAST_IMPORT_ROW["id"]


KINDS = {
    "category": ObjectKind(make_category, read_category),
    "expense": ObjectKind(make_expense, read_expense),
    "budget": ObjectKind(make_budget, read_budget),
    "recurring": ObjectKind(make_recurring, read_recurring),
    "paused recurring": ObjectKind(make_paused_recurring, read_recurring),
    # Rules API (rapi)
    "rule": ObjectKind(make_rule, read_rule),
    "rule run": ObjectKind(make_rule_run, read_rule_run),
    # Import pages (h-web)
    # `import batch` is committed, as the full user's (`factories.create_committed_import`).
    "staged import batch": ObjectKind(make_import_batch, read_import_batch),
    "import batch": ObjectKind(make_committed_import_batch, read_import_batch),
    "staged qif import batch": ObjectKind(make_qif_import_batch, read_import_batch),
    # Import API
    "import preset": ObjectKind(make_import_preset, read_import_preset),
}


@dataclass(frozen=True)
class Attacker:
    """What the second user's requests may refer to: their own category, for forms that need one."""

    category_id: int


# A request a second user sends to a write route: request kwargs for the test client.
AttackBody = Callable[[Attacker], dict]


def _expense_form(attacker: Attacker) -> dict:
    return {
        "data": {
            "amount": "1.00",
            "date": "2026-01-01",
            "category_id": str(attacker.category_id),
            "description": "taken over",
            "payment_method": "cash",
            "currency": "USD",
            "tags": "",
            "notes": "",
        }
    }


def this_month() -> str:
    return dt.date.today().strftime("%Y-%m")


def _recurring_form(attacker: Attacker) -> dict:
    return {
        "amount": "1.00",
        "category_id": str(attacker.category_id),
        "description": "taken over",
        "start_date": recurring_start().isoformat(),
        "interval_count": "1",
        "interval_unit": "week",
        "payment_method": "cash",
        "currency": "USD",
        "scope": "all",
    }


@dataclass(frozen=True)
class ObjectEndpoint:
    """`kind`: the object the route's id names. `other_ids`: for a route that names a second id
    (a row of the batch), how to read the victim's one after their object was made."""

    kind: str
    attack: dict[str, AttackBody] = field(default_factory=dict)
    other_ids: dict[str, Callable[[], int]] = field(default_factory=dict)

    def object_argument(self, route: Route) -> str:
        (name,) = (name for name in route.id_arguments if name not in self.other_ids)
        return name

    def url(self, route: Route, object_id: int) -> str:
        """`route`'s path naming `object_id`, and the victim's own object for every other id."""
        others = {name: read() for name, read in self.other_ids.items()}
        return route.url(**others, **{self.object_argument(route): object_id})


OBJECT_ENDPOINTS: dict[str, ObjectEndpoint] = {
    # API
    "Categories.CategoryItem": ObjectEndpoint(
        "category", {"PATCH": lambda a: {"json": {"name": "Taken over", "color": "#000000", "icon": "x"}}}
    ),
    "Expenses.ExpenseItem": ObjectEndpoint(
        "expense",
        {"PATCH": lambda a: {"json": {"amount": "1.00", "description": "taken over", "tags": []}}},
    ),
    "Budgets.BudgetItem": ObjectEndpoint(
        "budget", {"PATCH": lambda a: {"json": {"amount": "1.00", "rollover": "surplus"}}}
    ),
    "Recurring.RecurringItem": ObjectEndpoint(
        "recurring", {"PATCH": lambda a: {"json": {"amount": "1.00", "description": "taken over"}}}
    ),
    "Recurring.RecurringPause": ObjectEndpoint("recurring", {"POST": lambda a: {}}),
    "Recurring.RecurringResume": ObjectEndpoint("paused recurring", {"POST": lambda a: {}}),
    "Recurring.RecurringSkip": ObjectEndpoint(
        "recurring", {"POST": lambda a: {"json": {"date": recurring_start().isoformat()}}}
    ),
    # Rules API (rapi)
    "Rules.RuleItem": ObjectEndpoint("rule", {"PATCH": lambda a: {"json": {"name": "Taken over", "active": False}}}),
    "Rules.RuleRunUndo": ObjectEndpoint("rule run", {"POST": lambda a: {}}),
    # Import API: the batch kinds are the import pages' (staged, or committed for undo)
    "Import.ImportItem": ObjectEndpoint("staged import batch", {"PATCH": lambda a: {"json": {"source": "Taken over"}}}),
    "Import.ImportReadPreview": ObjectEndpoint(
        "staged import batch", {"POST": lambda a: {"json": {"settings": {"delimiter": ";"}}}}
    ),
    "Import.ImportRows": ObjectEndpoint(
        "staged import batch", {"PATCH": lambda a: {"json": {"status": "new", "include": False}}}
    ),
    "Import.ImportRow": ObjectEndpoint(
        "staged import batch",
        {"PATCH": lambda a: {"json": {"include": False, "tags": ["taken"]}}},
        other_ids={"row_id": last_import_row},
    ),
    "Import.ImportCommit": ObjectEndpoint("staged import batch", {"POST": lambda a: {}}),
    "Import.ImportEditedExpenses": ObjectEndpoint("import batch"),
    "Import.ImportUndo": ObjectEndpoint("import batch", {"POST": lambda a: {"json": {"edited": "delete"}}}),
    "ImportPresets.PresetItem": ObjectEndpoint("import preset", {"PATCH": lambda a: {"json": {"name": "Taken over"}}}),
    # HTML
    "expenses.show": ObjectEndpoint("expense"),
    "expenses.edit": ObjectEndpoint("expense", {"POST": _expense_form}),
    "expenses.delete": ObjectEndpoint("expense", {"POST": lambda a: {"data": {}}}),
    "categories.edit": ObjectEndpoint(
        "category", {"POST": lambda a: {"data": {"name": "Taken over", "color": "#000000", "icon": "x"}}}
    ),
    "categories.delete": ObjectEndpoint("category", {"POST": lambda a: {"data": {"reassign_to": ""}}}),
    "budgets.edit": ObjectEndpoint(
        "budget",
        {"POST": lambda a: {"data": {"amount": "1.00", "rollover": "surplus", "effective_from": this_month()}}},
    ),
    "budgets.delete": ObjectEndpoint("budget", {"POST": lambda a: {"data": {}}}),
    "recurring.edit": ObjectEndpoint("recurring", {"POST": lambda a: {"data": _recurring_form(a)}}),
    "recurring.pause": ObjectEndpoint("recurring", {"POST": lambda a: {"data": {}}}),
    "recurring.resume": ObjectEndpoint("paused recurring", {"POST": lambda a: {"data": {}}}),
    "recurring.skip": ObjectEndpoint(
        "recurring", {"POST": lambda a: {"data": {"date": recurring_start().isoformat()}}}
    ),
    "recurring.delete": ObjectEndpoint("recurring", {"POST": lambda a: {"data": {}}}),
    # Import pages (h-web)
    "imports.show": ObjectEndpoint("staged import batch"),
    "imports.mapping_preview": ObjectEndpoint("staged import batch"),
    "imports.apply_mapping": ObjectEndpoint("staged import batch", {"POST": _import_mapping_form}),
    "imports.save_preset": ObjectEndpoint("staged import batch", {"POST": _import_mapping_form}),
    "imports.update_row": ObjectEndpoint("staged import batch", {"POST": _import_row_form}),
    "imports.bulk": ObjectEndpoint(
        "staged import batch", {"POST": lambda a: {"data": {"scope": "status", "status": "new", "action": "exclude"}}}
    ),
    "imports.set_defaults": ObjectEndpoint(
        "staged import batch", {"POST": lambda a: {"data": {"default_category_id": str(a.category_id)}}}
    ),
    "imports.set_date_order": ObjectEndpoint(
        "staged qif import batch", {"POST": lambda a: {"data": {"date_order": "dmy"}}}
    ),
    "imports.commit": ObjectEndpoint("staged import batch", {"POST": lambda a: {"data": {}}}),
    "imports.undo": ObjectEndpoint("import batch", {"POST": lambda a: {"data": {"edited": "delete"}}}),
}


def object_endpoint(route: Route) -> ObjectEndpoint:
    """The declaration for an id-taking route; fails the test when there is none."""
    declared = OBJECT_ENDPOINTS.get(route.endpoint)
    if declared is None:
        pytest.fail(
            f"{route} takes an object id ({', '.join(route.id_arguments)}) but endpoint {route.endpoint!r} "
            "is not in OBJECT_ENDPOINTS in tests/security/matrix.py: add it with the kind of object it "
            "reads or changes (add a factory to KINDS for a new kind), so the matrix can prove that a "
            "second user gets 404 there.",
            pytrace=False,
        )
    if len(set(route.id_arguments) - set(declared.other_ids)) != 1:
        pytest.fail(
            f"{route} takes several ids: name all but the object's in OBJECT_ENDPOINTS[{route.endpoint!r}].other_ids."
        )
    return declared


# --- the forms of the web face ---------------------------------------------------------------------

NEW_PASSWORD = "a brand new passphrase"

# The form each state-changing page posts (id-taking routes use OBJECT_ENDPOINTS' bodies).
FORM_BODIES: dict[str, Callable[[Attacker], dict]] = {
    "auth.login": lambda a: {"email": "csrf@example.com", "password": PASSWORD},
    "auth.register": lambda a: {"email": "newcomer@example.com", "password": PASSWORD, "full_name": "New"},
    "auth.logout": lambda a: {},
    "auth.two_factor": lambda a: {"code": "123456"},
    "two_factor.start": lambda a: {},
    "two_factor.confirm": lambda a: {"code": "123456"},
    "two_factor.regenerate": lambda a: {"password": PASSWORD, "code": "123456"},
    "two_factor.disable": lambda a: {"password": PASSWORD, "code": "123456"},
    "settings.profile": lambda a: {"full_name": "Changed by a forged form", "currency": "EUR"},
    "settings.password": lambda a: {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    "settings.delete": lambda a: {"password": PASSWORD},
    "categories.create": lambda a: {"name": "Forged category", "color": "#000000", "icon": ""},
    "budgets.create": lambda a: {"category_id": "", "amount": "400.00", "rollover": "none", "effective_from": ""},
    "recurring.new": _recurring_form,
    "expenses.bulk": lambda a: {"scope": "filter", "action": "payment_method", "payment_method": "cash"},
    "expenses.undo": lambda a: {"batch_id": "00000000-0000-4000-8000-000000000000"},
    # The upload form without its file: with a token it is refused for the missing file (422).
    "imports.upload": lambda a: {"preset": "", "default_category_id": str(a.category_id)},
}
EXPENSE_FORM = {
    "amount": "66.60",
    "date": "2026-01-02",
    "description": "Forged expense",
    "payment_method": "cash",
    "currency": "USD",
    "tags": "forged",
    "notes": "",
}


def form_for(route: Route, attacker: Attacker) -> dict:
    """The form `route` expects, filled with valid values; fails the test when none is declared."""
    if route.endpoint in FORM_BODIES:
        return FORM_BODIES[route.endpoint](attacker)
    if route.endpoint in ("expenses.new", "expenses.quick_add"):
        prefix = "quick-" if route.endpoint == "expenses.quick_add" else ""
        body = {**EXPENSE_FORM, "category_id": str(attacker.category_id)}
        return {f"{prefix}{key}": value for key, value in body.items()}
    declared = OBJECT_ENDPOINTS.get(route.endpoint)
    if declared is not None and route.method in declared.attack:
        return dict(declared.attack[route.method](attacker)["data"])
    pytest.fail(
        f"{route}: declare the form it posts in FORM_BODIES (tests/security/matrix.py), "
        "or in OBJECT_ENDPOINTS when it takes an id.",
        pytrace=False,
    )


# --- the rules pages (issue 14, web face) -----------------------------------------------------------
# Declared in a block of their own, added to the tables above, so the API's rule entries (another
# block) and these merge without touching the same lines. The kinds `rule` and `rule run` are the
# Rules API block's when it defines them (`setdefault`): one definition of each kind for both faces;
# the web's own below serve until then, under names of their own.


def make_web_rule(owner: User) -> int:
    """A rule of `owner` that is not their first (so "move up" would change it), on their Food."""
    from expense_app.services import categorization

    food = food_of(owner)
    if not categorization.list_rules(user=owner):
        categorization.create_rule(
            user=owner,
            name="Victim's first rule",
            conditions=[{"field": "description", "operator": "contains", "value": "rent"}],
            actions=[{"type": "add_tags", "tags": ["home"]}],
        )
    rule = categorization.create_rule(
        user=owner,
        name=factories.unique("Victim's coffee rule {}"),
        conditions=[{"field": "description", "operator": "contains", "value": "coffee"}],
        actions=[{"type": "set_category", "category_id": food}, {"type": "add_tags", "tags": ["coffee"]}],
    )
    return rule.id


def read_web_rule(object_id: int) -> dict | None:
    from expense_app.models import Rule

    return _row(Rule, object_id)


def make_web_rule_run(owner: User) -> int:
    """An applied run of `owner`'s that changed one expense (undoing it would change it back).

    It runs on the owner's "Victim's dinner" (`make_expense`'s) when they have it, so a Context,
    which makes every kind, holds no expense more than before (tests count them)."""
    from expense_app.services import categorization

    day = factories.DEFAULT_DATE
    has_dinner = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Expense)
        .where(Expense.user_id == owner.id, Expense.description == "Victim's dinner", Expense.date == day)
    )
    if not has_dinner:
        make_expense(owner)
    rule = categorization.create_rule(
        user=owner,
        name=factories.unique("Victim's dinner rule {}"),
        conditions=[{"field": "description", "operator": "equals", "value": "victim's dinner"}],
        actions=[{"type": "add_tags", "tags": [factories.unique("ruled{}")]}],
    )
    return categorization.apply_run(user=owner, date_from=day, date_to=day, rule_ids=[rule.id]).id


def read_web_rule_run(object_id: int) -> dict | None:
    from expense_app.models import RuleRun, RuleRunChange

    row = _row(RuleRun, object_id)
    if row is not None:
        changes = db.session.execute(sa.select(RuleRunChange.__table__).where(RuleRunChange.run_id == object_id))
        row["changes"] = sorted(map(repr, changes.all()))
    return row


def _rule_form(attacker: Attacker) -> dict:
    return {
        "name": "Taken over",
        "match": "all",
        "conditions-0-field": "description",
        "conditions-0-operator": "contains",
        "conditions-0-value": "taken",
        "actions-0-type": "set_category",
        "actions-0-category_id": str(attacker.category_id),
        "active": "y",
    }


def _run_form(attacker: Attacker) -> dict:
    return {"date_from": (dt.date.today() - dt.timedelta(days=30)).isoformat(), "date_to": dt.date.today().isoformat()}


KINDS.setdefault("rule", ObjectKind(make_web_rule, read_web_rule))
KINDS.setdefault("rule run", ObjectKind(make_web_rule_run, read_web_rule_run))
OBJECT_ENDPOINTS.update(
    {
        "rules.edit": ObjectEndpoint("rule", {"POST": lambda a: {"data": _rule_form(a)}}),
        "rules.move": ObjectEndpoint("rule", {"POST": lambda a: {"data": {"direction": "up"}}}),
        "rules.set_active": ObjectEndpoint("rule", {"POST": lambda a: {"data": {"active": "0"}}}),
        "rules.delete": ObjectEndpoint("rule", {"POST": lambda a: {"data": {}}}),
        "rules.show_run": ObjectEndpoint("rule run"),
        "rules.undo_run": ObjectEndpoint("rule run", {"POST": lambda a: {"data": {}}}),
    }
)
FORM_BODIES.update(
    {
        "rules.new": _rule_form,
        "rules.live_preview": _rule_form,
        "rules.accept_suggestion": lambda a: {"key": "coffee->1"},
        "rules.apply_run": _run_form,
    }
)


# --- the JSON bodies of the API --------------------------------------------------------------------


class Context:
    """What a valid body may refer to: the user, and one object of each kind of theirs (`ids`)."""

    def __init__(self, user: User):
        self.user = user
        self.ids = {f"{kind}_id": factory.create(user) for kind, factory in KINDS.items()}
        # A deletion to undo, for `POST /expenses/restore` (its body is built outside an app context).
        self.deleted_batch_id = factories.expenses.delete_expense(
            user=user, expense_id=factories.create_expense(user, amount="4.00")
        ).batch_id
        self._numbers = itertools.count(1)
        self.app = current_app._get_current_object()
        self.totp_secret = ""
        # The Import API's ids: a staged batch and its first row, a committed batch (for undo), a preset.
        self.ids["batch_id"] = self.ids["staged import batch_id"]
        self.ids["row_id"] = db.session.scalar(
            sa.select(sa.func.min(ImportRow.id)).where(ImportRow.batch_id == self.ids["batch_id"])
        )
        self.ids["preset_id"] = self.ids["import preset_id"]

    def url(self, route: Route) -> str:
        """`route`'s path naming this user's objects (`API_URL_IDS` where a route needs other ones)."""
        override = API_URL_IDS.get((route.endpoint, route.method))
        return route.url(**{**self.ids, **(override(self) if override else {})})

    @property
    def category_id(self) -> int:
        return self.ids["category_id"]

    # Two-factor sign-in state, made when a body needs it (the user's API token, issued by a
    # password login before, stays valid when 2FA is turned on afterwards).
    def _two_factor_secret(self) -> str:
        if not self.totp_secret:
            with self.app.app_context():
                self.totp_secret, _ = factories.enable_two_factor(self.user)
        return self.totp_secret

    def two_factor_code(self) -> str:
        """A code not used yet (the enrolment spent the current step)."""
        return factories.totp_code(self._two_factor_secret(), steps=1)

    def two_factor_challenge(self) -> dict:
        secret = self._two_factor_secret()
        with self.app.app_context():
            token = mfa_challenges.begin(user=db.session.get(User, self.user.id), purpose="api")
        return {"mfa_token": token, "code": factories.totp_code(secret, steps=1)}

    def pending_enrolment_code(self) -> str:
        with self.app.app_context():
            secret, _ = mfa.start_enrolment(user=db.session.get(User, self.user.id))
        return factories.totp_code(secret)

    def unique(self, text: str) -> str:
        """`text` with a number no other call returned, for values that must not repeat."""
        return text.format(next(self._numbers))


# Operations whose id must name another object than `Context.ids`' one: undo takes a committed batch.
API_URL_IDS: dict[tuple[str, str], Callable[[Context], dict]] = {
    ("Import.ImportUndo", "POST"): lambda c: {"batch_id": c.ids["import batch_id"]},
}

# A valid JSON body for every API operation that takes one.
API_BODIES: dict[tuple[str, str], Callable[[Context], dict]] = {
    ("Authentication.register", "POST"): lambda c: {"email": c.unique("newcomer{}@example.com"), "password": PASSWORD},
    ("Authentication.login", "POST"): lambda c: {"email": c.user.email, "password": PASSWORD},
    # Two-factor sign-in: valid bodies need its state (a pending enrolment, 2FA on, a challenge).
    ("Authentication.login_second_factor", "POST"): lambda c: c.two_factor_challenge(),
    ("Two-factor.Confirm", "POST"): lambda c: {"code": c.pending_enrolment_code()},
    ("Two-factor.RecoveryCodes", "POST"): lambda c: {"password": PASSWORD, "code": c.two_factor_code()},
    ("Two-factor.Disable", "POST"): lambda c: {"password": PASSWORD, "code": c.two_factor_code()},
    ("Categories.CategoryCollection", "POST"): lambda c: {"name": c.unique("Mass {}"), "color": "#111111"},
    ("Categories.CategoryItem", "PATCH"): lambda c: {"name": "Mass renamed"},
    ("Expenses.ExpenseCollection", "POST"): lambda c: {
        "amount": "5.00",
        "date": "2026-01-03",
        "category_id": c.category_id,
    },
    ("Expenses.ExpenseItem", "PATCH"): lambda c: {"amount": "6.00"},
    ("Users.Me", "PATCH"): lambda c: {"full_name": "Mass"},
    ("Users.MyPassword", "POST"): lambda c: {"current_password": PASSWORD, "new_password": "another passphrase"},
    ("Budgets.BudgetCollection", "POST"): lambda c: {"category_id": c.category_id, "amount": "300.00"},
    ("Budgets.BudgetItem", "PATCH"): lambda c: {"amount": "350.00"},
    ("Recurring.RecurringCollection", "POST"): lambda c: {
        "amount": "20.00",
        "category_id": c.category_id,
        "start_date": dt.date.today().isoformat(),
    },
    ("Recurring.RecurringItem", "PATCH"): lambda c: {"amount": "21.00"},
    ("Recurring.RecurringSkip", "POST"): lambda c: {"date": recurring_start().isoformat()},
    ("Expenses.ExpenseBulkCreate", "POST"): lambda c: {
        "expenses": [{"amount": "5.00", "date": "2026-01-03", "category_id": c.category_id}]
    },
    ("Expenses.ExpenseBulkUpdate", "POST"): lambda c: {"ids": [c.ids["expense_id"]], "payment_method": "cash"},
    ("Expenses.ExpenseBulkDelete", "POST"): lambda c: {"ids": [c.ids["expense_id"]]},
    ("Expenses.ExpenseRestore", "POST"): lambda c: {"batch_id": c.deleted_batch_id},
    # Rules API (rapi)
    ("Rules.RuleCollection", "POST"): lambda c: {"name": "Lunch", **rule_document(c)},
    ("Rules.RuleItem", "PATCH"): lambda c: {"name": "Mass renamed"},
    ("Rules.RuleOrder", "PUT"): lambda c: {"rule_ids": [c.ids["rule_id"]]},
    ("Rules.RuleTest", "POST"): lambda c: {**rule_document(c), "sample": {"description": "Lunch", "amount": "9.00"}},
    ("Rules.RulePreview", "POST"): lambda c: rule_document(c),
    ("Rules.RuleRunStart", "POST"): lambda c: {"date_from": "2026-01-01", "date_to": "2026-12-31"},
    # Import API (the upload is multipart/form-data: see `upload_schema`)
    ("Import.ImportItem", "PATCH"): lambda c: {"source": "Mass bank"},
    ("Import.ImportReadPreview", "POST"): lambda c: {"settings": {"delimiter": ","}},
    ("Import.ImportRows", "PATCH"): lambda c: {"status": "new", "include": True},
    ("Import.ImportRow", "PATCH"): lambda c: {"include": False},
    ("Import.ImportUndo", "POST"): lambda c: {},
    ("ImportPresets.PresetCollection", "POST"): lambda c: {
        "name": c.unique("Mass bank {}"),
        "settings": {"delimiter": ",", "has_header": True},
    },
    ("ImportPresets.PresetItem", "PATCH"): lambda c: {"name": c.unique("Mass renamed {}")},
}


def openapi(app) -> dict:
    """The app's own OpenAPI document."""
    return app.test_client().get("/api/openapi.json").json


def resolve(spec: dict, schema: dict) -> dict:
    """`schema` with its `$ref` followed (to components/schemas)."""
    while "$ref" in schema:
        node = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def request_schema(spec: dict, route: Route) -> dict | None:
    """The JSON body schema of `route` in the OpenAPI document, or None when it takes no body."""
    operation = spec["paths"].get(spec_rule(route), {}).get(route.method.lower(), {})
    body = operation.get("requestBody")
    if body is None or "application/json" not in body["content"]:
        return None
    return resolve(spec, body["content"]["application/json"]["schema"])


def upload_schema(spec: dict, route: Route) -> dict | None:
    """The multipart/form-data body schema of `route` (the statement upload), or None."""
    operation = spec["paths"].get(spec_rule(route), {}).get(route.method.lower(), {})
    body = operation.get("requestBody") or {"content": {}}
    form = body["content"].get("multipart/form-data")
    return resolve(spec, form["schema"]) if form is not None else None


def query_parameters(spec: dict, route: Route) -> list[dict]:
    """The query parameters of `route` in the OpenAPI document."""
    operation = spec["paths"].get(spec_rule(route), {}).get(route.method.lower(), {})
    return [param for param in operation.get("parameters", []) if param.get("in") == "query"]


def spec_rule(route: Route) -> str:
    """The route's path as the OpenAPI document writes it (`{expense_id}`)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", route.rule)


# --- issue 16, personal access tokens (h-tokens): the API and the settings page ----------------------


def make_access_token(owner: User) -> int:
    """A live read-and-write personal access token of `owner`."""
    return factories.create_access_token(owner, name=factories.unique("Victim's script {}"))[0]


def read_access_token(object_id: int) -> dict | None:
    return _row(PersonalAccessToken, object_id)


KINDS["access token"] = ObjectKind(make_access_token, read_access_token)
OBJECT_ENDPOINTS.update(
    {
        "Access tokens.AccessTokenItem": ObjectEndpoint("access token", {"DELETE": lambda a: {}}),
        "access_tokens.revoke": ObjectEndpoint("access token", {"POST": lambda a: {"data": {}}}),
    }
)
FORM_BODIES["access_tokens.create"] = lambda a: {"name": "Forged token", "scopes": "write", "password": PASSWORD}
API_BODIES[("Access tokens.AccessTokenCollection", "POST")] = lambda c: {
    "name": c.unique("Matrix script {}"),
    "scopes": ["read"],
}


# --- issue 16 (recovery): the forgotten-password pages and the security page ----------------------


def make_browser_session(owner: User) -> int:
    """A live browser session of `owner` (not the one the test client signs in with)."""
    from expense_app.models import WebSession
    from expense_app.services import sign_ins

    sid = sign_ins.start_web_session(user=owner)
    return db.session.scalar(sa.select(WebSession.id).where(WebSession.sid_hash == sign_ins.digest(sid)))


def read_browser_session(object_id: int) -> dict | None:
    from expense_app.models import WebSession

    return _row(WebSession, object_id)


def make_token_family(owner: User) -> str:
    """A live API sign-in (token family) of `owner`."""
    from expense_app.models import TokenFamily
    from expense_app.services import tokens

    tokens.issue_token_pair(user=owner)
    return db.session.scalar(
        sa.select(TokenFamily.id).where(TokenFamily.user_id == owner.id).order_by(TokenFamily.created_at.desc())
    )


def read_token_family(object_id: str) -> dict | None:
    from expense_app.models import TokenFamily

    return _row(TokenFamily, object_id)


def reset_token_of(owner: User) -> str:
    """A live password-reset token of `owner` (the URL part of `/reset-password/<token>`)."""
    from expense_app.services import password_reset

    return password_reset.make_token(db.session.get(User, owner.id))


KINDS.update(
    {
        "browser session": ObjectKind(make_browser_session, read_browser_session),
        "token family": ObjectKind(make_token_family, read_token_family),
    }
)
OBJECT_ENDPOINTS.update(
    {
        "security_settings.end_session": ObjectEndpoint("browser session", {"POST": lambda a: {"data": {}}}),
        "security_settings.end_api_sign_in": ObjectEndpoint("token family", {"POST": lambda a: {"data": {}}}),
    }
)
FORM_BODIES.update(
    {
        "password_reset.forgot_password": lambda a: {"email": "csrf@example.com"},
        "password_reset.reset_password": lambda a: {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        "security_settings.sign_out_others": lambda a: {},
    }
)
# URL parts that are secrets rather than object ids: how to make a valid one for a user.
URL_SECRETS: dict[str, Callable[[User], dict[str, str]]] = {
    "password_reset.reset_password": lambda owner: {"token": reset_token_of(owner)},
}
