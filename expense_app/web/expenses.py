"""Expense pages: the filtered, sorted, paged list with a quick-add form; add, view, edit, delete; CSV export;
bulk changes and deletes of ticked rows (or of everything the filters match), and Undo of a delete.

The list reads the same query names as `GET /api/v1/expenses` (`date_from`, `date_to`,
`category_id`, `payment_method`, `tag`, `min_amount`, `max_amount`, `q`, `sort`, `page`,
`per_page`), so the dashboard can link to it and the two faces show the same numbers. A filter
value the service refuses (e.g. `date_from=banana`) is shown above the table with status 422;
the list is not shown then, rather than a list silently filtered differently from what was asked.

A delete (one expense or a bulk delete) keeps the batch id in the session; the next list page
shows "Deleted N expenses" with an Undo button (a POST form) for it.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, session, stream_with_context, url_for
from flask_login import current_user, login_required

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.models.base import utcnow
from expense_app.services import bulk_expenses, capture_defaults, deletions, expenses, exports
from expense_app.web.auth import safe_next_url
from expense_app.web.filters import date, money
from expense_app.web.forms import submit
from expense_app.web.forms.bulk import BulkForm, UndoForm
from expense_app.web.forms.expenses import (
    PAYMENT_METHOD_LABELS,
    DeleteForm,
    ExpenseFilterForm,
    ExpenseForm,
    QuickAddForm,
    category_choices,
)

bp = Blueprint("expenses", __name__, url_prefix="/expenses")

# Columns whose header sorts the list, and the direction of their first click.
SORTABLE = {"date": "-date", "amount": "-amount"}


def _back_url() -> str:
    """Where to go after saving or deleting: the `next` list URL (same site only), else the list."""
    target = request.values.get("next")
    return safe_next_url(target) if target else url_for("expenses.index")


def _filter_form() -> ExpenseFilterForm:
    return ExpenseFilterForm(formdata=request.args)


def _list_page(quick_form: QuickAddForm | None = None, status: int = 200):
    """Render the list for the query string, with `quick_form` (fresh when None) above it."""
    form = _filter_form()
    # The form only checks shape; every value (ids, amounts, dates, page) is parsed by the service.
    form.validate()
    page = expenses.list_page(
        user=current_user, filters=form.filters(), sort=form.sort.data or None, **form.page_arguments()
    )
    form.category_id.choices = category_choices(page.categories)
    if quick_form is None:
        remembered = capture_defaults.capture_defaults(user=current_user, categories=page.categories)
        quick_form = QuickAddForm(
            formdata=None,
            prefix="quick",
            date=utcnow().date().isoformat(),
            category_id=str(remembered.category_id) if remembered.category_id else None,
            payment_method=remembered.payment_method,
            currency=current_user.currency,
        )
    quick_form.category_id.choices = category_choices(page.categories)
    errors = {**form.errors, **page.errors}
    if errors and status == 200:
        status = 422
    return render_template(
        "expenses/index.html",
        form=form,
        quick_form=quick_form,
        result=page.result if not errors else None,
        errors=errors,
        has_categories=bool(page.categories),
        sort=form.sort.data or expenses.DEFAULT_SORT,
        sortable=SORTABLE,
        payment_methods=PAYMENT_METHOD_LABELS,
        **_bulk_context(page.categories),
    ), status


def _bulk_context(categories) -> dict:
    """The list's bulk form (its category choices) and the Undo offer of the last delete, if any."""
    bulk_form = BulkForm(formdata=None)
    bulk_form.category_id.choices = category_choices(categories)
    undo_offer, undo_form = _undo_offer()
    return {"bulk_form": bulk_form, "undo_offer": undo_offer, "undo_form": undo_form}


@bp.get("")
@login_required
def index():
    return _list_page()


def _added(expense) -> str:
    return f"Expense of {money(expense.amount, expense.currency)} on {date(expense.date)} added."


@bp.post("")
@login_required
def quick_add():
    """The quick-add form posts to the list URL with its filters, so an error shows the same list."""
    form = QuickAddForm(prefix="quick")
    outcome = submit(
        form,
        lambda: capture_defaults.quick_add_expense(user=current_user, **form.service_fields()),
        message=_added,
        # Back to the list, where the amount box has the focus again (autofocus) for the next expense.
        next_url=lambda _: url_for("expenses.index", **_filter_form().params()),
    )
    return outcome.response or _list_page(quick_form=form, status=422)


def _form_page(form: ExpenseForm, page: expenses.ExpenseFormPage, status: int):
    form.category_id.choices = category_choices(page.categories)
    return render_template("expenses/form.html", form=form, expense=page.expense, back_url=_back_url()), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    # Defaults for the blank form; on POST the submitted values replace them.
    form = ExpenseForm(
        date=utcnow().date().isoformat(),
        currency=current_user.currency,
        category_id=request.args.get("category_id"),
    )
    outcome = submit(
        form,
        lambda: expenses.create_expense(user=current_user, **form.service_fields()),
        message=_added,
        next_url=_back_url(),
    )
    return outcome.response or _form_page(form, expenses.form_page(user=current_user), outcome.status)


def _payment_method_label(expense) -> str:
    return PAYMENT_METHOD_LABELS.get(expense.payment_method, expense.payment_method)


@bp.get("/<int:expense_id>")
@login_required
def show(expense_id: int):
    expense = expenses.get_expense(user=current_user, expense_id=expense_id)
    return render_template(
        "expenses/show.html", expense=expense, payment_method=_payment_method_label(expense), back_url=_back_url()
    )


@bp.route("/<int:expense_id>/edit", methods=["GET", "POST"])
@login_required
def edit(expense_id: int):
    form = ExpenseForm()
    outcome = submit(
        form,
        lambda: expenses.update_expense(user=current_user, expense_id=expense_id, **form.service_fields()),
        message=lambda updated: f"Expense of {money(updated.amount, updated.currency)} on {date(updated.date)} saved.",
        next_url=_back_url(),
    )
    if outcome.response:
        return outcome.response
    page = expenses.form_page(user=current_user, expense_id=expense_id)
    if not form.is_submitted():
        form = ExpenseForm(formdata=None, **_form_values(page.expense))
    return _form_page(form, page, outcome.status)


def _form_values(expense) -> dict:
    """The edit form's initial values: the expense as stored (a manual conversion as its base
    amount, which is what the user gave or what follows from the rate they gave)."""
    return {
        "base_amount": format(expense.base_amount, "f") if expense.fx_source == "manual" else "",
        "amount": format(expense.amount, "f"),
        "date": expense.date.isoformat(),
        "category_id": str(expense.category_id),
        "description": expense.description,
        "payment_method": expense.payment_method,
        "tags": [tag.name for tag in expense.tags],
        "notes": expense.notes,
        "currency": expense.currency,
    }


# The session key of the last delete's batch, offered for Undo on the next list page.
UNDO_KEY = "undo_batch"


def _offer_undo(batch: deletions.DeletionBatch) -> None:
    session[UNDO_KEY] = {"batch_id": batch.batch_id, "count": batch.count}


def _undo_offer() -> tuple[dict | None, UndoForm | None]:
    """The pending Undo (shown once, on the page after the delete) and its form."""
    offer = session.pop(UNDO_KEY, None)
    if not isinstance(offer, dict) or not offer.get("count"):
        return None, None
    return offer, UndoForm(formdata=None, batch_id=offer.get("batch_id"))


@bp.route("/<int:expense_id>/delete", methods=["GET", "POST"])
@login_required
def delete(expense_id: int):
    form = DeleteForm()
    if form.validate_on_submit():
        _offer_undo(expenses.delete_expense(user=current_user, expense_id=expense_id))
        return redirect(_back_url())
    expense = expenses.get_expense(user=current_user, expense_id=expense_id)
    return render_template(
        "expenses/delete.html",
        form=form,
        expense=expense,
        payment_method=_payment_method_label(expense),
        back_url=_back_url(),
    )


@bp.get("/export.csv")
@login_required
def export():
    """Stream the filtered set as CSV; a refused filter shows the list with its message instead."""
    form = _filter_form()
    if not form.validate():
        return _list_page()
    try:
        csv_export = exports.export_expenses_csv(user=current_user, filters=form.filters(), sort=form.sort.data or None)
    except ValidationFailed:
        return _list_page()
    return Response(stream_with_context(csv_export.chunks), mimetype=csv_export.mimetype, headers=csv_export.headers)


def _plural(count: int) -> str:
    return f"{count:,} expense" + ("" if count == 1 else "s")


def _refused(error: ValidationFailed | Conflict | NotFound) -> Response:
    """Back to the list with the reason; 303, and nothing was changed (the unit of work rolled back)."""
    reasons = [f"{field}: {' '.join(messages)}" for field, messages in error.errors.items()] or [error.message]
    flash("Nothing was changed. " + " ".join(reasons), "danger")
    return redirect(url_for("expenses.index", **_filter_form().params()), 303)


@bp.post("/bulk")
@login_required
def bulk():
    """Apply the bulk form's action to the ticked rows or to every expense the query string's filters match."""
    form = BulkForm()
    filter_form = _filter_form()
    filter_form.validate()
    if not form.validate_on_submit():
        return _refused(ValidationFailed(form.errors or {"form": ["The form expired; try again."]}))
    selection = form.selection(filter_form.filters())
    try:
        if form.action.data == "delete":
            batch = bulk_expenses.bulk_delete(user=current_user, **selection)
            if batch.count:
                _offer_undo(batch)
            else:
                flash("No expenses matched; nothing was deleted.", "info")
        else:
            changed = bulk_expenses.bulk_update(user=current_user, **selection, **form.changes())
            flash(f"Changed {_plural(changed.count)}.", "success")
    except (ValidationFailed, Conflict) as error:
        return _refused(error)
    return redirect(url_for("expenses.index", **filter_form.params()))


@bp.post("/undo")
@login_required
def undo():
    """Restore the batch of the Undo button (the delete's own expenses, as they were)."""
    form = UndoForm()
    if not form.validate_on_submit():
        return _refused(ValidationFailed(form.errors or {"form": ["The form expired; try again."]}))
    try:
        restored = deletions.restore_batch(user=current_user, batch_id=form.batch_id.data or "")
    except (NotFound, Conflict) as error:
        return _refused(error)
    note = f" {len(restored.renumbered)} of them got a new id." if restored.renumbered else ""
    flash(f"Restored {_plural(len(restored.expense_ids))}.{note}", "success")
    return redirect(_back_url())
