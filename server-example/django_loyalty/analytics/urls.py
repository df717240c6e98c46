from django.urls import path

from . import views

urlpatterns = [
    path("admin/analytics/overview/", views.Overview.as_view()),
    path("admin/analytics/engagement/", views.Engagement.as_view()),
    path("admin/analytics/redemptions/", views.Redemptions.as_view()),
]
