"""The dashboard's files as the web app serves them: the page, its libraries from npm, and a
plain answer (not a stack trace) when ``make install`` has not put the libraries there yet."""

from __future__ import annotations

import asyncio
import shutil

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gridalert.dashboard import DASHBOARD_DIR, NEEDED, add_dashboard


def get(directory, path: str) -> tuple[int, str, str]:
    async def go():
        app = web.Application()
        add_dashboard(app, directory)
        async with TestClient(TestServer(app)) as client:
            response = await client.get(path)
            return response.status, response.headers.get("Content-Type", ""), await response.text()
    return asyncio.run(go())


def page_without_libraries(tmp_path):
    for name in ("index.html", "app.js", "app.css"):
        shutil.copy(DASHBOARD_DIR / name, tmp_path / name)
    return tmp_path


def installed(tmp_path):
    directory = page_without_libraries(tmp_path)
    for name in NEEDED:
        (directory / "node_modules" / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / "node_modules" / name).write_text(f"/* {name} */")
    (directory / "node_modules" / "leaflet" / "package.json").write_text("{}")
    return directory


def test_without_the_libraries_the_page_says_in_both_languages_to_run_make_install(tmp_path):
    status, content_type, text = get(page_without_libraries(tmp_path), "/")
    assert status == 503 and content_type.startswith("text/html")
    assert "make install" in text and "尚未安装" in text and "not installed" in text
    assert "dashboard/node_modules/leaflet/dist/leaflet.js" in text
    assert get(tmp_path, "/static/vendor/leaflet/leaflet.js")[0] == 503


def test_with_the_libraries_the_page_and_its_files_are_served(tmp_path):
    directory = installed(tmp_path)
    status, content_type, text = get(directory, "/")
    assert status == 200 and content_type.startswith("text/html") and "/static/dashboard/app.js" in text
    assert get(directory, "/static/dashboard/app.js")[1].startswith("text/javascript")
    status, content_type, text = get(directory, "/static/vendor/echarts/echarts.min.js")
    assert (status, text) == (200, "/* echarts/dist/echarts.min.js */") and content_type.startswith("text/javascript")


def test_nothing_outside_the_page_and_its_libraries_folders_is_served(tmp_path):
    directory = installed(tmp_path)
    assert get(directory, "/static/vendor/leaflet/../package.json")[0] == 404
    assert get(directory, "/static/vendor/leaflet/%2e%2e/package.json")[0] == 404
    assert get(directory, "/static/vendor/zrender/index.js")[0] == 404
    assert get(directory, "/static/dashboard/package.json")[0] == 404
