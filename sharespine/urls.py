from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from sharespine.alerts.language import switch_language

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard:home", permanent=False)),
    # Browsers ask for /favicon.ico whatever the page says; the pages link the SVG itself.
    path("favicon.ico", RedirectView.as_view(url=static("dashboard/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("dashboard/", include("sharespine.dashboard.urls")),
    path("reconciliation/", include("reconciliation.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # The language switcher; the choice is also kept for the user's alert mails.
    path("i18n/setlang/", switch_language),
    path("i18n/", include("django.conf.urls.i18n")),
]
