"""Page weight: the dashboard's first load in a fresh Chromium profile (Playwright), bytes on the
wire, requests, and each response's compression and caching headers.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path


def page_weight(port: int, cookie: str, path: str = "/") -> dict:
    """First load of `path` in a fresh Chromium profile: bytes on the wire, requests, caching headers."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"available": False, "reason": "playwright is not installed"}
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        return {"available": False, "reason": "no /usr/bin/chromium"}
    name, _, value = cookie.partition("=")
    responses = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https"})
            context.add_cookies([{"name": name, "value": value, "domain": "127.0.0.1", "path": "/"}])
            page = context.new_page()
            page.on("requestfinished", lambda request: responses.append(request))
            page.goto(f"http://127.0.0.1:{port}{path}", wait_until="networkidle")
            entries = []
            for request in responses:
                response = request.response()
                sizes = request.sizes()
                headers = response.all_headers() if response else {}
                entries.append(
                    {
                        "url": request.url.replace(f"http://127.0.0.1:{port}", ""),
                        "status": response.status if response else None,
                        "transferred_bytes": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                        "body_bytes": sizes["responseBodySize"],
                        "content_encoding": headers.get("content-encoding", ""),
                        "cache_control": headers.get("cache-control", ""),
                    }
                )
            final_url = page.url
        finally:
            browser.close()
    static = [entry for entry in entries if "/static/" in entry["url"]]
    # Files under COMPRESS_MIN_SIZE (500 bytes: the favicon, theme.js) gain nothing from compression.
    compressible = [entry for entry in static if entry["body_bytes"] >= 1024]
    return {
        "available": True,
        "final_url": final_url.replace(f"http://127.0.0.1:{port}", ""),
        "requests": len(entries),
        "transferred_bytes": sum(entry["transferred_bytes"] for entry in entries),
        "static_compressed": bool(compressible) and all(entry["content_encoding"] for entry in compressible),
        "static_long_cache": bool(static) and all(long_cache(entry["cache_control"]) for entry in static),
        "entries": entries,
    }


def long_cache(cache_control: str) -> bool:
    match = re.search(r"max-age=(\d+)", cache_control or "")
    return bool(match) and int(match.group(1)) >= 30 * 24 * 3600
