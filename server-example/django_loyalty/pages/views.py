"""The web pages: Django templates (TailwindCSS, Alpine.js) that call the REST API under /api/
from the browser with the signed-in user's JWT. A page's view only renders its shell; the API
enforces every permission (the page's ``roles`` only decide where the browser is sent back to
the login page). The assets are built by ``server-example/frontend`` (npm) into
``static/pages/dist``; :func:`asset` serves them with a pre-compressed .gz when the browser
accepts gzip (a production deployment would run collectstatic behind its web server instead)."""

import mimetypes
import pathlib

from django.http import FileResponse, Http404, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe
from django.views.generic import TemplateView

STATIC = (pathlib.Path(__file__).parent / "static" / "pages").resolve()

CUSTOMER = ("customer",)
STAFF = ("staff", "tenant_admin", "super_admin")
ADMIN = ("tenant_admin", "super_admin")

#: name, path, template, roles, title, section (nav group)
PAGES = [
    ("login", "login/", "pages/auth/login.html", (), "Sign in", None),
    ("staff-login", "staff/login/", "pages/auth/staff_login.html", (), "Staff and admin sign in", None),
    ("dashboard", "", "pages/customer/dashboard.html", CUSTOMER, "My points", "customer"),
    ("history", "history/", "pages/customer/history.html", CUSTOMER, "Points history", "customer"),
    ("rewards", "rewards/", "pages/customer/rewards.html", CUSTOMER, "Rewards", "customer"),
    ("redemptions", "redemptions/", "pages/customer/redemptions.html", CUSTOMER, "My coupons", "customer"),
    ("map", "map/", "pages/customer/map.html", CUSTOMER, "Locations", "customer"),
    ("recommendations", "recommendations/", "pages/customer/recommendations.html", CUSTOMER, "For you", "customer"),
    ("profile", "profile/", "pages/customer/profile.html", CUSTOMER, "Profile", "customer"),
    ("cashier", "staff/cashier/", "pages/staff/cashier.html", STAFF, "Cashier", "staff"),
    ("admin-rules", "manage/rules/", "pages/admin/rules.html", STAFF, "Rules", "admin"),
    ("admin-customers", "manage/customers/", "pages/admin/customers.html", STAFF, "Customers", "admin"),
    ("admin-audit", "manage/audit/", "pages/admin/audit.html", ADMIN, "Audit log", "admin"),
    ("admin-programs", "manage/programs/", "pages/admin/programs.html", STAFF, "Programs and tiers", "admin"),
    ("admin-rewards", "manage/rewards/", "pages/admin/rewards.html", STAFF, "Rewards and stock", "admin"),
    ("admin-locations", "manage/locations/", "pages/admin/locations.html", STAFF, "Locations", "admin"),
    ("admin-insights", "manage/insights/", "pages/admin/insights.html", ADMIN, "AI insights", "admin"),
]


class Page(TemplateView):
    roles = ()
    title = ""
    name = ""

    def get_context_data(self, **kw):
        ctx = super().get_context_data(**kw)
        nav = [(n, "/" + p, t, s) for n, p, _, r, t, s in PAGES if s]
        ctx.update(page_name=self.name, page_title=self.title, page_roles=",".join(self.roles),
                   nav_customer=[x for x in nav if x[3] == "customer"],
                   nav_staff=[x for x in nav if x[3] in ("staff", "admin")])
        return ctx


def asset(request, path):
    """Serves a file of static/pages (the built assets and the pages' own script)."""
    f = (STATIC / path).resolve()
    if STATIC not in f.parents or not f.is_file() or f.suffix == ".gz":
        raise Http404(path)
    ctype = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
    gz = f.with_name(f.name + ".gz")
    use_gz = "gzip" in request.headers.get("Accept-Encoding", "") and gz.is_file() and gz.stat().st_mtime >= f.stat().st_mtime
    src = gz if use_gz else f
    mtime = int(f.stat().st_mtime)
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if since is not None and since >= mtime:
        return HttpResponseNotModified()
    resp = FileResponse(src.open("rb"), content_type=ctype)
    if use_gz:
        resp["Content-Encoding"] = "gzip"
    resp["Vary"] = "Accept-Encoding"
    resp["Last-Modified"] = http_date(mtime)
    resp["Cache-Control"] = "public, max-age=300"
    return resp
