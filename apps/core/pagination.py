import re

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

WHOLE_NUMBER = re.compile(r"[0-9]+")


class DefaultPagination(PageNumberPagination):
    """Every list is paginated: ``?page=N&page_size=M`` (at most 500; more is read as 500).

    A value that is not a whole number from 1 is a 400 naming the parameter: DRF reads a bad
    ``page_size`` as the default (``?page_size=1.5`` answered 50 rows) and a bad ``page`` as a
    404. A page past the last one stays a 404 ("Invalid page").
    """

    page_size_query_param = "page_size"
    max_page_size = 500

    def _check(self, request, name: str, also: tuple[str, ...] = ()) -> None:
        raw = request.query_params.get(name)
        if raw is None or raw in also:
            return
        if not WHOLE_NUMBER.fullmatch(raw) or int(raw) < 1:
            raise serializers.ValidationError({name: ["Must be a whole number from 1."]})

    def get_page_size(self, request):
        self._check(request, self.page_size_query_param)
        return super().get_page_size(request)

    def get_page_number(self, request, paginator):
        self._check(request, self.page_query_param, also=tuple(self.last_page_strings))
        return super().get_page_number(request, paginator)
