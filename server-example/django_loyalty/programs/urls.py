from django.urls import path

from . import views

urlpatterns = [
    path("admin/programs/", views.ProgramList.as_view()),
    path("admin/programs/<str:pk>/", views.ProgramDetail.as_view()),
    path("admin/rules/", views.RuleList.as_view()),
    path("admin/rules/dry-run/", views.DryRunView.as_view()),
    path("admin/rules/<str:pk>/", views.RuleDetail.as_view()),
    path("admin/rules/<str:pk>/activate/", views.RuleActivate.as_view()),
    path("admin/rules/<str:pk>/deactivate/", views.RuleDeactivate.as_view()),
    path("admin/tiers/", views.TierList.as_view()),
    path("admin/tiers/policy/", views.TierPolicyView.as_view()),
    path("admin/tiers/<str:pk>/", views.TierDetail.as_view()),
    path("tiers/", views.CustomerTiersView.as_view()),
    path("tiers/current/", views.CurrentTierView.as_view()),
]
