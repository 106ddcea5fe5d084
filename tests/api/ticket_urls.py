"""A URLconf that also exposes the sample ticket flow: the generic case endpoints tested on the smallest flow."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import serializers

from api.cases import CaseEndpoints
from workflows.sample.models import Ticket


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["reference", "state", "version", "title", "note"]


def visible_tickets(user):
    if not user.is_authenticated:
        return Ticket.objects.none()
    if user.is_staff:
        return Ticket.objects.all()
    return Ticket.objects.filter(owner=user)


tickets = CaseEndpoints(
    model=Ticket, prefix="tickets", serializer_class=TicketSerializer, visible=visible_tickets, basename="ticket"
)


urlpatterns = [
    path("api/v1/", include(tickets.urls())),
    path("api/", include("api.urls")),
]


def broken(request):
    raise RuntimeError("a bug in a view")


urlpatterns.insert(0, path("api/v1/broken/", broken))
