from django.urls import path

from . import views

urlpatterns = [
    path("admin/tenants/", views.TenantListView.as_view()),
    path("admin/tenants/<int:pk>/", views.TenantDetailView.as_view()),
    path("admin/users/", views.StaffView.as_view()),
    path("admin/audit/", views.AuditView.as_view()),
    path("admin/audit/verify/", views.AuditVerifyView.as_view()),
    path("admin/events/", views.EventsView.as_view()),
]
