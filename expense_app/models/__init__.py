"""All models, imported here so Alembic and the app see one complete metadata."""

from expense_app.models.base import Base
from expense_app.models.categories import DEFAULT_CATEGORIES, Category
from expense_app.models.expenses import PAYMENT_METHODS, Expense
from expense_app.models.tags import Tag, expense_tags
from expense_app.models.tokens import TokenFamily
from expense_app.models.users import User

__all__ = [
    "DEFAULT_CATEGORIES",
    "PAYMENT_METHODS",
    "Base",
    "Category",
    "Expense",
    "Tag",
    "TokenFamily",
    "User",
    "expense_tags",
]
