"""Being written: each function is replaced by its real view."""


def webhook_list(request, **kwargs):
    raise NotImplementedError


def webhook_create(request, **kwargs):
    raise NotImplementedError


def webhook_revoke(request, **kwargs):
    raise NotImplementedError


def webhook_receive(request, **kwargs):
    raise NotImplementedError
