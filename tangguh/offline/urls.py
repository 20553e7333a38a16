"""Pages of the offline procedure; included at the site root."""

from django.urls import path

from tangguh.offline import views

app_name = "offline"
urlpatterns = [
    path("tender/<str:code>/luring/", views.tender_page, name="tender"),
]
