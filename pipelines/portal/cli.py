"""Command line of the portal: account administration (by the Region) and `spro portal`.

Why commands rather than a sign-up page: accounts are created by the Region from the members
registry, so an account is always bound to a real structure (ref_members) and there is no public
form to attack. Passwords are generated (and printed once) unless the operator types one.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from pipelines.config import Settings, load_settings
from pipelines.portal.accounts import (
    ROLE_MEMBER,
    ROLE_REGION,
    AccountError,
    AccountStore,
    generate_password,
)

DEMO_REGION_EMAIL = "region@demo.spro-grandest.fr"
DEMO_MEMBER_FALLBACK = ("ML001", "CIO023")


def _password(prompt: bool) -> tuple[str, bool]:
    """(password, generated?)"""
    if prompt:
        return click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True), False
    return generate_password(), True


def _store() -> AccountStore:
    return AccountStore.for_settings(load_settings())


@click.group("accounts")
def accounts_group() -> None:
    """Comptes du portail des membres (créés par la Région)."""


@accounts_group.command("create-member")
@click.argument("member_code")
@click.option("--email", required=True, help="Adresse électronique de connexion.")
@click.option("--prompt-password", is_flag=True, help="Saisir le mot de passe au lieu d'en générer un.")
def create_member(member_code: str, email: str, prompt_password: bool) -> None:
    """Crée le compte d'une structure membre (MEMBER_CODE du référentiel ref_members)."""
    store = _store()
    password, generated = _password(prompt_password)
    try:
        account = store.create(email, ROLE_MEMBER, password, member_code=member_code.strip().upper())
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    member = store.members[account.member_code]
    click.echo(f"Compte membre créé : {account.email} — {member.member_code} {member.member_name}")
    if generated:
        click.echo(f"Mot de passe (affiché une seule fois) : {password}")


@accounts_group.command("create-region")
@click.option("--email", required=True, help="Adresse électronique de connexion.")
@click.option("--prompt-password", is_flag=True, help="Saisir le mot de passe au lieu d'en générer un.")
def create_region(email: str, prompt_password: bool) -> None:
    """Crée un compte Région (voit toutes les publications et tous les rapports de réception)."""
    store = _store()
    password, generated = _password(prompt_password)
    try:
        account = store.create(email, ROLE_REGION, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Compte Région créé : {account.email}")
    if generated:
        click.echo(f"Mot de passe (affiché une seule fois) : {password}")


@accounts_group.command("reset-password")
@click.argument("email")
@click.option("--prompt-password", is_flag=True, help="Saisir le mot de passe au lieu d'en générer un.")
def reset_password(email: str, prompt_password: bool) -> None:
    """Réinitialise le mot de passe d'un compte (ses sessions ouvertes sont fermées)."""
    store = _store()
    password, generated = _password(prompt_password)
    try:
        store.reset_password(email, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Mot de passe réinitialisé pour {email.strip().lower()}")
    if generated:
        click.echo(f"Nouveau mot de passe (affiché une seule fois) : {password}")


@accounts_group.command("list")
def list_accounts() -> None:
    """Liste les comptes (sans mot de passe)."""
    for account in _store().list_accounts():
        click.echo(f"{account.email}\t{account.role}\t{account.member_code or ''}")


def demo_accounts_path(settings: Settings) -> Path:
    return settings.warehouse_dir / "portal" / "demo_accounts.txt"


def _demo_member_codes(settings: Settings, store: AccountStore) -> list[str]:
    """Two members that have reception reports in the demo data if possible (so 'Mes fichiers' shows
    something), else two fixed structures in different agencies."""
    found = []
    if settings.reports_dir.is_dir():
        found = sorted(p.name for p in settings.reports_dir.iterdir() if p.is_dir() and p.name in store.members)
    codes = list(dict.fromkeys([*found, *DEMO_MEMBER_FALLBACK]))
    return codes[:2]


def ensure_demo_accounts(settings: Settings) -> str | None:
    """Create a Region account and two member accounts when the store is empty (demo only).

    Returns the text of the demo accounts file (also written, mode 0600), or None when accounts
    already existed and no demo file is there.
    """
    store = AccountStore.for_settings(settings)
    path = demo_accounts_path(settings)
    if store.count() == 0:
        lines = ["Comptes de démonstration du portail (mots de passe générés, à ne pas réutiliser)", ""]
        password = generate_password()
        store.create(DEMO_REGION_EMAIL, ROLE_REGION, password)
        lines.append(f"Région          {DEMO_REGION_EMAIL}  {password}")
        for code in _demo_member_codes(settings, store):
            email = f"{code.lower()}@demo.spro-grandest.fr"
            password = generate_password()
            store.create(email, ROLE_MEMBER, password, member_code=code)
            lines.append(f"Membre {code:<8} {email}  {password}  ({store.members[code].member_name})")
        text = "\n".join(lines) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, 0o600)
        return text
    return path.read_text(encoding="utf-8") if path.exists() else None


@click.command("portal")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def portal_command(port: int) -> None:
    """Portail des membres sur http://127.0.0.1:PORT (données publiées de la démo)."""
    import uvicorn

    from pipelines.portal.app import create_app

    settings = load_settings()
    settings.ensure_dirs()
    if not settings.is_production:
        text = ensure_demo_accounts(settings)
        if text:
            click.echo(text)
            click.echo(f"(liste conservée dans {demo_accounts_path(settings)})")
    app = create_app(settings)
    click.echo(f"Portail des membres : http://127.0.0.1:{port}/  (Ctrl-C pour arrêter)")
    uvicorn.run(app, host="127.0.0.1", port=port, proxy_headers=False, server_header=False, log_level="warning")
