"""The pages' server side: every page renders its shell (roles for the browser's guard, the
component structure, assets only from this server), the asset view serves the built files
(gzip when accepted, 304 when unchanged) and nothing outside its folder. The pages' behaviour in
a browser is tested by scripts/test-browser.sh."""

import re

import pytest
from django.test import Client

from . import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def c():
    return Client()


@pytest.mark.parametrize("page", views.PAGES, ids=[p[0] for p in views.PAGES])
def test_every_page_renders_its_shell_with_local_assets_only(c, page):
    name, path, _, roles, title, _ = page
    r = c.get("/" + path)
    assert r.status_code == 200
    html = r.content.decode()
    assert f'data-roles="{",".join(roles)}"' in html
    assert f"<h1" in html and title in html
    assert 'id="main"' in html and "Skip to content" in html          # base + header components
    assert '/static/pages/app.js' in html and '/static/pages/dist/pages.css' in html
    for url in re.findall(r'\s(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#", "data:")), f"{name}: {url} is not served by this server"
    assert "http://" not in html and "https://" not in html


def test_customer_and_admin_pages_name_their_roles(c):
    assert 'data-roles="customer"' in c.get("/").content.decode()
    assert 'data-roles="tenant_admin,super_admin"' in c.get("/manage/audit/").content.decode()
    assert 'data-roles="staff,tenant_admin,super_admin"' in c.get("/staff/cashier/").content.decode()
    assert 'data-roles=""' in c.get("/login/").content.decode()


def test_asset_view_serves_plain_and_gzip_and_304(c, tmp_path, monkeypatch):
    (tmp_path / "x.js").write_text("console.log(1)")
    import gzip
    (tmp_path / "x.js.gz").write_bytes(gzip.compress(b"console.log(1)"))
    monkeypatch.setattr(views, "STATIC", tmp_path.resolve())
    r = c.get("/static/pages/x.js")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"console.log(1)"
    assert "Content-Encoding" not in r and r["Content-Type"].startswith(("text/javascript", "application/javascript"))
    r = c.get("/static/pages/x.js", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert r["Content-Encoding"] == "gzip" and gzip.decompress(b"".join(r.streaming_content)) == b"console.log(1)"
    r2 = c.get("/static/pages/x.js", HTTP_IF_MODIFIED_SINCE=r["Last-Modified"])
    assert r2.status_code == 304


@pytest.mark.parametrize("path", ["../views.py", "x.js.gz", "nothing.js", "..%2fviews.py", "%2e%2e/views.py"])
def test_asset_view_refuses_what_is_not_an_asset(c, tmp_path, monkeypatch, path):
    (tmp_path / "x.js").write_text("1")
    (tmp_path / "x.js.gz").write_bytes(b"1")
    monkeypatch.setattr(views, "STATIC", tmp_path.resolve())
    assert c.get("/static/pages/" + path).status_code == 404


def test_app_script_is_served(c):
    r = c.get("/static/pages/app.js")
    assert r.status_code == 200 and b"window.Loy" in b"".join(r.streaming_content)
