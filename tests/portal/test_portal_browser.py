"""End-to-end tests in a real headless Chromium (Debian's package, driven by Playwright's Python API).

Why a real browser: what a member meets is cookies, redirects, a chart drawn by JavaScript under a
strict Content-Security-Policy, a file download, keyboard focus and a phone-sized screen; only a
browser checks those together. The statistics screenshot committed under docs/ is taken here, so it
always shows the product as it is.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from pipelines.config import REPO_ROOT
from pipelines.portal.app import create_app
from pipelines.portal.security import LoginThrottle

from .fixtures import B_REPORT_ID, EMAILS, MEMBER_A, MEMBER_B, NEVER_SHOWN, PASSWORD, SECRET_OF_B
from .server import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOT = REPO_ROOT / "docs" / "portal-statistiques.png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium absent (/usr/bin/chromium) : tests navigateur ignorés — "
    "browser tests skipped, install Debian's `chromium` package (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def server(portal_fixture):
    app = create_app(portal_fixture.settings, secret_key="cle-de-test-navigateur-" + "x" * 32,
                     throttle=LoginThrottle())
    with serve(app) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _page(browser, **context_options):
    context = browser.new_context(locale="fr-FR", accept_downloads=True, **context_options)
    return context, context.new_page()


def _login(page, server, email: str, target: str = "/") -> None:
    page.goto(server.url + target)
    assert "/connexion" in page.url
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def test_login_then_statistics_with_chart_and_table(browser, server):
    context, page = _page(browser)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _login(page, server, EMAILS["member_a"], "/statistiques")
    assert page.url.startswith(server.url + "/statistiques")  # back where the member wanted to go
    assert page.get_by_role("heading", level=1).inner_text() == "Statistiques partagées"
    page.wait_for_selector("canvas.spro-chart[data-drawn='true']")
    drawn = page.locator("canvas.spro-chart[data-drawn='true']")
    assert drawn.count() >= 3
    # The chart really painted something (a blank canvas would be a data URL of one colour).
    assert page.evaluate("document.querySelector('canvas.spro-chart').toDataURL().length") > 5000
    table = page.locator("table.data-table").first
    assert table.locator("caption").inner_text()
    assert table.locator("thead th[scope='col']").count() == 4
    assert "Grand Est" in table.inner_text()
    assert "Définition" in page.locator(".definition-box").first.inner_text()

    # Filter on one agency and one network with the keyboard-accessible form.
    page.get_by_label("Agence territoriale").select_option("AG01")
    page.get_by_label("Réseau").select_option("ML")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_selector("canvas.spro-chart[data-drawn='true']")
    assert "agence=AG01" in page.url and "reseau=ML" in page.url
    text = page.locator("table.data-table").first.inner_text()
    assert "Charleville-Mézières/Verdun" in text and "Strasbourg" not in text
    for value in NEVER_SHOWN:
        assert value not in page.content()
    assert not errors, errors  # no CSP violation, no script error
    context.close()


def test_download_csv_matches_published_table(browser, server, portal_fixture):
    context, page = _page(browser)
    _login(page, server, EMAILS["member_b"])
    page.get_by_role("link", name="Téléchargements").click()
    assert page.get_by_role("heading", name="Extractions de février 2025").is_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="activite.csv").click()
    download = info.value
    assert download.suggested_filename == "activite.csv"
    content = Path(download.path()).read_bytes().decode("utf-8")
    got = pd.read_csv(io.StringIO(content), dtype={"code_territoire": str, "periode": str})
    expected = portal_fixture.frames["2025-02"]["activite"]
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    pd.testing.assert_series_equal(got["valeur"], expected["valeur"].astype("float64"), check_names=False)
    assert (got["code_territoire"] == expected["code_territoire"]).all()
    region = got[(got["indicateur"] == "ACT_PEOPLE") & (got["code_territoire"] == "GE") & (got["reseau"] == "TOUS")]
    assert region["valeur"].iloc[0] != 987654  # the superseded version v001 is not served
    assert got.loc[got["statut"] != "publie", "valeur"].isna().all()
    context.close()


def test_member_sees_only_own_files_and_is_refused_other_reports(browser, server):
    context, page = _page(browser)
    _login(page, server, EMAILS["member_a"])
    page.get_by_role("link", name="Mes fichiers").click()
    listing = page.locator("#rapports").inner_text()
    assert "ML001_2025-01.csv" in listing and "ML001_2025-02.csv" in listing
    assert MEMBER_B not in listing and "PSAD01" not in listing and "lien_" not in listing
    page.get_by_role("link", name="Voir le rapport de ML001_2025-02.csv").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Rapport de réception : ML001_2025-02.csv"
    assert "Code inconnu de la nomenclature convenue" in page.content()

    for path in (f"/mes-fichiers/{MEMBER_B}/{B_REPORT_ID}", f"/mes-fichiers/{MEMBER_B}/{B_REPORT_ID}/html",
                 f"/mes-fichiers/{MEMBER_A}/lien_CIO023", f"/mes-fichiers/{MEMBER_A}/..%2F{MEMBER_B}%2F{B_REPORT_ID}"):
        response = page.goto(server.url + path)
        assert response.status == 404, path
        assert SECRET_OF_B not in page.content()
        assert page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    context.close()


def test_region_sees_every_members_files(browser, server):
    context, page = _page(browser)
    _login(page, server, EMAILS["region"])
    page.get_by_role("link", name="Fichiers des membres").click()
    listing = page.locator("#rapports").inner_text()
    assert MEMBER_A in listing and MEMBER_B in listing and "PSAD01" in listing
    page.get_by_label("Expéditeur", exact=True).select_option(MEMBER_B)
    page.get_by_role("button", name="Afficher").click()
    listing = page.locator("#rapports").inner_text()
    assert MEMBER_B in listing and "ML001_2025" not in listing
    context.close()


def test_keyboard_and_phone(browser, server):
    context, page = _page(browser, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(server.url + "/connexion")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(EMAILS["member_a"])
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/")
    assert page.get_by_role("heading", name="Chiffres clés").is_visible()
    for target in ("/", "/statistiques", "/telechargements", "/mes-fichiers"):
        page.goto(server.url + target)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (target, overflow)  # nothing wider than the phone (tables scroll inside)
    context.close()


def test_screenshot_of_statistics_page(browser, server):
    """docs/portal-statistiques.png: what a member sees, at 1280x900, on realistic published data."""
    context, page = _page(browser, viewport={"width": 1280, "height": 900})
    _login(page, server, EMAILS["member_a"], "/statistiques?periode=2025-02&famille=activite&agence=AG01")
    page.wait_for_selector("canvas.spro-chart[data-drawn='true']")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 30_000
    context.close()
