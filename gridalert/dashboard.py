"""The duty officer's dashboard (值班大屏): one page served by the web app beside the API.

- ``GET /``                     ``dashboard/index.html`` (the page reads ``/api`` with the bearer
  token the person signs in with; it holds no secret itself)
- ``GET /static/dashboard/…``   ``app.js``, ``app.css`` from ``dashboard/``
- ``GET /static/vendor/<lib>/…`` Leaflet and ECharts from ``dashboard/node_modules`` (installed by
  ``make install``, i.e. ``npm ci --prefix dashboard``); nothing is fetched from the internet at
  run time and no map tiles are used

When the libraries are not installed, ``/`` answers a page (zh + en) that says to run
``make install`` instead of a page that cannot draw. Only the files named in ``VENDOR`` are
served: the rest of ``node_modules`` stays private.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from aiohttp import web

# The repository's dashboard/ folder (the package is installed editable from the repository);
# GRIDALERT_DASHBOARD_DIR points elsewhere, e.g. in an image that copies the folder.
DASHBOARD_DIR = Path(os.environ.get("GRIDALERT_DASHBOARD_DIR") or Path(__file__).resolve().parent.parent / "dashboard")
PAGE_FILES = {"app.js": "text/javascript", "app.css": "text/css"}
# library → its folder inside node_modules whose files the page may load
VENDOR = {"leaflet": "leaflet/dist", "echarts": "echarts/dist"}
NEEDED = ("leaflet/dist/leaflet.js", "leaflet/dist/leaflet.css", "echarts/dist/echarts.min.js")
_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml",
          ".map": "application/json"}


def missing_libraries(directory: Path = DASHBOARD_DIR) -> list[str]:
    return [name for name in NEEDED if not (directory / "node_modules" / name).is_file()]


def _not_installed(missing: list[str]) -> web.Response:
    e = html.escape
    items = "".join(f"<li><code>dashboard/node_modules/{e(m)}</code></li>" for m in missing)
    text = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>仪表盘未安装 Dashboard not installed</title>'
            '<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:40em;margin:2em auto;'
            'padding:0 1em;line-height:1.6}.en{color:#555}</style></head><body>'
            '<h1>仪表盘所需的库尚未安装<br><span class=en>The dashboard\'s libraries are not installed</span></h1>'
            '<p>请在仓库目录运行 <code>make install</code>（其中执行 <code>npm ci --prefix dashboard</code>），然后刷新本页。</p>'
            '<p class=en>Run <code>make install</code> in the repository (it runs <code>npm ci --prefix dashboard</code>), '
            f'then reload this page.</p><p>缺少 Missing:</p><ul>{items}</ul>'
            '<p>接口 <code>/api</code> 不受影响。The API under <code>/api</code> works without them.</p></body></html>')
    return web.Response(text=text, status=503, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store"})


def _file(path: Path, content_type: str) -> web.StreamResponse:
    return web.FileResponse(path, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})


async def index(request: web.Request) -> web.StreamResponse:
    directory = request.app[DIRECTORY]
    missing = missing_libraries(directory)
    if missing:
        return _not_installed(missing)
    return _file(directory / "index.html", "text/html; charset=utf-8")


async def page_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in PAGE_FILES:
        raise web.HTTPNotFound()
    return _file(request.app[DIRECTORY] / name, f"{PAGE_FILES[name]}; charset=utf-8")


async def vendor_file(request: web.Request) -> web.StreamResponse:
    library, rest = request.match_info["library"], request.match_info["path"]
    if library not in VENDOR:
        raise web.HTTPNotFound()
    root = (request.app[DIRECTORY] / "node_modules" / VENDOR[library]).resolve()
    path = (root / rest).resolve()
    if not path.is_relative_to(root) or not path.is_file():  # no ../ out of the library's folder
        if not root.is_dir():
            return _not_installed(missing_libraries(request.app[DIRECTORY]))
        raise web.HTTPNotFound()
    return _file(path, _TYPES.get(path.suffix, "application/octet-stream"))


DIRECTORY = web.AppKey("dashboard_dir", Path)


def add_dashboard(app: web.Application, directory: Path = DASHBOARD_DIR) -> None:
    """Add the dashboard's routes to the web app."""
    app[DIRECTORY] = directory
    app.router.add_get("/", index)
    app.router.add_get("/static/dashboard/{name}", page_file)
    app.router.add_get("/static/vendor/{library}/{path:.+}", vendor_file)
