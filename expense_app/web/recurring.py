"""Recurring-expense pages: templates with next date and monthly cost, upcoming occurrences, and
the actions (add, edit all or this-and-future, pause, resume, skip one occurrence, delete).

Each request calls one service function for its page (`recurring.overview`, `recurring.form_page`,
`recurring.get_recurring`) or, for a POST, the use case through `forms.submit`; only a refused
POST also reads its page to show the form again. Every action is a POST (its CSRF token checked
by CSRFProtect) followed by a redirect; deleting asks for confirmation on its own page. A refused
skip (not an occurrence, already posted) is shown on the list page with status 422 or 409.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_login import current_user, login_required

from expense_app.models.base import utcnow
from expense_app.services import recurring
from expense_app.web import filters
from expense_app.web.filters import money
from expense_app.web.forms import submit
from expense_app.web.forms.expenses import PAYMENT_METHOD_LABELS, category_choices
from expense_app.web.forms.recurring import ActionForm, OccurrenceForm, RecurringEditForm, RecurringForm

bp = Blueprint("recurring", __name__, url_prefix="/recurring")

UPCOMING_DAYS = 30


def _index_page(skip_form: OccurrenceForm | None = None, status: int = 200):
    refusals = [*skip_form.date.errors, *skip_form.form_errors] if skip_form is not None else []
    page = recurring.overview(user=current_user, days=UPCOMING_DAYS)
    return render_template(
        "recurring/index.html",
        summary=page.summary,
        templates=page.templates,
        upcoming=page.upcoming,
        upcoming_days=page.upcoming_days,
        action_form=ActionForm(formdata=None),
        skip_form=OccurrenceForm(formdata=None),
        refusals=refusals,
    ), status


def _label(item) -> str:
    name = item.description or item.category.name
    return f"{name} ({money(item.amount, item.currency)}, {item.schedule_text.lower()})"


@bp.get("")
@login_required
def index():
    return _index_page()


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = RecurringForm(start_date=utcnow().date().isoformat(), currency=current_user.currency)
    done = submit(
        form,
        lambda: recurring.create_recurring(user=current_user, **form.service_fields()),
        message=lambda created: f"Recurring expense {_label(created)} added.",
        next_url=url_for("recurring.index"),
    )
    if done.response:
        return done.response
    form.category_id.choices = category_choices(recurring.form_page(user=current_user).category_options)
    return render_template("recurring/form.html", form=form, template=None), done.status


def _edit_defaults(item: recurring.RecurringSummary) -> dict:
    return {
        "amount": format(item.amount, "f"),
        "category_id": str(item.category_id),
        "description": item.description,
        "start_date": item.start_date.isoformat(),
        "interval_count": str(item.interval_count),
        "interval_unit": item.interval_unit,
        "end_date": item.end_date.isoformat() if item.end_date else "",
        "max_occurrences": str(item.max_occurrences or ""),
        "payment_method": item.payment_method,
        "currency": item.currency,
        "tags": [tag.name for tag in item.tags],
        "notes": item.notes,
        "apply_from": item.next_date.isoformat() if item.next_date else "",
    }


def _saved_message(recurring_id: int):
    def message(saved: recurring.RecurringSummary) -> str:
        if saved.id != recurring_id:
            return f"From {filters.date(saved.applies_from)} on, {_label(saved)}. Earlier dates are unchanged."
        return f"Recurring expense {_label(saved)} saved."

    return message


@bp.route("/<int:recurring_id>/edit", methods=["GET", "POST"])
@login_required
def edit(recurring_id: int):
    form = RecurringEditForm()
    done = submit(
        form,
        lambda: recurring.update_recurring(
            user=current_user, recurring_id=recurring_id, apply_from=form.apply_from_value(), **form.service_fields()
        ),
        message=_saved_message(recurring_id),
        next_url=url_for("recurring.index"),
    )
    if done.response:
        return done.response
    page = recurring.form_page(user=current_user, recurring_id=recurring_id)
    if not form.is_submitted():
        form = RecurringEditForm(**_edit_defaults(page.template))
    form.category_id.choices = category_choices(page.category_options)
    return render_template(
        "recurring/form.html",
        form=form,
        template=page.template,
        payment_method=PAYMENT_METHOD_LABELS.get(page.template.payment_method),
    ), done.status


@bp.post("/<int:recurring_id>/pause")
@login_required
def pause(recurring_id: int):
    done = submit(
        ActionForm(),
        lambda: recurring.pause_recurring(user=current_user, recurring_id=recurring_id),
        message=lambda item: f"{_label(item)} paused: nothing is posted until you resume it.",
        next_url=url_for("recurring.index"),
        category="info",
    )
    return done.response or _index_page(status=done.status)


def _resumed_message(item: recurring.RecurringSummary) -> str:
    next_text = f" Next: {filters.date(item.next_date)}." if item.next_date else ""
    return f"{_label(item)} resumed; dates missed while paused are skipped.{next_text}"


@bp.post("/<int:recurring_id>/resume")
@login_required
def resume(recurring_id: int):
    done = submit(
        ActionForm(),
        lambda: recurring.resume_recurring(user=current_user, recurring_id=recurring_id),
        message=_resumed_message,
        next_url=url_for("recurring.index"),
    )
    return done.response or _index_page(status=done.status)


@bp.post("/<int:recurring_id>/skip")
@login_required
def skip(recurring_id: int):
    form = OccurrenceForm()
    done = submit(
        form,
        lambda: recurring.skip_occurrence(user=current_user, recurring_id=recurring_id, date=form.date.data or ""),
        message=lambda item: f"The {_label(item)} on {form.date.data} will not be posted.",
        next_url=url_for("recurring.index"),
        category="info",
    )
    return done.response or _index_page(form, done.status)


@bp.route("/<int:recurring_id>/delete", methods=["GET", "POST"])
@login_required
def delete(recurring_id: int):
    form = ActionForm()
    done = submit(
        form,
        lambda: recurring.delete_recurring(user=current_user, recurring_id=recurring_id),
        message="Recurring expense deleted. The expenses it already posted are kept.",
        next_url=url_for("recurring.index"),
        category="info",
    )
    if done.response:
        return done.response
    item = recurring.get_recurring(user=current_user, recurring_id=recurring_id)
    return render_template("recurring/delete.html", form=form, template=item, label=_label(item)), done.status
