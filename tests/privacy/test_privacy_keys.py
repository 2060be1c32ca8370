"""The HMAC key: demo creation, production refusal, formats, permissions, no leak."""

from __future__ import annotations

import base64
import logging
import os
import stat

import pytest

from pipelines.privacy.keys import (
    PseudonymKeyError,
    default_key_path,
    key_fingerprint,
    load_key,
)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_demo_mode_creates_key_file_0600_in_0700_folder(tmp_path, caplog):
    env = {"SPRO_WAREHOUSE_DIR": str(tmp_path / "wh")}  # SPRO_ENV unset -> demo
    with caplog.at_level(logging.DEBUG):
        first = load_key(env)
    path = tmp_path / "wh" / "secrets" / "pseudonym.key"
    assert first.created and first.source == "created" and first.path == path
    assert path.read_bytes() == first.key and len(first.key) == 32
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert "démo" in first.message and str(path) in first.message
    # The key never shows in logs, messages or repr.
    for text in (caplog.text, first.message, repr(first)):
        assert first.key.hex() not in text
        assert base64.b64encode(first.key).decode() not in text
    again = load_key({**env, "SPRO_ENV": "demo"})
    assert again.key == first.key and not again.created and again.source == "file"
    assert again.key_id == first.key_id == key_fingerprint(first.key)


def test_production_without_key_raises_in_french_and_english(tmp_path):
    env = {"SPRO_ENV": "production", "SPRO_WAREHOUSE_DIR": str(tmp_path / "wh")}
    with pytest.raises(PseudonymKeyError) as excinfo:
        load_key(env)
    message = str(excinfo.value)
    assert "Aucune clé de pseudonymisation" in message
    assert "No pseudonymisation key" in message
    assert "SPRO_PSEUDONYM_KEY" in message and "SPRO_KEY_FILE" in message
    assert not (tmp_path / "wh" / "secrets" / "pseudonym.key").exists()


def test_production_refuses_group_readable_key_file_demo_warns(tmp_path):
    path = tmp_path / "k.key"
    path.write_bytes(os.urandom(32))
    os.chmod(path, 0o644)
    with pytest.raises(PseudonymKeyError, match="chmod 600"):
        load_key({"SPRO_ENV": "production", "SPRO_KEY_FILE": str(path)})
    demo = load_key({"SPRO_ENV": "demo", "SPRO_KEY_FILE": str(path)})
    assert demo.key == path.read_bytes() and "chmod 600" in demo.message
    os.chmod(path, 0o600)
    prod = load_key({"SPRO_ENV": "production", "SPRO_KEY_FILE": str(path)})
    assert prod.key == path.read_bytes() and prod.message is None


def test_env_key_hex_or_base64(tmp_path):
    raw = os.urandom(32)
    base = {"SPRO_ENV": "production", "SPRO_WAREHOUSE_DIR": str(tmp_path)}
    assert load_key({**base, "SPRO_PSEUDONYM_KEY": raw.hex()}).key == raw
    assert load_key({**base, "SPRO_PSEUDONYM_KEY": base64.b64encode(raw).decode()}).key == raw
    assert load_key({**base, "SPRO_PSEUDONYM_KEY": base64.urlsafe_b64encode(raw).decode().rstrip("=")}).key == raw
    assert load_key({**base, "SPRO_PSEUDONYM_KEY": raw.hex()}).source == "env"
    with pytest.raises(PseudonymKeyError, match="trop courte"):
        load_key({**base, "SPRO_PSEUDONYM_KEY": os.urandom(16).hex()})
    with pytest.raises(PseudonymKeyError, match="hexadécimal"):
        load_key({**base, "SPRO_PSEUDONYM_KEY": "pas une clé !"})
    assert not any(tmp_path.iterdir())  # nothing written when the key comes from the environment


def test_key_file_with_hex_text_and_short_file(tmp_path):
    raw = os.urandom(48)
    path = tmp_path / "k.key"
    path.write_text(raw.hex() + "\n")
    os.chmod(path, 0o600)
    assert load_key({"SPRO_ENV": "production", "SPRO_KEY_FILE": str(path)}).key == raw
    path.write_bytes(b"short")
    with pytest.raises(PseudonymKeyError, match="too short"):
        load_key({"SPRO_ENV": "production", "SPRO_KEY_FILE": str(path)})


def test_default_key_path_rules(tmp_path):
    assert default_key_path({"SPRO_HOME": str(tmp_path)}) == tmp_path / "warehouse" / "secrets" / "pseudonym.key"
    assert default_key_path({"SPRO_HOME": "/x", "SPRO_WAREHOUSE_DIR": str(tmp_path)}) == (
        tmp_path / "secrets" / "pseudonym.key"
    )
    assert default_key_path({"SPRO_KEY_FILE": str(tmp_path / "a.key")}) == tmp_path / "a.key"


def test_unknown_environment_is_an_error(tmp_path):
    with pytest.raises(PseudonymKeyError, match="SPRO_ENV"):
        load_key({"SPRO_ENV": "prod", "SPRO_WAREHOUSE_DIR": str(tmp_path)})
