"""Copy the pinned front-end packages from node_modules/ into static/vendor/ (git-ignored).

Run by `make assets` after `npm ci`; the app then serves every asset itself (no CDN).
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# destination (under static/vendor) -> source (under node_modules)
FILES = {
    "bootstrap/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap/bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "chartjs/chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "redoc/redoc.standalone.js": "redoc/bundles/redoc.standalone.js",
    "axe/axe.min.js": "axe-core/axe.min.js",
}


def main() -> int:
    missing = [src for src in FILES.values() if not (NODE / src).is_file()]
    if missing:
        print(f"vendor_assets: missing {', '.join(missing)}; run `npm ci` first", file=sys.stderr)
        return 1
    for dest, src in FILES.items():
        target = VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE / src, target)
    print(f"vendor_assets: {len(FILES)} files copied into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
