"""All models, imported here so Alembic and the app see one complete metadata."""

from expense_app.models.base import Base
from expense_app.models.budgets import ROLLOVER_MODES, Budget, BudgetVersion
from expense_app.models.capture_defaults import CaptureDefaults
from expense_app.models.categories import DEFAULT_CATEGORIES, Category
from expense_app.models.data_versions import UserDataVersion
from expense_app.models.deleted_expenses import DeletedExpense
from expense_app.models.exchange_rates import ExchangeRate
from expense_app.models.expenses import FX_SOURCES, PAYMENT_METHODS, Expense
from expense_app.models.idempotency import IdempotencyKey
from expense_app.models.imports import (
    BATCH_STATUSES,
    IMPORT_FORMATS,
    ROW_STATUSES,
    ImportBatch,
    ImportPreset,
    ImportRow,
)
from expense_app.models.recurring import (
    INTERVAL_UNITS,
    RecurringExpense,
    RecurringOccurrence,
    recurring_expense_tags,
)
from expense_app.models.rollups import ExpenseMonthTotal
from expense_app.models.rules import RULE_MATCH_MODES, Rule, RuleRun, RuleRunChange
from expense_app.models.security import (
    MFA_PURPOSES,
    SECURITY_EVENT_KINDS,
    MfaChallenge,
    PersonalAccessToken,
    RecoveryCode,
    SecurityEvent,
    WebSession,
)
from expense_app.models.stats import ExpenseStats
from expense_app.models.tags import Tag, expense_tags
from expense_app.models.tokens import TokenFamily
from expense_app.models.users import User

__all__ = [
    "BATCH_STATUSES",
    "DEFAULT_CATEGORIES",
    "FX_SOURCES",
    "IMPORT_FORMATS",
    "INTERVAL_UNITS",
    "MFA_PURPOSES",
    "PAYMENT_METHODS",
    "ROLLOVER_MODES",
    "ROW_STATUSES",
    "RULE_MATCH_MODES",
    "SECURITY_EVENT_KINDS",
    "Base",
    "Budget",
    "BudgetVersion",
    "CaptureDefaults",
    "Category",
    "DeletedExpense",
    "ExchangeRate",
    "Expense",
    "ExpenseMonthTotal",
    "ExpenseStats",
    "IdempotencyKey",
    "ImportBatch",
    "ImportPreset",
    "ImportRow",
    "MfaChallenge",
    "PersonalAccessToken",
    "RecoveryCode",
    "RecurringExpense",
    "RecurringOccurrence",
    "Rule",
    "RuleRun",
    "RuleRunChange",
    "SecurityEvent",
    "Tag",
    "TokenFamily",
    "User",
    "UserDataVersion",
    "WebSession",
    "expense_tags",
    "recurring_expense_tags",
]
