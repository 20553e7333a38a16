from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tangguh.audit"
    label = "audit"
    verbose_name = "Audit log"
