from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.accounts"
    label = "loyalty_accounts"
    default_auto_field = "django.db.models.BigAutoField"
