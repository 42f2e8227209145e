from django.urls import path

from reconciliation import views

app_name = "reconciliation"
urlpatterns = [
    path("integrations/<int:pk>/close/<str:day>.csv", views.close_csv, name="close_csv"),
]
