"""How to read one CSV file: encoding, dialect, header, column roles, date and number formats.

Detection (`csv_detect`) proposes a `CsvSettings`, the user confirms or changes it on the mapping
step, a preset stores its `as_dict()`, and `csv_reader` reads with it. `from_dict` is the one place
that checks a settings dict from outside (a stored preset, a form, the API), so every reader can
trust the values it gets.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import asdict, dataclass, field

# What a column can hold. `debit`/`credit` are two columns of unsigned amounts (money out, money
# in); `direction` is a column saying which of the two an unsigned `amount` is; `status` marks rows
# the bank has not booked yet (see `pending_values`).
ROLES = (
    "date",
    "amount",
    "debit",
    "credit",
    "direction",
    "description",
    "payee",
    "notes",
    "currency",
    "category",
    "tags",
    "payment_method",
    "external_id",
    "status",
)
DELIMITERS = (",", ";", "\t", "|")
DECIMALS = (".", ",")
THOUSANDS = ("", ",", ".", " ", "\u00a0", "'")
AMOUNT_SIGNS = ("negative_is_expense", "positive_is_expense")
# Values of a direction column meaning money out (compared case-insensitively), e.g. PayPal's
# "Balance Impact" = Debit, German "Soll" (S/H), Dutch "Af" (Af/Bij).
DEFAULT_DEBIT_VALUES = ("debit", "d", "dr", "db", "soll", "s", "af", "débit", "debet", "cargo", "addebito")
# Values of a status column meaning "not booked yet".
DEFAULT_PENDING_VALUES = ("pending", "umsatz vorgemerkt", "vorgemerkt", "en attente", "pendiente", "in sospeso")
# Values of a status column meaning the transaction never happened (Revolut REVERTED/DECLINED,
# PayPal Denied/Reversed): such a row is an error row, never an expense.
VOID_STATUS_VALUES = (
    "declined",
    "reverted",
    "failed",
    "cancelled",
    "canceled",
    "denied",
    "reversed",
    "storniert",
    "abgelehnt",
    "annulé",
    "refusé",
    "rechazado",
    "annullato",
)
# The built-in presets whose files need reading rules beyond the settings (see `app_exports`).
PRESETS = ("firefly", "actual", "ihatemoney", "expense_manager")


@dataclass
class CsvSettings:
    """Settings for reading a CSV file; see the module docstring of `csv_settings`."""

    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    skip_rows: int = 0
    has_header: bool = True
    date_format: str = "%Y-%m-%d"
    decimal: str = "."
    thousands: str = ""
    # role -> column name (the header text), or str(index) (0-based) when the file has no header.
    columns: dict[str, str] = field(default_factory=dict)
    amount_sign: str = "negative_is_expense"
    debit_values: list[str] = field(default_factory=lambda: list(DEFAULT_DEBIT_VALUES))
    pending_values: list[str] = field(default_factory=lambda: list(DEFAULT_PENDING_VALUES))
    default_currency: str | None = None
    # The built-in preset (an app's export) whose extra reading rules apply, e.g. undoing this
    # app's formula guard; None for a bank's file.
    preset: str | None = None

    def as_dict(self) -> dict:
        """The settings as a JSON-ready dict (the shape `from_dict` takes back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> CsvSettings:
        """Settings from a dict; missing keys take the defaults.

        Raises ValueError saying which value is wrong (an unknown key, a delimiter that is not one
        of `, ; tab |`, a date format strptime cannot use, a role that is not one of `ROLES`...).
        """
        if not isinstance(data, dict):
            raise ValueError("CSV settings must be an object.")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"Unknown CSV setting: {', '.join(map(str, unknown))}.")
        settings = cls(**data)
        if isinstance(settings.default_currency, str):
            settings.default_currency = settings.default_currency.strip().upper() or None
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ValueError with a message when a value cannot be used."""
        _check_encoding(self.encoding)
        if self.delimiter not in DELIMITERS:
            raise ValueError("The delimiter must be one of , ; tab |.")
        if not isinstance(self.quotechar, str) or len(self.quotechar) != 1 or self.quotechar == self.delimiter:
            raise ValueError("The quote character must be one character other than the delimiter.")
        if not isinstance(self.skip_rows, int) or isinstance(self.skip_rows, bool) or not 0 <= self.skip_rows <= 1000:
            raise ValueError("Lines to skip must be a whole number from 0 to 1000.")
        if not isinstance(self.has_header, bool):
            raise ValueError("`has_header` must be true or false.")
        _check_date_format(self.date_format)
        if self.decimal not in DECIMALS:
            raise ValueError("The decimal mark must be . or ,.")
        if self.thousands not in THOUSANDS:
            raise ValueError("The thousands separator must be none, comma, dot, space, no-break space or '.")
        if self.thousands == self.decimal:
            raise ValueError("The decimal mark and the thousands separator must differ.")
        self._check_columns()
        if self.amount_sign not in AMOUNT_SIGNS:
            raise ValueError("`amount_sign` must be negative_is_expense or positive_is_expense.")
        for name in ("debit_values", "pending_values"):
            values = getattr(self, name)
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"`{name}` must be a list of texts.")
        currency = self.default_currency
        if currency is not None and not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
            raise ValueError("The default currency must be a three-letter code such as EUR.")
        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"Unknown built-in preset `{self.preset}`.")

    def _check_columns(self) -> None:
        if not isinstance(self.columns, dict):
            raise ValueError("`columns` must map roles to column names.")
        for role, column in self.columns.items():
            if role not in ROLES:
                raise ValueError(f"Unknown column role `{role}`; roles are {', '.join(ROLES)}.")
            if not isinstance(column, str) or not column:
                raise ValueError(f"The column for `{role}` must be a column name.")
        if "amount" in self.columns and ({"debit", "credit"} & set(self.columns)):
            raise ValueError("Map either an amount column or debit/credit columns, not both.")
        if "direction" in self.columns and "amount" not in self.columns:
            raise ValueError("A direction column needs an amount column.")

    def missing(self) -> list[str]:
        """What the mapping still lacks to read a row, in words (empty when it can read)."""
        problems = []
        if "date" not in self.columns:
            problems.append("Choose the column that holds the date.")
        if "amount" not in self.columns and not ({"debit", "credit"} & set(self.columns)):
            problems.append("Choose the column that holds the amount (or the debit and credit columns).")
        return problems


def apply_answer(settings: dict, setting: str, value: str) -> dict:
    """`settings` (an `as_dict()`) with the answer to a detection `Question` applied.

    Picking the decimal mark also sets the thousands separator to the other of `.`/`,`, so the
    two never clash; `columns.<role>` maps a column. Raises ValueError for a bad answer.
    """
    new = {**settings, "columns": dict(settings.get("columns") or {})}
    if setting == "decimal":
        new["decimal"] = value
        new["thousands"] = {".": ",", ",": "."}.get(value, "")
    elif setting.startswith("columns."):
        new["columns"][setting.removeprefix("columns.")] = value
    else:
        new[setting] = value
    CsvSettings.from_dict(new)
    return new


def _check_encoding(encoding: object) -> None:
    try:
        codecs.lookup(encoding)  # type: ignore[arg-type]
    except (LookupError, TypeError):
        raise ValueError(f"Unknown text encoding `{encoding}`.") from None


_DATE_PARTS = {"day": ("%d", "%j"), "month": ("%m", "%b", "%B", "%j"), "year": ("%Y", "%y")}


def _check_date_format(date_format: object) -> None:
    if not isinstance(date_format, str) or "%" not in date_format or len(date_format) > 40:
        raise ValueError("The date format must be a strptime pattern such as %d.%m.%Y.")
    has = {part: any(code in date_format for code in codes) for part, codes in _DATE_PARTS.items()}
    if not all(has.values()):
        raise ValueError(f"The date format `{date_format}` needs a day, a month and a year.")
    sample = dt.date(2026, 1, 31)
    try:
        dt.datetime.strptime(sample.strftime(date_format), date_format)
    except ValueError:
        raise ValueError(f"The date format `{date_format}` cannot be read back.") from None
