"""Dates are read in one format per file; the format comes from the values, or a question."""

from __future__ import annotations

import datetime as dt

import pytest

from expense_app.statements.dates import DateError, describe, detect_format, parse_date


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["03.04.18", "21.03.18"], "%d.%m.%y"),
        (["03.04.2018", "21.03.2018"], "%d.%m.%Y"),
        (["15/01/2024", "01/12/2023"], "%d/%m/%Y"),
        (["1/7/2020", "1/17/2020"], "%m/%d/%Y"),
        (["12/27/2019"], "%m/%d/%Y"),
        (["2026-01-31", "2026-02-01"], "%Y-%m-%d"),
        (["2024-01-01T00:00:00+01:00"], "%Y-%m-%d"),
        (["2026-01-31 14:05:00"], "%Y-%m-%d"),
        (["31-01-2026", "13-02-2026"], "%d-%m-%Y"),
        (["2026/01/31"], "%Y/%m/%d"),
        (["31 Jan 2026", "1 Feb 2026"], "%d %b %Y"),
        (["20260131"], "%Y%m%d"),
    ],
)
def test_detect_format_when_the_values_settle_it(values, expected):
    assert detect_format(values) == (expected, None)


def test_day_and_month_both_fitting_asks():
    proposed, question = detect_format(["01/02/2026", "03/04/2026"])

    assert proposed == "%d/%m/%Y"
    assert question.setting == "date_format"
    assert question.options == ["%d/%m/%Y", "%m/%d/%Y"]
    assert question.message == (
        "Dates like `01/02/2026` could be 1 February 2026 (DD/MM/YYYY) or 2 January 2026 (MM/DD/YYYY)."
    )


def test_no_known_format():
    assert detect_format(["yesterday", "today"]) == (None, None)
    assert detect_format([]) == (None, None)


def test_unreadable_date_says_what_was_expected():
    with pytest.raises(DateError) as error:
        parse_date("31/02/2026", "%d/%m/%Y")

    assert str(error.value) == "Unreadable date `31/02/2026` (expected DD/MM/YYYY)."


def test_time_after_the_date_is_ignored():
    assert parse_date("2026-01-31T23:59:59-05:00", "%Y-%m-%d") == dt.date(2026, 1, 31)
    assert parse_date(" 31.01.2026 23:59 ", "%d.%m.%Y") == dt.date(2026, 1, 31)
    with pytest.raises(DateError):
        parse_date("2026-01-31X", "%Y-%m-%d")


def test_describe():
    assert describe("%d.%m.%y") == "DD.MM.YY"
    assert describe("%d %b %Y") == "DD Mon YYYY"


def test_only_ascii_digits_are_dates():
    with pytest.raises(DateError):
        parse_date("\u0663\u0661/\u0660\u0661/\u0662\u0660\u0662\u0666", "%d/%m/%Y")


def test_a_few_odd_cells_do_not_hide_the_format():
    values = ["27.10.2025", "28.10.2025", "29.10.2025", "30.10.2025", "offen"]

    assert detect_format(values) == ("%d.%m.%Y", None)
    assert detect_format(["27.10.2025", "offen"]) == (None, None)


def test_ambiguous_dates_propose_the_reading_that_keeps_the_statement_in_order():
    # Month first: 2 Jan, 3 Jan, 1 Feb, 7 Mar, 12 Mar in order; day first they jump about.
    values = ["01/02/2026", "01/03/2026", "02/01/2026", "03/07/2026", "03/12/2026"]

    proposed, question = detect_format(values)

    assert proposed == "%m/%d/%Y"
    assert question.options == ["%m/%d/%Y", "%d/%m/%Y"]


def test_an_ambiguous_column_with_an_odd_cell_still_asks():
    values = ["offen", "01/02/2026", "03/04/2026", "05/06/2026", "07/08/2026"]

    proposed, question = detect_format(values)

    assert proposed == "%d/%m/%Y"
    assert "`01/02/2026`" in question.message
