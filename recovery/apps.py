from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Recovery"

    def ready(self):
        from . import aggregates  # noqa: F401  (registers MEDIAN on SQLite connections)
