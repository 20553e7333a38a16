from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tangguh.notifications"
    label = "notifications"
    verbose_name = "Notifikasi"
