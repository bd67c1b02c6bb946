from django.apps import AppConfig


class OverlapsConfig(AppConfig):
    name = "overlaps"
