"""The portal's own pages: home (your projects), login and logout."""
from __future__ import annotations

import functools
import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired

from .models import Membership, Project, User, db

portal = Blueprint("portal", __name__)
ROLE_LABELS = {"guest": _l("Guest"), "reporter": _l("Reporter"), "developer": _l("Developer"),
               "maintainer": _l("Maintainer"), "owner": _l("Owner")}


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Log in"))


class LanguageForm(FlaskForm):
    """The language switch in the top bar: one button per language."""


def _safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this portal, else None. Browsers drop tabs and newlines
    and read ``\\`` as ``/``, so ``/<TAB>/evil.example`` would lead to another site: any control
    character, space or backslash disqualifies a target, and so does a scheme or a host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@functools.cache
def _unguessable_hash() -> str:
    """A hash to check the passwords of unknown usernames against, made like the users' own."""
    return generate_password_hash(secrets.token_hex(16))


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password, taking as long for an unknown username as for a known one: a quick
    refusal would tell an attacker which usernames exist."""
    if user is None:
        check_password_hash(_unguessable_hash(), password)
        return False
    return user.check_password(password) and user.is_active


@portal.route("/")
def index():
    projects = []
    if current_user.is_authenticated:
        projects = db.session.execute(
            sa.select(Project, Membership.role).join(Membership, Membership.project_id == Project.id)
            .where(Membership.user_id == current_user.id).order_by(Project.slug)).all()
    return render_template("portal/index.html", projects=projects, role_labels=ROLE_LABELS)


@portal.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data or ""
        # PostgreSQL refuses a NUL in a query: no user has one in their name
        user = None if "\x00" in username else db.session.scalar(sa.select(User).where(User.username == username))
        if _password_matches(user, form.password.data or ""):
            target = _safe_next(request.args.get("next")) or url_for("portal.index")
            language = session.get("language")
            session.clear()  # a fresh session: nothing planted before sign-in (a CSRF token) survives it
            if language:
                session["language"] = language
            login_user(user)
            return redirect(target)
        flash(_("Invalid username or password."), "error")
    return render_template("portal/login.html", form=form)


def _navigated_here() -> bool:
    """True when the browser opened ``/logout`` as a page from this portal or its address bar
    (or sent no fetch metadata at all); False for an image, a frame or a link on another site."""
    dest = request.headers.get("Sec-Fetch-Dest")
    site = request.headers.get("Sec-Fetch-Site")
    return dest in (None, "document") and site in (None, "same-origin", "none")


@portal.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET" and not _navigated_here():
        # ![x](/logout) in a model card, or a link elsewhere, must not sign a reader out: ask instead
        return render_template("portal/logout.html")
    logout_user()
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language  # the language is the browser's choice, not the account's
    flash(_("You have been logged out."), "info")
    return redirect(url_for("portal.login"))


@portal.route("/language", methods=["POST"])
def choose_language():
    """The language switch: remembered in the session, then back to the page it was used on."""
    from . import LANGUAGES

    LanguageForm().validate_on_submit()  # CSRFProtect has checked the token already
    chosen = request.form.get("language")
    if chosen in LANGUAGES:
        session["language"] = chosen
    return redirect(_safe_next(request.form.get("next")) or url_for("portal.index"))


#: the portal's icon, so that browsers asking for /favicon.ico get one instead of a 404
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" '
           'fill="#1f75cb"/><path d="M4 11V5l4 3 4-3v6" fill="none" stroke="#fff" stroke-width="1.6"/></svg>')


@portal.route("/favicon.ico")
def favicon():
    response = Response(FAVICON, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
