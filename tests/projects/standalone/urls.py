from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # django.contrib.auth's login/logout (templates/registration/login.html)
    path("accounts/", include("django.contrib.auth.urls")),
    path("support/", include("escalated.urls")),
    path("", RedirectView.as_view(url="/support/", permanent=False)),
]
