"""Red flag pages; included at the site root."""

from django.urls import path

from tangguh.integrity import views

app_name = "integrity"
urlpatterns = [
    path("tender/<str:code>/tanda-bahaya/", views.tender_flags_page, name="tender"),
    path("instansi/<int:agency_id>/tanda-bahaya/", views.agency_flags_page, name="agency"),
    path("tanda-bahaya/", views.node_flags_page, name="node"),
]
