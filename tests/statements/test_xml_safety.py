"""`xml_safety.parse_xml` refuses every DTD, entity declaration and external reference with one
clear message, whatever reader calls it, and never expands or fetches anything."""

from __future__ import annotations

import pytest

from expense_app.statements import camt, ofx
from expense_app.statements.model import UnreadableFile
from expense_app.statements.xml_safety import ENTITY_MESSAGE, child, local_name, parse_xml, text_of
from tests.statements import sample

EVIL = [
    "own/evil-camt-billion-laughs.xml",
    "own/evil-camt-external-entity.xml",
    "own/evil-ofx2-billion-laughs.ofx",
]

INLINE_EVIL = [
    # A parameter entity pulling an external DTD.
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/x.dtd"> %ext;]><d/>',
    # An external DTD without any entity.
    b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:9/d.dtd"><d/>',
    # A DTD with no entity at all: refused as well, bank files never have one.
    b"<!DOCTYPE d [<!ELEMENT d (#PCDATA)>]><d>x</d>",
    # An internal entity, harmless in size but still an entity declaration.
    b'<!DOCTYPE d [<!ENTITY name "value">]><d>&name;</d>',
]


@pytest.mark.parametrize("name", EVIL)
def test_malicious_files_are_refused_by_parse_xml(name):
    with pytest.raises(UnreadableFile) as refused:
        parse_xml(sample(name))
    assert str(refused.value) == ENTITY_MESSAGE


@pytest.mark.parametrize("data", INLINE_EVIL)
def test_every_dtd_and_entity_is_refused(data):
    with pytest.raises(UnreadableFile) as refused:
        parse_xml(data)
    assert str(refused.value) == ENTITY_MESSAGE
    with pytest.raises(UnreadableFile) as refused:
        parse_xml(data.decode())
    assert str(refused.value) == ENTITY_MESSAGE


@pytest.mark.parametrize("name", EVIL[:2])
def test_the_camt_reader_refuses_them(name):
    with pytest.raises(UnreadableFile) as refused:
        camt.read(sample(name), max_rows=100)
    assert str(refused.value) == ENTITY_MESSAGE


def test_the_ofx_reader_refuses_them():
    with pytest.raises(UnreadableFile) as refused:
        ofx.read(sample("own/evil-ofx2-billion-laughs.ofx"), max_rows=100)
    assert str(refused.value) == ENTITY_MESSAGE


def test_not_well_formed_xml_is_refused_with_a_reason():
    with pytest.raises(UnreadableFile, match=r"not well-formed XML \(.+\)"):
        parse_xml(b"<a><b></a>")
    with pytest.raises(UnreadableFile, match="not well-formed XML"):
        parse_xml(b"")


def test_a_declared_encoding_in_text_and_in_bytes():
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><a>Müller</a>'
    assert parse_xml(latin.encode("latin-1")).text == "Müller"
    assert parse_xml(latin).text == "Müller"  # already decoded: the declaration is ignored


def test_helpers_ignore_namespaces():
    root = parse_xml(b'<D xmlns="urn:x"><A><B> v </B></A><!-- c --></D>')
    assert local_name(root.tag) == "D"
    assert text_of(root, "A", "B") == "v"
    assert child(root, "A", "C") is None
    assert text_of(root, "Z") is None
