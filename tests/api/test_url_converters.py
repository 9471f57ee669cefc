"""Ids in paths are ASCII digits on both faces: `/expenses/٣` is not expense 3 (issue 11)."""

import pytest

NON_ASCII_THREE = ["\u0663", "\uff13", "\U0001d7d1"]  # Arabic-Indic, full-width and mathematical bold 3


@pytest.fixture
def third_expense_id(client, api_headers, post_expense):
    ids = [post_expense(amount=f"{n}.00")["id"] for n in (1, 2, 3)]
    assert 3 in ids  # the digit the non-ASCII forms spell
    return 3


@pytest.mark.parametrize("digit", NON_ASCII_THREE)
def test_non_ascii_digits_in_an_api_path_name_no_row(client, api_headers, third_expense_id, digit):
    assert client.get(f"/api/v1/expenses/{third_expense_id}", headers=api_headers).status_code == 200
    response = client.get(f"/api/v1/expenses/{digit}", headers=api_headers)
    assert response.status_code == 404
    assert response.json["code"] == 404


@pytest.mark.parametrize("digit", NON_ASCII_THREE)
def test_non_ascii_digits_in_a_page_path_name_no_row(client, api_headers, third_expense_id, login, user, digit):
    login(user)
    assert client.get(f"/expenses/{third_expense_id}").status_code == 200
    assert client.get(f"/expenses/{digit}").status_code == 404


def test_a_5000_digit_id_in_a_path_is_404(client, api_headers):
    assert client.get("/api/v1/expenses/" + "9" * 5000, headers=api_headers).status_code == 404
