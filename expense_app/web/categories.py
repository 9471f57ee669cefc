"""Category pages: the list with counts and totals and an add form; rename/recolour; delete with reassignment.

Deleting a category that still has expenses asks where to move them (a select of the user's other
categories); the service moves them and deletes the category in one transaction. When the service
refuses (409, e.g. expenses but no target), its message is shown on the confirmation page.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.services import categories
from expense_app.web.forms import apply_service_errors
from expense_app.web.forms.categories import CategoryForm, DeleteCategoryForm
from expense_app.web.forms.expenses import category_choices

bp = Blueprint("categories", __name__, url_prefix="/categories")


def _form_error(form, error: ValidationFailed | Conflict) -> int:
    """Put a service refusal on the form; return the status to answer with (422 or 409)."""
    apply_service_errors(form, ValidationFailed(error.errors or {"name": [error.message]}))
    return 409 if isinstance(error, Conflict) else 422


def _list_page(form: CategoryForm | None = None, status: int = 200):
    return render_template(
        "categories/index.html",
        categories=categories.list_categories(user=current_user),
        form=form or CategoryForm(formdata=None),
    ), status


@bp.get("")
@login_required
def index():
    return _list_page()


@bp.post("")
@login_required
def create():
    form = CategoryForm()
    status = 422
    if form.validate_on_submit():
        try:
            created = categories.create_category(
                user=current_user, name=form.name.data or "", color=form.color.data or "", icon=form.icon.data or ""
            )
        except (ValidationFailed, Conflict) as error:
            status = _form_error(form, error)
        else:
            flash(f"Category {created.name} added.", "success")
            return redirect(url_for("categories.index"))
    return _list_page(form, status)


@bp.route("/<int:category_id>/edit", methods=["GET", "POST"])
@login_required
def edit(category_id: int):
    category = categories.get_category(user=current_user, category_id=category_id)
    form = CategoryForm(obj=category)
    status = 200
    if form.validate_on_submit():
        try:
            updated = categories.update_category(
                user=current_user,
                category_id=category_id,
                name=form.name.data or "",
                color=form.color.data or "",
                icon=form.icon.data or "",
            )
        except (ValidationFailed, Conflict) as error:
            status = _form_error(form, error)
        else:
            flash(f"Category {updated.name} saved.", "success")
            return redirect(url_for("categories.index"))
    elif form.errors:
        status = 422
    return render_template("categories/edit.html", form=form, category=category), status


@bp.route("/<int:category_id>/delete", methods=["GET", "POST"])
@login_required
def delete(category_id: int):
    summaries = categories.list_categories(user=current_user)
    category = next((summary for summary in summaries if summary.id == category_id), None)
    if category is None:
        raise NotFound(categories.CATEGORY_NOT_FOUND)
    others = [summary for summary in summaries if summary.id != category_id]
    form = DeleteCategoryForm()
    form.reassign_to.choices = [SelectChoice("", "Choose a category…"), *category_choices(others)]
    status = 200
    if form.validate_on_submit():
        try:
            moved = categories.delete_category(
                user=current_user, category_id=category_id, reassign_to=form.reassign_to.data
            )
        except ValidationFailed as error:
            apply_service_errors(form, error)
            status = 422
        except Conflict as error:
            form.form_errors.append(error.message)
            for name, messages in error.errors.items():
                if name in form:
                    form[name].errors = list(form[name].errors) + list(messages)
            status = 409
        else:
            target = next((other.name for other in others if other.id == form.reassign_to.data), None)
            noun = "expense" if moved == 1 else "expenses"
            moved_text = f" {moved} {noun} moved to {target}." if moved and target else ""
            flash(f"Category {category.name} deleted.{moved_text}", "info")
            return redirect(url_for("categories.index"))
    elif form.errors:
        status = 422
    return render_template("categories/delete.html", form=form, category=category, others=others), status
