"""The deployment's HMAC key for pseudonyms.

Why a key: a plain hash of 'name + birth date' is reversed by enumerating every French name and
date; an HMAC with a secret key is not. One key per deployment, held outside the repository: the
same person gets the same pseudonym across members and months of that deployment only.

Where the key comes from, first match wins:
  1. env SPRO_PSEUDONYM_KEY: hex (64+ hex digits) or base64 (standard or URL-safe) of >= 32 bytes;
  2. the key file: env SPRO_KEY_FILE, default <warehouse>/secrets/pseudonym.key where <warehouse> is
     env SPRO_WAREHOUSE_DIR or <SPRO_HOME or repository root>/warehouse (same rule as
     pipelines/config.py). The file holds either the raw bytes (as created here) or one line of hex
     or base64.

Environment SPRO_ENV: unset or 'demo' creates a missing key file (32 random bytes, mode 0600, folder
0700) and says so; 'production' refuses to run without a key, or with a key file readable by group
or others. The key is never logged, printed or put in an exception: `PseudonymKey.__repr__` hides
it and `key_id` is a one-way fingerprint to record which key produced which pseudonyms.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

MIN_KEY_BYTES = 32
KEY_ENV = "SPRO_PSEUDONYM_KEY"
KEY_FILE_ENV = "SPRO_KEY_FILE"
REPO_ROOT = Path(__file__).resolve().parents[2]

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_B64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")


class PseudonymKeyError(RuntimeError):
    """The key is missing, too short, unreadable or badly protected. Message in French and English."""


@dataclass(frozen=True)
class PseudonymKey:
    """The key and where it came from. `key` is excluded from repr so it cannot leak in logs."""

    key: bytes = field(repr=False)
    source: str  # 'env' | 'file' | 'created'
    path: Path | None = None
    created: bool = False
    message: str | None = None  # French, for the operator (creation, weak permissions)

    @property
    def key_id(self) -> str:
        """A 16-hex fingerprint (HMAC of a fixed label): tells keys apart, reveals nothing."""
        return key_fingerprint(self.key)


def key_fingerprint(key: bytes) -> str:
    """One-way 16-hex identifier of a key, for the load ledger ('which key made these pseudonyms')."""
    return hmac.new(key, b"spro-key-id", hashlib.sha256).hexdigest()[:16]


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def environment_mode(environ: Mapping[str, str] | None = None) -> str:
    """'demo' (default) or 'production'; any other value is an error rather than a silent demo."""
    mode = (_env(environ).get("SPRO_ENV") or "demo").strip().lower()
    if mode not in ("demo", "production"):
        raise PseudonymKeyError(
            f"SPRO_ENV='{mode}' inconnu : valeurs admises 'demo' ou 'production'. "
            f"/ Unknown SPRO_ENV='{mode}': expected 'demo' or 'production'."
        )
    return mode


def default_key_path(environ: Mapping[str, str] | None = None) -> Path:
    """SPRO_KEY_FILE, else <SPRO_WAREHOUSE_DIR or (SPRO_HOME or repo root)/warehouse>/secrets/pseudonym.key."""
    env = _env(environ)
    if env.get(KEY_FILE_ENV):
        return Path(env[KEY_FILE_ENV]).expanduser()
    if env.get("SPRO_WAREHOUSE_DIR"):
        warehouse = Path(env["SPRO_WAREHOUSE_DIR"]).expanduser()
    else:
        home = Path(env["SPRO_HOME"]).expanduser() if env.get("SPRO_HOME") else REPO_ROOT
        warehouse = home / "warehouse"
    return warehouse / "secrets" / "pseudonym.key"


def decode_key_text(text: str) -> bytes | None:
    """Hex first (an even number of hex digits), then base64 (standard or URL-safe); None if neither.

    Hex wins when a string is valid in both, which only matters for strings of hex digits whose
    length is a multiple of 4: document your key as hex or base64 and the rule is unambiguous.
    """
    text = text.strip()
    if _HEX.match(text) and len(text) % 2 == 0:
        return bytes.fromhex(text)
    if _B64.match(text):
        padded = text + "=" * (-len(text) % 4)
        try:
            if "-" in text or "_" in text:
                return base64.urlsafe_b64decode(padded)
            return base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def _too_short(origin: str, length: int) -> PseudonymKeyError:
    return PseudonymKeyError(
        f"Clé de pseudonymisation trop courte ({origin}) : {length} octets, il en faut au moins "
        f"{MIN_KEY_BYTES}. / Pseudonymisation key too short ({origin}): {length} bytes, at least "
        f"{MIN_KEY_BYTES} required."
    )


def read_key_file(path: Path) -> bytes:
    """Raw bytes as written by `create_key_file`, or one line of hex/base64 text."""
    data = path.read_bytes()
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    decoded = decode_key_text(text) if text and text.isprintable() else None
    key = decoded if decoded is not None and len(decoded) >= MIN_KEY_BYTES else data
    if len(key) < MIN_KEY_BYTES:
        raise _too_short(str(path), len(key))
    return key


def create_key_file(path: Path) -> bytes:
    """Create a new key file: 32 random bytes, mode 0600; its folder is created with mode 0700.

    O_EXCL: if another process creates the file at the same moment, we read theirs instead of
    overwriting it (two keys would split every person in two).
    """
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(parent, 0o700)  # mkdir's mode is filtered by the umask
    key = secrets.token_bytes(MIN_KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key_file(path)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)
    return key


def loose_permissions(path: Path) -> bool:
    """True when group or others have any right on the file."""
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def _missing_key_error(path: Path) -> PseudonymKeyError:
    return PseudonymKeyError(
        "Aucune clé de pseudonymisation en production. Fournissez une clé d'au moins 32 octets, "
        f"soit dans la variable SPRO_PSEUDONYM_KEY (hexadécimal ou base64), soit dans le fichier "
        f"{path} (ou le chemin donné par SPRO_KEY_FILE), lisible par le seul compte du service "
        "(chmod 600). Exemple : python -c \"import secrets; print(secrets.token_hex(32))\". "
        "Conservez-la hors du dépôt et sauvegardez-la : la perdre rend les pseudonymes existants "
        "impossibles à relier aux nouveaux. "
        "/ No pseudonymisation key in production. Provide a key of at least 32 bytes, either in "
        f"SPRO_PSEUDONYM_KEY (hex or base64) or in the file {path} (or the path in SPRO_KEY_FILE), "
        "readable by the service account only (chmod 600). Keep it out of the repository and back "
        "it up: losing it makes existing pseudonyms impossible to link with new ones."
    )


def load_key(environ: Mapping[str, str] | None = None) -> PseudonymKey:
    """Resolve the deployment's key (see the module docstring for the order and the rules).

    `environ` defaults to os.environ; tests pass a dict.
    """
    env = _env(environ)
    mode = environment_mode(env)
    production = mode == "production"

    text = env.get(KEY_ENV)
    if text:
        key = decode_key_text(text)
        if key is None:
            raise PseudonymKeyError(
                f"{KEY_ENV} n'est ni en hexadécimal ni en base64. / {KEY_ENV} is neither hex nor base64."
            )
        if len(key) < MIN_KEY_BYTES:
            raise _too_short(KEY_ENV, len(key))
        return PseudonymKey(key=key, source="env")

    path = default_key_path(env)
    if path.exists():
        message = None
        if loose_permissions(path):
            detail_fr = (
                f"Le fichier de clé {path} est lisible par le groupe ou les autres "
                f"(droits {oct(stat.S_IMODE(path.stat().st_mode))})"
            )
            if production:
                raise PseudonymKeyError(
                    f"{detail_fr} : refusé en production, faites chmod 600 {path}. "
                    f"/ Key file {path} is readable by group or others: refused in production, "
                    f"run chmod 600 {path}."
                )
            message = f"{detail_fr} : accepté en mode démo, à corriger (chmod 600)."
            log.warning(message)
        return PseudonymKey(key=read_key_file(path), source="file", path=path, message=message)

    if production:
        raise _missing_key_error(path)

    key = create_key_file(path)
    message = (
        f"Mode démo : aucune clé de pseudonymisation trouvée, une nouvelle clé aléatoire a été créée "
        f"dans {path} (droits 600). Elle ne convient pas à la production : fournissez-y votre propre "
        "clé (SPRO_PSEUDONYM_KEY ou SPRO_KEY_FILE)."
    )
    log.warning(message)
    return PseudonymKey(key=key, source="created", path=path, created=True, message=message)


def get_key(environ: Mapping[str, str] | None = None) -> bytes:
    """Just the key bytes (convenience for callers that do not report where it came from)."""
    return load_key(environ).key


__all__ = [
    "MIN_KEY_BYTES",
    "PseudonymKey",
    "PseudonymKeyError",
    "create_key_file",
    "decode_key_text",
    "default_key_path",
    "environment_mode",
    "get_key",
    "key_fingerprint",
    "load_key",
    "loose_permissions",
    "read_key_file",
]
