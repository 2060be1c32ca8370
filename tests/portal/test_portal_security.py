"""Security properties of the portal: path traversal, CSRF, login throttling, password storage,
session cookies and their end, published-only data.

Why raw HTTP for traversal: browsers and HTTP libraries normalise '..' and some encodings before
sending; an attacker does not, so the paths are sent byte for byte (http.client).
"""

from __future__ import annotations

import dataclasses
import sqlite3

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from pipelines.portal.accounts import AccountStore, accounts_path
from pipelines.portal.app import create_app
from pipelines.portal.published import Publications
from pipelines.portal.security import LoginThrottle

from .fixtures import (
    B_REPORT_ID, EMAILS, MEMBER_A, MEMBER_B, NEVER_SHOWN, PASSWORD, SECRET_OF_B, build_frame, write_version,
)
from .server import csrf_from, login, serve

LEAKS = [SECRET_OF_B, "PERSONNE-IDENTIFIABLE", "TEMPORAIRE-NON-PUBLIE", "argon2", "import ", "root:x:0:0"]

TRAVERSALS = [
    "/telechargements/2025-02/../../../spro.duckdb",
    "/telechargements/2025-02/..%2F..%2F..%2Fspro.duckdb",
    "/telechargements/2025-02/%2e%2e%2f%2e%2e%2f%2e%2e%2fspro.duckdb",
    "/telechargements/2025-02/%2E%2E/%2E%2E/README.txt",
    "/telechargements/2025-02/..%5C..%5C..%5Cspro.duckdb",
    "/telechargements/2025-02/%252e%252e%252fspro.duckdb",
    "/telechargements/2025-02/%2Fetc%2Fpasswd",
    "/telechargements/2025-02//etc/passwd",
    "/telechargements/%2Fetc/passwd",
    "/telechargements/2025-02/v001%2Factivite.csv",
    "/telechargements/2025-02/personnes.csv",
    "/telechargements/2025-02/.cache.csv",
    "/telechargements/2025-02/LATEST",
    "/telechargements/.tmp-5f1c2d/activite.csv",
    "/telechargements/2025-02%2F.tmp-5f1c2d/activite.csv",
    "/telechargements/2025-02/activite.csv%00.parquet",
    f"/telechargements/..%2F..%2Freports%2FCIO023/{B_REPORT_ID}.json",
    f"/mes-fichiers/{MEMBER_A}/..%2F{MEMBER_B}%2F{B_REPORT_ID}",
    f"/mes-fichiers/{MEMBER_A}/../{MEMBER_B}/{B_REPORT_ID}/json",
    f"/mes-fichiers/{MEMBER_A}/%2e%2e%2f{MEMBER_B}%2f{B_REPORT_ID}/html",
    f"/mes-fichiers/..%2F{MEMBER_B}/{B_REPORT_ID}/json",
    f"/mes-fichiers/{MEMBER_A}/lien_CIO023/json",
    f"/mes-fichiers/{MEMBER_A}/%2Fetc%2Fpasswd/json",
    f"/mes-fichiers/{MEMBER_B.lower()}/{B_REPORT_ID}/json",
    "/static/..%2F..%2Faccounts.py",
    "/static/../app.py",
    "/static/%2e%2e/%2e%2e/config.py",
    "/static/vendor/..%2F..%2Fcli.py",
    "/telechargements?periode=..%2F..%2F..",
    "/statistiques?famille=..%2F..%2Fspro&periode=2025-02",
    "/statistiques?periode=2025-02%2F..%2F2025-01",
    f"/mes-fichiers?expediteur=..%2F{MEMBER_B}",
]


@pytest.fixture(scope="module")
def server(portal_fixture):
    app = create_app(portal_fixture.settings, secret_key="cle-de-test-securite-" + "x" * 32,
                     throttle=LoginThrottle(threshold=1000))
    with serve(app) as running:
        yield running


@pytest.fixture(scope="module")
def member_a(server) -> requests.Session:
    return login(server.url, EMAILS["member_a"], PASSWORD)


def _cookie(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_refused(server, member_a, path):
    status, body, _ = server.raw_get(path, cookie=_cookie(member_a))
    assert status in (400, 404), (path, status)
    for leak in LEAKS:
        assert leak not in body, (path, leak)
    # Anonymous: always the login page, never a file.
    status, body, headers = server.raw_get(path)
    assert status in (303, 400, 404) and SECRET_OF_B not in body, (path, status)
    if status == 303:
        assert headers["location"].startswith("/connexion")


def test_csrf_missing_invalid_or_cross_origin_is_refused(server):
    session = requests.Session()
    page = session.get(server.url + "/connexion")
    token = csrf_from(page.text)
    form = {"email": EMAILS["member_a"], "password": PASSWORD, "suivant": "/"}
    for data, headers in (
        (form, {}),                                                    # missing
        ({**form, "csrf_token": "faux-jeton"}, {}),                     # invalid
        ({**form, "csrf_token": token + "x"}, {}),                      # altered
        ({**form, "csrf_token": token}, {"Origin": "http://attaquant.example"}),  # other site
    ):
        response = session.post(server.url + "/connexion", data=data, headers=headers, allow_redirects=False)
        assert response.status_code == 403
        assert "Rechargez la page" in response.text
    # A token from another session is not accepted either.
    other = requests.Session()
    response = other.post(server.url + "/connexion", data={**form, "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 403
    # With the right token, the same login works.
    response = session.post(server.url + "/connexion", data={**form, "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303
    home = session.get(server.url + "/")
    assert home.status_code == 200
    # Logging out needs the token too.
    assert session.post(server.url + "/deconnexion", data={}, allow_redirects=False).status_code == 403
    assert session.get(server.url + "/", allow_redirects=False).status_code == 200


def test_session_cookie_flags_and_security_headers(server):
    session = requests.Session()
    page = session.get(server.url + "/connexion")
    response = session.post(
        server.url + "/connexion",
        data={"email": EMAILS["member_b"], "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        allow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    home = session.get(server.url + "/")
    assert "script-src 'self'" in home.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    assert home.headers["x-content-type-options"] == "nosniff"
    assert home.headers["cache-control"] == "no-store"
    report = session.get(server.url + f"/mes-fichiers/{MEMBER_B}/{B_REPORT_ID}/html")
    assert report.headers["content-security-policy"].startswith("sandbox")


def test_logout_ends_the_session_even_if_the_cookie_is_replayed(server):
    session = login(server.url, EMAILS["member_a"], PASSWORD)
    stolen = _cookie(session)
    token = csrf_from(session.get(server.url + "/").text)
    response = session.post(server.url + "/deconnexion", data={"csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/connexion"
    status, _, headers = server.raw_get("/", cookie=stolen)
    assert status == 303 and headers["location"].startswith("/connexion")


def test_login_is_throttled(portal_fixture):
    app = create_app(portal_fixture.settings, secret_key="t" * 40, throttle=LoginThrottle(threshold=3, base_delay=30))
    with serve(app) as server:
        _throttled(server)


def _throttled(server):
    session = requests.Session()
    token = csrf_from(session.get(server.url + "/connexion").text)
    target = "victime@test.spro-grandest.fr"
    for password in ("a", "b", "c"):
        response = session.post(server.url + "/connexion",
                                data={"email": target, "password": password, "csrf_token": token})
        assert response.status_code == 401
        assert "Adresse électronique ou mot de passe incorrect" in response.text
    response = session.post(server.url + "/connexion",
                            data={"email": target, "password": "d", "csrf_token": token})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert "Trop de tentatives" in response.text
    # Same client address: a real account is slowed down as well (per-IP counter), even with the
    # right password, so guessing many accounts from one address does not help.
    response = session.post(server.url + "/connexion",
                            data={"email": EMAILS["region"], "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429


def test_unknown_email_and_wrong_password_look_the_same(portal_fixture):
    throttle = LoginThrottle(threshold=100)
    app = create_app(portal_fixture.settings, secret_key="k" * 40, throttle=throttle)
    with serve(app) as running:
        session = requests.Session()
        token = csrf_from(session.get(running.url + "/connexion").text)
        wrong = session.post(running.url + "/connexion",
                             data={"email": EMAILS["member_a"], "password": "faux", "csrf_token": token})
        unknown = session.post(running.url + "/connexion",
                               data={"email": "personne@nulle-part.fr", "password": "faux", "csrf_token": token})
        assert wrong.status_code == unknown.status_code == 401
        redirect = session.post(
            running.url + "/connexion",
            data={"email": EMAILS["member_a"], "password": PASSWORD, "csrf_token": token, "suivant": "//attaquant.example/"},
            allow_redirects=False,
        )
        assert redirect.headers["location"] == "/"  # no open redirection after login


def test_throttle_delay_grows_then_expires():
    now = [1000.0]
    throttle = LoginThrottle(threshold=3, base_delay=2, max_delay=60, clock=lambda: now[0])
    keys = ["compte:x", "ip:1.2.3.4"]
    for _ in range(2):
        throttle.failure(keys)
    assert throttle.retry_after(keys) == 0
    throttle.failure(keys)
    assert throttle.retry_after(keys) == pytest.approx(2)
    throttle.failure(keys)
    assert throttle.retry_after(keys) == pytest.approx(4)
    for _ in range(10):
        throttle.failure(keys)
    assert throttle.retry_after(keys) == pytest.approx(60)  # capped
    now[0] += 61
    assert throttle.retry_after(keys) == 0
    throttle.success("compte:x")
    assert throttle.retry_after(["compte:x"]) == 0


def test_passwords_are_argon2_hashes_and_never_stored_in_clear(portal_fixture):
    path = accounts_path(portal_fixture.settings)
    with sqlite3.connect(path) as db:
        hashes = [row[0] for row in db.execute("select password_hash from accounts")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert PASSWORD.encode() not in path.read_bytes()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_reset_password_ends_open_sessions(portal_fixture, server):
    store = AccountStore.for_settings(portal_fixture.settings)
    store.create("reinit@test.spro-grandest.fr", "membre", PASSWORD, member_code=MEMBER_A)
    session = login(server.url, "reinit@test.spro-grandest.fr", PASSWORD)
    assert session.get(server.url + "/", allow_redirects=False).status_code == 200
    store.reset_password("reinit@test.spro-grandest.fr", "un-tout-nouveau-mot-de-passe")
    assert session.get(server.url + "/", allow_redirects=False).status_code == 303
    assert store.authenticate("reinit@test.spro-grandest.fr", PASSWORD) is None


def test_pages_show_only_the_latest_published_version(server, member_a):
    member = member_a
    for path in ("/", "/statistiques", "/statistiques?reseau=ML", "/telechargements"):
        text = member.get(server.url + path).text
        for value in NEVER_SHOWN:
            assert value not in text and "987\u202f654" not in text, (path, value)
        assert "v001" not in text or path == "/telechargements?periode=2025-01"


def test_reader_ignores_values_of_hidden_cells_and_broken_pointers(tmp_path, portal_fixture):
    """Defence in depth: even a faulty file with a value in a hidden cell never shows it."""
    settings = dataclasses.replace(portal_fixture.settings, exports_dir=tmp_path)
    frame = build_frame("activite", "2025-03", 1)
    write_version(tmp_path / "region" / "2025-03" / "v001", "2025-03", "v001", {"activite": frame})
    leaky = frame.copy()
    hidden = leaky["statut"] != "publie"
    leaky.loc[:, "valeur"] = 42.0
    write_version(tmp_path / "region" / "2025-03" / "v002", "2025-03", "v002", {"activite": frame})
    pq.write_table(pa.Table.from_pandas(leaky, preserve_index=False),
                   tmp_path / "region" / "2025-03" / "v002" / "activite.parquet")
    (tmp_path / "region" / "2025-03" / "LATEST").write_text("../../../etc\n")  # garbage pointer
    publications = Publications(settings)
    extract = publications.extract("2025-03")
    assert extract is not None and extract.version == "v002"  # highest complete version
    shown = publications.frame(extract, extract.dataset("activite"))
    assert hidden.any()
    assert shown.loc[hidden.values, "valeur"].isna().all()
    assert (shown.loc[~hidden.values, "valeur"] == 42.0).all()
    assert publications.extract("../2025-03") is None
    assert publications.extract("2025-03/../2025-02") is None
    assert isinstance(shown, pd.DataFrame)
