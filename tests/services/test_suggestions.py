"""Learned suggestions: the merchant key of real bank lines, and a category from the user's history.

The descriptions are statement lines of the shared import samples (/work/shared/import_samples:
OFX, Lloyds CSV, Sparkasse CSV, PayPal exports) and card lines of the kind banks print.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import Category, Expense
from expense_app.services import suggestions
from expense_app.services.suggestions import CategorySuggestion, merchant_key, suggest_category
from tests.fuzz.test_html_fuzz import HOSTILE_VALUES
from tests.services.conftest import category_id_of, count_statements

BANK_LINES = [
    # (description as the bank prints it, its merchant key)
    ("CARD 1234 STARBUCKS #88 SEATTLE", "starbucks seattle"),
    ("Starbucks Seattle", "starbucks seattle"),
    ("MCDONALD'S #112", "mcdonalds"),
    ("POS MERCHANDISE;MCDONALD'S #112", "mcdonalds"),
    ("EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU", "handyway aldi store geelong west vicau"),
    ("EDEKA DÜBEL//THOMASINGEN/DE", "edeka dubel thomasingen de"),
    ("ACME STORE CD 1417    14JAN24", "acme store"),
    ("NON-GBP TRANS FEE 2.75% CD 1425    30NOV23", "non gbp fee"),
    ("HOTEL MARAIS EUROS        78.80 VISAXR     1.0724 CD 1425", "hotel marais euros"),
    ("SERVICE CHARGES REF : 998877", "service charges"),
    ("HMRC - TAXES 700000009988776655 8833445566B 083210     10 01DEC23 14:49", "hmrc taxes"),
    ("ACME PENSIONS 112233A44556677889", "acme pensions"),
    ("SQ *BLUE BOTTLE COFFEE", "blue bottle coffee"),
    ("PAYPAL *NETFLIX.COM", "netflix"),
    ("Netflix.com", "netflix"),
    ("AMZN Mktp US*2K3LM91Q0", "amzn mktp us"),
    ("Tankstelle Marschstadt ABC 1234//Marschstadt/DE", "tankstelle marschstadt abc de"),
    ("UBER   *TRIP HELP.UBER.COM 14 Jan 2024", "uber trip help"),
    ("Joe's Bald Hairstyles", "joes bald hairstyles"),
    ("1u1 Telecom GmbH", "telecom"),
    ("VISA DEBIT 4921 CAFÉ DE FLORE 12/03 PARIS", "cafe de flore paris"),
    ("Café de Flore Paris", "cafe de flore paris"),
    ("\uff33\uff34\uff21\uff32\uff22\uff35\uff23\uff2b\uff33\u3000Seattle", "starbucks seattle"),  # full width
    ("Straße der Pariser Kommune", "strasse der pariser kommune"),
    ("CARD 1234", ""),
    ("", ""),
]


@pytest.mark.parametrize(("line", "key"), BANK_LINES)
def test_merchant_key_of_real_bank_lines(line, key):
    assert merchant_key(line) == key
    assert merchant_key(key) == key


def test_merchant_key_gives_one_key_to_the_same_shop_printed_differently():
    printed = ["CARD 1234 STARBUCKS #88 SEATTLE", "Starbucks Seattle", "POS 9911 starbucks  seattle 03/04/2024"]
    assert {merchant_key(line) for line in printed} == {"starbucks seattle"}


def test_a_month_name_that_is_part_of_a_name_stays():
    assert merchant_key("Mayfair Deli 12") == "mayfair deli"
    assert merchant_key("May 14 Mayfair Deli") == "mayfair deli"


# --- suggest_category ----------------------------------------------------------------------


def _add(add_expense, description: str, category_id: int, times: int = 1, **fields) -> None:
    for _ in range(times):
        add_expense(description=description, category_id=category_id, **fields)


def test_two_matching_expenses_suggest_nothing_three_do(ctx, user, add_expense):
    food = category_id_of(user, "Food")
    _add(add_expense, "CARD 1234 STARBUCKS #88 SEATTLE", food, 2)
    assert suggest_category(user=user, description="Starbucks Seattle") is None
    add_expense(description="POS STARBUCKS #12 SEATTLE", category_id=food)
    assert suggest_category(user=user, description="Starbucks Seattle") == CategorySuggestion(food, "Food", 3, 3)


def test_the_most_frequent_category_wins_and_of_counts_all(ctx, user, add_expense):
    food, transport = category_id_of(user, "Food"), category_id_of(user, "Transport")
    _add(add_expense, "UBER *TRIP", transport, 4)
    _add(add_expense, "Uber trip", food, 1)
    assert suggest_category(user=user, description="UBER   *TRIP 14 Jan 2024") == CategorySuggestion(
        transport, "Transport", 4, 5
    )


def test_a_tie_goes_to_the_category_used_most_recently(ctx, user, add_expense):
    food, fun = category_id_of(user, "Food"), category_id_of(user, "Entertainment")
    _add(add_expense, "Cinema City", fun, 3, date="2026-01-10")
    _add(add_expense, "Cinema City", food, 3, date="2026-01-05")
    assert suggest_category(user=user, description="cinema city").category_id == fun
    add_expense(description="Cinema City", category_id=food, date="2026-01-02")
    add_expense(description="Cinema City", category_id=fun, date="2026-01-01")
    # Still 4-4: the newest of each decides, and Entertainment's (the 10th) is newer.
    assert suggest_category(user=user, description="cinema city") == CategorySuggestion(fun, "Entertainment", 4, 8)
    add_expense(description="Cinema City", category_id=food, date="2026-01-20")
    assert suggest_category(user=user, description="cinema city") == CategorySuggestion(food, "Food", 5, 9)


def test_near_equal_merchants_count_together(ctx, user, add_expense):
    food = category_id_of(user, "Food")
    add_expense(description="STARBUCKS SEATTLE", category_id=food)
    add_expense(description="Starbuks Seattle", category_id=food)  # a typo in the bank's line
    add_expense(description="CARD 4455 STARBUCKS", category_id=food)
    found = suggest_category(user=user, description="Starbucks Seattle")
    assert found == CategorySuggestion(food, "Food", 3, 3)


def test_different_shops_sharing_letters_do_not_count_together(ctx, user, add_expense):
    food = category_id_of(user, "Food")
    _add(add_expense, "Starbase Games", food, 3)
    _add(add_expense, "ASDA STORE 4471", food, 3)
    assert suggest_category(user=user, description="Starbucks") is None
    assert suggest_category(user=user, description="ALDI STORE") is None


def test_the_same_merchant_decides_before_near_equal_ones(ctx, user, add_expense):
    food, transport = category_id_of(user, "Food"), category_id_of(user, "Transport")
    _add(add_expense, "UBER *TRIP", transport, 3)
    _add(add_expense, "UBER EATS *TRIP", food, 5)
    assert suggest_category(user=user, description="Uber trip").category_id == transport
    # One Uber trip in Transport is not enough alone: the near-equal "uber eats trip" joins in.
    assert suggest_category(user=user, description="Uber") == CategorySuggestion(food, "Food", 5, 8)


def test_a_short_key_is_not_matched_fuzzily(ctx, user, add_expense):
    food = category_id_of(user, "Food")
    _add(add_expense, "EDEKA DÜBEL//THOMASINGEN/DE", food, 3)
    assert suggest_category(user=user, description="DE 1234") is None
    assert suggest_category(user=user, description="Edeka Dubel Thomasingen DE").matches == 3


def test_other_users_expenses_never_count(ctx, user, other_user, add_expense):
    food = category_id_of(user, "Food")
    theirs = category_id_of(other_user, "Food")
    _add(add_expense, "Netflix.com", theirs, 5, owner=other_user)
    _add(add_expense, "Netflix.com", food, 2)
    assert suggest_category(user=user, description="PAYPAL *NETFLIX.COM") is None
    assert suggest_category(user=other_user, description="PAYPAL *NETFLIX.COM") == CategorySuggestion(
        theirs, "Food", 5, 5
    )


def test_a_description_naming_no_merchant_suggests_nothing(ctx, user, add_expense):
    _add(add_expense, "CARD 1234", category_id_of(user, "Food"), 3)
    assert suggest_category(user=user, description="CARD 9999") is None
    assert suggest_category(user=user, description="") is None


@pytest.mark.parametrize(
    ("value", "message"),
    [(12, "Must be text."), ("x" * 256, "Use at most 255 characters (you typed 256)."), ("a\x00b", "control")],
)
def test_bad_descriptions_are_refused_by_name(ctx, user, value, message):
    with pytest.raises(ValidationFailed) as refused:
        suggest_category(user=user, description=value)
    assert message in " ".join(refused.value.errors["description"])


def test_two_years_of_history_in_several_currencies(ctx, make_full_user):
    full = make_full_user("years@example.com", history=True)
    user = full.user
    rows = db.session.execute(
        db.select(Expense.category_id, Expense.currency).where(
            Expense.user_id == user.id, Expense.description.like("History %")
        )
    ).all()
    assert len({currency for _category, currency in rows}) >= 5
    counts = Counter(category for category, _currency in rows)
    found = suggest_category(user=user, description="History 9999")
    # Every "History n" line is one merchant: the answer counts them all, whatever the currency.
    assert found.of == len(rows) > 200
    assert found.matches == max(counts.values())
    assert counts[found.category_id] == found.matches
    assert found.category_name == db.session.get(Category, found.category_id).name
    # A merchant of the full user's own rows: "Coffee" once (quick add) is not enough.
    assert suggest_category(user=user, description="COFFEE") is None


def test_only_the_recent_history_is_read(ctx, user, add_expense, monkeypatch):
    food, transport = category_id_of(user, "Food"), category_id_of(user, "Transport")
    day = dt.date(2026, 1, 1)
    _add(add_expense, "Metro", transport, 3, date=day)
    _add(add_expense, "Metro", food, 3, date=day + dt.timedelta(days=1))
    monkeypatch.setattr(suggestions, "RECENT_EXPENSES", 4)
    # The 4 newest: three in Food, one in Transport.
    assert suggest_category(user=user, description="metro") == CategorySuggestion(food, "Food", 3, 4)


def test_the_history_groups_lines_that_differ_only_in_digits_and_keeps_their_keys(ctx, user, add_expense):
    food = category_id_of(user, "Food")
    for line, _key in BANK_LINES:
        add_expense(description=line, category_id=food)
    for number in ("1234", "99", "4921551200001111"):  # a 16-digit card number too
        add_expense(description=f"CARD {number} STARBUCKS #{number[:2]} SEATTLE", category_id=food)
    rows = suggestions._history(user)
    # The database's digit collapsing gives the keys the lines themselves give.
    assert {merchant_key(row.description) for row in rows} == {key for _line, key in BANK_LINES}
    (starbucks,) = [row for row in rows if row.description == "CARD 0 STARBUCKS #0 SEATTLE"]
    assert starbucks.count == 4  # the BANK_LINES one and the three above
    assert starbucks.sample.startswith("CARD ") and any(ch in "123456789" for ch in starbucks.sample)
    assert sum(row.count for row in rows) == len(BANK_LINES) + 3


def test_a_category_suggestion_is_two_queries_however_long_the_history(ctx, user, add_expense):
    food = category_id_of(user, "Food")
    for number in range(12):
        add_expense(description=f"Shop {number % 4} CARD {number}", category_id=food)
    _add(add_expense, "Netflix.com", food, 3)
    with count_statements(db.engine) as statements:
        assert suggest_category(user=user, description="netflix").matches == 3
    # The grouped history, then the winner's name.
    assert len(statements) == 2


def test_hostile_descriptions_get_an_answer_or_a_named_refusal(ctx, user, add_expense):
    _add(add_expense, "Netflix.com", category_id_of(user, "Food"), 3)
    for value in [*HOSTILE_VALUES, None, [], {"a": 1}, 1.5]:
        try:
            found = suggest_category(user=user, description=value)
        except ValidationFailed as refused:
            assert list(refused.errors) == ["description"]
        else:
            assert found is None or found.matches >= suggestions.MIN_MATCHES
