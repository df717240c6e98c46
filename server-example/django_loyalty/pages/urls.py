"""The pages' URLs: ``path("", include("django_loyalty.pages.urls"))`` next to the API's."""

from django.urls import path

from . import views

urlpatterns = [
    path(p, views.Page.as_view(template_name=tpl, roles=roles, title=title, name=name), name=f"pages-{name}")
    for name, p, tpl, roles, title, _ in views.PAGES
] + [path("static/pages/<path:path>", views.asset, name="pages-asset")]
