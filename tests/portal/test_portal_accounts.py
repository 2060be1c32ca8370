"""Account administration commands and `spro portal`'s demo accounts."""

from __future__ import annotations

import stat

import pytest
from click.testing import CliRunner

from pipelines.config import load_settings
from pipelines.portal import cli as portal_cli
from pipelines.portal.accounts import AccountStore, accounts_path
from pipelines.portal.cli import accounts_group, demo_accounts_path, portal_command


@pytest.fixture()
def warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("SPRO_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    for variable in ("SPRO_REPORTS_DIR", "SPRO_EXPORTS_DIR", "SPRO_DUCKDB_PATH"):
        monkeypatch.delenv(variable, raising=False)
    return load_settings()


def _password_from(output: str) -> str:
    line = next(line for line in output.splitlines() if "affiché une seule fois" in line)
    return line.rsplit(" ", 1)[-1]


def test_create_member_region_and_reset_password(warehouse):
    runner = CliRunner()
    result = runner.invoke(accounts_group, ["create-member", "ml001", "--email", "Conseil@ML-Charleville.fr"])
    assert result.exit_code == 0, result.output
    assert "Mission locale de Charleville-Mézières" in result.output
    password = _password_from(result.output)
    store = AccountStore.for_settings(warehouse)
    account = store.authenticate("conseil@ml-charleville.fr", password)
    assert account is not None and account.role == "membre" and account.member_code == "ML001"
    assert password.encode() not in accounts_path(warehouse).read_bytes()

    result = runner.invoke(accounts_group, ["create-region", "--email", "spro@grandest.fr"])
    assert result.exit_code == 0 and "Compte Région créé" in result.output
    assert store.get("spro@grandest.fr").is_region

    result = runner.invoke(accounts_group, ["reset-password", "conseil@ml-charleville.fr"])
    assert result.exit_code == 0, result.output
    new_password = _password_from(result.output)
    assert store.authenticate("conseil@ml-charleville.fr", password) is None
    assert store.authenticate("conseil@ml-charleville.fr", new_password) is not None

    result = runner.invoke(accounts_group, ["reset-password", "spro@grandest.fr", "--prompt-password"],
                           input="un mot de passe choisi\nun mot de passe choisi\n")
    assert result.exit_code == 0 and "affiché une seule fois" not in result.output
    assert store.authenticate("spro@grandest.fr", "un mot de passe choisi") is not None

    listing = runner.invoke(accounts_group, ["list"]).output
    assert "conseil@ml-charleville.fr\tmembre\tML001" in listing and "$argon2" not in listing


@pytest.mark.parametrize("arguments,message", [
    (["create-member", "XX999", "--email", "a@b.fr"], "Structure inconnue du référentiel des membres"),
    (["create-member", "ML001", "--email", "pas-une-adresse"], "Adresse électronique invalide"),
    (["reset-password", "inconnu@b.fr"], "Aucun compte pour inconnu@b.fr"),
])
def test_refused_account_operations_say_why_in_french(warehouse, arguments, message):
    result = CliRunner().invoke(accounts_group, arguments)
    assert result.exit_code != 0
    assert message in result.output


def test_duplicate_and_short_passwords_are_refused(warehouse):
    runner = CliRunner()
    assert runner.invoke(accounts_group, ["create-region", "--email", "r@grandest.fr"]).exit_code == 0
    result = runner.invoke(accounts_group, ["create-region", "--email", "R@grandest.fr"])
    assert result.exit_code != 0 and "Un compte existe déjà" in result.output
    result = runner.invoke(accounts_group, ["create-region", "--email", "s@grandest.fr", "--prompt-password"],
                           input="court\ncourt\n")
    assert result.exit_code != 0 and "trop court" in result.output


def test_portal_command_creates_demo_accounts_once_and_prints_url(warehouse, monkeypatch):
    served = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: served.update(kwargs, app=app))
    result = CliRunner().invoke(portal_command, ["--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8123
    path = demo_accounts_path(warehouse)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert portal_cli.DEMO_REGION_EMAIL in text and text.count("Membre ") == 2
    assert text.strip() in result.output
    store = AccountStore.for_settings(warehouse)
    assert store.count() == 3
    # A second start reuses the accounts (and prints them again), it does not create more.
    result = CliRunner().invoke(portal_command, [])
    assert result.exit_code == 0 and store.count() == 3 and "http://127.0.0.1:8000/" in result.output


def test_production_hasher_parameters(fast_password_hashing):
    """argon2id with at least OWASP's minimum (19 MiB, 2 passes); argon2-cffi's defaults are above."""
    production = fast_password_hashing
    assert production.type.name == "ID"
    assert production.memory_cost >= 19 * 1024 and production.time_cost >= 2
