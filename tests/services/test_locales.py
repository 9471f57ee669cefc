"""Locales without HTTP: which ids are accepted, the browser's preference, amounts typed the local way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import User
from expense_app.services import accounts
from expense_app.services.locales import (
    COMMON_LOCALES,
    clean_locale,
    locale_from_accept_language,
    locale_names,
    parse_local_amount,
)
from tests.conftest import PASSWORD

NBSP, NNBSP = "\u00a0", "\u202f"


# --- which locales ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("de_DE", "de_DE"),
        ("de-DE", "de_DE"),
        ("de_de", "de_DE"),
        (" fr_CH ", "fr_CH"),
        ("ja_JP", "ja_JP"),
        ("pt", "pt"),
        ("zh_CN", "zh_Hans_CN"),  # an alias, stored as Babel writes it
    ],
)
def test_a_locale_babel_knows_is_accepted_as_babel_writes_it(value, expected):
    errors = {}
    assert clean_locale(errors, "locale", value) == expected
    assert errors == {}


@pytest.mark.parametrize(
    "value",
    ["", "   ", "xx_YY", "de_XX", "root", "klingon", "de_DE\x00", "../../etc/passwd", "de" * 40, "é_FR", 5, None],
)
def test_anything_else_is_refused_with_a_message(value):
    errors = {}
    assert clean_locale(errors, "locale", value) is None
    assert errors == {"locale": ["Must be a locale such as en_US, de_DE or fr_CH."]}


def test_every_offered_locale_is_accepted_and_common_ones_come_first():
    names = locale_names()
    assert [identifier for identifier, _ in names[: len(COMMON_LOCALES)]] == list(COMMON_LOCALES)
    assert len({identifier for identifier, _ in names}) == len(names) > 500
    assert dict(names)["de_DE"] == "Deutsch (Deutschland) (de_DE)"
    for identifier, _ in names:
        assert clean_locale({}, "locale", identifier) == identifier


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-CH,de;q=0.9,en;q=0.8", "de_CH"),
        ("fr", "fr_FR"),  # a bare language gets its usual country
        ("en-GB;q=0.5, ja;q=0.9", "ja_JP"),  # by preference, not by order
        ("de-CH-1996", "de_CH"),
        ("de-XX", "de_DE"),
        ("xx-YY, pt-BR;q=0.1", "pt_BR"),
        ("*", "en_US"),
        ("", "en_US"),
        (None, "en_US"),
        ("en;q=abc", "en_US"),
        ("de;q=0", "en_US"),
        (";;;,,,", "en_US"),
        ("x" * 5000, "en_US"),
    ],
)
def test_accept_language_picks_the_best_known_locale(header, expected):
    assert locale_from_accept_language(header) == expected


# --- accounts ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("ctx")
def test_register_stores_the_locale_or_en_us():
    assert accounts.register_user(email="a@example.com", password=PASSWORD).locale == "en_US"
    assert accounts.register_user(email="b@example.com", password=PASSWORD, locale="de-ch").locale == "de_CH"


@pytest.mark.usefixtures("ctx")
def test_register_refuses_an_unknown_locale_and_stores_nothing():
    with pytest.raises(ValidationFailed) as refused:
        accounts.register_user(email="a@example.com", password=PASSWORD, locale="xx_YY")
    assert "locale" in refused.value.errors
    assert db.session.query(User).count() == 0


@pytest.mark.usefixtures("ctx")
def test_update_profile_changes_the_locale_only_when_given():
    user = accounts.register_user(email="a@example.com", password=PASSWORD)
    assert accounts.update_profile(user=user, locale="fr_FR").locale == "fr_FR"
    assert accounts.update_profile(user=user, full_name="Alex").locale == "fr_FR"
    with pytest.raises(ValidationFailed) as refused:
        accounts.update_profile(user=user, full_name="Sam", locale="nonsense")
    assert refused.value.errors == {"locale": ["Must be a locale such as en_US, de_DE or fr_CH."]}
    db.session.expire_all()
    assert (user.locale, user.full_name) == ("fr_FR", "Alex")


# --- amounts typed the local way ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        ("en_US", "1234.56", "1234.56"),
        ("en_US", "1,234.56", "1234.56"),
        ("en_US", "1,234", "1234"),
        ("en_US", "1,234,567.8", "1234567.8"),
        ("en_US", " 12.5 ", "12.5"),
        ("en_US", "-5", "-5"),
        ("en_US", "+5", "5"),
        ("en_US", ".5", "0.5"),
        ("en_US", "12.", "12"),
        ("en_US", "10.005", "10.005"),  # places are the money rule's to refuse
        ("en_US", "", ""),
        ("en_US", "   ", ""),
        ("de_DE", "1.234,56", "1234.56"),
        ("de_DE", "1234,56", "1234.56"),
        ("de_DE", "1234.56", "1234.56"),  # plain, the API's way, always works
        ("de_DE", "12.345.678,9", "12345678.9"),
        ("de_DE", "1,5", "1.5"),
        ("de_DE", "1.5", "1.5"),  # `.` then one digit is no group: only the plain reading works
        ("de_DE", "1.23", "1.23"),
        ("de_DE", "0.123", "0.123"),  # a group cannot start with 0
        ("de_DE", "1.234.567", "1234567"),  # two points: only groups
        ("de_DE", ",5", "0.5"),
        ("fr_FR", "1 234,56", "1234.56"),
        ("fr_FR", f"1{NBSP}234,56", "1234.56"),
        ("fr_FR", f"1{NNBSP}234,56", "1234.56"),
        ("fr_FR", "1234.56", "1234.56"),
        ("fr_FR", "1.234", "1.234"),  # `.` is no separator in French: plain
        ("de_CH", "1\u2019234.56", "1234.56"),
        ("de_CH", "1'234.56", "1234.56"),
        ("de_CH", "1234.56", "1234.56"),
        ("sv_SE", "\u22125,5", "-5.5"),  # Swedish minus sign
        ("pl_PL", f"1{NBSP}234,56", "1234.56"),
        ("en_IN", "12,34,567.89", "1234567.89"),  # Indian grouping: 3, then 2
        ("ja_JP", "1,234", "1234"),
    ],
)
def test_amounts_are_read_plain_or_the_locales_way(locale, text, expected):
    assert parse_local_amount(text, locale) == expected


@pytest.mark.parametrize(
    ("locale", "text"),
    [("de_DE", "1.234"), ("de_DE", "12.345"), ("de_DE", "-999.000"), ("it_IT", "1.234"), ("pt_BR", "100.000")],
)
def test_a_point_before_three_digits_is_ambiguous_where_the_point_groups(locale, text):
    with pytest.raises(ValueError, match="ambiguous") as refused:
        parse_local_amount(text, locale)
    assert str(refused.value) in {
        "“1.234” is ambiguous here: write 1234 or 1,234.",
        "“12.345” is ambiguous here: write 12345 or 12,345.",
        "“-999.000” is ambiguous here: write 999000 or 999,000.",
        "“100.000” is ambiguous here: write 100000 or 100,000.",
    }


@pytest.mark.parametrize(
    ("locale", "text", "message"),
    [
        ("de_DE", "1,234.56", "Must be a number such as 1234,56 or 1.234,56."),
        ("en_US", "1,23", "Must be a number such as 1234.56 or 1,234.56."),
        ("en_US", "1,2345", "Must be a number such as"),
        ("en_US", "01,234", "Must be a number such as"),
        ("en_US", "1.2.3", "Must be a number such as"),
        ("en_US", "1,,234", "Must be a number such as"),
        ("en_US", ",234", "Must be a number such as"),
        ("fr_FR", "1 234.56", "Must be a number such as 1234,56 or 1\u202f234,56."),
        ("fr_FR", "1 23,4", "Must be a number such as"),
        ("de_CH", "1,5", "Must be a number such as 1234.56 or 1\u2019234.56."),
        ("en_US", "abc", "Must be a number such as"),
        ("en_US", "$5", "Must be a number such as"),
        ("de_DE", "5 €", "Must be a number such as"),
        ("en_US", "1e5", "Must be a number such as"),
        ("en_US", "NaN", "Must be a number such as"),
        ("en_US", "Infinity", "Must be a number such as"),
        ("en_US", "--5", "Must be a number such as"),
        ("en_US", ".", "Must be a number such as"),
        ("en_US", "-", "Must be a number such as"),
        ("en_US", "1\x002", "Must be a number such as"),
        ("en_US", "²", "Use the digits 0 to 9 only."),
        ("en_US", "1²", "Use the digits 0 to 9 only."),
        ("en_US", "١٢٣", "Use the digits 0 to 9 only."),  # Arabic-Indic
        ("en_US", "\uff11\uff12", "Use the digits 0 to 9 only."),  # fullwidth
        ("en_US", "\U0001d7d3", "Use the digits 0 to 9 only."),  # mathematical bold 5
        ("en_US", "½", "Use the digits 0 to 9 only."),
        ("en_US", "9" * 41, "Must be at most 40 characters."),
        ("en_US", "1" * 10_000, "Must be at most 40 characters."),
    ],
)
def test_malformed_or_hostile_amounts_are_refused_with_a_message(locale, text, message):
    with pytest.raises(ValueError) as refused:
        parse_local_amount(text, locale)
    assert str(refused.value).startswith(message)


@settings(max_examples=300, deadline=None)
@given(
    locale=st.sampled_from(COMMON_LOCALES),
    value=st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2),
)
def test_what_babel_writes_reads_back_as_the_same_amount(locale, value):
    """Every common locale: an amount written with Babel (groups and all) is read back exactly.

    Written as money is, with its cents: Babel's bare `1.234` (de_DE) is the ambiguous case.
    """
    written = format_decimal(value, format="#,##0.00", locale=locale)
    assert Decimal(parse_local_amount(written, locale)) == value
    assert Decimal(parse_local_amount(str(value), locale)) == value


@settings(max_examples=300, deadline=None)
@given(locale=st.sampled_from(COMMON_LOCALES), text=st.text(max_size=20))
def test_any_text_is_read_as_ascii_digits_or_refused(locale, text):
    try:
        result = parse_local_amount(text, locale)
    except ValueError as error:
        assert str(error)
    else:
        assert result == "" or (result.isascii() and Decimal(result).is_finite())
        assert set(result) <= set("-0123456789.")
