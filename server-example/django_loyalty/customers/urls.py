from django.urls import path

from . import views

urlpatterns = [
    path("admin/customers/", views.CustomerList.as_view()),
    path("admin/customers/<str:pk>/", views.CustomerDetail.as_view()),
    path("admin/customers/<str:pk>/adjust-points/", views.AdjustPointsView.as_view()),
    path("admin/customers/<str:pk>/tier/", views.AssignTierView.as_view()),
    path("admin/customers/<str:pk>/balance/", views.CustomerBalanceAdminView.as_view()),
    path("admin/customers/<str:pk>/history/", views.CustomerHistoryAdminView.as_view()),
    path("profile/", views.ProfileView.as_view()),
    path("points/balance/", views.BalanceView.as_view()),
    path("points/history/", views.HistoryView.as_view()),
    path("pos/purchases/", views.PurchaseView.as_view()),
    path("pos/returns/", views.ReturnView.as_view()),
]
