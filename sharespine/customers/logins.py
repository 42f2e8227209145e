"""A new dashboard login for a merchant, made by a consultant on the merchant's page.

Consultants may read users but not add or edit them (a user could be made staff or superuser).
This is the one way they make a user: a non-staff login in the Merchant group only, with a
membership of this merchant, and no password. The person sets the password themselves through
Django's password-reset link (a token that works once, for ``PASSWORD_RESET_TIMEOUT``), mailed
through the configured backend and also shown to the consultant, who can pass it on when no mail
server is configured (the demo).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sharespine.customers import audit
from sharespine.customers.models import Customer, Membership
from sharespine.customers.roles import MERCHANT

User = get_user_model()


class MerchantLoginForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("The link to set the password is sent here.")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        # A password reset finds the user by e-mail: two users on one address would both get it.
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A user with this e-mail address already exists."))
        return email


def make_login(made_by, customer: Customer, form: MerchantLoginForm):
    """The user, in the Merchant group only, member of ``customer``; the change log keeps it."""
    with transaction.atomic():
        user = form.save(commit=False)
        user.is_staff = False
        user.is_superuser = False
        user.set_unusable_password()
        user.save()
        user.groups.set([Group.objects.get(name=MERCHANT)])
        membership = Membership.objects.create(user=user, customer=customer)
        audit.record(made_by, membership, {})
    return user


def set_password_link(request: HttpRequest, user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return request.build_absolute_uri(path)


def mail_link(user, customer: Customer, link: str) -> None:
    subject = gettext("Your login to the Sharespine dashboard for %(merchant)s") % {"merchant": customer}
    body = gettext(
        "Hello,\n\nA login to the Sharespine dashboard for %(merchant)s has been made for you. Your "
        "username is %(username)s.\n\nChoose your password here (the link works once, for %(days)d "
        "days):\n%(link)s\n"
    ) % {"merchant": customer, "username": user.get_username(), "link": link, "days": _days()}
    send_mail(subject, body, None, [user.email])


def _days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
