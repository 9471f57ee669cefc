"""The OFX/QFX reader: the real samples yield what MANIFEST.json says, our fixtures cover decimal
commas, Latin-1 QFX, several statements per file, pending records; bad records become row errors,
bad files UnreadableFile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings

from expense_app.statements import ofx
from expense_app.statements.model import UnreadableFile
from expense_app.statements.xml_safety import ENTITY_MESSAGE
from tests.statements import damaged, expected, figures, manifest, sample

SAMPLES = ["ofx102-ofxparse-bank_medium.ofx", "ofx200-ofxparse-suncorp.ofx"]

SGML_HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
    "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)


def sgml(transactions: str, currency: str = "USD") -> bytes:
    """A minimal OFX 1.02 bank statement around `transactions` (STMTTRN records)."""
    return (
        SGML_HEADER
        + f"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>{currency}"
        + "<BANKACCTFROM><BANKID>1<ACCTID>2</BANKACCTFROM><BANKTRANLIST>\n"
        + transactions
        + "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    ).encode("ascii")


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_yields_what_the_manifest_says(name):
    entry = manifest(name)
    parsed = ofx.read(sample(name), max_rows=100_000)
    assert parsed.format == "ofx"
    assert figures(parsed) == expected(entry)
    assert parsed.currency == entry["currency"]
    assert len({row.external_id for row in parsed.rows}) == entry["ids_present"]


def test_sgml_sample_rows_carry_fitid_name_memo_account_and_lines():
    parsed = ofx.read(sample("ofx102-ofxparse-bank_medium.ofx"), max_rows=100)
    first = parsed.rows[0]
    assert first.external_id == "0000123456782009040100001"
    assert first.description == "MCDONALD'S #112"
    assert first.notes == "POS MERCHANDISE;MCDONALD'S #112"
    assert first.date == dt.date(2009, 4, 1)  # from 20090401122017.000[-5:EST]
    assert first.amount == Decimal("-6.60")
    # The account id keeps its space; the bank id is in front.
    assert first.account == parsed.account == "160000100/12300 000012345678"
    assert [row.line for row in parsed.rows] == [15, 16, 17]
    assert first.raw["TRNAMT"] == "-6.60" and first.raw["FITID"] == first.external_id


def test_xml_sample_strips_cdata_padding():
    row = ofx.read(sample("ofx200-ofxparse-suncorp.ofx"), max_rows=100).rows[0]
    assert row.description == "EFTPOS WDL HANDYWAY ALDI STORE"
    assert row.notes == "EFTPOS WDL HANDYWAY ALDI STORE GEELONG WEST VICAU"
    assert row.account == "SUNCORP/123456789"


def test_raw_is_the_same_on_every_read():
    data = sample("ofx102-ofxparse-bank_medium.ofx")
    first = [row.raw for row in ofx.read(data, max_rows=100).rows]
    assert first == [row.raw for row in ofx.read(data, max_rows=100).rows]
    assert len({tuple(sorted(raw.items())) for raw in first}) == 3


def test_decimal_commas_are_read():
    parsed = ofx.read(sample("own/ofx102-decimal-comma.ofx"), max_rows=100)
    assert [row.amount for row in parsed.rows] == [
        Decimal("-12.50"),
        Decimal("-1234.56"),
        Decimal("2500.00"),
        Decimal("-3.9"),
    ]
    assert parsed.currency == "EUR"
    assert parsed.account == "30004/00012345678"
    assert all(row.error is None for row in parsed.rows)


def test_latin1_qfx_credit_card_statement():
    parsed = ofx.read(sample("own/qfx102-latin1-creditcard.qfx"), max_rows=100)
    assert [row.description for row in parsed.rows] == [
        "Café Dépôt Montréal",
        "Épicerie Côté & Fils",
        "Paiement reçu - merci",
    ]
    assert parsed.rows[0].notes == "Achat - carte crédit"
    assert parsed.account == "4540123412341234"
    assert parsed.currency == "CAD"
    assert [row.amount for row in parsed.rows] == [
        Decimal("-45.67"),
        Decimal("-120.00"),
        Decimal("165.67"),
    ]


def test_several_statements_pending_foreign_currency_and_investments_left_out():
    parsed = ofx.read(sample("own/ofx211-multi-account.ofx"), max_rows=100)
    rows = parsed.rows
    assert len(rows) == 7
    assert parsed.account is None  # two accounts
    assert {row.account for row in rows} == {"021000021/000111222333", "4111111111114321"}
    assert [row.external_id for row in rows] == [
        "CHK-1",
        "CHK-2",
        "CHK-3",
        "CHK-4",
        None,
        "CC-1",
        "CC-2",
    ]
    # Two identical coffees are two rows, told apart by their FITIDs.
    assert rows[0].raw != rows[1].raw
    assert rows[2].description == "Card payment"  # PAYEE/NAME
    assert rows[2].notes == "Transfer to card ending 4321"
    assert rows[3].currency == "GBP"  # the record's CURRENCY aggregate
    pending = rows[4]
    assert pending.pending and pending.date == dt.date(2026, 11, 30)
    assert pending.amount == Decimal("-61.30")
    assert [row.pending for row in rows].count(True) == 1
    assert parsed.warnings == ["2 investment records were left out."]
    assert rows[5].line == 85


def test_a_bad_record_is_a_row_error_and_the_others_are_read():
    data = sgml(
        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260231<TRNAMT>-1.00<FITID>a</STMTTRN>\n"
        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260201<TRNAMT>12x<FITID>b</STMTTRN>\n"
        "<STMTTRN><TRNTYPE>DEBIT<TRNAMT>-2.00<FITID>c</STMTTRN>\n"
        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260202<TRNAMT>-3.00<FITID>d<NAME>Ok</STMTTRN>\n"
    )
    rows = ofx.read(data, max_rows=100).rows
    assert [row.error for row in rows] == [
        "Unreadable date `20260231`.",
        "Unreadable amount `12x`.",
        "The transaction has no date.",
        None,
    ]
    assert rows[3].amount == Decimal("-3.00") and rows[3].description == "Ok"


def test_closed_leaf_tags_lower_case_and_entities_in_sgml():
    data = sgml(
        "<stmttrn><trntype>DEBIT</trntype><dtposted>20260105</dtposted>"
        "<trnamt>-9.99</trnamt><fitid>x1</fitid><name>Fish &amp; Chips</name><memo></stmttrn>\n"
    )
    row = ofx.read(data, max_rows=100).rows[0]
    assert (row.date, row.amount, row.external_id, row.description) == (
        dt.date(2026, 1, 5),
        Decimal("-9.99"),
        "x1",
        "Fish & Chips",
    )


def test_zero_amount_records_are_rows():
    data = sgml("<STMTTRN><TRNTYPE>OTHER<DTPOSTED>20260105<TRNAMT>0.00<FITID>z</STMTTRN>\n")
    rows = ofx.read(data, max_rows=100).rows
    assert len(rows) == 1 and rows[0].amount == 0 and rows[0].error is None


def test_more_records_than_max_rows_is_refused():
    with pytest.raises(UnreadableFile, match="more than 2 transactions"):
        ofx.read(sample("ofx102-ofxparse-bank_medium.ofx"), max_rows=2)
    assert len(ofx.read(sample("ofx102-ofxparse-bank_medium.ofx"), max_rows=3).rows) == 3


@pytest.mark.parametrize("name", SAMPLES)
def test_a_truncated_file_is_refused(name):
    data = sample(name)
    with pytest.raises(UnreadableFile, match="incomplete"):
        ofx.read(data[: len(data) * 2 // 3], max_rows=100)


def test_garbage_and_other_formats_are_refused():
    for data in (b"", b"hello world", sample("qif-quiffen-test_us_splits.qif"), b"\x00\x01\x02"):
        with pytest.raises(UnreadableFile):
            ofx.read(data, max_rows=100)


@pytest.mark.parametrize("name", ["own/evil-ofx2-billion-laughs.ofx", "own/evil-ofx1-external-entity.ofx"])
def test_entity_declarations_are_refused(name):
    with pytest.raises(UnreadableFile) as refused:
        ofx.read(sample(name), max_rows=100)
    assert str(refused.value) == ENTITY_MESSAGE


def test_looks_like():
    assert all(ofx.looks_like(sample(name)) for name in SAMPLES)
    assert ofx.looks_like(sample("own/qfx102-latin1-creditcard.qfx"))
    assert ofx.looks_like(sample("own/ofx211-multi-account.ofx"))
    for other in (
        "qif-quiffen-test_us_splits.qif",
        "mt940-jejik-abnamro.sta",
        "csv-paypal-utf8_bom.csv",
        "own/camt053-v02-de.xml",
    ):
        assert not ofx.looks_like(sample(other))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(damaged(sample("ofx102-ofxparse-bank_medium.ofx")) | damaged(sample("ofx200-ofxparse-suncorp.ofx")))
def test_damaged_files_never_raise_anything_but_unreadable_file(data):
    try:
        parsed = ofx.read(data, max_rows=100)
    except UnreadableFile:
        return
    for row in parsed.rows:
        assert row.error or (row.date is not None and row.amount is not None)


def test_hostile_nesting_is_read_in_one_pass():
    nested_records = SGML_HEADER.encode() + b"<OFX><STMTRS><CURDEF>EUR" + b"<STMTTRN><TRNAMT>-1.00" * 3000 + b"</OFX>"
    rows = ofx.read(nested_records, max_rows=5000).rows
    assert len(rows) == 3000 and all(row.amount == Decimal("-1.00") for row in rows)
    stray_closes = SGML_HEADER.encode() + b"<OFX>" + b"<A>" * 3000 + b"</B>" * 3000 + b"</OFX>"
    assert ofx.read(stray_closes, max_rows=100).rows == []
