"""Category pages: the list with counts and totals and an add form; rename/recolour; delete with reassignment.

Deleting a category that still has expenses asks where to move them (a select of the user's other
categories); the service moves them and deletes the category in one transaction. When the service
refuses (409, e.g. expenses but no target), its message is shown on the confirmation page.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from expense_app.services import categories
from expense_app.web.forms import submit
from expense_app.web.forms.categories import CategoryForm, DeleteCategoryForm
from expense_app.web.forms.choices import category_choices

bp = Blueprint("categories", __name__, url_prefix="/categories")


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


def _fields(form: CategoryForm) -> dict:
    return {"name": form.name.data or "", "color": form.color.data or "", "icon": form.icon.data or ""}


@bp.post("")
@login_required
def create():
    form = CategoryForm()
    outcome = submit(
        form,
        lambda: categories.create_category(user=current_user, **_fields(form)),
        message=lambda created: f"Category {created.name} added.",
        next_url=url_for("categories.index"),
    )
    return outcome.response or _list_page(form, outcome.status)


@bp.route("/<int:category_id>/edit", methods=["GET", "POST"])
@login_required
def edit(category_id: int):
    form = CategoryForm()
    outcome = submit(
        form,
        lambda: categories.update_category(user=current_user, category_id=category_id, **_fields(form)),
        message=lambda updated: f"Category {updated.name} saved.",
        next_url=url_for("categories.index"),
    )
    if outcome.response:
        return outcome.response
    category = categories.get_category(user=current_user, category_id=category_id)
    if not form.is_submitted():
        form = CategoryForm(formdata=None, obj=category)
    return render_template("categories/edit.html", form=form, category=category), outcome.status


@bp.route("/<int:category_id>/delete", methods=["GET", "POST"])
@login_required
def delete(category_id: int):
    page = categories.deletion_page(user=current_user, category_id=category_id)
    form = DeleteCategoryForm()
    form.reassign_to.choices = [SelectChoice("", "Choose a category…"), *category_choices(page.others)]

    def deleted_message(moved: int) -> str:
        target = next((other.name for other in page.others if str(other.id) == str(form.reassign_to.data)), None)
        noun = "expense" if moved == 1 else "expenses"
        moved_text = f" {moved} {noun} moved to {target}." if moved and target else ""
        return f"Category {page.category.name} deleted.{moved_text}"

    outcome = submit(
        form,
        lambda: categories.delete_category(
            user=current_user, category_id=category_id, reassign_to=form.reassign_to.data or None
        ),
        message=deleted_message,
        next_url=url_for("categories.index"),
        category="info",
    )
    if outcome.response:
        return outcome.response
    return render_template(
        "categories/delete.html", form=form, category=page.category, others=page.others
    ), outcome.status
