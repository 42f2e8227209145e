from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sharespine.customers import audit, logins
from sharespine.customers.adminbase import AuditedModelAdmin, ReadOnlyModelAdmin, SecretFieldsForm
from sharespine.customers.models import ConfigChange, Customer, Membership
from sharespine.customers.signals import package_changed


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name = _("merchant user")
    verbose_name_plural = _("merchant users (see only this merchant)")


class CustomerForm(SecretFieldsForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "org_number" in self.fields:
            # Django's own says "Merchant with this Organisation number already exists." (its
            # label capitalised mid-sentence).
            self.fields["org_number"].error_messages["unique"] = _(
                "A merchant with this organisation number already exists."
            )


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    form = CustomerForm
    list_display = ["name", "org_number", "tier", "active", "created_at"]
    list_filter = ["tier", "active"]
    search_fields = ["name", "org_number", "contact_emails"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and request.user.has_perm("customers.add_merchant_login"):
            fields.append("new_login")
        return fields

    @admin.display(description=_("dashboard login"))
    def new_login(self, obj):
        url = reverse("admin:customers_customer_add_login", args=[obj.pk])
        return format_html(
            '<a href="{}" class="button">{}</a> {}',
            url,
            _("Add a merchant login"),
            _("A new user who sees only this merchant on the dashboard; they choose their own password."),
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.add_login_view)
        return [path("<int:pk>/add-login/", view, name="customers_customer_add_login"), *super().get_urls()]

    def add_login_view(self, request, pk: int):
        if not request.user.has_perm("customers.add_merchant_login"):
            raise PermissionDenied
        customer = get_object_or_404(Customer, pk=pk)
        form = logins.MerchantLoginForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = logins.make_login(request.user, customer, form)
            link = logins.set_password_link(request, user)
            # Mailed once the user is committed; the link is shown too, for a site with no mail server.
            transaction.on_commit(lambda: logins.mail_link(user, customer, link))
            messages.success(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    gettext(
                        "Login %(username)s made for %(merchant)s; a link to choose the password was "
                        "e-mailed to %(email)s. The link, to pass on if the mail does not arrive:"
                    )
                    % {"username": user.get_username(), "merchant": customer, "email": user.email},
                    link,
                    link,
                ),
            )
            return redirect("admin:customers_customer_change", customer.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Add a merchant login for %(merchant)s") % {"merchant": customer},
            "customer": customer,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/customers/customer/add_login.html", context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "tier" in form.changed_data:
            # The package decides which of the mode's flows run; their schedules follow it.
            package_changed.send(sender=type(form.instance), customer=form.instance)


@admin.register(ConfigChange)
class ConfigChangeAdmin(ReadOnlyModelAdmin):
    """Read-only: the log is written by saves in the admin, never edited."""

    list_display = [
        "at",
        "user",
        "customer",
        "model",
        "object_repr",
        "action",
        "what_changed",
    ]
    list_filter = ["action", "model", "customer"]
    exclude = ["field", "old_value", "new_value"]
    readonly_fields = ["what_changed"]
    search_fields = ["object_repr", "field", "user__username"]
    list_select_related = ["user", "customer"]
    date_hierarchy = "at"

    @admin.display(description=_("changes"))
    def what_changed(self, obj: ConfigChange):
        rows = audit.changes(obj)
        if not rows:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>", rows),
        )
