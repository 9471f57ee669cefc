"""The MT940 reader: both samples yield what MANIFEST.json says (ABN AMRO's non-SWIFT header,
German `?` subfields, two accounts); C/D/RC/RD signs, entry vs value date, references; one bad
`:61:` is one row error; the library neither logs nor crashes on damaged files."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest
from hypothesis import given, settings

from expense_app.statements import mt940
from expense_app.statements.model import UnreadableFile
from tests.statements import damaged, expected, figures, manifest, sample

SAMPLES = ["mt940-jejik-abnamro.sta", "mt940-betterplace-sepa_snippet_de.sta"]


def statement(*records: str) -> bytes:
    """One MT940 statement of account NL01BANK0123456789 in EUR around `records` (:61:/:86:)."""
    body = "".join(f"{record}\n" for record in records)
    return (
        f":20:REF1\n:25:NL01BANK0123456789\n:28C:1/1\n:60F:C260101EUR100,00\n{body}:62F:C260131EUR100,00\n-\n"
    ).encode("ascii")


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_yields_what_the_manifest_says(name):
    entry = manifest(name)
    parsed = mt940.read(sample(name), max_rows=100_000)
    assert parsed.format == "mt940"
    assert figures(parsed) == expected(entry)
    ids = [row.external_id for row in parsed.rows if row.external_id]
    assert len(set(ids)) == len(ids) == entry["ids_present"]


def test_german_sample_per_account_and_subfields():
    entry = manifest("mt940-betterplace-sepa_snippet_de.sta")
    rows = mt940.read(sample("mt940-betterplace-sepa_snippet_de.sta"), max_rows=100).rows
    for account, want in entry["by_account"].items():
        mine = [row for row in rows if row.account == account]
        debits = [row.amount for row in mine if row.amount < 0]
        assert len(mine) == want["transactions"]
        assert len(debits) == want["debits"]
        assert -sum(debits) == Decimal(want["debit_sum"])
    first = rows[0]
    # ?32 + ?33 is the name; ?20..?29 the purpose, joined as the bank cut them.
    assert first.description == "KARL KAUFMANN"
    assert first.notes == "EREF+EndToEndId TFNR 22 004 00001SVWZ+Verw CTSc-01 BC-PPP TFNr 22 004"
    # CR50990,05: C (credit) + funds code R, not a reversal.
    assert first.amount == Decimal("50990.05")
    assert first.external_id == "0724710333343453"
    # Entry date 0904 (the value date is 070907).
    assert first.date == dt.date(2007, 9, 4)
    assert first.raw["61"].startswith("0709070904CR50990,05")
    assert first.raw["86"].startswith("166?00GUTSCHRIFT")
    assert first.line == 5
    # Without a name the posting text (?00) describes the row; NONREF without // has no id.
    last = rows[-1]
    assert (last.description, last.external_id, last.amount) == (
        "SAMMLER",
        None,
        Decimal("-3572569.03"),
    )


def test_abn_amro_header_and_free_text_details():
    parsed = mt940.read(sample("mt940-jejik-abnamro.sta"), max_rows=100)
    assert parsed.account == "517852257" and parsed.currency == "EUR"
    assert parsed.rows[1].description == ("BEA NR:XXX1234 21.05.11/12.54 DIRCKIII FIL2500 KATWIJK,PAS999")
    assert parsed.rows[1].date == dt.date(2011, 5, 23)  # entry date, value date 110521
    assert parsed.rows[3].amount == Decimal("-11.8")  # '11,8'
    assert parsed.rows[-2].line == 36  # second statement, after the repeated header


def test_signs_of_credit_debit_and_reversal_marks():
    rows = mt940.read(
        statement(
            ":61:2601050105C10,00NTRFNONREF//B1",
            ":61:2601050105D11,00NTRFNONREF//B2",
            ":61:2601050105RC12,00NTRFNONREF//B3",
            ":61:2601050105RD13,00NTRFNONREF//B4",
            ":61:2601050105DR14,00NTRFNONREF//B5",
        ),
        max_rows=100,
    ).rows
    assert [row.amount for row in rows] == [
        Decimal("10.00"),
        Decimal("-11.00"),
        Decimal("-12.00"),  # reversal of a credit: money out
        Decimal("13.00"),  # reversal of a debit: money in
        Decimal("-14.00"),  # D + funds code R
    ]
    assert [row.external_id for row in rows] == ["B1", "B2", "B3", "B4", "B5"]
    assert all(row.currency == "EUR" and row.account == "NL01BANK0123456789" for row in rows)


def test_value_date_when_there_is_no_entry_date_and_nonref_is_no_id():
    rows = mt940.read(statement(":61:260107D5,00NMSCNONREF//NONREF", ":86:Coffee"), max_rows=100).rows
    assert rows[0].date == dt.date(2026, 1, 7)
    assert rows[0].external_id is None
    assert rows[0].description == "Coffee"


def test_a_bad_record_is_a_row_error_and_the_others_are_read():
    data = statement(
        ":61:2601050105D1,00NTRFNONREF//OK1",
        ":86:first",
        ":61:2613450105D2,00NTRFNONREF//BAD",
        ":86:bad date",
        ":61:2601060106D3,00NTRFNONREF//OK2",
        ":86:third",
    )
    rows = mt940.read(data, max_rows=100).rows
    assert len(rows) == 3
    assert rows[1].error == "Unreadable transaction line `:61:2613450105D2,00NTRFNONREF//BAD`."
    assert rows[1].raw == {"61": "2613450105D2,00NTRFNONREF//BAD", "86": "bad date"}
    assert [(row.amount, row.external_id, row.error) for row in (rows[0], rows[2])] == [
        (Decimal("-1.00"), "OK1", None),
        (Decimal("-3.00"), "OK2", None),
    ]


def test_more_records_than_max_rows_is_refused():
    with pytest.raises(UnreadableFile, match="more than 9 transactions"):
        mt940.read(sample("mt940-jejik-abnamro.sta"), max_rows=9)


def test_garbage_and_other_formats_are_refused():
    for data in (b"", b"random text\n", sample("ofx102-ofxparse-bank_medium.ofx"), b":61:x\n"):
        with pytest.raises(UnreadableFile):
            mt940.read(data, max_rows=100)


def test_looks_like():
    assert all(mt940.looks_like(sample(name)) for name in SAMPLES)
    for other in ("ofx102-ofxparse-bank_medium.ofx", "qif-quiffen-test_us_splits.qif"):
        assert not mt940.looks_like(sample(other))


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.names: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.names.append(record.name)


def test_the_library_neither_logs_nor_prints_on_bad_input(capsys):
    # The app's log handlers hang on the root logger: nothing of the library's may reach them
    # (it logs the unreadable statement text). pytest's caplog attaches to non-propagating
    # loggers itself, so a handler of our own is the witness.
    root = logging.getLogger()
    witness, level = _Collect(), root.level
    root.addHandler(witness)
    root.setLevel(logging.DEBUG)
    try:
        data = statement(":61:2613450105D2,00NTRFNONREF//BAD", ":61:zzzz")
        rows = mt940.read(data, max_rows=100).rows
    finally:
        root.removeHandler(witness)
        root.setLevel(level)
    assert [row.error is not None for row in rows] == [True, True]
    assert [name for name in witness.names if name.startswith("mt940")] == []
    assert capsys.readouterr() == ("", "")


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(damaged(sample(SAMPLES[0])) | damaged(sample(SAMPLES[1])))
def test_damaged_files_never_raise_anything_but_unreadable_file(data):
    try:
        parsed = mt940.read(data, max_rows=100)
    except UnreadableFile:
        return
    for row in parsed.rows:
        assert row.error or (row.date is not None and row.amount is not None)


def test_a_swift_fin_envelope_does_not_leak_into_the_details():
    data = (
        b"{1:F01BANKDEFFAXXX0000000000}{2:O9400000000000BANKDEFFAXXX00000000000000000000N}{4:\n"
        b":20:REF\n:25:DE02100100100006820101\n:28C:1/1\n:60F:C260101EUR10,00\n"
        b":61:2601020102D2,50NMSCNONREF//X1\n:86:Kaffee\n-}{5:{CHK:0000}}\n"
    )
    parsed = mt940.read(data, max_rows=100)
    assert [(row.description, row.amount, row.external_id) for row in parsed.rows] == [
        ("Kaffee", Decimal("-2.50"), "X1")
    ]


def test_dutch_keyword_details():
    data = statement(
        ":61:2601020102D750,00NTRFNONREF//ING1",
        ":86:/TRTP/SEPA OVERBOEKING/IBAN/NL91ABNA0417164300/BIC/ABNANL2A/NAME/J. Jans",
        "en/REMI/USTD//Huur december 2026/EREF/NOTPROVIDED",
    )
    row = mt940.read(data, max_rows=100).rows[0]
    assert (row.description, row.notes) == ("J. Jansen", "Huur december 2026")
