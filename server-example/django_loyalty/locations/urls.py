from django.urls import path

from . import views

urlpatterns = [
    path("admin/locations/", views.LocationList.as_view()),
    path("admin/locations/<str:pk>/", views.LocationDetail.as_view()),
    path("admin/locations/<str:pk>/deactivate/", views.LocationDeactivate.as_view()),
    path("admin/checkins/", views.CheckinListAdmin.as_view()),
    path("locations/", views.CustomerLocations.as_view()),
    path("checkin/", views.CheckinView.as_view()),
]
