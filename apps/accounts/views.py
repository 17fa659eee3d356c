"""The invited user's side of an invitation: list one's open invitations and accept one.

Plain session views (not the tenant API: the user is not yet a member of the tenant).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.core.errors import problem_response

from .models import Invitation
from .services import invitation_accept


def _open_invitations(user):
    return Invitation.objects.select_related("tenant").filter(
        user=user, accepted_at=None, expires_at__gt=timezone.now(), tenant__is_active=True
    )


@login_required
@require_GET
def invitation_list(request):
    rows = [
        {"id": str(i.pk), "tenant": i.tenant.slug, "role": i.role, "expires_at": i.expires_at}
        for i in _open_invitations(request.user)
    ]
    return JsonResponse({"results": rows})


@login_required
@require_POST
def invitation_accept_view(request, invitation_id):
    invitation = _open_invitations(request.user).filter(pk=invitation_id).first()
    if invitation is None:  # another user's invitation looks exactly like a missing one
        raise Http404("No such invitation.")
    try:
        membership = invitation_accept(invitation=invitation, user=request.user)
    except (PermissionError, ValueError) as exc:
        return problem_response(409, str(exc))
    return JsonResponse({"tenant": membership.tenant.slug, "role": membership.role})
