"""Recurring-expense pages: templates with next date and monthly cost, upcoming occurrences, and
the actions (add, edit all or this-and-future, pause, resume, skip one occurrence, delete).

Every action is a POST (its CSRF token checked by CSRFProtect) followed by a redirect; deleting asks for confirmation
on its own page. A refused skip (not an occurrence, already posted) is shown on the list page
with status 422 or 409.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from expense_app.errors import Conflict, ServiceError, ValidationFailed
from expense_app.models.base import utcnow
from expense_app.services import categories, recurring
from expense_app.web.filters import money
from expense_app.web.forms import apply_service_errors
from expense_app.web.forms.expenses import PAYMENT_METHOD_LABELS, category_choices
from expense_app.web.forms.recurring import ActionForm, OccurrenceForm, RecurringEditForm, RecurringForm

bp = Blueprint("recurring", __name__, url_prefix="/recurring")

UPCOMING_DAYS = 30


def _category_choices() -> list[SelectChoice]:
    return category_choices(categories.list_categories(user=current_user))


def _index_page(error: ServiceError | None = None, status: int = 200):
    return render_template(
        "recurring/index.html",
        summary=recurring.cost_summary(user=current_user),
        templates=recurring.list_recurring(user=current_user),
        upcoming=recurring.upcoming(user=current_user, days=UPCOMING_DAYS),
        upcoming_days=UPCOMING_DAYS,
        action_form=ActionForm(formdata=None),
        skip_form=OccurrenceForm(formdata=None),
        error=error,
    ), status


@bp.get("")
@login_required
def index():
    return _index_page()


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = RecurringForm(start_date=utcnow().date().isoformat(), currency=current_user.currency)
    form.category_id.choices = _category_choices()
    if form.validate_on_submit():
        try:
            created = recurring.create_recurring(user=current_user, **form.service_fields())
        except ValidationFailed as error:
            apply_service_errors(form, error)
        else:
            flash(f"Recurring expense {_label(created)} added.", "success")
            return redirect(url_for("recurring.index"))
    status = 422 if form.errors else 200
    return render_template("recurring/form.html", form=form, template=None), status


def _label(item) -> str:
    name = item.description or item.category.name
    return f"{name} ({money(item.amount, item.currency)}, {item.schedule_text.lower()})"


@bp.route("/<int:recurring_id>/edit", methods=["GET", "POST"])
@login_required
def edit(recurring_id: int):
    item = recurring.get_recurring(user=current_user, recurring_id=recurring_id)
    form = RecurringEditForm(
        amount=format(item.amount, "f"),
        category_id=str(item.category_id),
        description=item.description,
        start_date=item.start_date.isoformat(),
        interval_count=str(item.interval_count),
        interval_unit=item.interval_unit,
        end_date=item.end_date.isoformat() if item.end_date else "",
        max_occurrences=str(item.max_occurrences or ""),
        payment_method=item.payment_method,
        currency=item.currency,
        tags=[tag.name for tag in item.tags],
        notes=item.notes,
        apply_from=item.next_date.isoformat() if item.next_date else "",
    )
    form.category_id.choices = _category_choices()
    if form.validate_on_submit():
        try:
            saved = recurring.update_recurring(
                user=current_user,
                recurring_id=recurring_id,
                apply_from=form.apply_from_value(),
                **form.service_fields(),
            )
        except ValidationFailed as error:
            apply_service_errors(form, error)
        else:
            if saved.id != recurring_id:
                flash(
                    f"From {saved.applies_from.isoformat()} on, {_label(saved)}. Earlier dates are unchanged.",
                    "success",
                )
            else:
                flash(f"Recurring expense {_label(saved)} saved.", "success")
            return redirect(url_for("recurring.index"))
    status = 422 if form.errors else 200
    return render_template(
        "recurring/form.html",
        form=form,
        template=item,
        payment_method=PAYMENT_METHOD_LABELS.get(item.payment_method),
    ), status


@bp.post("/<int:recurring_id>/pause")
@login_required
def pause(recurring_id: int):
    item = recurring.pause_recurring(user=current_user, recurring_id=recurring_id)
    flash(f"{_label(item)} paused: nothing is posted until you resume it.", "info")
    return redirect(url_for("recurring.index"))


@bp.post("/<int:recurring_id>/resume")
@login_required
def resume(recurring_id: int):
    item = recurring.resume_recurring(user=current_user, recurring_id=recurring_id)
    next_text = f" Next: {item.next_date.isoformat()}." if item.next_date else ""
    flash(f"{_label(item)} resumed; dates missed while paused are skipped.{next_text}", "success")
    return redirect(url_for("recurring.index"))


@bp.post("/<int:recurring_id>/skip")
@login_required
def skip(recurring_id: int):
    # CSRFProtect has already checked the token of every POST; the form only carries the date.
    form = OccurrenceForm()
    try:
        item = recurring.skip_occurrence(user=current_user, recurring_id=recurring_id, date=form.date.data or "")
    except (ValidationFailed, Conflict) as error:
        return _index_page(error, error.status_code)
    flash(f"The {_label(item)} on {form.date.data} will not be posted.", "info")
    return redirect(url_for("recurring.index"))


@bp.route("/<int:recurring_id>/delete", methods=["GET", "POST"])
@login_required
def delete(recurring_id: int):
    form = ActionForm()
    if form.validate_on_submit():
        recurring.delete_recurring(user=current_user, recurring_id=recurring_id)
        flash("Recurring expense deleted. The expenses it already posted are kept.", "info")
        return redirect(url_for("recurring.index"))
    item = recurring.get_recurring(user=current_user, recurring_id=recurring_id)
    return render_template("recurring/delete.html", form=form, template=item, label=_label(item))
