"""Rules pages: the user's ordered rules (move up/down, switch on/off, edit, delete), suggested rules
to accept with one click, the rule form with its "matches N of your expenses" preview, and the run
on existing expenses (dry run first, apply on confirmation, undo of a run).

Every view calls the categorization or suggestions service; nothing here decides what a rule
matches. Every change is a POST (CSRF checked by CSRFProtect) followed by a redirect, and works
without JavaScript. `suggest_category` is the small JSON answer the expense forms' script asks for
while the description is typed.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from expense_app.errors import NotFound, ValidationFailed
from expense_app.models.base import utcnow
from expense_app.services import categories, categorization, rule_application, suggestions
from expense_app.web import filters
from expense_app.web.forms import submit
from expense_app.web.forms.choices import PAYMENT_METHOD_LABELS, category_choices
from expense_app.web.forms.rules import (
    ACTION_LABELS,
    OPERATOR_LABELS,
    ActiveForm,
    ApplyRunForm,
    ConfirmForm,
    MoveForm,
    RuleForm,
    RunForm,
    SuggestionForm,
    rule_form_data,
)

bp = Blueprint("rules", __name__, url_prefix="/rules")

PREVIEW_LIMIT = 10
RUNS_SHOWN = 20
# The suggestion is for a description being typed: a longer text is no merchant name.
SUGGEST_MAX_LENGTH = 200


def _category_names() -> dict[int, str]:
    return {option.id: option.name for option in categories.category_options(user=current_user)}


def describe_condition(doc: dict) -> str:
    """`description contains "coffee"`, `amount between 10.00 and 20.00`, for the list."""
    field = str(doc.get("field", "")).replace("_", " ")
    operator = OPERATOR_LABELS.get(doc.get("operator", ""), doc.get("operator", ""))
    value = doc.get("value", "")
    if doc.get("field") in ("description", "notes"):
        value = f"“{value}”"
    elif doc.get("field") == "payment_method":
        value = PAYMENT_METHOD_LABELS.get(value, value)
    text = f"{field} {operator} {value}"
    return f"{text} and {doc.get('value2', '')}" if doc.get("operator") == "between" else text


def describe_action(doc: dict, names: dict[int, str]) -> str:
    kind = doc.get("type", "")
    if kind == "set_category":
        return f"category → {names.get(doc.get('category_id'), '(a deleted category)')}"
    if kind == "add_tags":
        return "add tags " + ", ".join(doc.get("tags", []))
    if kind == "set_payment_method":
        return "payment method → " + PAYMENT_METHOD_LABELS.get(doc.get("payment_method"), doc.get("payment_method"))
    if kind == "rewrite_description":
        return f"rewrite description “{doc.get('pattern', '')}” → “{doc.get('replacement', '')}”"
    return ACTION_LABELS.get(kind, kind).lower()


def _index_page(refusals: list[str] | None = None, status: int = 200):
    rules = categorization.list_rules(user=current_user)
    return render_template(
        "rules/index.html",
        rules=rules,
        suggestions=suggestions.suggest_rules(user=current_user),
        names=_category_names(),
        describe_condition=describe_condition,
        describe_action=describe_action,
        move_form=MoveForm(formdata=None),
        active_form=ActiveForm(formdata=None),
        suggestion_form=SuggestionForm(formdata=None),
        refusals=refusals or [],
    ), status


def _refusals(form) -> list[str]:
    return [message for field in form for message in field.errors] + list(form.form_errors)


@bp.get("")
@login_required
def index():
    return _index_page()


@bp.post("/<int:rule_id>/move")
@login_required
def move(rule_id: int):
    form = MoveForm()
    done = submit(
        form,
        lambda: categorization.move_rule(user=current_user, rule_id=rule_id, direction=form.direction.data or ""),
        message="Rule moved.",
        next_url=url_for("rules.index", _anchor=f"rule-{rule_id}"),
        category="info",
    )
    return done.response or _index_page(_refusals(form), done.status)


@bp.post("/<int:rule_id>/active")
@login_required
def set_active(rule_id: int):
    form = ActiveForm()
    wanted = (form.active.data or "") == "1"
    done = submit(
        form,
        lambda: categorization.update_rule(user=current_user, rule_id=rule_id, active=wanted),
        message=lambda rule: f"Rule “{rule.name}” {'switched on' if rule.active else 'switched off'}.",
        next_url=url_for("rules.index", _anchor=f"rule-{rule_id}"),
        category="info",
    )
    return done.response or _index_page(_refusals(form), done.status)


@bp.post("/suggestions/accept")
@login_required
def accept_suggestion():
    form = SuggestionForm()
    try:
        done = submit(
            form,
            lambda: suggestions.accept_rule_suggestion(user=current_user, key=form.key.data or ""),
            message=lambda rule: (
                f"Rule “{rule.name}” added. To apply it to expenses you already have, run your rules on them."
            ),
            next_url=url_for("rules.index"),
        )
    except NotFound:
        return _index_page(["That suggestion no longer applies: your expenses or rules changed."], 404)
    return done.response or _index_page(_refusals(form), done.status)


# --- the rule form -----------------------------------------------------------------------------------


def _form_page(form: RuleForm, rule, status: int, preview=None):
    return render_template(
        "rules/form.html", form=form, rule=rule, preview=preview, preview_limit=PREVIEW_LIMIT
    ), status


def _save_or_preview(form: RuleForm, save, rule=None):
    """The POST of the rule form: a preview (nothing saved), or the save through `submit`."""
    form.set_category_choices(category_choices(categories.category_options(user=current_user)))
    if form.is_submitted() and form.preview.data:
        if not form.validate_on_submit():
            return _form_page(form, rule, 422)
        fields = form.service_fields()
        try:
            preview = categorization.preview_rule(
                user=current_user, rule={**fields, "name": fields["name"] or "Preview"}, limit=PREVIEW_LIMIT
            )
        except ValidationFailed as error:
            form.place_errors(error.errors)
            return _form_page(form, rule, 422)
        return _form_page(form, rule, 200, preview)

    def action():
        try:
            return save(form.service_fields())
        except ValidationFailed as error:
            form.place_errors(error.errors)
            # An empty error set: `submit` keeps the messages already placed on the rows.
            raise ValidationFailed({}, error.message) from error

    done = submit(
        form,
        action,
        message=lambda saved: f"Rule “{saved.name}” saved.",
        next_url=lambda saved: url_for("rules.index", _anchor=f"rule-{saved.id}"),
    )
    return done.response or _form_page(form, rule, done.status)


@bp.post("/preview")
@login_required
def live_preview():
    """The rule form's live preview (rule-form.js posts the form here as it is filled in): JSON
    `{"match_count", "first_matches": [...]}`, or `{"errors": {...}}` for a rule not complete yet.
    Saves nothing. A half-typed rule is the normal state of the form, not a failed request: it is
    answered 200 (a 4xx would be logged as an error in the browser's console on every keystroke);
    only a missing or bad CSRF token is refused (400)."""
    form = RuleForm()
    if not form.validate_on_submit():
        return jsonify({"errors": form.errors})
    fields = form.service_fields()
    try:
        preview = categorization.preview_rule(
            user=current_user, rule={**fields, "name": fields["name"] or "Preview"}, limit=PREVIEW_LIMIT
        )
    except ValidationFailed as error:
        return jsonify({"errors": error.errors})
    return jsonify(
        {
            "match_count": preview.match_count,
            "first_matches": [
                {
                    "date": filters.date(expense.date),
                    "description": expense.description or "(no description)",
                    "category": expense.category.name,
                    "amount": filters.money(expense.amount, expense.currency),
                }
                for expense in preview.first_matches
            ],
        }
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = RuleForm()
    return _save_or_preview(form, lambda fields: categorization.create_rule(user=current_user, **fields))


@bp.route("/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
def edit(rule_id: int):
    rule = categorization.get_rule(user=current_user, rule_id=rule_id)
    form = RuleForm() if request.method == "POST" else RuleForm(data=rule_form_data(rule))
    return _save_or_preview(
        form, lambda fields: categorization.update_rule(user=current_user, rule_id=rule_id, **fields), rule
    )


@bp.route("/<int:rule_id>/delete", methods=["GET", "POST"])
@login_required
def delete(rule_id: int):
    form = ConfirmForm()
    done = submit(
        form,
        lambda: categorization.delete_rule(user=current_user, rule_id=rule_id),
        message="Rule deleted. Expenses it already changed keep their values.",
        next_url=url_for("rules.index"),
        category="info",
    )
    if done.response:
        return done.response
    rule = categorization.get_rule(user=current_user, rule_id=rule_id)
    return render_template("rules/delete.html", form=form, rule=rule), done.status


# --- run on existing expenses ------------------------------------------------------------------------


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 12 months, today included."""
    return today - dt.timedelta(days=364), today


def _run_page(form: RunForm, preview=None, status: int = 200, apply_form: ApplyRunForm | None = None):
    rules = categorization.list_rules(user=current_user)
    form.rule_ids.choices = [(str(rule.id), rule.name + ("" if rule.active else " (off)")) for rule in rules]
    if preview is not None and apply_form is None:
        apply_form = ApplyRunForm(
            formdata=None,
            date_from=preview.date_from.isoformat(),
            date_to=preview.date_to.isoformat(),
            rule_ids=[str(rule_id) for rule_id in form.rule_id_values() or []],
        )
    return render_template(
        "rules/run.html",
        form=form,
        preview=preview,
        apply_form=apply_form,
        runs=categorization.list_runs(user=current_user, limit=RUNS_SHOWN),
        undo_form=ConfirmForm(formdata=None),
        names={rule.id: rule.name for rule in rules},
        pages=_page_links(form, preview) if preview else None,
        payment_labels=PAYMENT_METHOD_LABELS,
    ), status


def _page_links(form: RunForm, preview) -> dict:
    last = max(1, -(-preview.total_changes // preview.per_page))
    base = {
        "date_from": preview.date_from.isoformat(),
        "date_to": preview.date_to.isoformat(),
        "rule_ids": [str(rule_id) for rule_id in form.rule_id_values() or []],
    }
    return {
        "last": last,
        "previous": url_for("rules.run", **base, page=preview.page - 1) if preview.page > 1 else None,
        "next": url_for("rules.run", **base, page=preview.page + 1) if preview.page < last else None,
    }


@bp.get("/run")
@login_required
def run():
    start, end = default_range(utcnow().date())
    form = RunForm(
        formdata=request.args if request.args else None, date_from=start.isoformat(), date_to=end.isoformat()
    )
    if not request.args.get("date_from") and not request.args.get("date_to"):
        return _run_page(form)
    if not form.validate():
        return _run_page(form, status=422)
    try:
        preview = categorization.dry_run(
            user=current_user,
            date_from=(form.date_from.data or "").strip(),
            date_to=(form.date_to.data or "").strip(),
            rule_ids=form.rule_id_values(),
            page=form.page_number(),
        )
    except ValidationFailed as error:
        _place_run_errors(form, error)
        return _run_page(form, status=422)
    return _run_page(form, preview)


def _place_run_errors(form, error: ValidationFailed) -> None:
    for key, messages in error.errors.items():
        field = getattr(form, key.split(".")[0], None)
        if field is not None and hasattr(field, "errors") and key.split(".")[0] in ("date_from", "date_to", "rule_ids"):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)


@bp.post("/run/apply")
@login_required
def apply_run():
    form = ApplyRunForm()
    refused = RunForm(formdata=None, date_from=form.date_from.data, date_to=form.date_to.data)
    if not form.validate_on_submit():
        refused.form_errors.extend(_refusals(form))
        return _run_page(refused, status=422)
    try:
        applied = categorization.apply_run(
            user=current_user,
            date_from=(form.date_from.data or "").strip(),
            date_to=(form.date_to.data or "").strip(),
            rule_ids=form.rule_id_values(),
        )
    except ValidationFailed as error:
        _place_run_errors(refused, error)
        return _run_page(refused, status=422)
    count = applied.change_count
    flash(f"{count} expense{'s' if count != 1 else ''} changed. You can undo this run below.", "success")
    return redirect(url_for("rules.show_run", run_id=applied.id))


@bp.get("/runs/<int:run_id>")
@login_required
def show_run(run_id: int):
    item = categorization.get_run(user=current_user, run_id=run_id)
    names = {rule.id: rule.name for rule in categorization.list_rules(user=current_user)}
    return render_template("rules/run_show.html", run=item, names=names, undo_form=ConfirmForm(formdata=None))


@bp.post("/runs/<int:run_id>/undo")
@login_required
def undo_run(run_id: int):
    form = ConfirmForm()
    try:
        done = submit(
            form,
            lambda: categorization.undo_run(user=current_user, run_id=run_id),
            message=_undone_message,
            next_url=url_for("rules.show_run", run_id=run_id),
            category="info",
        )
    except NotFound:
        abort(404)
    if done.response:
        return done.response
    item = categorization.get_run(user=current_user, run_id=run_id)
    names = {rule.id: rule.name for rule in categorization.list_rules(user=current_user)}
    return render_template(
        "rules/run_show.html", run=item, names=names, undo_form=form, refusals=_refusals(form)
    ), done.status


def _undone_message(result) -> str:
    text = f"Run undone: {result.restored} expense{'s' if result.restored != 1 else ''} restored."
    if result.skipped:
        count = len(result.skipped)
        text += (
            f" {count} expense{'s were' if count != 1 else ' was'} changed since the run and kept as"
            f" {'they are' if count != 1 else 'it is'}."
        )
    return text


# --- JSON for the expense forms' script --------------------------------------------------------------


@bp.get("/suggest-category")
@login_required
def suggest_category():
    """The category to pre-select for the typed description (the user's rules first, then what was
    learned: `source` is `rule` or `history`), or `{}`."""
    description = request.args.get("description", "")
    if not description.strip() or len(description) > SUGGEST_MAX_LENGTH or "\x00" in description:
        return jsonify({})
    found = rule_application.propose_category(user=current_user, description=description)
    if found is None:
        return jsonify({})
    return jsonify(
        {
            "category_id": found.category_id,
            "category_name": found.category_name,
            "source": found.source,
            "rule": found.reason,
            "matches": found.matches,
            "of": found.of,
            "merchant": found.merchant,
        }
    )
