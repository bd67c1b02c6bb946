from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: metrics, health, backups (README: Operations). No models."""

    name = "dibao.ops"
    label = "ops"

    def ready(self):
        from django.contrib.auth.signals import user_login_failed  # noqa: PLC0415  ready(): apps are loaded now

        from dibao.ops.metrics import count_failed_login  # noqa: PLC0415  ready(): the metrics import models

        user_login_failed.connect(count_failed_login, dispatch_uid="dibao.ops.failed_login")
