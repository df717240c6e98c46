"""django_loyalty: the reference REST server of libloyalty as a reusable Django app.

Add the apps of :data:`INSTALLED_APPS` to a Django 5 project's ``INSTALLED_APPS``, include
``django_loyalty.urls`` under ``api/`` and set ``LOYALTY`` (see ``django_loyalty.conf``).
Every engine operation runs through the public ``loyalty`` Python package.
"""

#: The apps to add to a project's INSTALLED_APPS (after rest_framework and simplejwt's blacklist).
INSTALLED_APPS = [
    "django_loyalty.core",
    "django_loyalty.accounts",
    "django_loyalty.tenants",
    "django_loyalty.programs",
    "django_loyalty.customers",
    "django_loyalty.locations",
    "django_loyalty.rewards",
    "django_loyalty.analytics",
    "django_loyalty.insights",
    "django_loyalty.pages",  # the web pages (templates and assets; include django_loyalty.pages.urls)
]
