from django.urls import path

from . import views

urlpatterns = [
    path("admin/insights/segments/", views.SegmentsView.as_view()),
    path("admin/insights/churn/", views.ChurnView.as_view()),
    path("admin/insights/locations/", views.LocationInsightsView.as_view()),
    path("admin/insights/feedback/", views.FeedbackAdminView.as_view()),
    path("feedback/", views.FeedbackView.as_view()),
    path("recommendations/", views.RecommendationsView.as_view()),
]
