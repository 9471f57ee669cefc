"""The CAMT reader on our own camt.053.001.02/.001.08 and camt.052.001.08 fixtures: ids, signs,
pending entries, accounts, any namespace version; bad entries are row errors, bad files (not
CAMT, truncated, too many entries) UnreadableFile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings

from expense_app.statements import camt
from expense_app.statements.model import UnreadableFile
from tests.statements import damaged, sample

V02 = "own/camt053-v02-de.xml"
V08 = "own/camt053-v08-ch.xml"
REPORT = "own/camt052-v08-report.xml"


def entries(*ntry: str, namespace: str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02") -> bytes:
    return (
        f'<?xml version="1.0"?><Document xmlns="{namespace}"><BkToCstmrStmt><Stmt>'
        "<Acct><Id><IBAN>DE02100100100006820101</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + "".join(ntry)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def test_camt053_v02():
    parsed = camt.read(sample(V02), max_rows=100)
    assert parsed.format == "camt"
    assert parsed.account == "DE89370400440532013000" and parsed.currency == "EUR"
    rows = parsed.rows
    assert [(row.date, row.amount) for row in rows] == [
        (dt.date(2026, 11, 28), Decimal("-1234.56")),
        (dt.date(2026, 11, 28), Decimal("3000.00")),
        (dt.date(2026, 11, 29), Decimal("-89.90")),  # BookgDt/DtTm
        (dt.date(2026, 11, 30), Decimal("-44.08")),
        (dt.date(2026, 11, 30), Decimal("0.00")),
    ]
    # AcctSvcrRef, else NtryRef, else EndToEndId unless NOTPROVIDED.
    assert [row.external_id for row in rows] == [
        "2026112800001234",
        "2026112800001235",
        "N-0003",
        "CARD-778812",
        None,
    ]
    # The creditor names a debit, the debtor a credit; Ustrd lines are the notes.
    assert [row.description for row in rows] == [
        "Hausverwaltung Müller GmbH",
        "Beispiel AG",
        "Stadtwerke Köln",
        "REWE Markt",
        "Rechnungsabschluss",
    ]
    assert rows[0].notes == "Miete Dezember 2026 Wohnung 3 OG links"
    assert rows[3].notes == "Kartenzahlung"
    assert [row.pending for row in rows] == [False, False, False, True, False]
    assert [row.line for row in rows] == [33, 58, 75, 90, 104]
    assert rows[0].raw["Amt"] == "1234.56" and rows[0].raw["Amt@Ccy"] == "EUR"
    assert rows[0].raw["NtryDtls/TxDtls/RltdPties/Cdtr/Nm"] == "Hausverwaltung Müller GmbH"
    assert all(row.error is None for row in rows)


def test_camt053_v08_two_statements_batch_and_reversal():
    parsed = camt.read(sample(V08), max_rows=100)
    rows = parsed.rows
    assert parsed.account is None and parsed.currency is None  # two accounts, two currencies
    assert [row.account for row in rows] == [
        "CH9300762011623852957",
        "CH9300762011623852957",
        "CH9300762011623852957",
        "0235-123456.01",
    ]
    assert [(row.amount, row.currency) for row in rows] == [
        (Decimal("-120.35"), "CHF"),
        (Decimal("-250.00"), "CHF"),  # one batch entry of two transactions: one row
        (Decimal("75.50"), "CHF"),  # a reversal credited back: money in
        (Decimal("-19.99"), "EUR"),
    ]
    assert rows[0].description == "Migros Zürich"  # Cdtr/Pty/Nm (.001.08)
    assert rows[1].description == "SBB CFF FFS, Swisscom"
    assert rows[2].description == "Digitec Galaxus AG"
    assert [row.external_id for row in rows] == ["ZKB-9001", "ZKB-9002", "ZKB-9003", "CH-B-1"]
    assert [row.pending for row in rows] == [False, False, False, True]  # Sts/Cd


def test_camt052_report():
    parsed = camt.read(sample(REPORT), max_rows=100)
    assert parsed.account == "AT611904300234573201"
    assert [(row.date, row.amount, row.pending) for row in parsed.rows] == [
        (dt.date(2026, 12, 1), Decimal("-7.80"), False),
        (dt.date(2026, 12, 2), Decimal("-32.40"), True),  # no BookgDt: the value date
    ]
    assert parsed.rows[1].description == "Billa AG"
    assert parsed.rows[1].notes == "POS 01.12. 11:58"


@pytest.mark.parametrize(
    "namespace",
    [
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.13",
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04",
        "",
    ],
)
def test_any_namespace_reads_the_same(namespace):
    original = sample(V02)
    data = original.replace(
        b'xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"',
        f'xmlns="{namespace}"'.encode() if namespace else b"",
    )
    assert data != original
    mine = [(r.date, r.amount, r.external_id, r.description) for r in camt.read(data, max_rows=100).rows]
    want = [(r.date, r.amount, r.external_id, r.description) for r in camt.read(original, max_rows=100).rows]
    assert mine == want


def test_a_prefixed_namespace_reads_the_same():
    data = (
        b'<c:Document xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        b"<c:BkToCstmrStmt><c:Stmt><c:Acct><c:Id><c:IBAN>DE02100100100006820101</c:IBAN>"
        b"</c:Id></c:Acct>\n<c:Ntry><c:Amt Ccy='EUR'>5.00</c:Amt><c:CdtDbtInd>DBIT</c:CdtDbtInd>"
        b"<c:BookgDt><c:Dt>2026-01-02</c:Dt></c:BookgDt><c:NtryRef>P1</c:NtryRef></c:Ntry>"
        b"</c:Stmt></c:BkToCstmrStmt></c:Document>"
    )
    parsed = camt.read(data, max_rows=100)
    assert parsed.account == "DE02100100100006820101"
    assert [(row.amount, row.external_id, row.line) for row in parsed.rows] == [(Decimal("-5.00"), "P1", 2)]


def test_bad_entries_are_row_errors_and_the_others_are_read():
    data = entries(
        "<Ntry><Amt Ccy='EUR'>1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-02-31</Dt></BookgDt></Ntry>",
        "<Ntry><Amt Ccy='EUR'>1,5</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-02-01</Dt></BookgDt></Ntry>",
        "<Ntry><Amt Ccy='EUR'>2.00</Amt><CdtDbtInd>XXXX</CdtDbtInd><BookgDt><Dt>2026-02-01</Dt></BookgDt></Ntry>",
        "<Ntry><Amt Ccy='EUR'>3.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></Ntry>",
        "<Ntry><Amt Ccy='USD'>4.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><ValDt><Dt>2026-02-03</Dt></ValDt></Ntry>",
    )
    rows = camt.read(data, max_rows=100).rows
    assert [row.error for row in rows] == [
        "Unreadable date `2026-02-31`.",
        "Unreadable amount `1,5`.",
        "Unreadable debit/credit indicator `XXXX`.",
        "The entry has no date.",
        None,
    ]
    assert (rows[4].amount, rows[4].currency, rows[4].date) == (
        Decimal("-4.00"),
        "USD",
        dt.date(2026, 2, 3),
    )


def test_more_entries_than_max_rows_is_refused():
    with pytest.raises(UnreadableFile, match="more than 4 transactions"):
        camt.read(sample(V02), max_rows=4)
    assert len(camt.read(sample(V02), max_rows=5).rows) == 5


def test_truncated_garbage_and_other_xml_are_refused():
    data = sample(V02)
    with pytest.raises(UnreadableFile, match="not well-formed XML"):
        camt.read(data[: len(data) // 2], max_rows=100)
    with pytest.raises(UnreadableFile, match="not a CAMT"):
        camt.read(b"<?xml version='1.0'?><html><body>hello</body></html>", max_rows=100)
    for garbage in (b"", b"\x00\x01", b"just text", sample("ofx200-ofxparse-suncorp.ofx")):
        with pytest.raises(UnreadableFile):
            camt.read(garbage, max_rows=100)


def test_looks_like():
    assert all(camt.looks_like(sample(name)) for name in (V02, V08, REPORT))
    for other in ("ofx200-ofxparse-suncorp.ofx", "mt940-jejik-abnamro.sta", "csv-paypal-utf8_bom.csv"):
        assert not camt.looks_like(sample(other))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(damaged(sample(V02)) | damaged(sample(REPORT)))
def test_damaged_files_never_raise_anything_but_unreadable_file(data):
    try:
        parsed = camt.read(data, max_rows=100)
    except UnreadableFile:
        return
    for row in parsed.rows:
        assert row.error or (row.date is not None and row.amount is not None)


def test_hostile_nesting_is_read_without_recursion():
    # Deeper than Python's recursion limit, inside an entry and as nested statements.
    deep_entry = (
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><Stmt><Acct/><Ntry>'
        b'<Amt Ccy="EUR">1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-01-01</Dt></BookgDt>'
        + b"<X>" * 5000
        + b"deep"
        + b"</X>" * 5000
        + b"</Ntry></Stmt></Document>"
    )
    (row,) = camt.read(deep_entry, max_rows=100).rows
    assert row.amount == Decimal("-1.00") and "deep" not in row.raw.values()
    nested = (
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        + b"<Stmt><Acct/>" * 5000
        + b"</Stmt>" * 5000
        + b"</Document>"
    )
    assert camt.read(nested, max_rows=100).rows == []
