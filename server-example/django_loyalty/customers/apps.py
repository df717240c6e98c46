from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.customers"
    label = "loyalty_customers"
    default_auto_field = "django.db.models.BigAutoField"
