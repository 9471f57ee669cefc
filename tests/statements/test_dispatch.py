"""read_statement: binary files refused in words, formats told apart by content, CSV by default."""

from __future__ import annotations

import gzip
import io
import zipfile
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_app.statements.dispatch import BINARY_MESSAGE, read_statement
from expense_app.statements.model import ParsedFile, UnreadableFile

CSV = b"Date,Amount,Description\n2026-01-02,-3.50,Coffee\n2026-01-03,-4.00,Tea\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("statement.csv", CSV)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_zip(), id="zip/xlsx"),
        pytest.param(gzip.compress(CSV), id="gzip"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", id="pdf"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", id="jpeg"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, id="xls"),
        pytest.param(CSV + b"\x00\x01\x02", id="nul bytes"),
        pytest.param(bytes(range(1, 32)) * 20 + b"a,b\n", id="control characters"),
    ],
)
def test_binary_files_are_refused_with_what_to_export_instead(data):
    with pytest.raises(UnreadableFile) as error:
        read_statement(data, filename="statement.csv")

    assert str(error.value) == BINARY_MESSAGE
    assert "CSV, OFX, QIF, MT940 or CAMT" in str(error.value)


@pytest.mark.parametrize("data", [b"", b"   \n\n"])
def test_empty_files_are_refused(data):
    with pytest.raises(UnreadableFile, match="empty"):
        read_statement(data)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("ofx102-ofxparse-bank_medium.ofx", "ofx"),
        ("ofx200-ofxparse-suncorp.ofx", "ofx"),
        ("qif-quiffen-test_us_splits.qif", "qif"),
        ("mt940-jejik-abnamro.sta", "mt940"),
        ("mt940-betterplace-sepa_snippet_de.sta", "mt940"),
        ("csv-de_sparkasse-camtcsv_latin1.csv", "csv"),
        ("csv-uk_lloyds-debit_credit.csv", "csv"),
        ("csv-paypal_fr-multicurrency.csv", "csv"),
        ("csv-paypal-utf8_bom.csv", "csv"),
    ],
)
def test_every_sample_goes_to_its_reader_whatever_its_name(sample, name, fmt):
    data, expected = sample(name)

    parsed = read_statement(data, filename="download.txt")

    assert parsed.format == fmt
    assert len(parsed.rows) == expected["transactions"]


def test_utf16_csv_is_read():
    data = CSV.decode().replace("Coffee", "Café").encode("utf-16")

    parsed = read_statement(data)

    assert [r.description for r in parsed.rows] == ["Café", "Tea"]
    assert parsed.settings["encoding"] == "utf-16-le"


def test_given_settings_are_used_as_they_are_and_nothing_is_asked():
    ambiguous = b"Date,Amount\n01/02/2026,-1.00\n"
    detected = read_statement(ambiguous)
    assert [q.setting for q in detected.questions] == ["date_format"]

    confirmed = read_statement(ambiguous, settings={**detected.settings, "date_format": "%m/%d/%Y"})

    assert confirmed.questions == []
    assert confirmed.rows[0].date.isoformat() == "2026-01-02"
    assert confirmed.settings["date_format"] == "%m/%d/%Y"


@pytest.mark.parametrize(
    ("settings_", "message"),
    [
        ({"delimiter": "x"}, "delimiter must be one of"),
        ({"columns": {"price": "Amount"}}, "Unknown column role `price`"),
        ({"colour": "red"}, "Unknown CSV setting: colour"),
        ({"date_format": "%H:%M"}, "needs a day, a month and a year"),
        ({"decimal": ",", "thousands": ","}, "must differ"),
        ({"encoding": "klingon"}, "Unknown text encoding"),
        ({"skip_rows": -1}, "Lines to skip"),
    ],
)
def test_bad_settings_are_refused_in_words(settings_, message):
    with pytest.raises(UnreadableFile, match=message):
        read_statement(CSV, settings=settings_)


def test_row_limit_counts_transactions():
    assert len(read_statement(CSV, max_rows=2).rows) == 2
    with pytest.raises(UnreadableFile, match="more than 1 transactions"):
        read_statement(CSV, max_rows=1)


def test_row_limit_message_writes_the_limit_with_thousands_separators():
    data = b"Date,Amount\n" + b"2026-01-02,-1.00\n" * 1001

    assert len(read_statement(data, max_rows=1001).rows) == 1001
    with pytest.raises(UnreadableFile, match="more than 1,000 transactions; split it into smaller files"):
        read_statement(data, max_rows=1000)


def test_row_limit_applies_to_json_exports_too():
    bills = b'[{"date": "2026-01-02", "what": "a", "amount": 1}, {"date": "2026-01-03", "what": "b", "amount": 2}]'

    assert len(read_statement(bills, max_rows=2).rows) == 2
    with pytest.raises(UnreadableFile, match="more than 1 transactions"):
        read_statement(bills, max_rows=1)


def test_detected_settings_come_back_with_the_file():
    parsed = read_statement(CSV)

    assert parsed.settings["columns"] == {"date": "Date", "amount": "Amount", "description": "Description"}
    assert parsed.settings["encoding"] == "utf-8"
    assert [r.amount for r in parsed.rows] == [Decimal("-3.50"), Decimal("-4.00")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_are_read_or_refused_never_crash(data):
    try:
        parsed = read_statement(data)
    except UnreadableFile as error:
        assert str(error)
    else:
        assert isinstance(parsed, ParsedFile)


_CSVISH = st.text(alphabet=st.sampled_from(list("0123456789,;.-/\t|\"' \n\r=+@abcDEFäü€\u00a0")), max_size=600)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_CSVISH, st.text(max_size=600)))
def test_random_text_is_read_or_refused_never_crash(text):
    try:
        parsed = read_statement(text.encode("utf-8"))
    except UnreadableFile as error:
        assert str(error)
    else:
        assert all(row.raw is not None and (row.error is None or row.error) for row in parsed.rows)


def test_a_format_reader_that_is_not_installed_is_skipped(monkeypatch, sample):
    from expense_app.statements import dispatch

    real = dispatch.importlib.import_module

    def without_ofx(name):
        if name == "expense_app.statements.ofx":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name)

    monkeypatch.setattr(dispatch.importlib, "import_module", without_ofx)

    assert read_statement(CSV).format == "csv"
    assert read_statement(sample("mt940-jejik-abnamro.sta")[0]).format == "mt940"


def test_a_broken_format_reader_is_not_hidden(monkeypatch):
    from expense_app.statements import dispatch

    def broken(name):
        raise ModuleNotFoundError("No module named 'lxml'", name="lxml")

    monkeypatch.setattr(dispatch.importlib, "import_module", broken)

    with pytest.raises(ModuleNotFoundError, match="lxml"):
        read_statement(CSV)


_DATES = st.builds(
    lambda d, m, y, sep: f"{d:02d}{sep}{m:02d}{sep}{y}",
    st.integers(0, 32),
    st.integers(0, 13),
    st.sampled_from(["2026", "26", "1899"]),
    st.sampled_from(["/", ".", "-"]),
)
_CELLS = st.one_of(
    _DATES,
    st.sampled_from(["-1,234", "1.234,56", "-3.000", "12.50 DR", "(4.00)", "", "1'000.00", "2\u00a0000,00", "0"]),
    st.sampled_from(["offen", "Miete", "Debit", "Pending", "REVERTED", "EUR", "€", "=1+1"]),
)
_HEADERS = st.lists(
    st.sampled_from(
        ["Date", "Datum", "Amount", "Betrag", "Debit", "Credit", "Currency", "Status", "Memo", "Balance", "Af Bij"]
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_HEADERS, st.lists(st.lists(_CELLS, min_size=1, max_size=6), max_size=8), st.sampled_from([",", ";", "\t"]))
def test_statement_like_tables_are_read_or_refused_never_crash(header, rows, delimiter):
    data = "\n".join([delimiter.join(header), *(delimiter.join(row) for row in rows)]).encode()

    try:
        parsed = read_statement(data)
    except UnreadableFile as error:
        assert str(error)
    else:
        assert all(row.error or (row.date is not None and row.amount is not None) for row in parsed.rows)
