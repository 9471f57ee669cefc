"""Static assets: fingerprinted URLs cached for a year, compressed on the wire; pages and JSON not.

Checked through the pages people load, with a browser's Accept-Encoding.
"""

import re

from expense_app.web.assets import file_version

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}
YEAR = 365 * 24 * 3600


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_page_links_carry_a_content_hash(client, user, login):
    login(user)
    urls = _static_urls(client.get("/").text)
    assert any("css/app.css" in url for url in urls)
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url


def test_a_fingerprinted_asset_is_cached_for_a_year_and_compressed(client):
    version = file_version(client.application.static_folder, "css/app.css")
    with client.get(f"/static/css/app.css?v={version}", headers=BROWSER) as response:
        assert response.status_code == 200
        assert response.cache_control.max_age == YEAR
        assert response.headers["Content-Encoding"] in {"zstd", "br", "deflate", "gzip"}
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.data


def test_an_asset_without_its_hash_is_revalidated(client):
    with client.get("/static/css/app.css", headers=BROWSER) as response:
        assert response.status_code == 200
        assert response.cache_control.no_cache
        assert response.cache_control.max_age is None
        assert response.data


def test_a_client_without_accept_encoding_gets_the_plain_file(client):
    response = client.get("/static/css/app.css")
    assert "Content-Encoding" not in response.headers
    assert b"{" in response.data


def test_pages_and_api_json_are_not_compressed(client, user, login, api_headers):
    assert "Content-Encoding" not in client.get("/api/v1/expenses", headers={**api_headers, **BROWSER}).headers
    login(user)
    page = client.get("/expenses", headers=BROWSER)
    assert page.status_code == 200
    assert "Content-Encoding" not in page.headers


def test_the_api_docs_and_their_assets_still_load(client):
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assets = re.findall(r'(?:href|src)="([^"]+)"', docs.text)
    assert assets
    for url in assets:
        # Read and close each streamed answer before the next request (it holds a request context).
        with client.get(url, headers=BROWSER) as response:
            assert response.status_code == 200, url
            assert response.data, url


def test_the_hash_follows_the_content(tmp_path):
    asset = tmp_path / "a.css"
    asset.write_text("body { color: red }")
    first = file_version(str(tmp_path), "a.css")
    asset.write_text("body { color: blue; }")
    assert file_version(str(tmp_path), "a.css") != first
    assert file_version(str(tmp_path), "missing.css") is None
