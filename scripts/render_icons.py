"""Render the app's PNG icons from their SVG sources in static/icons/ with headless Chromium.

The PNGs are committed (a home screen wants PNG); run this after changing an SVG:
`.venv/bin/python scripts/render_icons.py` (needs Chromium at /usr/bin/chromium or $CHROMIUM).
Pillow is not a dependency of the project, so the browser the e2e tests use draws them.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parents[1] / "static" / "icons"
# (source SVG, PNG written, size in pixels)
RENDERS = [
    ("icon.svg", "icon-192.png", 192),
    ("icon.svg", "icon-512.png", 512),
    ("icon-maskable.svg", "icon-maskable-512.png", 512),
]


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
        for source, target, size in RENDERS:
            page = browser.new_page(viewport={"width": size, "height": size})
            svg = (ICONS / source).read_text()
            page.set_content(
                f'<html><body style="margin:0;background:transparent">'
                f'<div style="width:{size}px;height:{size}px">{svg.replace("<svg ", f"<svg width={size} height={size} ")}</div>'
                f"</body></html>"
            )
            page.screenshot(
                path=str(ICONS / target), omit_background=True, clip={"x": 0, "y": 0, "width": size, "height": size}
            )
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
