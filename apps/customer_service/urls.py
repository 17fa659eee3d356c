from django.urls import path

from . import views

app_name = "customer_service_web"

urlpatterns = [
    path("chat/", views.chat, name="chat"),
    path("agent/", views.agent, name="agent"),
    path("agent/queue/stream/", views.agent_queue_stream, name="agent-queue-stream"),
    path("documents/<uuid:document_id>/", views.document_page, name="document"),
]
