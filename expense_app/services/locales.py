"""Locales: which ones a user may choose, the browser's preference, and amounts typed the local way.

A locale (`de_DE`, `fr_CH`, `ja_JP`) says how pages write numbers, amounts and dates; it never
changes what is stored. Any locale Babel knows is accepted; `COMMON_LOCALES` are offered first.

`parse_local_amount` is the one reader of an amount typed on an HTML form the user's way
(`1.234,56` in Germany). It hands back a plain ASCII decimal string, so the money rule in
`rules.clean_money` stays the only judge of the value itself.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import cache, lru_cache

from babel import Locale, UnknownLocaleError, localedata
from babel.core import get_global
from babel.numbers import (
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
    get_territory_currencies,
)

from expense_app.services.rules import MAX_NUMBER_LENGTH, Errors, add_error

DEFAULT_LOCALE = "en_US"
# Offered first in the settings' list; every other Babel locale follows.
COMMON_LOCALES = (
    "en_US",
    "en_GB",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "fr_CH",
    "it_IT",
    "es_ES",
    "nl_NL",
    "pt_BR",
    "pl_PL",
    "sv_SE",
    "pt_PT",
    "ja_JP",
)
LOCALE_MAX_LENGTH = 35  # the users.locale column

# Characters people use for the same gap: a locale whose group separator is a space of one kind
# (NBSP in pl_PL and sv_SE, narrow NBSP in fr_FR) also takes the others and a plain space, which
# is what a keyboard types; one whose separator is an apostrophe (de_CH) takes both apostrophes.
_SPACES = frozenset(" \u00a0\u202f\u2009")
_APOSTROPHES = frozenset("'\u2019")
_ASCII_DIGITS = frozenset("0123456789")
_PLAIN = re.compile(r"([0-9]*)(?:\.([0-9]*))?", re.ASCII)


@cache
def _known_locales() -> frozenset[str]:
    return frozenset(localedata.locale_identifiers())


def locale_id(value: str) -> str | None:
    """The Babel id of `value` (`de-de`, `de_DE` -> `de_DE`; `zh_CN` -> `zh_Hans_CN`), or None.

    None when Babel has no data for it (`xx_YY`, `de_XX`, `root`) or it is not an identifier at all.
    """
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > LOCALE_MAX_LENGTH:
        return None
    return _babel_id(value.strip().replace("-", "_"))


# Pages format every amount and date through `locale_id` (the user's locale is re-read each time),
# and Babel's parse costs about 9 us: 700 amounts on a 12-month dashboard paid 6 ms for it. The
# input is at most LOCALE_MAX_LENGTH characters and the cache is bounded, so it cannot grow on
# hostile input.
@lru_cache(maxsize=512)
def _babel_id(text: str) -> str | None:
    if not text.isascii() or not all(part.isalnum() for part in text.split("_")):
        return None
    try:
        parsed = Locale.parse(text)
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    identifier = str(parsed)
    return identifier if identifier in _known_locales() else None


def clean_locale(errors: Errors, field: str, value) -> str | None:
    """Return the Babel id of the locale `value` names; record an error (and return None) otherwise."""
    identifier = locale_id(value) if isinstance(value, str) else None
    if identifier is None:
        add_error(errors, field, "Must be a locale such as en_US, de_DE or fr_CH.")
    return identifier


@cache
def locale_names() -> list[tuple[str, str]]:
    """Every locale as (id, name in its own language), `COMMON_LOCALES` first, then by name."""

    def name(identifier: str) -> str:
        locale = Locale.parse(identifier)
        return f"{locale.get_display_name(locale) or identifier} ({identifier})"

    common = [(identifier, name(identifier)) for identifier in COMMON_LOCALES]
    others = sorted(
        ((identifier, name(identifier)) for identifier in _known_locales() - set(COMMON_LOCALES)),
        key=lambda item: item[1].casefold(),
    )
    return common + others


def locale_from_accept_language(header: str | None) -> str:
    """The known locale that best matches an `Accept-Language` header; `DEFAULT_LOCALE` otherwise.

    Languages are tried in the header's order of preference (q-values). `de-CH` picks `de_CH`;
    a bare language (`fr`) picks its most usual country (`fr_FR`), so figures always get a
    country's conventions. A header that names nothing Babel knows gives `DEFAULT_LOCALE`.
    """
    for tag in _preferred_tags(header or ""):
        parts = tag.split("-")
        # `de-CH-1996` or `de-XX`: the longest prefix Babel knows.
        for size in range(len(parts), 0, -1):
            identifier = locale_id("_".join(parts[:size]))
            if identifier is not None:
                return _with_country(identifier)
    return DEFAULT_LOCALE


def _with_country(identifier: str) -> str:
    """`identifier`, or for a bare language its most usual country's locale (`fr` -> `fr_FR`)."""
    if Locale.parse(identifier).territory is not None:
        return identifier
    likely = Locale.parse(get_global("likely_subtags").get(identifier, identifier))
    for candidate in (f"{likely.language}_{likely.territory}", str(likely)):
        if candidate in _known_locales():
            return candidate
    return identifier


def _preferred_tags(header: str) -> list[str]:
    """The language tags of an `Accept-Language` header, most preferred first (RFC 9110 q-values)."""
    ranked = []
    for position, item in enumerate(header[:1000].split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def bcp47(identifier: str) -> str:
    """The locale as a BCP 47 tag for browsers (`de_CH` -> `de-CH`), as `Intl.NumberFormat` takes it."""
    return identifier.replace("_", "-")


# --- amounts typed the local way -------------------------------------------------------------------


class _Symbols:
    """A locale's decimal mark, group separators, grouping sizes and signs (Latin digits)."""

    def __init__(self, identifier: str):
        locale = Locale.parse(identifier)
        self.decimal = get_decimal_symbol(locale)
        group = get_group_symbol(locale)
        self.groups = _SPACES if group in _SPACES else _APOSTROPHES if group in _APOSTROPHES else frozenset(group)
        pattern = locale.decimal_formats.get(None)
        primary, secondary = pattern.grouping if pattern else (3, 3)
        # A grouping wider than any amount (en_US_POSIX) means the locale never groups.
        self.grouping = (primary, secondary) if primary < MAX_NUMBER_LENGTH else None
        self.minus = {"-", "\u2212", get_minus_sign_symbol(locale)}
        self.plus = {"+", get_plus_sign_symbol(locale)}


@cache
def _symbols(identifier: str) -> _Symbols:
    return _Symbols(identifier)


def amount_example(amount: Decimal | str, identifier: str) -> str:
    """`amount` the way a user of the locale types it, without groups: `12.50` -> `12,50` (de_DE)."""
    return str(amount).replace(".", _symbols(identifier).decimal)


def parse_local_amount(text: str, locale: str) -> str:
    """Read an amount typed on a form, plain (`1234.56`) or the locale's way; return plain ASCII text.

    `1.234,56` (de_DE), `1 234,56` (fr_FR, with a space, NBSP or narrow NBSP), `1\u2019234.56` or
    `1'234.56` (de_CH) and `1,234.56` (en_US) all give `"1234.56"`; a blank text gives `""` (the
    service then says the field is required). The digits are kept as typed (`1,234` in en_US
    gives `"1234"`, `0,005` in de_DE gives `"0.005"`), so the money rule judges places and range.

    The text is read two ways:
    - **plain**: ASCII digits with at most one `.` as the decimal point and no group separators;
    - **local**: the locale's group separators between groups of the locale's sizes (3, or 3
      then 2 in India; the first group 1 to 3 digits not starting with 0), then at most one of the
      locale's decimal mark.
    When only one reading works it is used; when both work and agree (`1234.56` in en_US) too.
    When both work and disagree the text is **ambiguous** and refused: that happens only where
    the group separator is `.` (de_DE, it_IT, es_ES, nl_NL, pt_BR ...) and the text is a `.`
    followed by exactly three digits with no decimal mark, e.g. `1.234` (1234, or 1.234?) or
    `12.345`. The message names both ways out: `1234` or `1,234`. When neither reading works
    (`1,234.56` in de_DE, `1.2.3`, `1 23,4`, letters, a currency sign) the text is refused.

    A sign (`-`, `+`, the locale's own minus such as U+2212) may lead. Only ASCII digits are
    digits: `²`, `٣` or fullwidth digits are refused, never read as numbers.

    Raises ValueError with a message for the user when the text is refused.
    """
    if not isinstance(text, str):
        raise ValueError(_number_message(locale))
    value = text.strip()
    if not value:
        return ""
    if len(value) > MAX_NUMBER_LENGTH:
        raise ValueError(f"Must be at most {MAX_NUMBER_LENGTH} characters.")
    symbols = _symbols(locale)
    sign, body = _split_sign(value, symbols)
    # `²`, `½`, `٣`, a fullwidth 5: numbers to Unicode, never to us (rules.py says why).
    if any(unicodedata.numeric(char, None) is not None and char not in _ASCII_DIGITS for char in body):
        raise ValueError("Use the digits 0 to 9 only.")
    plain = _read_plain(body)
    local = _read_local(body, symbols)
    if plain is None and local is None:
        raise ValueError(_number_message(locale))
    if plain is not None and local is not None and Decimal(plain) != Decimal(local):
        raise ValueError(f"“{value}” is ambiguous here: write {local} or {amount_example(plain, locale)}.")
    return sign + (plain if plain is not None else local)


def _number_message(locale: str) -> str:
    grouped = _example_grouped(locale)
    plain = amount_example("1234.56", locale)
    return f"Must be a number such as {plain}" + (f" or {grouped}." if grouped != plain else ".")


def _example_grouped(locale: str) -> str:
    symbols = _symbols(locale)
    if symbols.grouping is None:
        return amount_example("1234.56", locale)
    group = get_group_symbol(Locale.parse(locale))
    return f"1{group}234{symbols.decimal}56"


def _split_sign(value: str, symbols: _Symbols) -> tuple[str, str]:
    for minus in sorted(symbols.minus, key=len, reverse=True):
        if value.startswith(minus):
            return "-", value[len(minus) :].lstrip()
    for plus in sorted(symbols.plus, key=len, reverse=True):
        if value.startswith(plus):
            return "", value[len(plus) :].lstrip()
    return "", value


def _join(whole: str, fraction: str | None) -> str | None:
    """`whole` and `fraction` digits as plain text; None when there are no digits at all."""
    if not whole and not fraction:
        return None
    return (whole or "0") + (f".{fraction}" if fraction else "")


def _read_plain(body: str) -> str | None:
    match = _PLAIN.fullmatch(body)
    return _join(match.group(1), match.group(2)) if match else None


def _read_local(body: str, symbols: _Symbols) -> str | None:
    whole, mark, fraction = body.partition(symbols.decimal)
    if mark and not (fraction == "" or set(fraction) <= _ASCII_DIGITS):
        return None
    groups = re.split("|".join(re.escape(char) for char in symbols.groups), whole) if whole else [""]
    if not all(set(group) <= _ASCII_DIGITS for group in groups):
        return None
    if len(groups) > 1 and not _grouped_well(groups, symbols.grouping):
        return None
    return _join("".join(groups), fraction)


def _grouped_well(groups: list[str], grouping: tuple[int, int] | None) -> bool:
    """True when digit groups split by separators have the locale's sizes, counted from the right."""
    if grouping is None:
        return False
    primary, secondary = grouping
    first, *middle, last = groups
    return (
        len(last) == primary
        and all(len(group) == secondary for group in middle)
        and 1 <= len(first) <= secondary
        and not first.startswith("0")
    )


def currency_for_locale(identifier: str, fallback: str = "USD") -> str:
    """The currency people in `identifier`'s country use today (`de_DE` -> EUR, `en_GB` -> GBP),
    for a sign-up form's default; `fallback` for a locale without a country or one Babel cannot
    name a currency for."""
    try:
        territory = Locale.parse(identifier).territory
    except (ValueError, UnknownLocaleError):
        return fallback
    currencies = get_territory_currencies(territory, tender=True) if territory else []
    return currencies[0] if currencies else fallback
