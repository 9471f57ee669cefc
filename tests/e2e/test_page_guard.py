"""The browser guards themselves: each kind of problem they exist for is caught and reported.

A page is faked on the app's own origin (Playwright answers the request; the app is not involved)
with the app's kind of CSP, so the guards see exactly what a broken page would produce.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PageGuard

BROKEN_PAGE = """<!doctype html><html><head><title>broken</title></head><body>
<script>console.log("inline code ran")</script>
<img src="https://cdn.example.com/tracker.png" alt="">
<script src="/static/js/does-not-exist.js"></script>
</body></html>"""


def test_guards_report_csp_violations_errors_and_foreign_requests(browser, live_server):
    guard = PageGuard(live_server)
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    guard.watch(context, page)
    try:
        page.route(
            "**/guard-check",
            lambda route: route.fulfill(
                status=200,
                content_type="text/html",
                headers={"Content-Security-Policy": "script-src 'self'"},
                body=BROKEN_PAGE,
            ),
        )
        page.goto("/guard-check")
        page.evaluate("setTimeout(() => { throw new Error('boom') }, 0)")
        page.wait_for_timeout(300)
    finally:
        context.close()
    problems = "\n".join(guard.problems)
    assert "CSP violation: script-src" in problems
    assert "request to another host: https://cdn.example.com/tracker.png" in problems
    assert "does-not-exist.js" in problems
    assert "page error: boom" in problems
    with pytest.raises(pytest.fail.Exception, match="the browser reported problems"):
        guard.assert_clean()


def test_guards_stay_quiet_on_a_clean_page(browser, live_server):
    guard = PageGuard(live_server)
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    guard.watch(context, page)
    try:
        page.goto("/login")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert guard.problems == []
