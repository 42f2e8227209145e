from django.urls import path

from sharespine.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
    path("integrations/<int:pk>/", views.integration_detail, name="integration"),
]
