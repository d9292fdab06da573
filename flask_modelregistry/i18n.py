"""The languages of the pages: which one a request gets, the registry's own catalogue, and
numbers, sizes and dates written for that language.

The host decides the language. :func:`get_locale` asks, in this order:

1. the host's ``@registry.locale_selector`` callback;
2. the host's own Flask-Babel selection, when the host uses Flask-Babel;
3. the browser's ``Accept-Language``, among :data:`SUPPORTED`;

and answers English otherwise. A choice outside :data:`SUPPORTED` (``fr``) counts as none;
a regional one (``ja_JP``, ``ja-JP``) counts as its language.

The registry's strings live in their own gettext domain, ``model_registry``, so that they never
mix with the host's catalogue; the compiled catalogues ship in the package
(``translations/<lang>/LC_MESSAGES/model_registry.mo``). Templates use ``_()``, ``ngettext()`` and
``{% trans %}`` as with Flask-Babel; for them the registry's context hands over its own
functions, which fall back on the host's catalogue for strings the registry does not know (the
host's base template around a registry page keeps its own translations).

Only the pages speak the user's language: the JSON, MLflow and package APIs answer in English.
"""
from __future__ import annotations

import datetime as dt
import functools
import gettext as gettext_module
import math
import typing as t
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal
from babel.support import LazyProxy, Translations
from flask import current_app, g, has_request_context, request
from jinja2 import pass_context
from markupsafe import Markup

SUPPORTED: tuple[str, ...] = ("en", "ja")
DEFAULT = "en"
DOMAIN = "model_registry"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def _normalise(value: t.Any) -> str | None:
    """``value`` (a str or a babel Locale) as one of :data:`SUPPORTED`, or None."""
    if value is None:
        return None
    text = str(value).strip().replace("-", "_")
    if not text:
        return None
    try:
        language = Locale.parse(text).language
    except (ValueError, UnknownLocaleError):
        language = text.split("_", 1)[0].lower()
    return language if language in SUPPORTED else None


def _host_babel_locale() -> str | None:
    if "babel" not in current_app.extensions:
        return None
    try:
        import flask_babel
    except ImportError:  # pragma: no cover - "babel" registered by something else
        return None
    try:
        return _normalise(flask_babel.get_locale())
    except Exception:  # noqa: BLE001 - a host's selector that fails must not break our pages
        current_app.logger.exception("the host's Flask-Babel locale selector failed")
        return None


def select_locale() -> str:
    """The language of this request, without the per-request cache (see the module's docstring)."""
    if not has_request_context():
        return DEFAULT
    state = current_app.extensions.get("model_registry")
    selector = state.host.locale_selector if state is not None else None
    if selector is not None:
        chosen = _normalise(selector())
        if chosen:
            return chosen
    chosen = _host_babel_locale()
    if chosen:
        return chosen
    return request.accept_languages.best_match(SUPPORTED) or DEFAULT


def get_locale() -> str:
    """The language of this request's pages, one of :data:`SUPPORTED` (chosen once per request)."""
    if not has_request_context():
        return DEFAULT
    chosen = g.get("_model_registry_locale")
    if chosen is None:
        chosen = g._model_registry_locale = select_locale()
    return chosen


@functools.lru_cache(maxsize=None)
def translations(locale: str) -> gettext_module.NullTranslations:
    """The registry's compiled catalogue of ``locale``; English is the msgids themselves."""
    if locale == DEFAULT:
        return gettext_module.NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale], DOMAIN)


def _catalogue() -> gettext_module.NullTranslations:
    return translations(get_locale())


def gettext(message: str, **variables: t.Any) -> str:
    text = _catalogue().gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: t.Any) -> str:
    """The form of ``singular``/``plural`` for ``n``, filled with ``variables`` (``num`` is ``n``
    unless given)."""
    variables.setdefault("num", n)
    return _catalogue().ngettext(singular, plural, n) % variables


def plural_template(singular: str, plural: str, num: int) -> str:
    """The catalogue's form of ``singular``/``plural`` for ``num``, its placeholders left unfilled."""
    return _catalogue().ngettext(singular, plural, num)


def pgettext(context: str, message: str, **variables: t.Any) -> str:
    text = _catalogue().pgettext(context, message)
    return text % variables if variables else text


def lazy_gettext(message: str, **variables: t.Any) -> LazyProxy:
    """A string translated when it is shown (form labels, messages defined at import time)."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def lazy_pgettext(context: str, message: str) -> LazyProxy:
    return LazyProxy(pgettext, context, message, enable_cache=False)


def knows(message: str) -> bool:
    """True when the registry's catalogue has ``message`` (in English: always)."""
    catalogue = _catalogue()
    return not isinstance(catalogue, Translations) or message in getattr(catalogue, "_catalog", {})


# -- numbers, sizes, dates, for the request's language ---------------------------------------------

def format_number(value: float | int | None) -> str:
    """A short number: integers whole, others with four significant digits, with the language's
    separators (``1,234.5``; Japanese writes the same)."""
    if value is None:
        return ""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value.is_integer() and abs(value) < 1e15:
        return format_decimal(int(value), locale=get_locale())
    short = float(f"{value:.4g}")
    if abs(short) >= 1e15 or (short and abs(short) < 1e-4):
        return f"{value:.4g}"
    return format_decimal(short, format="#,##0.####################", locale=get_locale())


SIZE_UNITS = ("KiB", "MiB", "GiB", "TiB")


def format_size(size: int | None) -> str:
    """``1 byte``, ``512 bytes``, ``3.4 MiB``: binary units, the number written for the language."""
    if size is None:
        return ""
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size, num=format_decimal(size, locale=get_locale()))
    value = float(size)
    unit = SIZE_UNITS[0]
    for unit in SIZE_UNITS:
        value /= 1024
        if value < 1024:
            break
    return f"{format_decimal(value, format='#,##0.0', locale=get_locale())} {unit}"


def format_when(value: dt.datetime | None) -> str:
    """A full date and time in UTC, as the language writes it."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return format_datetime(value, format="medium", tzinfo=dt.timezone.utc, locale=get_locale()) + " UTC"


def format_ago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """"3 days ago", "3 日前": how long ago, as GitLab shows creation times."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    delta = value - now
    if abs(delta.total_seconds()) < 45:
        return gettext("just now")
    return format_timedelta(delta, add_direction=True, threshold=1, locale=get_locale())


# -- Jinja ----------------------------------------------------------------------------------------

def _with_host_fallback(name: str) -> t.Callable[..., t.Any] | None:
    """The host's template function ``name`` (Flask-Babel's ``gettext``...), if it has one."""
    return current_app.jinja_env.globals.get(name) if has_request_context() else None


def _format(context: t.Any, text: str, variables: dict[str, t.Any]) -> str:
    if context.eval_ctx.autoescape:
        text = Markup(text)
    if context.environment.newstyle_gettext or variables:
        return text % variables
    return text


@pass_context
def _template_gettext(context: t.Any, message: str, **variables: t.Any) -> str:
    if not knows(message):
        host = _with_host_fallback("gettext")
        if host is not None:
            return context.call(host, message, **variables)
    return _format(context, _catalogue().gettext(message), variables)


@pass_context
def _template_ngettext(context: t.Any, singular: str, plural: str, n: int, **variables: t.Any) -> str:
    variables.setdefault("num", format_number(n) if isinstance(n, int) else n)
    return _format(context, _catalogue().ngettext(singular, plural, n), variables)


@pass_context
def _template_pgettext(context: t.Any, ctx: str, message: str, **variables: t.Any) -> str:
    return _format(context, _catalogue().pgettext(ctx, message), variables)


def template_functions() -> dict[str, t.Callable[..., t.Any]]:
    """``_``, ``gettext``, ``ngettext`` and ``pgettext`` for the registry's templates, as Jinja's
    i18n extension calls them (new-style: they format and escape the variables themselves)."""
    return {"_": _template_gettext, "gettext": _template_gettext, "ngettext": _template_ngettext,
            "pgettext": _template_pgettext}


def install_jinja(app: t.Any) -> None:
    """Make ``{% trans %}`` known to the app's templates (Flask-Babel does the same)."""
    if "jinja2.ext.InternationalizationExtension" not in app.jinja_env.extensions:
        app.jinja_env.add_extension("jinja2.ext.i18n")
        app.jinja_env.newstyle_gettext = True
