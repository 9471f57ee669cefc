"""Forms of the import pages: the upload, the CSV mapping step, per-row and bulk edits of the
preview, the default category, commit and undo.

Shape and type only: the imports service reads the file, checks every setting (a delimiter, a date
format, a column that is not in the file) and every row change, and names the bad one. Values that
are not plain ids or numbers are passed on as typed, for the service to refuse with its message.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)

from expense_app.web.forms.expenses import split_tags

# The roles a CSV column can play, in the order the mapping step lists them.
ROLES = (
    ("date", "Date"),
    ("amount", "Amount"),
    ("debit", "Debit (money out)"),
    ("credit", "Credit (money in)"),
    ("direction", "Direction (debit/credit marker)"),
    ("description", "Description"),
    ("payee", "Payee"),
    ("notes", "Notes"),
    ("currency", "Currency"),
    ("category", "Category"),
    ("tags", "Tags"),
    ("external_id", "Transaction id"),
)
ROLE_FIELDS = {role: f"column_{role}" for role, _ in ROLES}

DELIMITER_CHOICES = [
    SelectChoice(",", "Comma ( , )"),
    SelectChoice(";", "Semicolon ( ; )"),
    SelectChoice("\t", "Tab"),
    SelectChoice("|", "Pipe ( | )"),
]
QUOTE_CHOICES = [SelectChoice('"', 'Double: "'), SelectChoice("'", "Single: '")]
DECIMAL_CHOICES = [SelectChoice(".", "Point: 1234.56"), SelectChoice(",", "Comma: 1234,56")]
THOUSANDS_CHOICES = [
    SelectChoice("", "None"),
    SelectChoice(",", "Comma: 1,234"),
    SelectChoice(".", "Point: 1.234"),
    SelectChoice(" ", "Space: 1 234"),
    SelectChoice("\u00a0", "No-break space: 1\u00a0234"),
    SelectChoice("'", "Apostrophe: 1'234"),
]
SIGN_CHOICES = [
    SelectChoice("negative_is_expense", "Negative amounts are money out (-12.50 is an expense)"),
    SelectChoice("positive_is_expense", "Positive amounts are money out (12.50 is an expense)"),
]
# Common strptime formats; the detected one and the questions' options are added when missing.
DATE_FORMATS = (
    ("%Y-%m-%d", "2026-03-31 (year-month-day)"),
    ("%d.%m.%Y", "31.03.2026 (day.month.year)"),
    ("%d.%m.%y", "31.03.26 (day.month.2-digit year)"),
    ("%d/%m/%Y", "31/03/2026 (day/month/year)"),
    ("%m/%d/%Y", "03/31/2026 (month/day/year)"),
    ("%d/%m/%y", "31/03/26 (day/month/2-digit year)"),
    ("%m/%d/%y", "03/31/26 (month/day/2-digit year)"),
    ("%d-%m-%Y", "31-03-2026 (day-month-year)"),
    ("%Y/%m/%d", "2026/03/31 (year/month/day)"),
    ("%d %b %Y", "31 Mar 2026"),
    ("%b %d, %Y", "Mar 31, 2026"),
    ("%Y%m%d", "20260331"),
)
DATE_FORMAT_LABELS = dict(DATE_FORMATS)
ENCODINGS = ("utf-8", "utf-8-sig", "windows-1252", "latin-1", "iso-8859-15", "utf-16", "cp850", "mac-roman")

STATUS_CHOICES = [
    SelectChoice("new", "New"),
    SelectChoice("possible_duplicate", "Possible duplicates"),
    SelectChoice("duplicate", "Duplicates"),
    SelectChoice("money_in", "Money in"),
    SelectChoice("error", "Errors"),
]
BULK_ACTIONS = [
    SelectChoice("include", "Import them"),
    SelectChoice("exclude", "Do not import them"),
    SelectChoice("category", "Set the category"),
    SelectChoice("add_tags", "Add tags"),
]
BULK_SCOPES = [SelectChoice("selected", "Ticked rows"), SelectChoice("status", "Every row of the status")]
EDITED_CHOICES = [
    SelectChoice("keep", "Keep the expenses I edited"),
    SelectChoice("delete", "Delete them too"),
]


def id_or_text(text: str | None) -> int | str | None:
    """A plain id as a number, nothing as None, anything else as typed (the service refuses it)."""
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else text


def _number_or_text(text: str | None) -> int | str:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else text


def _with_current(choices: list[SelectChoice], current: str | None, label: str | None = None) -> list[SelectChoice]:
    """`choices` plus the current value when it is not one of them (a detected odd delimiter,
    `cp1252`), labelled `label` or the value itself."""
    if current is None or any(choice.value == current for choice in choices):
        return choices
    return [*choices, SelectChoice(current, label or current)]


class UploadForm(FlaskForm):
    """The file, an optional preset (`user:<id>` or `builtin:<key>`) and the default category."""

    file = FileField(
        "Statement file", description="CSV, OFX/QFX, QIF, MT940, CAMT.053 XML or an ihatemoney JSON export"
    )
    preset = SelectField("Preset", validate_choice=False, description="Leave on “Detect” unless the file needs one.")
    default_category_id = SelectField(
        "Default category", validate_choice=False, description="For rows no rule or earlier expense suggests one for."
    )
    submit = SubmitField("Upload and preview")

    def preset_arguments(self) -> dict:
        """`preset_id=` or `builtin_preset=` of `imports.create_batch` ({} when detecting)."""
        chosen = (self.preset.data or "").strip()
        kind, _, value = chosen.partition(":")
        if kind == "builtin" and value:
            return {"builtin_preset": value}
        if kind == "user" and value:
            return {"preset_id": id_or_text(value)}
        if chosen:
            return {"preset_id": chosen}
        return {}


class MappingForm(FlaskForm):
    """The CSV settings of the mapping step. Sent by GET for the live preview (nothing stored:
    build it with `meta={"csrf": False}`) and by POST for "Use these settings" / "Save as preset"."""

    encoding = SelectField("Encoding", validate_choice=False)
    delimiter = SelectField("Delimiter", choices=DELIMITER_CHOICES, validate_choice=False)
    quotechar = SelectField("Quote", choices=QUOTE_CHOICES, validate_choice=False)
    skip_rows = StringField("Lines to skip before the header", render_kw={"inputmode": "numeric"})
    has_header = BooleanField("The first row read is a header")
    date_format = SelectField("Date format", validate_choice=False)
    decimal = SelectField("Decimal separator", choices=DECIMAL_CHOICES, validate_choice=False)
    thousands = SelectField("Thousands separator", choices=THOUSANDS_CHOICES, validate_choice=False)
    amount_sign = SelectField("Sign of the amounts", choices=SIGN_CHOICES, validate_choice=False)
    debit_values = StringField(
        "Direction values meaning money out", description="Comma-separated, e.g. D, Debit, S (with a direction column)."
    )
    default_currency = StringField("Currency when the file names none", render_kw={"placeholder": "e.g. EUR"})
    column_date = SelectField("Date", validate_choice=False)
    column_amount = SelectField("Amount", validate_choice=False)
    column_debit = SelectField("Debit (money out)", validate_choice=False)
    column_credit = SelectField("Credit (money in)", validate_choice=False)
    column_direction = SelectField("Direction (debit/credit marker)", validate_choice=False)
    column_description = SelectField("Description", validate_choice=False)
    column_payee = SelectField("Payee", validate_choice=False)
    column_notes = SelectField("Notes", validate_choice=False)
    column_currency = SelectField("Currency", validate_choice=False)
    column_category = SelectField("Category", validate_choice=False)
    column_tags = SelectField("Tags", validate_choice=False)
    column_external_id = SelectField("Transaction id", validate_choice=False)
    preset_name = StringField("Preset name", render_kw={"placeholder": "e.g. ING checking"})
    preview = SubmitField("Update preview")
    apply = SubmitField("Use these settings")
    save_preset = SubmitField("Save as preset")

    def role_fields(self):
        """(role, field) pairs in the order of ROLES."""
        return [(role, getattr(self, ROLE_FIELDS[role])) for role, _ in ROLES]

    def set_choices(self, columns: list[str], settings: dict, questions: list[dict]) -> None:
        """Fill the select boxes: the file's columns for every role, the date formats (common
        ones, the detected one and every question's options) and the encodings."""
        column_choices = [SelectChoice("", "— not in the file —")] + [SelectChoice(name, name) for name in columns]
        mapped = settings.get("columns") or {}
        for role, field in self.role_fields():
            field.choices = _with_current(column_choices, mapped.get(role))
        formats = [SelectChoice(value, label) for value, label in DATE_FORMATS]
        for question in questions:
            if question.get("setting") == "date_format":
                for option in question.get("options") or []:
                    formats = _with_current(formats, option, DATE_FORMAT_LABELS.get(option))
        self.date_format.choices = _with_current(formats, settings.get("date_format"))
        self.encoding.choices = _with_current([SelectChoice(name) for name in ENCODINGS], settings.get("encoding"))
        delimiter, quote = settings.get("delimiter"), settings.get("quotechar")
        self.delimiter.choices = _with_current(DELIMITER_CHOICES, delimiter, f"“{delimiter}”")
        self.quotechar.choices = _with_current(QUOTE_CHOICES, quote, f"“{quote}”")

    def fill_from(self, settings: dict) -> None:
        """Show `settings` (the batch's, as detected or confirmed) in the fields."""
        for name in ("encoding", "delimiter", "quotechar", "date_format", "decimal", "thousands", "amount_sign"):
            getattr(self, name).data = settings.get(name) or ""
        self.skip_rows.data = str(settings.get("skip_rows") or 0)
        self.has_header.data = bool(settings.get("has_header", True))
        self.debit_values.data = ", ".join(settings.get("debit_values") or [])
        self.default_currency.data = settings.get("default_currency") or ""
        mapped = settings.get("columns") or {}
        for role, field in self.role_fields():
            field.data = mapped.get(role) or ""

    def settings(self, base: dict) -> dict:
        """`base` (the batch's settings) with what the form says: the `CsvSettings.as_dict()`
        shape that `imports.read_preview` and `imports.update_batch` take."""
        chosen = dict(base)
        for name in ("encoding", "delimiter", "quotechar", "date_format", "decimal", "amount_sign"):
            chosen[name] = self[name].data or ""
        chosen["thousands"] = self.thousands.data or ""
        chosen["skip_rows"] = _number_or_text(self.skip_rows.data)
        chosen["has_header"] = bool(self.has_header.data)
        chosen["debit_values"] = split_tags(self.debit_values.data or "")
        chosen["default_currency"] = (self.default_currency.data or "").strip() or None
        # Roles the form does not show (a pending-status column the reader found) are kept.
        columns = {role: column for role, column in (base.get("columns") or {}).items() if role not in ROLE_FIELDS}
        columns.update({role: field.data for role, field in self.role_fields() if (field.data or "").strip()})
        chosen["columns"] = columns
        return chosen


DATE_ORDER_CHOICES = [
    SelectChoice("mdy", "Month first: 2/3/2026 is February 3"),
    SelectChoice("dmy", "Day first: 2/3/2026 is 2 March"),
]


class DateOrderForm(FlaskForm):
    """How a QIF file writes its dates (QIF names no format): month or day first."""

    date_order = RadioField("The dates in this file are written", choices=DATE_ORDER_CHOICES, validate_choice=False)
    submit = SubmitField("Read the dates this way")


class ImportRowForm(FlaskForm):
    """One preview row: import it or not, its category and its tags."""

    row_id = HiddenField()
    include = BooleanField("Import")
    category_id = SelectField("Category", validate_choice=False)
    tags = StringField("Tags")
    submit = SubmitField("Save")

    def changes(self, includable: bool) -> dict:
        """The change keywords of `imports.update_rows` (a row that cannot be imported is not
        sent `include`, so its category and tags can still be set)."""
        found = {"category_id": id_or_text(self.category_id.data), "tags": split_tags(self.tags.data or "")}
        if includable:
            found["include"] = bool(self.include.data)
        return found


class ImportBulkForm(FlaskForm):
    """A change to the ticked rows (checkboxes in the table point here with `form=`) or to every
    row of a status."""

    row_ids = SelectMultipleField("Rows", validate_choice=False)
    scope = RadioField("Apply to", choices=BULK_SCOPES, default="selected", validate_choice=False)
    status = SelectField("Status", choices=STATUS_CHOICES, default="new", validate_choice=False)
    action = SelectField("Action", choices=BULK_ACTIONS, validate_choice=False)
    category_id = SelectField("Category", validate_choice=False)
    tags = StringField("Tags", render_kw={"placeholder": "e.g. travel, work"})
    submit = SubmitField("Apply")

    def selection(self) -> dict:
        """`row_ids=` or `status=` of `imports.update_rows`."""
        if self.scope.data == "status":
            return {"status": self.status.data or ""}
        return {"row_ids": [id_or_text(value) for value in self.row_ids.data or [] if value.strip()]}

    def changes(self) -> dict:
        action = self.action.data
        if action in ("include", "exclude"):
            return {"include": action == "include"}
        if action == "category":
            return {"category_id": id_or_text(self.category_id.data) or ""}
        if action == "add_tags":
            return {"add_tags": split_tags(self.tags.data or "")}
        return {}


class ImportDefaultsForm(FlaskForm):
    """The batch's default category, for the rows nothing else proposes one for."""

    default_category_id = SelectField("Default category", validate_choice=False)
    submit = SubmitField("Set default category")


class ImportCommitForm(FlaskForm):
    """Import the included rows."""

    submit = SubmitField("Import")


class ImportUndoForm(FlaskForm):
    """Undo a committed batch; `edited` says what becomes of expenses edited since the import."""

    edited = RadioField("Expenses edited since the import", choices=EDITED_CHOICES, validate_choice=False)
    submit = SubmitField("Undo this import")

    def edited_choice(self) -> str | None:
        return (self.edited.data or "").strip() or None
