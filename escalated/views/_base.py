"""Plumbing shared by every Escalated view.

- :func:`render` renders an Inertia page with the shared props (``auth``, ``flash``,
  ``escalated``, ``errors``, ``old``) into Escalated's own layout.
- :func:`escalated_view` wraps a view: allowed methods, login (Inertia-aware), the
  access level (customer, agent, admin, or guest for the secret-link pages), and the
  translation of errors: ``NotFound``/``Http404`` -> the NotFound page (404),
  ``NotPermitted``/``PermissionDenied`` -> the Forbidden page (403), any other
  ``EscalatedError`` from a form -> the validation round trip below.
- :func:`parse_form` reads JSON, multipart and url-encoded bodies alike.
- NUL characters, which PostgreSQL refuses in text, never reach a query: in a body
  they are a field error, in a URL argument (ticket key, token) a 404, in the query
  string a 400.

The validation round trip (Inertia's convention): a write that fails redirects back
(303) to the page the form was on; the field errors (first message per field) and the
user's input wait in the session, and the next page render pops them into the
``errors`` and ``old`` props. A failure with no field errors becomes ``flash.error``.
An Inertia ``X-Inertia-Error-Bag`` header nests the errors under that bag. Clients
that are not Inertia and ask for JSON (``Accept: application/json``) get
``{"message", "code", "errors"}`` with the error's status (422 / 400) instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any, Final, Literal, TypeAlias, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme
from inertia import always, location

from escalated.conf import app_settings
from escalated.exceptions import (
    EscalatedError,
    NotFound,
    NotPermitted,
    Throttled,
    ValidationFailed,
)
from escalated.inertia import EscalatedInertiaResponse, resolved
from escalated.nul import NUL_MESSAGE, has_nul
from escalated.permissions import is_admin, is_agent
from escalated.props import (
    AuthProps,
    EscalatedConfigProps,
    FlashProps,
    Paginated,
    paginated,
    user_display_name,
    user_email,
)
from escalated.selectors.tickets import Page
from escalated.user_ids import parse_user_id, user_id_json, user_pk_is_integer

T = TypeVar("T")
View: TypeAlias = Callable[..., HttpResponseBase]
Access = Literal["guest", "user", "agent", "admin"]

SESSION_ERRORS: Final = "_escalated_errors"
SESSION_OLD: Final = "_escalated_old"
SESSION_FLASH: Final = "_escalated_flash"
_FORM_CACHE: Final = "_escalated_form"

#: Old input kept in the session is for re-filling forms, not an upload channel.
_OLD_VALUE_MAX: Final = 20_000
_SECRET_FIELDS: Final = frozenset({"password", "csrfmiddlewaretoken", "_method", "token"})

FORBIDDEN: Final = "Escalated/Errors/Forbidden"
NOT_FOUND: Final = "Escalated/Errors/NotFound"


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: after a write the browser (and Inertia) always follows with a GET."""

    status_code = 303


def is_inertia(request: HttpRequest) -> bool:
    return "X-Inertia" in request.headers


def wants_json(request: HttpRequest) -> bool:
    """A non-Inertia client asking for JSON (``fetch``, Inertia's ``useHttp``)."""
    if is_inertia(request):
        return False
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


# --------------------------------------------------------------------------- shared props


def auth_props(request: HttpRequest) -> AuthProps:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user": None, "logout_url": None}
    return {
        "user": {
            "id": user_id_json(user.pk),
            "name": user_display_name(user),
            "email": user_email(user),
            "is_agent": is_agent(user),
            "is_admin": is_admin(user),
        },
        "logout_url": logout_url(),
    }


def logout_url() -> str | None:
    """``ESCALATED["LOGOUT_URL"]`` as a path: a URL name reversed, a path as it is;
    ``None`` when unset or when the name does not resolve (no button then)."""
    target = app_settings.LOGOUT_URL
    if target is None:
        return None
    try:
        return str(resolve_url(target))
    except NoReverseMatch:
        return None


def route_prefix() -> str:
    """Where ``escalated.urls`` is mounted, without slashes (``support``)."""
    try:
        return reverse("escalated:home").strip("/")
    except NoReverseMatch:  # not routed under the namespace: fall back to the setting
        return app_settings.ROUTE_PREFIX


def config_props() -> EscalatedConfigProps:
    return {
        "route_prefix": route_prefix(),
        "max_attachments": app_settings.MAX_ATTACHMENTS,
        "max_attachment_size_kb": app_settings.MAX_ATTACHMENT_SIZE_KB,
        "allow_customer_close": app_settings.ALLOW_CUSTOMER_CLOSE,
    }


def _pop(request: HttpRequest, key: str) -> Any:
    session = getattr(request, "session", None)
    if session is None or key not in session:
        return None
    return session.pop(key)


def pop_errors(request: HttpRequest) -> dict[str, Any]:
    return _pop(request, SESSION_ERRORS) or {}


def pop_old(request: HttpRequest) -> dict[str, Any]:
    return _pop(request, SESSION_OLD) or {}


def pop_flash(request: HttpRequest) -> FlashProps:
    stored = _pop(request, SESSION_FLASH) or {}
    flash: FlashProps = {}
    if stored.get("success"):
        flash["success"] = str(stored["success"])
    if stored.get("error"):
        flash["error"] = str(stored["error"])
    return flash


def shared_props(request: HttpRequest) -> dict[str, Any]:
    """The props of every page. ``errors``, ``flash`` and ``old`` are read once (popped)
    and sent even on partial reloads, so they are never lost."""
    return {
        "auth": lambda: auth_props(request),
        "flash": always(lambda: pop_flash(request)),
        "escalated": config_props,
        "errors": always(lambda: pop_errors(request)),
        "old": always(lambda: pop_old(request)),
    }


def render(
    request: HttpRequest,
    component: str,
    props: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """Render ``component`` with the shared props plus ``props``.

    Dict and list values are final JSON (built by :mod:`escalated.props`) and skip
    inertia-django's per-node walk (see :mod:`escalated.inertia`).
    """
    page_props = {key: resolved(value) for key, value in (props or {}).items()}
    return EscalatedInertiaResponse(
        request, component, {**shared_props(request), **page_props}, status=status
    )


def page_props(page: Page, build: Callable[[Any], T]) -> Paginated[T]:
    """A selector's :class:`~escalated.selectors.tickets.Page` as ``Paginated`` props."""
    return paginated(
        (build(item) for item in page.items),
        total=page.total,
        per_page=page.per_page,
        current_page=page.current_page,
        exact=page.total_is_exact,
    )


def error_page(request: HttpRequest, status: int, message: str | None = None) -> HttpResponse:
    """The Forbidden (403) or NotFound (404) page; never says more than ``message``."""
    component = FORBIDDEN if status == 403 else NOT_FOUND
    return render(request, component, {"message": message, "status": status}, status=status)


# --------------------------------------------------------------------------- redirects, flash


def flash(request: HttpRequest, *, success: str | None = None, error: str | None = None) -> None:
    """Show a message on the next page."""
    if not success and not error:
        return
    stored = dict(request.session.get(SESSION_FLASH) or {})
    if success:
        stored["success"] = success
    if error:
        stored["error"] = error
    request.session[SESSION_FLASH] = stored


def safe_referer(request: HttpRequest) -> str | None:
    referer = request.headers.get("Referer")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponse:
    """303 to the page the request came from (same host only), else to ``fallback``."""
    return HttpResponseSeeOther(safe_referer(request) or fallback)


def done(
    request: HttpRequest, url: str, *, success: str | None = None, error: str | None = None
) -> HttpResponse:
    """A successful write: flash a message and 303 to ``url``."""
    if success or error:
        flash(request, success=success, error=error)
    return HttpResponseSeeOther(url)


def first_messages(errors: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """``{field: [messages]}`` -> ``{field: first message}`` (Inertia's ``errors``)."""
    result: dict[str, str] = {}
    for field, messages in errors.items():
        for message in messages:
            result[field] = str(message)
            break
    return result


def failed(request: HttpRequest, exc: EscalatedError, *, back: str) -> HttpResponse:
    """The validation round trip (see the module docstring)."""
    if wants_json(request):
        response = JsonResponse(exc.as_dict(), status=exc.status)
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    errors: dict[str, Any] = first_messages(exc.errors)
    if errors:
        bag = request.headers.get("X-Inertia-Error-Bag")
        request.session[SESSION_ERRORS] = {bag: errors} if bag else errors
    else:
        flash(request, error=exc.message)
    form: FormInput | None = getattr(request, _FORM_CACHE, None)
    if form is not None:
        request.session[SESSION_OLD] = form.old_input()
    return redirect_back(request, back)


def login_redirect(request: HttpRequest) -> HttpResponse:
    """To ``LOGIN_URL``, coming back here; an Inertia visit gets a full-page redirect."""
    if request.method == "GET":
        target = request.get_full_path()
    else:
        target = safe_referer(request) or reverse("escalated:home")
    response = redirect_to_login(target, settings.LOGIN_URL)
    if is_inertia(request):
        return location(response["Location"])
    return response


# --------------------------------------------------------------------------- forms


def _plain(query: QueryDict) -> dict[str, Any]:
    """A QueryDict as a dict: repeated keys and ``key[]``/``key[0]`` become lists."""
    data: dict[str, Any] = {}
    for raw_key in query:
        values = query.getlist(raw_key)
        key, is_list = raw_key, False
        if key.endswith("]") and "[" in key:
            key, is_list = key[: key.index("[")], True
        if is_list or len(values) > 1:
            data.setdefault(key, [])
            if not isinstance(data[key], list):
                data[key] = [data[key]]
            data[key].extend(values)
        else:
            data[key] = values[0] if values else ""
    return data


def _is_number(text: str) -> bool:
    """ASCII digits only: ``"²".isdigit()`` is true, yet ``int("²")`` raises."""
    return text.isascii() and text.isdigit()


def _refuse_nul(data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if has_nul(key):
            raise ValidationFailed(NUL_MESSAGE)
        if has_nul(value):
            raise ValidationFailed.field(key, NUL_MESSAGE)


class FormInput:
    """A parsed request body with typed, never-raising-500 accessors.

    Each accessor raises ``ValidationFailed`` naming the field when a value has the
    wrong shape; a missing key gives the default.
    """

    def __init__(self, data: Mapping[str, Any], files: Mapping[str, list[UploadedFile[Any]]]):
        self.data = dict(data)
        self.files = dict(files)

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def text(self, name: str, default: str = "") -> str:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, list):
            value = value[0] if value else ""
        if isinstance(value, dict):
            raise ValidationFailed.field(name, "Expected text.")
        return str(value)

    def optional_text(self, name: str) -> str | None:
        return self.text(name) if name in self.data else None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, list):
            value = value[-1] if value else ""
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        text = str(value).strip().lower()
        if text in {"1", "true", "on", "yes"}:
            return True
        if text in {"0", "false", "off", "no"}:
            return False
        raise ValidationFailed.field(name, "Expected true or false.")

    def optional_flag(self, name: str) -> bool | None:
        return self.flag(name) if self.data.get(name) not in (None, "") else None

    def integer(self, name: str) -> int | None:
        """An integer ≥ 0, or ``None`` for a missing, null or empty value."""
        value = self.data.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise ValidationFailed.field(name, "Expected a number.")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and _is_number(value.strip()) and len(value.strip()) < 19:
            number = int(value.strip())
        else:
            raise ValidationFailed.field(name, "Expected a number.")
        if not 0 <= number < 2**63:
            raise ValidationFailed.field(name, "Expected a number.")
        return number

    def user_id(self, name: str) -> Any | None:
        """A user id, of the type of the user model's key (an integer, a UUID, text),
        or ``None`` for a missing, null or empty value."""
        if user_pk_is_integer():
            return self.integer(name)
        value = self.data.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None or value == "":
            return None
        user_id = parse_user_id(value)
        if user_id is None:
            raise ValidationFailed.field(name, "Expected a user id.")
        return user_id

    def _list_items(self, name: str) -> list[Any]:
        """The items of a list field: a JSON list (of values or of ``{"id": …}``
        objects), repeated keys, or ``"1,2,3"``; blank items left out."""
        value = self.data.get(name)
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        items = [item.get("id") if isinstance(item, dict) else item for item in items]
        return [item for item in items if not (isinstance(item, str) and not item.strip())]

    def user_ids(self, name: str) -> list[Any]:
        """A list of user ids, as :meth:`integers` reads ids."""
        if user_pk_is_integer():
            return self.integers(name)
        result = []
        for item in self._list_items(name):
            user_id = parse_user_id(item)
            if user_id is None:
                raise ValidationFailed.field(name, "Expected a list of user ids.")
            result.append(user_id)
        return list(dict.fromkeys(result))

    def integers(self, name: str) -> list[int]:
        """A list of ids: a JSON list (of ids or of ``{"id": …}`` objects), repeated
        keys, or ``"1,2,3"``."""
        result = []
        for item in self._list_items(name):
            text = str(item).strip()
            if isinstance(item, bool) or not _is_number(text) or len(text) >= 19:
                raise ValidationFailed.field(name, "Expected a list of ids.")
            result.append(int(text))
        return list(dict.fromkeys(result))

    def structure(self, name: str, kind: type[list[Any]] | type[dict[str, Any]]) -> Any:
        """A JSON list or object, sent as JSON or as a JSON string in a form field."""
        value = self.data.get(name)
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else None
            except (ValueError, RecursionError):
                raise ValidationFailed.field(name, "Expected JSON.") from None
            if has_nul(value):  # "\u0000" escapes decode to the NUL the body had not
                raise ValidationFailed.field(name, NUL_MESSAGE)
        if value is None:
            return None
        if not isinstance(value, kind):
            expected = "a list" if kind is list else "an object"
            raise ValidationFailed.field(name, f"Expected {expected}.")
        return value

    def uploads(self, name: str = "attachments") -> list[UploadedFile[Any]]:
        return list(self.files.get(name, []))

    def old_input(self) -> dict[str, Any]:
        """The input to re-fill the form with: no files, no secrets, nothing huge."""
        old: dict[str, Any] = {}
        for key, value in self.data.items():
            if key in _SECRET_FIELDS:
                continue
            try:
                encoded = json.dumps(value)
            except (TypeError, ValueError):
                continue
            if len(encoded) <= _OLD_VALUE_MAX:
                old[key] = value
        return old


def _parse(request: HttpRequest) -> FormInput:
    content_type = request.content_type or ""
    files: dict[str, list[UploadedFile[Any]]] = {}
    if content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested too deep
            raise ValidationFailed("The request body is not valid JSON.", code="bad_json") from None
        if not isinstance(data, dict):
            raise ValidationFailed("Send a JSON object.", code="bad_json")
        _refuse_nul(data)
        return FormInput(data, files)
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        post: QueryDict
        raw_files: MultiValueDict[str, UploadedFile[Any]] | None
        if request.method == "POST":
            post, raw_files = request.POST, request.FILES
        elif content_type == "multipart/form-data":
            try:
                post, raw_files = MultiPartParser(
                    request.META, request, request.upload_handlers, request.encoding
                ).parse()
            except MultiPartParserError as exc:
                raise ValidationFailed(f"The form could not be read ({exc}).") from exc
        else:
            post, raw_files = QueryDict(request.body, encoding=request.encoding), None
        if raw_files is not None:
            for key in raw_files:
                name = key[: key.index("[")] if key.endswith("]") and "[" in key else key
                files.setdefault(name, []).extend(raw_files.getlist(key))
        data = _plain(post)
        _refuse_nul(data)
        return FormInput(data, files)
    if request.body:
        raise ValidationFailed(
            f"Unsupported content type {content_type!r}: send JSON or a form.",
            code="unsupported_media_type",
        )
    return FormInput({}, files)


def parse_form(request: HttpRequest) -> FormInput:
    """The request's body as :class:`FormInput` (parsed once per request)."""
    cached: FormInput | None = getattr(request, _FORM_CACHE, None)
    if cached is None:
        cached = _parse(request)
        setattr(request, _FORM_CACHE, cached)
    return cached


def effective_method(request: HttpRequest) -> str:
    """The HTTP method, honouring ``_method`` on POSTs (Inertia's method spoofing for
    uploads: ``router.put(url, {_method: "put", file})``)."""
    method = (request.method or "GET").upper()
    if method != "POST":
        return method
    try:
        spoofed = parse_form(request).text("_method").upper()
    except (EscalatedError, RequestDataTooBig):
        return method  # the view's own parse reports the problem
    return spoofed if spoofed in ("PUT", "PATCH", "DELETE") else method


# --------------------------------------------------------------------------- the decorator


def _allowed(request: HttpRequest, access: Access) -> bool:
    if access == "agent":
        return is_agent(request.user)
    if access == "admin":
        return is_admin(request.user)
    return True


def escalated_view(
    *,
    methods: Iterable[str] = ("GET",),
    access: Access = "user",
    back: Callable[..., str] | None = None,
) -> Callable[[View], View]:
    """Wrap an Escalated view (see the module docstring).

    ``access``: ``guest`` (no login), ``user`` (signed in), ``agent`` or ``admin``.
    ``back(request, *args, **kwargs)`` gives the page to return to after a failed
    write when the request has no usable ``Referer``.
    """
    allowed = tuple(m.upper() for m in methods)
    if "GET" in allowed and "HEAD" not in allowed:
        allowed += ("HEAD",)

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            method = effective_method(request)
            if method not in allowed:
                return HttpResponseNotAllowed(allowed)
            if access != "guest" and not request.user.is_authenticated:
                return login_redirect(request)
            try:
                if not _allowed(request, access):
                    raise PermissionDenied
                if any(has_nul(value) for value in kwargs.values()):
                    raise NotFound("Not found.")  # no ticket key or token holds one
                if any(has_nul(key) or has_nul(values) for key, values in request.GET.lists()):
                    raise ValidationFailed(NUL_MESSAGE)
                response = view(request, *args, **kwargs)
            except (NotFound, Http404):
                response = error_page(request, 404)
            except NotPermitted as exc:
                response = error_page(request, 403, exc.message)
            except PermissionDenied:
                response = error_page(request, 403)
            except EscalatedError as exc:
                if method in ("GET", "HEAD"):
                    response = HttpResponseBadRequest(exc.message)
                else:
                    fallback = back(request, *args, **kwargs) if back else reverse("escalated:home")
                    response = failed(request, exc, back=fallback)
            if access == "guest":
                # The secret link must not leak to other sites or into search engines.
                response.headers.setdefault("Referrer-Policy", "same-origin")
                response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
            return response

        return wrapper

    return decorate


def by_method(**handlers: View) -> View:
    """One URL, one view per method: ``by_method(get=index, post=store)``.

    Uses :func:`effective_method`, so ``_method`` spoofing reaches PUT/PATCH/DELETE.
    """

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        method = effective_method(request).lower()
        handler = handlers.get("get" if method == "head" else method)
        if handler is None:
            return HttpResponseNotAllowed([m.upper() for m in handlers])
        return handler(request, *args, **kwargs)

    return view
