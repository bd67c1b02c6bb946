from django.apps import AppConfig


class PovertyRegistryConfig(AppConfig):
    name = "poverty_registry"
