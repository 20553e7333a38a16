"""Pages of the evaluation and award; included at the site root."""

from django.urls import path

from tangguh.awards import views

app_name = "awards"
urlpatterns = [
    path("pokja/tender/<str:code>/evaluasi/", views.evaluation_page, name="evaluation"),
    path("tender/<str:code>/pemenang/", views.award_page, name="award"),
    path("tender/<str:code>/sanggah/", views.objection_page, name="objection"),
    path("penyedia/hasil/", views.my_results_page, name="my_results"),
    path("pejabat/tender/<str:code>/", views.officials_page, name="officials"),
]
