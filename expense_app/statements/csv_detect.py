"""Propose the settings of a CSV statement from its text, and say what is still uncertain.

Detection is a proposal: the user confirms it on the mapping step, and every setting detection
could not be sure of comes back as a `Question`. Steps: delimiter (`csv.Sniffer`, checked against
a count of fields per line), lines above the header (banks put account details there), the
header, column roles from header names in six languages, then the date format and the decimal
and thousands separators from the values themselves.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import Counter

from expense_app.statements import app_exports, dates, numbers
from expense_app.statements.csv_reader import column_names, footer_length, records
from expense_app.statements.csv_settings import DELIMITERS, CsvSettings
from expense_app.statements.decoding import decode
from expense_app.statements.model import Question, UnreadableFile

SAMPLE_LINES = 200

# Header names (normalised: lower case, no accents, punctuation as spaces) per role, best first:
# the first name a header has wins, so a booking date beats a value date.
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "date": (
        "buchungstag",
        "buchungsdatum",
        "transaction date",
        "booking date",
        "posting date",
        "posted date",
        "date",
        "datum",
        "date operation",
        "date de l operation",
        "date comptable",
        "boekdatum",
        "fecha",
        "fecha operacion",
        "fecha de operacion",
        "data",
        "data operazione",
        "data contabile",
        "started date",
        "completed date",
        "transactiondate",
        "date de comptabilisation",
        "value date",
        "valutadatum",
        "wertstellung",
        "date valeur",
    ),
    "amount": (
        "amount",
        "betrag",
        "montant",
        "bedrag",
        "importe",
        "importo",
        "transaction amount",
        "gross",
        "brut",
        "brutto",
        "umsatz",
        "montant operation",
        "importe operacion",
        "value",
        "net",
    ),
    "debit": (
        "debit amount",
        "debit",
        "paid out",
        "money out",
        "withdrawals",
        "withdrawal",
        "withdrawal amount",
        "soll",
        "ausgang",
        "lastschrift",
        "debet",
        "af",
        "debit eur",
        "montant debit",
        "cargo",
        "cargos",
        "addebiti",
        "uscite",
        "spent",
        "debit euros",
    ),
    "credit": (
        "credit amount",
        "credit",
        "paid in",
        "money in",
        "deposits",
        "deposit",
        "deposit amount",
        "haben",
        "eingang",
        "gutschrift",
        "bij",
        "credit eur",
        "montant credit",
        "abono",
        "abonos",
        "accrediti",
        "entrate",
        "received",
        "credit euros",
    ),
    "direction": (
        "balance impact",
        "debit credit",
        "credit debit",
        "soll haben",
        "debit credit indicator",
        "af bij",
        "cr dr",
        "dr cr",
        "s h",
        "sens",
    ),
    "payee": (
        "beguenstigter zahlungspflichtiger",
        "begunstigter zahlungspflichtiger",
        "auftraggeber zahlungsempfanger",
        "auftraggeber begunstigter",
        "payee",
        "name",
        "nom",
        "naam",
        "naam tegenpartij",
        "merchant",
        "beneficiary",
        "empfanger",
        "auftraggeber empfanger",
        "zahlungsempfanger",
        "zahlungsempfanger in",
        "partner name",
        "naam omschrijving",
        "name description",
        "tegenpartij",
        "counterparty name",
        "beneficiaire",
        "beneficiario",
        "nombre",
        "nome",
        "to",
        "recipient",
        "counterparty",
    ),
    "description": (
        "description",
        "transaction description",
        "verwendungszweck",
        "vorgang verwendungszweck",
        "buchungstext details",
        "libelle",
        "libelle operation",
        "omschrijving",
        "mededelingen",
        "notifications",
        "concepto",
        "descripcion",
        "descrizione",
        "causale",
        "item title",
        "payment reference",
        "details",
        "narrative",
        "reference",
        "particulars",
        "text",
        "buchungstext",
        "vorgang",
    ),
    "notes": ("notes", "note", "memo", "notiz", "notizen", "remarque", "opmerking", "nota", "notas", "subject"),
    "currency": (
        "currency",
        "waehrung",
        "wahrung",
        "devise",
        "moneda",
        "divisa",
        "currency code",
        "iso currency",
        "valuta",
    ),
    "category": ("category", "kategorie", "categorie", "categoria", "categoria", "rubrique"),
    "tags": ("tags", "tag", "labels", "etiketten", "etiquettes", "etiquetas", "etichette"),
    "external_id": (
        "transaction id",
        "n de transaction",
        "numero de transaction",
        "id de transaction",
        "transaktions id",
        "transaktionsnummer",
        "transactie id",
        "transaction reference",
        "fitid",
        "id transazione",
        "id de la transaccion",
        "reference number",
        "transferwise id",
        "numero d operation",
    ),
    "status": ("status", "info", "statut", "state", "estado", "stato", "buchungsstatus"),
}
# Never an amount, whatever else its name says.
BALANCE_NAMES = {"balance", "solde", "saldo", "kontostand", "running balance", "saldo nach buchung", "new balance"}


def normalise_name(name: str) -> str:
    """A header name compared across languages: `N° de transaction` -> `n de transaction`."""
    text = unicodedata.normalize("NFKD", name.lstrip("\ufeff")).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def detect(text: str) -> tuple[CsvSettings, list[Question]]:
    """Proposed settings for `text` (decoded) and the questions the user should answer.

    A header matching a built-in preset (an app's export) gives that preset's settings. Raises
    UnreadableFile when the text has no table of at least two columns.
    """
    lines = [line for line in text.split("\n")[: SAMPLE_LINES * 2] if line.strip()][:SAMPLE_LINES]
    if not lines:
        raise UnreadableFile("The file is empty.")
    # Excel's `sep=;` first line says the delimiter outright.
    hint = lines[0].strip().removeprefix("sep=") if lines[0].strip().startswith("sep=") else None
    delimiter = hint if hint in DELIMITERS else _delimiter(lines)
    settings = CsvSettings(delimiter=delimiter)
    sample = list(records("\n".join(text.split("\n")[: SAMPLE_LINES * 2]), settings))
    width, lines_with_width = _modal_width(sample)
    if len(sample) == 1 and width >= 2:
        raise UnreadableFile("This file has only one line (a header?) and no transactions.")
    # A table is a header and a row at least; one line with a comma in it is prose.
    if width < 2 or lines_with_width < 2:
        raise UnreadableFile(
            "This file does not look like a statement: no columns separated by comma, semicolon, "
            "tab or | were found. Export your statement as CSV, OFX, QIF, MT940 or CAMT."
        )
    start, settings.has_header = _table_start(sample, width)
    first_line, header_cells = sample[start]
    settings.skip_rows = first_line - 1
    body = [cells for _, cells in sample[start + 1 if settings.has_header else start :]]
    if settings.has_header:
        footer = footer_length(list(enumerate(body)), header_cells)
        body = body[: len(body) - footer]
        names = column_names(header_cells)
        builtin = app_exports.detect_builtin(header_cells)
        if builtin:
            return _builtin(builtin, settings, names, body)
    else:
        names = [str(i) for i in range(width)]
    questions: list[Question] = []
    settings.columns = _roles(names) if settings.has_header else {}
    _fallback_date_column(settings, names, body)
    proposed_amount = _fallback_amount_column(settings, names, body)
    _default_currency(settings)
    _date_format(settings, names, body, questions)
    _number_format(settings, names, body, questions)
    _direction(settings, names, body)
    _currency(settings, names, body)
    if proposed_amount:
        others = [name for name in names if name != proposed_amount]
        questions.append(
            Question(
                "columns.amount",
                f"No column is named like an amount; `{proposed_amount}` holds numbers. Is it the amount?",
                [proposed_amount, *others],
            )
        )
    for role, message in (("date", "Which column holds the date?"), ("amount", "Which column holds the amount?")):
        if role == "amount" and {"debit", "credit"} & set(settings.columns):
            continue
        if role not in settings.columns:
            questions.append(Question(f"columns.{role}", message, list(names)))
    return settings, questions


def _builtin(
    key: str, detected: CsvSettings, names: list[str], body: list[list[str]]
) -> tuple[CsvSettings, list[Question]]:
    """An app export's preset, with the dialect, dates and numbers the file itself shows: an
    export opened and saved again in a German spreadsheet has `;`, `02.01.2026` and `3,50`."""
    settings = CsvSettings.from_dict(
        {
            **app_exports.BUILTIN_PRESETS[key]["settings"],
            "delimiter": detected.delimiter,
            "skip_rows": detected.skip_rows,
        }
    )
    questions: list[Question] = []
    _date_format(settings, names, body, questions)
    _number_format(settings, names, body, questions)
    return settings, questions


def _delimiter(lines: list[str]) -> str:
    """Sniffer's pick when the field counts agree with it, else the most consistent candidate."""
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    scores = {d: _consistency(lines, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])
    if sniffed in scores and scores[sniffed] >= scores[best] * 0.9 and scores[sniffed] > 0:
        return sniffed
    return best


def _consistency(lines: list[str], delimiter: str) -> float:
    """How well `delimiter` splits `lines` into a table: lines of the modal width (>1), times
    that width's weight, so a preamble of short lines does not spoil a good candidate."""
    try:
        widths = [len(cells) for cells in csv.reader(lines, delimiter=delimiter)]
    except csv.Error:
        return 0
    counts = Counter(w for w in widths if w > 1)
    if not counts:
        return 0
    width, lines_with = counts.most_common(1)[0]
    # Wide and consistent wins: `;` splitting four rows into six cells beats `,` splitting
    # five German amounts (`-12,34`) into two.
    return lines_with * (width - 1)


def _modal_width(sample: list[tuple[int, list[str]]]) -> tuple[int, int]:
    """The most common number of cells (above one) per record, and how many records have it."""
    counts = Counter(len(cells) for _, cells in sample if len(cells) > 1)
    return counts.most_common(1)[0] if counts else (1, 0)


def _table_start(sample: list[tuple[int, list[str]]], width: int) -> tuple[int, bool]:
    """`(index of the header or first data record, whether it is a header)`.

    Candidates are records as wide as the table with at least half their cells filled (a
    preamble line padded with `;;;;` is not one). A header is a candidate of names followed by
    one that is not (so a title line of words above the header is skipped); without one, the
    first candidate holding a date starts the data.
    """
    wide = [
        i
        for i, (_, cells) in enumerate(sample)
        if len(cells) >= width and sum(1 for c in cells if c.strip()) >= max(2, (width + 1) // 2)
    ]
    if not wide:
        wide = [next(i for i, (_, cells) in enumerate(sample) if len(cells) >= width)]
    for i in wide:
        cells = sample[i][1]
        if _is_header(cells):
            following = sample[i + 1][1] if i + 1 < len(sample) else []
            if not following or not _is_header(following):
                return i, True
        elif any(dates.detect_format([cell])[0] for cell in cells):
            return i, False
    return wide[0], _is_header(sample[wide[0]][1])


def _looks_like_value(cell: str) -> bool:
    text = cell.strip()
    if not text:
        return False
    if dates.detect_format([text])[0]:
        return True
    try:
        numbers.parse_amount(text, decimal=".", thousands=",")
        return True
    except numbers.AmountError:
        pass
    try:
        numbers.parse_amount(text, decimal=",", thousands=".")
        return True
    except numbers.AmountError:
        return False


def _is_header(cells: list[str]) -> bool:
    """A header row names columns: no cell in it is a date or a number."""
    return not any(_looks_like_value(cell) for cell in cells)


def _column(names: list[str], body: list[list[str]], name: str) -> list[str]:
    i = names.index(name)
    return [cells[i] for cells in body if i < len(cells) and cells[i].strip()]


# A currency named in a header: `Amount (EUR)`, `Betrag (€)`, `Umsatz in EUR`, `Débit euros`.
_HEADER_CODE = re.compile(r"\s*[(\[]\s*([A-Z]{3}|€|£)\s*[)\]]\s*$|\s+(?:in\s+)?([A-Z]{3})$")
_HEADER_WORDS = {"eur": "EUR", "euro": "EUR", "euros": "EUR"}
_SYMBOLS = {"€": "EUR", "£": "GBP"}


def header_currency(name: str) -> tuple[str, str | None]:
    """`(normalised name without the currency, currency code or None)` of a header cell."""
    text = name.strip().lstrip("\ufeff")
    match = _HEADER_CODE.search(text)
    if match:
        code = match.group(1) or match.group(2)
        return normalise_name(text[: match.start()]), _SYMBOLS.get(code, code)
    words = normalise_name(text).split(" ")
    if len(words) > 1 and words[-1] in _HEADER_WORDS:
        return " ".join(words[:-1]), _HEADER_WORDS[words[-1]]
    return normalise_name(text), None


def _roles(names: list[str]) -> dict[str, str]:
    """Role -> column from the header names alone (values are checked by later steps)."""
    normalised = {name: header_currency(name)[0] for name in names}
    taken: set[str] = set()
    columns: dict[str, str] = {}
    for role, synonyms in ROLE_NAMES.items():
        for synonym in synonyms:
            match = next((n for n in names if normalised[n] == synonym and n not in taken), None)
            if match and not (role in {"amount", "debit", "credit"} and normalised[match] in BALANCE_NAMES):
                columns[role] = match
                taken.add(match)
                break
    if "amount" in columns and ("debit" in columns or "credit" in columns):
        # `Soll`/`Haben` with a `Betrag` next to them: the signed amount is simpler and certain.
        columns.pop("debit", None)
        columns.pop("credit", None)
    if "description" not in columns and "payee" not in columns and "notes" in columns:
        # Barclays' `Memo` is the only text of a row: it is the description, not a note.
        columns["description"] = columns.pop("notes")
    return columns


def _fallback_date_column(settings: CsvSettings, names: list[str], body: list[list[str]]) -> None:
    """Without a date header, the first column whose every value is a date."""
    if "date" in settings.columns:
        return
    for name in names:
        values = _column(names, body, name)
        if values and name not in settings.columns.values() and dates.detect_format(values)[0]:
            settings.columns["date"] = name
            return


def _fallback_amount_column(settings: CsvSettings, names: list[str], body: list[list[str]]) -> str | None:
    """Without an amount header, propose the first column (not a balance, not already mapped)
    whose every value is a number with a decimal mark, such as `-12,50`; the user confirms."""
    if {"amount", "debit", "credit"} & set(settings.columns):
        return None
    for name in names:
        if name in settings.columns.values() or header_currency(name)[0] in BALANCE_NAMES:
            continue
        values = _column(names, body, name)
        if values and all(_is_decimal_amount(v) for v in values):
            settings.columns["amount"] = name
            return name
    return None


def _is_decimal_amount(cell: str) -> bool:
    text = cell.strip()
    if not re.search(r"[.,][0-9]{1,2}-?\)?$", text):
        return False
    for decimal, thousands in ((".", ","), (",", ".")):
        try:
            numbers.parse_amount(text, decimal=decimal, thousands=thousands)
        except numbers.AmountError:
            continue
        return True
    return False


def _default_currency(settings: CsvSettings) -> None:
    """A currency named in the amount's header (`Amount (EUR)`) is every row's currency."""
    if "currency" in settings.columns:
        return
    for role in ("amount", "debit", "credit"):
        if role in settings.columns:
            code = header_currency(settings.columns[role])[1]
            if code:
                settings.default_currency = code
                return


def _date_format(settings: CsvSettings, names: list[str], body: list[list[str]], questions: list[Question]) -> None:
    if "date" not in settings.columns:
        return
    proposed, question = dates.detect_format(_column(names, body, settings.columns["date"]))
    if proposed is None:
        questions.append(
            Question(
                "date_format", "The dates of this file are in no format we know; choose one.", list(dates.DATE_FORMATS)
            )
        )
        return
    settings.date_format = proposed
    if question:
        questions.append(question)


def _number_format(settings: CsvSettings, names: list[str], body: list[list[str]], questions: list[Question]) -> None:
    values = [
        v
        for role in ("amount", "debit", "credit")
        if role in settings.columns
        for v in _column(names, body, settings.columns[role])
    ]
    settings.decimal, settings.thousands, question = numbers.detect_format(values)
    if question:
        questions.append(question)


# Values a direction column holds, in pairs (money out first); Volksbank's S/H column often
# has no name at all, so it is found by these.
DIRECTION_PAIRS = (
    ("s", "h"),
    ("d", "c"),
    ("dr", "cr"),
    ("debit", "credit"),
    ("af", "bij"),
    ("soll", "haben"),
)


def _direction(settings: CsvSettings, names: list[str], body: list[list[str]]) -> None:
    """A direction column only for unsigned amounts (a signed amount is already certain): the
    one named so, or else a column holding nothing but a pair of markers such as `S`/`H`."""
    signed = "amount" not in settings.columns or any(
        v.strip().startswith(("-", "(")) or v.strip().endswith("-")
        for v in _column(names, body, settings.columns["amount"])
    )
    if signed:
        settings.columns.pop("direction", None)
        return
    if "direction" in settings.columns:
        return
    for name in names:
        if name in settings.columns.values():
            continue
        values = {v.strip().lower() for v in _column(names, body, name)}
        if values and any(values <= set(pair) and pair[0] in values for pair in DIRECTION_PAIRS):
            settings.columns["direction"] = name
            return


def _currency(settings: CsvSettings, names: list[str], body: list[list[str]]) -> None:
    if "currency" not in settings.columns:
        return
    values = _column(names, body, settings.columns["currency"])
    if not values or not all(len(v.strip()) == 3 and v.strip().isalpha() for v in values):
        settings.columns.pop("currency")


def header_signature(data: bytes, settings: dict) -> str | None:
    """sha256 (hex) of the file's normalised header row read with `settings`, for matching a
    preset to a new file; None when the settings say there is no header or none can be read."""
    try:
        parsed = CsvSettings.from_dict(settings)
        if not parsed.has_header:
            return None
        text, _ = decode(data, parsed.encoding if settings.get("encoding") else None)
        first = next(records(text, parsed), None)
    except (UnreadableFile, ValueError):
        return None
    if first is None:
        return None
    cells = [normalise_name(cell) for cell in first[1]]
    while cells and not cells[-1]:
        cells.pop()
    return hashlib.sha256("\x1f".join(cells).encode()).hexdigest()
