"""`merchant_key` on any text: it never raises, is idempotent, and its key holds only lower-case
words without digits, separated by single spaces (what the fuzzy match and the keyword choice rely on).

Pure function, no database: text of every Unicode category, the HTML fuzzer's hostile values and
bank-line-shaped strings (a prefix, digits, a merchant, a reference).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from expense_app.services.suggestions import NOISE_WORDS, merchant_key
from tests.fuzz.test_html_fuzz import HOSTILE_VALUES

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)

BANK_LINE = st.builds(
    lambda prefix, number, merchant, ref: f"{prefix} {number} {merchant} #{ref}",
    st.sampled_from(["CARD", "POS", "VISA DEBIT", "SQ *", "PAYPAL *", "", "EFTPOS WDL"]),
    st.integers(min_value=0, max_value=10**16),
    st.text(min_size=1, max_size=30),
    st.integers(min_value=0, max_value=999),
)
TEXT = st.one_of(st.text(max_size=80), st.sampled_from(HOSTILE_VALUES), BANK_LINE)


@SETTINGS
@given(TEXT)
def test_merchant_key_never_raises_and_is_idempotent(description):
    key = merchant_key(description)
    assert merchant_key(key) == key
    assert key == key.strip() and "  " not in key
    words = key.split()
    assert not any(ch.isdigit() for ch in key)
    assert not set(words) & NOISE_WORDS
    assert len(words) == len(set(words))


@SETTINGS
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40), st.text(max_size=40))
def test_case_and_extra_spaces_do_not_change_the_key(ascii_line, any_line):
    assert merchant_key(ascii_line.upper()) == merchant_key(ascii_line.lower())
    assert merchant_key(f"  {any_line}  ") == merchant_key(any_line)
    assert merchant_key(any_line.replace(" ", "   ")) == merchant_key(any_line)


@SETTINGS
@given(TEXT)
def test_a_digit_run_counts_as_one_digit(description):
    # The history query groups descriptions with digit runs collapsed to "0": same key.
    assert merchant_key(re.sub("[0-9]+", "0", description)) == merchant_key(description)
