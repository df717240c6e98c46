from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "django_loyalty.pages"
    label = "loyalty_pages"
    verbose_name = "Loyalty web pages"
