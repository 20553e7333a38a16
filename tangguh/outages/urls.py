"""Pages of the outages app; included at the site root."""

from django.urls import path

from tangguh.outages import views

app_name = "outages"
urlpatterns = [
    path("status", views.status_page, name="status"),
    path("admin-ppe/gangguan/", views.admin_page, name="admin"),
    path("pokja/keputusan-gangguan/<int:decision_id>/", views.decide, name="decide"),
]
