from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.tenants"
    label = "loyalty_tenants"
    default_auto_field = "django.db.models.BigAutoField"
