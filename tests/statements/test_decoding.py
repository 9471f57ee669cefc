"""Bytes to text: BOMs, strict UTF-8, then a guess that keeps German umlauts right."""

from __future__ import annotations

import pytest

from expense_app.statements.decoding import decode
from expense_app.statements.model import UnreadableFile


def test_sparkasse_latin1_sample_decodes_umlauts(sample):
    data, expected = sample("csv-de_sparkasse-camtcsv_latin1.csv")

    text, encoding = decode(data)

    assert encoding in {"cp1252", "latin-1"}
    for word in expected["sample_text"]:
        assert word in text
    assert "Ã" not in text  # no UTF-8 misread


def test_utf8_bom_is_removed(sample):
    data, _ = sample("csv-paypal-utf8_bom.csv")

    text, encoding = decode(data)

    assert encoding == "utf-8-sig"
    assert text.startswith('"Date"')


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_mark(codec):
    source = "Datum;Empfänger\r\n01.02.2026;Müller\r\n"
    data = source.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data

    text, _ = decode(data)

    assert text == "Datum;Empfänger\n01.02.2026;Müller\n"


def test_plain_utf8_wins_over_guessing():
    text, encoding = decode("Paiement préapprouvé;Zürich\n".encode())

    assert (text, encoding) == ("Paiement préapprouvé;Zürich\n", "utf-8")


def test_windows_1252_german_text():
    source = "Buchungstag;Empfänger;Betrag\n02.01.2026;Bäckerei Müller \u2013 Brötchen;-3,40 €\n"

    text, encoding = decode(source.encode("cp1252"))

    assert encoding == "cp1252"
    assert text == source


def test_polish_windows_1250_text_is_not_turned_into_western_symbols():
    source = "Zażółć gęślą jaźń;12,50\nŁódź;3,00\n"

    text, encoding = decode(source.encode("cp1250"))

    assert (text, encoding) == (source, "cp1250")


def test_line_ends_are_normalised():
    assert decode(b"a;b\r\nc;d\re;f\n")[0] == "a;b\nc;d\ne;f\n"


def test_a_chosen_encoding_is_used_for_bytes_that_are_not_utf8():
    assert decode("Müller".encode("cp1252"), "cp1252") == ("Müller", "cp1252")
    assert decode("Müller".encode("cp1252"), "latin-1") == ("Müller", "latin-1")
    with pytest.raises(UnreadableFile, match="not valid utf-8 text"):
        decode("Müller".encode("cp1252"), "utf-8")


def test_utf8_and_boms_win_over_a_chosen_encoding():
    # A preset saved for the bank's old Windows-1252 export, the bank now writes UTF-8.
    assert decode("Müller".encode(), "cp1252") == ("Müller", "utf-8")
    assert decode("Müller".encode("utf-16"), "cp1252") == ("Müller", "utf-16-le")
