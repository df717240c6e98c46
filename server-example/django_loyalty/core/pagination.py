from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """DRF page numbers (``count``, ``next``, ``previous``, ``results``) over engine lists."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
