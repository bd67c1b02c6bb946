from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and the synthetic province: may use every app; no production module imports it."""

    name = "demo"
    verbose_name = "Demo data"
