"""Authorization matrix: every route of the portal x {anonymous, member A, member B, Region}.

Why a matrix that must cover every route: the rule "a member never reaches another member's reports,
anonymous users go to the login page" is only true if it holds for each route; the last test fails
when a route is added to the app without being added here.
"""

from __future__ import annotations

import pytest
import requests
from fastapi.routing import APIRoute

from pipelines.portal.app import create_app
from pipelines.portal.security import LoginThrottle

from .fixtures import (
    A_REPORT_ID, B_REPORT_ID, EMAILS, MEMBER_A, MEMBER_B, PASSWORD, PSAD_REPORT_ID, SECRET_OF_B,
)
from .server import login, serve

ROLES = ("anonymous", "member_a", "member_b", "region")
LOGIN = "login"  # expected: 303 redirection to /connexion
A_REPORT = f"/mes-fichiers/{MEMBER_A}/{A_REPORT_ID}"
B_REPORT = f"/mes-fichiers/{MEMBER_B}/{B_REPORT_ID}"
PSAD_REPORT = f"/mes-fichiers/PSAD01/{PSAD_REPORT_ID}"

# (route template, concrete URL, expected status for anonymous, member A, member B, Region)
MATRIX = [
    ("/connexion", "/connexion", 200, 303, 303, 303),
    ("/", "/", LOGIN, 200, 200, 200),
    ("/statistiques", "/statistiques", LOGIN, 200, 200, 200),
    ("/statistiques", "/statistiques?periode=2025-01&famille=psad&agence=AG09", LOGIN, 200, 200, 200),
    ("/statistiques", "/statistiques?periode=2024&famille=activite&bassin=37&reseau=CIO", LOGIN, 200, 200, 200),
    ("/statistiques", "/statistiques?periode=2023-01", LOGIN, 404, 404, 404),
    ("/statistiques", "/statistiques?famille=personnes", LOGIN, 404, 404, 404),
    ("/telechargements", "/telechargements", LOGIN, 200, 200, 200),
    ("/telechargements", "/telechargements?periode=2024", LOGIN, 200, 200, 200),
    ("/telechargements/{periode}/{fichier}", "/telechargements/2025-02/activite.csv", LOGIN, 200, 200, 200),
    ("/telechargements/{periode}/{fichier}", "/telechargements/2025-02/psad.parquet", LOGIN, 200, 200, 200),
    ("/telechargements/{periode}/{fichier}", "/telechargements/2025-02/spro_2025-02_indicateurs.xlsx",
     LOGIN, 200, 200, 200),
    ("/telechargements/{periode}/{fichier}", "/telechargements/2024/evenements.schema.json", LOGIN, 200, 200, 200),
    ("/telechargements/{periode}/{fichier}", "/telechargements/2025-02/personnes.csv", LOGIN, 404, 404, 404),
    ("/telechargements/{periode}/{fichier}", "/telechargements/2025-02/manifest.json", LOGIN, 404, 404, 404),
    ("/mes-fichiers", "/mes-fichiers", LOGIN, 200, 200, 200),
    ("/mes-fichiers", f"/mes-fichiers?expediteur={MEMBER_A}", LOGIN, 200, 404, 200),
    ("/mes-fichiers", f"/mes-fichiers?expediteur={MEMBER_B}", LOGIN, 404, 200, 200),
    ("/mes-fichiers/{expediteur}/{rapport}", A_REPORT, LOGIN, 200, 404, 200),
    ("/mes-fichiers/{expediteur}/{rapport}", B_REPORT, LOGIN, 404, 200, 200),
    ("/mes-fichiers/{expediteur}/{rapport}", PSAD_REPORT, LOGIN, 404, 404, 200),
    ("/mes-fichiers/{expediteur}/{rapport}", f"/mes-fichiers/{MEMBER_A}/lien_CIO023", LOGIN, 404, 404, 404),
    ("/mes-fichiers/{expediteur}/{rapport}/html", A_REPORT + "/html", LOGIN, 200, 404, 200),
    ("/mes-fichiers/{expediteur}/{rapport}/html", B_REPORT + "/html", LOGIN, 404, 200, 200),
    ("/mes-fichiers/{expediteur}/{rapport}/json", A_REPORT + "/json", LOGIN, 200, 404, 200),
    ("/mes-fichiers/{expediteur}/{rapport}/json", B_REPORT + "/json", LOGIN, 404, 200, 200),
    ("/mes-fichiers/{expediteur}/{rapport}/json", PSAD_REPORT + "/json", LOGIN, 404, 404, 200),
    ("/static", "/static/portal.css", 200, 200, 200, 200),
    ("/static", "/static/vendor/chart.umd.min.js", 200, 200, 200, 200),
    ("(aucune)", "/administration", LOGIN, 404, 404, 404),
    ("(aucune)", "/docs", LOGIN, 404, 404, 404),
    ("(aucune)", "/openapi.json", LOGIN, 404, 404, 404),
]
# POST routes: anonymous is sent to the login page; logged-in users without a CSRF token are refused.
POST_MATRIX = [
    ("/connexion", "/connexion", 403, 403, 403, 403),
    ("/deconnexion", "/deconnexion", LOGIN, 403, 403, 403),
]


@pytest.fixture(scope="module")
def server(portal_fixture):
    app = create_app(portal_fixture.settings, secret_key="cle-de-test-autorisations-" + "x" * 32,
                     throttle=LoginThrottle())
    with serve(app) as running:
        running.app = app
        yield running


@pytest.fixture(scope="module")
def sessions(server) -> dict[str, requests.Session]:
    return {
        "anonymous": requests.Session(),
        "member_a": login(server.url, EMAILS["member_a"], PASSWORD),
        "member_b": login(server.url, EMAILS["member_b"], PASSWORD),
        "region": login(server.url, EMAILS["region"], PASSWORD),
    }


def _check(response: requests.Response, expected, role: str, url: str) -> None:
    if expected == LOGIN:
        assert response.status_code == 303, (role, url, response.status_code)
        assert response.headers["location"].startswith("/connexion"), (role, url)
    else:
        assert response.status_code == expected, (role, url, response.status_code)


@pytest.mark.parametrize("template,url,expected", [(r[0], r[1], r[2:]) for r in MATRIX],
                         ids=[f"GET {row[1]}" for row in MATRIX])
def test_get_matrix(sessions, server, template, url, expected):
    for role, want in zip(ROLES, expected):
        response = sessions[role].get(server.url + url, allow_redirects=False)
        _check(response, want, role, url)
        if role in ("anonymous", "member_a"):
            assert SECRET_OF_B not in response.text, (role, url)
        if want == 404:
            assert "Page introuvable" in response.text  # the same French page whatever the reason


@pytest.mark.parametrize("template,url,expected", [(r[0], r[1], r[2:]) for r in POST_MATRIX],
                         ids=[f"POST {row[1]}" for row in POST_MATRIX])
def test_post_matrix_without_csrf(sessions, server, template, url, expected):
    for role, want in zip(ROLES, expected):
        response = sessions[role].post(server.url + url, data={"email": "x", "password": "y"}, allow_redirects=False)
        _check(response, want, role, url)
    # the refused logout did not end the sessions
    assert sessions["member_a"].get(server.url + "/", allow_redirects=False).status_code == 200


def test_member_listing_contains_only_own_reports(sessions, server):
    own = sessions["member_a"].get(server.url + "/mes-fichiers").text
    assert "ML001_2025-01.csv" in own and "ML001_2025-02.csv" in own
    assert MEMBER_B not in own and "PSAD01" not in own and "lien_CIO023" not in own
    everything = sessions["region"].get(server.url + "/mes-fichiers").text
    assert MEMBER_A in everything and MEMBER_B in everything and "PSAD01" in everything


def test_every_route_is_in_the_matrix(server):
    tested = {row[0] for row in MATRIX} | {row[0] for row in POST_MATRIX}
    for route in server.app.routes:
        path = getattr(route, "path", None)
        if isinstance(route, APIRoute):
            assert path in tested, f"route {path} absente de la matrice d'autorisations"
        elif path is not None:
            assert path in tested, f"route {path} absente de la matrice d'autorisations"
