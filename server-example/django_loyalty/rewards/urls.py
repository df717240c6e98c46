from django.urls import path

from . import views

urlpatterns = [
    path("admin/rewards/", views.RewardList.as_view()),
    path("admin/rewards/<str:pk>/", views.RewardDetail.as_view()),
    path("admin/rewards/<str:pk>/stock/", views.StockView.as_view()),
    path("admin/redemptions/", views.RedemptionsAdmin.as_view()),
    path("coupons/<str:code>/", views.CouponView.as_view()),
    path("coupons/<str:code>/fulfil/", views.CouponFulfilView.as_view()),
    path("rewards/", views.CustomerRewards.as_view()),
    path("rewards/<str:pk>/", views.CustomerRewardDetail.as_view()),
    path("rewards/<str:pk>/redeem/", views.RedeemView.as_view()),
    path("redemptions/", views.RedemptionsView.as_view()),
]
