"""Being written: each function is replaced by its real view."""


def import_start(request, **kwargs):
    raise NotImplementedError


def import_preview(request, **kwargs):
    raise NotImplementedError


def import_map(request, **kwargs):
    raise NotImplementedError


def import_confirm(request, **kwargs):
    raise NotImplementedError
