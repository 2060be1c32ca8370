"""The members' portal (issue 8): shared statistics, downloads and each member's reception reports.

Why it is built this way:
- FastAPI + Jinja2 templates render plain HTML pages that work without JavaScript, with a keyboard,
  on a phone; Chart.js (vendored, MIT) only adds a chart beside a table that always carries the data.
- Every page except the login page and static files needs a session; an anonymous request, to any
  path (even one that does not exist), is redirected to the login page, so nothing is learnt about
  what exists before logging in.
- Data comes only from the published extracts (`published.py`) and the reception reports
  (`reports.py`), both read-only and looked up through allow-lists; an item that is not in the
  caller's allow-list answers 404 — the same answer for "does not exist", "not published",
  "another member's report" and any path-traversal attempt, so existence never leaks.
- Security choices (sessions, CSRF, throttling, headers) are documented in `security.py`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from pipelines.config import Settings, load_settings
from pipelines.portal.accounts import Account, AccountStore, load_members
from pipelines.portal.published import (
    HEADLINE_CODES,
    LEVEL_LABELS,
    STATUS_LABELS,
    UNIT_LABELS,
    Publications,
    Reference,
    chart_rows,
    chart_value,
    format_value,
    select_territories,
)
from pipelines.portal.reports import ReportIndex
from pipelines.portal.security import (
    CSRF_FORM_FIELD,
    SECURITY_HEADERS,
    LoginThrottle,
    csrf_token,
    csrf_valid,
    session_secret,
)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "spro_portail"
MONTHS_FR = [
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
    "novembre", "décembre",
]
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "schema": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class LoginRequired(Exception):
    """Raised by `require_account`; turned into a redirection to the login page."""


class NotFound(StarletteHTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=404)


def period_fr(period: str) -> str:
    if len(period) == 7:
        return f"{MONTHS_FR[int(period[5:]) - 1]} {period[:4]}"
    return f"année {period}"


def datetime_fr(value: str) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.strftime("%d/%m/%Y à %H:%M")


def size_fr(size: int) -> str:
    if size < 1024:
        return f"{size} octets"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} Ko".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")


def chart_label(level: str, label: str) -> str:
    """Agencies and bassins can share a name (Strasbourg): say which one a bar is."""
    return f"Agence {label}" if level == "agence" else (f"{label} (département)" if level == "departement" else label)


def _safe_next(target: str | None) -> str:
    """Only a local path may follow the login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def create_app(
    settings: Settings | None = None,
    *,
    throttle: LoginThrottle | None = None,
    secret_key: str | None = None,
    https_only: bool = False,
) -> FastAPI:
    """Build the portal. Tests pass their own settings (temporary folders) and a fast throttle."""
    settings = settings or load_settings()
    app = FastAPI(title="Portail des membres du SPRO Grand Est", docs_url=None, redoc_url=None, openapi_url=None)
    store = AccountStore.for_settings(settings)
    members = load_members(settings)
    publications = Publications(settings)
    reference = Reference(settings)
    reports = ReportIndex(settings)
    throttle = throttle or LoginThrottle()
    app.state.settings = settings
    app.state.store = store
    app.state.throttle = throttle

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(period_fr=period_fr, datetime_fr=datetime_fr, size_fr=size_fr,
                                 urlquote=lambda value: quote(str(value), safe=""))

    # ------------------------------------------------------------------ helpers
    def current_account(request: Request) -> Account | None:
        sid = request.session.get("sid")
        return store.session_account(sid) if isinstance(sid, str) else None

    def require_account(request: Request) -> Account:
        account = current_account(request)
        if account is None:
            raise LoginRequired()
        return account

    def render(request: Request, name: str, account: Account | None, status_code: int = 200, **context):
        member = members.get(account.member_code) if account and account.member_code else None
        context.update(
            account=account,
            member=member,
            agency_name=reference.agencies.get(member.agency_code, "") if member else "",
            csrf_token=csrf_token(request),
            csrf_field=CSRF_FORM_FIELD,
            path=request.url.path,
        )
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
        return render(request, "error.html", current_account(request), status_code, title=title, message=message)

    # ------------------------------------------------------------------ middleware and handlers
    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if not request.url.path.startswith("/static/"):
            response.headers["cache-control"] = "no-store"
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key or session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=8 * 3600,
        same_site="strict",
        https_only=https_only,
    )

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/connexion?suivant={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if current_account(request) is None and request.url.path != "/connexion":
            return await to_login(request, LoginRequired())
        if exc.status_code == 404:
            return error_page(
                request, 404, "Page introuvable",
                "Cette page ou ce fichier n'existe pas, n'est pas publié, ou ne vous est pas accessible.",
            )
        if exc.status_code == 405:
            return error_page(request, 405, "Action non permise", "Cette action n'est pas permise sur cette page.")
        return error_page(request, exc.status_code, "Erreur", "La demande n'a pas pu être traitée.")

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        if current_account(request) is None:
            return await to_login(request, LoginRequired())
        return error_page(request, 404, "Page introuvable", "Les paramètres de la demande ne sont pas valides.")

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # ------------------------------------------------------------------ login / logout
    @app.get("/connexion", response_class=HTMLResponse)
    async def login_page(request: Request, suivant: str | None = None):
        if current_account(request) is not None:
            return RedirectResponse(_safe_next(suivant), status_code=303)
        return render(request, "login.html", None, suivant=_safe_next(suivant), email="")

    @app.post("/connexion", response_class=HTMLResponse)
    async def login(request: Request):
        form = await request.form()
        email = str(form.get("email", "")).strip().lower()[:254]
        password = str(form.get("password", ""))[:1024]
        target = _safe_next(str(form.get("suivant", "/")))
        if not csrf_valid(request, form.get(CSRF_FORM_FIELD)):
            return render(
                request, "login.html", None, 403, suivant=target, email=email,
                error="Le formulaire a expiré ou n'est pas valide. Rechargez la page et recommencez.",
            )
        keys = [f"compte:{email}", f"ip:{request.client.host if request.client else 'inconnu'}"]
        wait = throttle.retry_after(keys)
        if wait > 0:
            response = render(
                request, "login.html", None, 429, suivant=target, email=email,
                error=f"Trop de tentatives de connexion. Réessayez dans {int(wait) + 1} secondes.",
            )
            response.headers["retry-after"] = str(int(wait) + 1)
            return response
        # argon2 is deliberately slow: run it off the event loop so other pages stay responsive.
        account = await run_in_threadpool(store.authenticate, email, password) if email and password else None
        if account is None:
            throttle.failure(keys)
            return render(
                request, "login.html", None, 401, suivant=target, email=email,
                error="Adresse électronique ou mot de passe incorrect.",
            )
        throttle.success(keys[0])
        request.session.clear()  # a new session, a new CSRF token: nothing survives from before login
        request.session["sid"] = store.open_session(account)
        return RedirectResponse(target, status_code=303)

    @app.post("/deconnexion")
    async def logout(request: Request):
        require_account(request)
        form = await request.form()
        if not csrf_valid(request, form.get(CSRF_FORM_FIELD)):
            return error_page(request, 403, "Formulaire expiré", "Rechargez la page et recommencez.")
        sid = request.session.get("sid")
        if isinstance(sid, str):
            store.close_session(sid)
        request.session.clear()
        return RedirectResponse("/connexion", status_code=303)

    # ------------------------------------------------------------------ pages
    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request):
        account = require_account(request)
        period = publications.latest_monthly_period()
        extract = publications.extract(period)
        cards: list[dict] = []
        agencies_table: list[dict] = []
        member = members.get(account.member_code) if account.member_code else None
        if extract is not None:
            rows = publications.all_rows(extract)
            rows = rows[rows["reseau"] == "TOUS"]
            present = list(dict.fromkeys(rows["indicateur"]))
            codes = [c for c in HEADLINE_CODES if c in present] or present[:4]
            for code in codes:
                sub = rows[rows["indicateur"] == code]
                info = extract.indicators.get(code, {})
                unit = str(sub["unite"].iloc[0]) if len(sub) else ""

                def pick(level: str, territory: str) -> str | None:
                    hit = sub[(sub["niveau_territoire"] == level) & (sub["code_territoire"] == territory)]
                    return format_value(hit["valeur"].iloc[0], unit) if len(hit) else None

                card = {
                    "code": code,
                    "label": info.get("label_fr", code),
                    "definition": info.get("definition_fr", ""),
                    "region": pick("region", "GE"),
                    "agency": pick("agence", member.agency_code) if member else None,
                }
                cards.append(card)
            if account.is_region and codes:
                for agency_code, agency_name in reference.agencies.items():
                    values = []
                    for code in codes:
                        sub = rows[(rows["indicateur"] == code) & (rows["niveau_territoire"] == "agence")
                                   & (rows["code_territoire"] == agency_code)]
                        unit = str(sub["unite"].iloc[0]) if len(sub) else ""
                        values.append(format_value(sub["valeur"].iloc[0], unit) if len(sub) else "—")
                    agencies_table.append({"name": agency_name, "values": values})
        return render(request, "home.html", account, period=period, extract=extract, cards=cards,
                      agencies_table=agencies_table)

    @app.get("/statistiques", response_class=HTMLResponse)
    async def statistics(
        request: Request,
        periode: str | None = None,
        famille: str | None = None,
        agence: str | None = None,
        bassin: str | None = None,
        reseau: str | None = None,
    ):
        account = require_account(request)
        periods = publications.periods()
        period = periode or publications.latest_monthly_period()
        if not periods:
            return render(request, "statistics.html", account, extract=None, periods=[], period=None)
        extract = publications.extract(period) if period in periods else None
        if extract is None:
            raise NotFound()
        datasets = [d for d in extract.datasets if d.parquet]
        if not datasets:
            raise NotFound()
        dataset = extract.dataset(famille) if famille else datasets[0]
        if dataset is None or dataset.parquet is None:
            raise NotFound()
        agence = agence or None
        bassin = bassin or None
        reseau = reseau or "TOUS"
        if (agence and agence not in reference.agencies) or (bassin and bassin not in reference.bassins):
            raise NotFound()
        if not CODE_RE.match(reseau):
            raise NotFound()
        if bassin and agence and reference.bassin_agency.get(bassin) != agence:
            agence = reference.bassin_agency.get(bassin)
        frame = publications.frame(extract, dataset)
        networks = sorted(set(frame["reseau"]) - {"TOUS"})
        if reseau != "TOUS" and reseau not in networks:
            raise NotFound()
        indicators = []
        for number, code in enumerate(dict.fromkeys(frame["indicateur"])):
            info = extract.indicators.get(code, {})
            all_rows = frame[frame["indicateur"] == code]
            sub = all_rows[all_rows["reseau"] == reseau]
            sub = select_territories(sub, reference, agence, bassin)
            unit = str(sub["unite"].iloc[0]) if len(sub) else str(info.get("unit", ""))
            rows = [
                {
                    "territory": r.libelle_territoire or r.code_territoire,
                    "level": LEVEL_LABELS.get(r.niveau_territoire, r.niveau_territoire),
                    "value": format_value(r.valeur, unit),
                    "status": r.statut,
                    "status_fr": STATUS_LABELS.get(r.statut, r.statut),
                }
                for r in sub.itertuples()
            ]
            charted = chart_rows(sub, unit)
            chart = {
                "label": info.get("label_fr", code),
                "unit": UNIT_LABELS.get(unit, unit),
                "labels": [chart_label(r.niveau_territoire, r.libelle_territoire or r.code_territoire)
                           for r in charted.itertuples()],
                "values": [chart_value(r.valeur, unit) for r in charted.itertuples()],
                "levels": list(charted["niveau_territoire"]),
            }
            indicators.append({
                "code": code,
                "anchor": f"ind-{number}",
                "label": info.get("label_fr", code),
                "definition": info.get("definition_fr", ""),
                "unit": unit,
                "threshold": info.get("threshold", info.get("disclosure_threshold")),
                "rows": rows,
                "hidden": sum(1 for r in rows if r["status"] != "publie"),
                "chart_json": json.dumps(chart, ensure_ascii=False),
                "by_network_available": bool(len(all_rows[all_rows["reseau"] != "TOUS"])),
            })
        bassins = [
            {"code": code, "name": name, "agency": reference.bassin_agency.get(code, "")}
            for code, name in sorted(reference.bassins.items(), key=lambda item: item[1])
            if not agence or reference.bassin_agency.get(code) == agence
        ]
        return render(
            request, "statistics.html", account,
            periods=periods, period=period, extract=extract, datasets=datasets, dataset=dataset,
            indicators=indicators, agencies=reference.agencies, bassins=bassins,
            networks=[(n, reference.networks.get(n, n)) for n in networks],
            agence=agence, bassin=bassin, reseau=reseau,
        )

    @app.get("/telechargements", response_class=HTMLResponse)
    async def downloads(request: Request, periode: str | None = None):
        account = require_account(request)
        periods = publications.periods()
        period = periode or publications.latest_monthly_period()
        extract = publications.extract(period) if period in periods else None
        if periods and extract is None:
            raise NotFound()
        files = sorted(extract.files.values(), key=lambda f: (f.format != "xlsx", f.name)) if extract else []
        return render(request, "downloads.html", account, periods=periods, period=period, extract=extract,
                      files=files)

    @app.get("/telechargements/{periode}/{fichier}")
    async def download_file(request: Request, periode: str, fichier: str):
        require_account(request)
        extract = publications.extract(periode) if periode in publications.periods() else None
        entry = extract.files.get(fichier) if extract else None
        if entry is None:
            raise NotFound()
        return FileResponse(
            entry.path, media_type=MEDIA_TYPES[entry.format], filename=entry.name,
            content_disposition_type="attachment",
        )

    @app.get("/mes-fichiers", response_class=HTMLResponse)
    async def my_files(request: Request, expediteur: str | None = None):
        account = require_account(request)
        senders = reports.visible_senders(account)
        if expediteur and expediteur not in senders:
            raise NotFound()
        listing = reports.visible(account, expediteur or None)
        return render(request, "files.html", account, reports=listing, senders=senders,
                      expediteur=expediteur or "", members=members)

    def _report(request: Request, expediteur: str, rapport: str):
        account = require_account(request)
        found = reports.lookup(account, expediteur, rapport)
        if found is None:
            raise NotFound()
        return account, found

    @app.get("/mes-fichiers/{expediteur}/{rapport}", response_class=HTMLResponse)
    async def report_page(request: Request, expediteur: str, rapport: str):
        account, found = _report(request, expediteur, rapport)
        return render(request, "report.html", account, report=found, members=members)

    @app.get("/mes-fichiers/{expediteur}/{rapport}/html")
    async def report_html(request: Request, expediteur: str, rapport: str):
        _, found = _report(request, expediteur, rapport)
        if found.html_path is None:
            raise NotFound()
        response = FileResponse(found.html_path, media_type="text/html; charset=utf-8")
        # The report is shown as a document of its own: no script, no form, no network access.
        response.headers["content-security-policy"] = (
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        )
        return response

    @app.get("/mes-fichiers/{expediteur}/{rapport}/json")
    async def report_json(request: Request, expediteur: str, rapport: str):
        _, found = _report(request, expediteur, rapport)
        return FileResponse(found.json_path, media_type="application/json", filename=found.json_path.name,
                            content_disposition_type="attachment")

    return app


def create_default_app() -> FastAPI:
    """Factory for `uvicorn --factory pipelines.portal.app:create_default_app`."""
    return create_app()
