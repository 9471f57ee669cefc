"""Forms of the category pages: add/edit and the delete confirmation. Shape and type only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import ColorField, SelectField, StringField, SubmitField

from expense_app.services.categories import DEFAULT_COLOR


class CategoryForm(FlaskForm):
    """Add, rename or recolour a category; the name rules (required, unique, length) are the service's."""

    name = StringField("Name")
    color = ColorField("Colour", default=DEFAULT_COLOR)
    icon = StringField("Icon (optional)", description="A short label or emoji shown next to the name.")
    submit = SubmitField("Save category")


class DeleteCategoryForm(FlaskForm):
    """Confirm a deletion; `reassign_to` names the category that receives the expenses, if any."""

    # Kept as text: the service reads the id (ASCII digits only) and refuses anything else.
    reassign_to = SelectField("Move its expenses to", validate_choice=False)
    submit = SubmitField("Delete category")
