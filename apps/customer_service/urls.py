from django.urls import path

from . import views

app_name = "customer_service_web"

urlpatterns = [path("chat/", views.chat, name="chat")]
