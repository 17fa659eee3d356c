from django.urls import path

from .views import ChatView, EmbedView, ModelListView

app_name = "models_runtime"

urlpatterns = [
    path("models/", ModelListView.as_view(), name="models"),
    path("inference/embed", EmbedView.as_view(), name="embed"),
    path("inference/chat", ChatView.as_view(), name="chat"),
]
