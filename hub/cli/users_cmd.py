"""itsm-hub users / tokens: accounts and API tokens."""

from __future__ import annotations

import sys
from datetime import timedelta

import click
from sqlalchemy import select

from hub.auth.principals import ROLE_ORDER
from hub.cli import HubContext, pass_hub


@click.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(ROLE_ORDER), required=True)
@click.option("--email")
@click.option("--name", "display_name", default="", help="Display name (what requesters see; empty: the team).")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone the pages show times in.")
@click.option("--language", default="en", show_default=True,
              help="Language tag; the agents' pages speak it where translated.")
@click.option("--password", help="Prefer --password-stdin or the prompt; a flag ends up in shell history.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="An account that signs in only through tokens.")
@pass_hub
def create_user(hub: HubContext, username: str, role: str, email: str | None, display_name: str, timezone: str,
                language: str, password: str | None, password_stdin: bool, no_password: bool) -> None:
    """Create a user."""
    from hub.auth.users import create_user as make_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif password is None and not no_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with hub.transaction() as session:
        user = make_user(session=session, username=username, role=role, password=password, email=email,
                         display_name=display_name, timezone=timezone, language=language)
        click.echo(f"Created {user.role} {user.username} (id {user.id}).")


@users.command("list")
@pass_hub
def list_users(hub: HubContext) -> None:
    from hub.models import User

    with hub.transaction() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            state = "" if user.active else " (inactive)"
            click.echo(f"{user.id}\t{user.username}\t{user.role}\t{user.email or ''}\t{user.display_name}\t"
                       f"{user.timezone}\t{user.language}{state}")


@users.command("set-profile")
@click.argument("username")
@click.option("--name", "display_name", help="Display name (what requesters see); '' clears it.")
@click.option("--timezone", help="IANA time zone, e.g. Europe/Berlin.")
@click.option("--language", help="Language tag, e.g. de or fr-CH.")
@pass_hub
def set_profile(hub: HubContext, username: str, display_name: str | None, timezone: str | None,
                language: str | None) -> None:
    """Change a user's display name, time zone or language."""
    from hub.auth.profile import update_profile
    from hub.auth.users import get_user

    values = {name: value for name, value in (("display_name", display_name), ("timezone", timezone),
                                              ("language", language)) if value is not None}
    if not values:
        raise click.UsageError("Give --name, --timezone or --language.")
    with hub.transaction() as session:
        changes = update_profile(session=session, user=get_user(session, username), values=values)
    if not changes:
        click.echo(f"Nothing changed for {username}.")
    for name, (old, new) in changes.items():
        click.echo(f"{username}: {name} {old!r} -> {new!r}")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
@pass_hub
def set_password(hub: HubContext, username: str, password_stdin: bool) -> None:
    from hub.auth.users import get_user
    from hub.auth.users import set_password as change

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with hub.transaction() as session:
        change(session=session, user=get_user(session, username), password=password)
    click.echo(f"Password of {username} changed.")


@users.command("deactivate")
@click.argument("username")
@pass_hub
def deactivate(hub: HubContext, username: str) -> None:
    """Stop a user signing in; their tokens stop working too."""
    from hub.auth.users import get_user

    with hub.transaction() as session:
        get_user(session, username).active = False
    click.echo(f"{username} deactivated.")


@click.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.option("--role", type=click.Choice(ROLE_ORDER), help="The token's role (default: the user's).")
@click.option("--user", "username", help="Bind the token to this user; it acts as them.")
@click.option("--name", default="cli", show_default=True, help="A label to tell tokens apart.")
@click.option("--expires-days", type=click.IntRange(min=1), help="Stop working after this many days.")
@pass_hub
def create_token(hub: HubContext, role: str | None, username: str | None, name: str,
                 expires_days: int | None) -> None:
    """Create an API token. The token is printed once, as the last line."""
    from hub.auth.tokens import create_token as make_token
    from hub.auth.users import get_user

    if role is None and username is None:
        raise click.UsageError("Give --role, --user or both.")
    with hub.transaction() as session:
        user = get_user(session, username) if username else None
        expires = hub.runtime.now() + timedelta(days=expires_days) if expires_days else None
        secret, token = make_token(session=session, name=name, role=role, user=user, expires_at=expires)
        owner = f"user {user.username}" if user else "no user"
        click.echo(f"Token {token.id} ({token.role}, {owner}); store it now, it is not shown again:", err=True)
    click.echo(secret)


@tokens.command("list")
@pass_hub
def list_tokens(hub: HubContext) -> None:
    from hub.models import ApiToken

    with hub.transaction() as session:
        for token in session.scalars(select(ApiToken).order_by(ApiToken.id)):
            state = "revoked" if token.revoked_at else "active"
            used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
            click.echo(f"{token.id}\t{token.prefix}…\t{token.name}\t{token.role}\t{state}\tlast used {used}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@pass_hub
def revoke(hub: HubContext, token_id: int) -> None:
    from hub.auth.tokens import revoke_token

    with hub.transaction() as session:
        revoke_token(session=session, token_id=token_id)
    click.echo(f"Token {token_id} revoked.")


COMMANDS = [users, tokens]
