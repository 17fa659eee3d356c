from django.urls import path

from .api import pages

app_name = "customer_service_web"

urlpatterns = [
    path("chat/", pages.chat, name="chat"),
    path("agent/", pages.agent, name="agent"),
    path("agent/queue/stream/", pages.agent_queue_stream, name="agent-queue-stream"),
    path("documents/<uuid:document_id>/", pages.document_page, name="document"),
]
