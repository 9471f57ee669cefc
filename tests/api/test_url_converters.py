"""Ids in paths are ASCII digits on both faces: `/expenses/٣` is not expense 3 (issue 11)."""

import pytest

# Each maps the ASCII digits 0-9 to the same digits of another script.
SCRIPTS = {
    "arabic-indic": "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "full-width": "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19",
    "mathematical-bold": "".join(chr(0x1D7CE + n) for n in range(10)),
}


def spelled_in(script: str, number: int) -> str:
    """`number` written with the digits of `script` (what int() would read back as `number`)."""
    spelled = str(number).translate(str.maketrans("0123456789", SCRIPTS[script]))
    assert int(spelled) == number
    return spelled


@pytest.mark.parametrize("script", SCRIPTS)
def test_non_ascii_digits_in_an_api_path_name_no_row(client, api_headers, post_expense, script):
    expense_id = post_expense()["id"]
    assert client.get(f"/api/v1/expenses/{expense_id}", headers=api_headers).status_code == 200
    response = client.get(f"/api/v1/expenses/{spelled_in(script, expense_id)}", headers=api_headers)
    assert response.status_code == 404
    assert response.json["code"] == 404


@pytest.mark.parametrize("script", SCRIPTS)
def test_non_ascii_digits_in_a_page_path_name_no_row(client, post_expense, login, user, script):
    expense_id = post_expense()["id"]
    login(user)
    assert client.get(f"/expenses/{expense_id}").status_code == 200
    assert client.get(f"/expenses/{spelled_in(script, expense_id)}").status_code == 404


def test_a_5000_digit_id_in_a_path_is_404(client, api_headers):
    assert client.get("/api/v1/expenses/" + "9" * 5000, headers=api_headers).status_code == 404
