"""``flask model-registry ...``: database upgrades, tokens and settings from the command line."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .errors import RegistryError
from .state import current_state

registry_cli = AppGroup("model-registry", help="Manage the model registry.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@registry_cli.group("db")
def db_group() -> None:
    """The registry's database tables."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the registry's tables to the newest migration."""
    from .migrate import current_revisions, upgrade

    engine = current_state().db.engine
    upgrade(engine)
    click.echo(f"Registry tables at revision {', '.join(current_revisions(engine))}")


@db_group.command("current")
def db_current() -> None:
    """Show the registry's migration revision."""
    from .migrate import current_revisions, head_revisions

    current = current_revisions(current_state().db.engine)
    heads = head_revisions()
    click.echo(f"current: {', '.join(current) or 'none'}; newest: {', '.join(heads)}")


def _find_user_id(username: str) -> str:
    try:
        user = current_state().host.find_user(username)
    except LookupError as exc:
        _fail(str(exc))
    if user is None:
        _fail(f"no user named {username!r}")
    return str(user.get_id())


@registry_cli.group("tokens")
def tokens_group() -> None:
    """Personal access tokens for the JSON API and the MLflow client."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--scope", type=click.Choice(["api", "read_api"]), default="api", show_default=True)
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None)
@click.option("--name", default="", help="A label to recognise the token by.")
def tokens_create(username: str, scope: str, expires_in_days: int | None, name: str) -> None:
    """Create a token for USERNAME; the token is printed alone on the last line."""
    from .services.tokens import create_token

    user_id = _find_user_id(username)
    token, secret = create_token(user_id, name=name or f"cli-{scope}", scope=scope,
                                 expires_in_days=expires_in_days)
    expiry = token.expires_at.date().isoformat() if token.expires_at else "never"
    click.echo(f"Created {scope} token #{token.id} for {username} (expires: {expiry})")
    click.echo(secret)


@tokens_group.command("revoke")
@click.argument("username")
@click.argument("token_id", type=int)
def tokens_revoke(username: str, token_id: int) -> None:
    """Revoke token TOKEN_ID of USERNAME."""
    from .services.tokens import revoke_token

    if not revoke_token(_find_user_id(username), token_id):
        _fail(f"{username} has no active token #{token_id}")
    click.echo(f"Revoked token #{token_id} of {username}")


@registry_cli.command("settings")
@click.argument("project")
@click.option("--enable/--disable", "enabled", default=None, help="Turn the project's registry on or off.")
@click.option("--visibility", type=click.Choice(["public", "private"]), default=None)
def settings_command(project: str, enabled: bool | None, visibility: str | None) -> None:
    """Show or change PROJECT's registry settings."""
    from .services.identity import Actor
    from .services.settings import effective_settings, update_settings

    if not current_state().host.project_exists(project):
        _fail(f"no project named {project!r}")
    try:
        if enabled is not None or visibility is not None:
            update_settings(project, Actor.system("cli"), enabled=enabled, visibility=visibility)
    except RegistryError as exc:
        _fail(exc.message)
    s = effective_settings(project)
    click.echo(f"{project}: registry {'enabled' if s.enabled else 'disabled'}, {s.visibility}")


@registry_cli.group("storage")
def storage_group() -> None:
    """The artifact store: abandoned uploads, objects without rows, rows without objects."""


def _grace(seconds: float | None):
    import datetime as dt

    return None if seconds is None else dt.timedelta(seconds=seconds)


@storage_group.command("sweep")
@click.option("--grace", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Age after which leftovers are deleted (default: MODEL_REGISTRY_STORAGE_GRACE_PERIOD).")
def storage_sweep(grace: float | None) -> None:
    """Delete abandoned uploads and partial writes, and objects no row names, older than the grace period."""
    from .services.sweeper import sweep

    try:
        report = sweep(grace=_grace(grace))
    except Exception as exc:  # the store or the database cannot be reached
        _fail(f"the sweep stopped: {exc}")
    for line in report.lines():
        click.echo(line)
    if report.skipped:
        sys.exit(75)  # EX_TEMPFAIL: try again later


@storage_group.command("check")
@click.option("--grace", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Age after which an unfinished upload is reported (default: MODEL_REGISTRY_STORAGE_GRACE_PERIOD).")
def storage_check(grace: float | None) -> None:
    """Report objects without rows and rows without objects; exit 1 when there are any."""
    from .services.sweeper import check

    try:
        findings = check(grace=_grace(grace))
    except Exception as exc:
        _fail(f"the check stopped: {exc}")
    for finding in findings:
        click.echo(finding.line())
    if findings:
        click.echo(f"{len(findings)} problem{'s' if len(findings) != 1 else ''} in {current_state().store.describe()}",
                   err=True)
        sys.exit(1)
    click.echo(f"Storage is consistent: {current_state().store.describe()}")


@registry_cli.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries."""


@webhooks_group.command("worker")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Deliveries sent at the same time by this process.")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron jobs).")
@click.option("--max-seconds", type=click.FloatRange(min=0), default=None,
              help="Stop after this many seconds (default: run until interrupted).")
def webhooks_worker(threads: int, once: bool, max_seconds: float | None) -> None:
    """Run dedicated webhook deliverers. Several workers (on several hosts) may run at once on
    PostgreSQL: each delivery is claimed by one of them at a time."""
    import threading
    import time

    from flask import current_app

    from .webhooks import deliverer

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        name = deliverer.worker_name("worker")
        total = 0
        while True:
            sent = deliverer.deliver_due(name, limit=50)
            total += sent
            if not sent:
                break
        click.echo(f"Sent {total} webhook deliveries")
        return
    workers = [deliverer.DelivererThread(app, kind="worker") for _ in range(threads)]
    for worker in workers:
        worker.start()
    click.echo(f"Webhook worker started with {threads} deliverer thread(s) (Ctrl-C to stop)")
    deadline = time.monotonic() + max_seconds if max_seconds is not None else None
    stop = threading.Event()
    try:
        while not stop.wait(0.2):
            if deadline is not None and time.monotonic() >= deadline:
                break
    except KeyboardInterrupt:
        pass
    for worker in workers:
        worker.stop()
    click.echo("Webhook worker stopped")
