from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, default: str) -> str:
    """`next` (from the form or the address) if it is a page of this site, else `default`."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return default
