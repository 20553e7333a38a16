"""Pages of the organizations app; included at the site root."""

from django.urls import path

from tangguh.organizations import views

app_name = "organizations"
urlpatterns = [
    path("admin-ppe/hari-libur/", views.holidays_page, name="holidays"),
]
