from allauth.mfa.admin import AuthenticatorAdmin as AllauthAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from . import services
from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts only: nothing a person keeps private is registered here (privacy rule 1)."""

    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})]

    def get_deleted_objects(self, objs, request):
        """Name only the accounts. Django's list would name every loss, reflection, check-in,
        comment and trusted colleague that goes with them, and no staff page may show those."""
        _objects, _counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        people = [str(obj) for obj in objs]
        return people, {User._meta.verbose_name_plural: len(people)}, perms_needed, protected

    def delete_model(self, request, obj):
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.user_delete(user=user)


# allauth's own admin shows and edits `data`, which holds a TOTP secret in the clear.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(AllauthAuthenticatorAdmin):
    exclude = ["data"]

    def has_add_permission(self, request):
        return False  # an authenticator without its secret makes no sense
