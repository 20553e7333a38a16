from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "tangguh.organizations"
    label = "organizations"
    verbose_name = "Organisasi"
