from django.urls import path

from . import views

urlpatterns = [
    path("bench/orm-earn/", views.OrmEarn.as_view()),
    path("bench/orm-balance/", views.OrmBalance.as_view()),
]
