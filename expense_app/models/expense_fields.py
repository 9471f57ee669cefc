"""What an expense and a recurring template have in common: the money, the category, the words.

`ExpenseFieldsMixin` declares those columns once; `expense_field_constraints(table)` gives the
database-level rules that go with them (the category belongs to the same owner; the amount is
positive; the payment method is a known one). Both `Expense` and `RecurringExpense` use them, so a
template's future posts are always valid expenses.
"""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from expense_app.models.categories import Category

PAYMENT_METHODS = ("cash", "credit_card", "debit_card", "bank_transfer", "mobile_payment", "other")


class ExpenseFieldsMixin:
    """The owner, category, amount, currency, description, payment method and notes."""

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    currency: Mapped[str] = mapped_column(sa.String(3))
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    payment_method: Mapped[str] = mapped_column(sa.String(20), default="other")
    notes: Mapped[str] = mapped_column(sa.String(2000), default="")

    @declared_attr
    def category(cls) -> Mapped[Category]:
        return relationship(lazy="raise")


EXPENSE_FIELDS = ("user_id", "category_id", "amount", "currency", "description", "payment_method", "notes")


def expense_fields_of(row: ExpenseFieldsMixin) -> dict:
    """The shared fields' values of `row`: a template's post, or the later half of a split, copies them."""
    return {name: getattr(row, name) for name in EXPENSE_FIELDS}


def expense_field_constraints(table_name: str) -> tuple:
    """The constraints of the shared fields, named for `table_name`.

    The category must belong to the row's owner, enforced by a composite foreign key. No cascade:
    a category that is still used cannot be deleted out from under its expenses or templates.
    """
    return (
        sa.ForeignKeyConstraint(
            ["category_id", "user_id"],
            ["categories.id", "categories.user_id"],
            name=f"fk_{table_name}_category_id_user_id_categories",
        ),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint(
            "payment_method IN (" + ", ".join(f"'{m}'" for m in PAYMENT_METHODS) + ")",
            name="payment_method_known",
        ),
    )
