"""The curators' console at /console: server-rendered pages over the service's curation data.

Evidence gaps grouped by meaning, feedback with the answer as the member saw it, the query log
with filters and CSV exports, and the documents' inventory with the last ingestion runs. Pages are
plain HTML forms (no script needed), in English or French. Signing in and CSRF: console_auth.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from assistant.api.console_auth import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    ConsoleSessions,
    CuratorSession,
    new_sign_in_token,
    same_origin,
)
from assistant.api.console_text import ConsoleLanguage, text_for
from assistant.core.access import curator_named
from assistant.core.curation import as_csv, set_aside_out_of_scope
from assistant.core.records import LogFilter, day_bound
from assistant.core.service import EvidenceService, NotReady
from assistant.core.settings import Settings

router = APIRouter(prefix="/console", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
LANG_COOKIE = "whatworks_console_lang"
PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365, "all": None}
ROWS = 200


class SignInNeeded(Exception):
    def __init__(self, next_path: str, reason: str | None = None) -> None:
        self.next_path = next_path
        self.reason = reason


class ConsoleOff(Exception):
    pass


def install(app: FastAPI, secret: str) -> None:
    """Mount the console on the app: its routes, sessions and the redirects to the sign-in page."""
    app.state.console_sessions = ConsoleSessions(secret)
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=Path(__file__).parent / "static"), name="console-static")

    @app.exception_handler(SignInNeeded)
    async def sign_in_first(request: Request, exc: SignInNeeded) -> Response:
        query = {"next": exc.next_path} | ({"reason": exc.reason} if exc.reason else {})
        return RedirectResponse(f"/console/sign-in?{urlencode(query)}", status_code=303)

    @app.exception_handler(ConsoleOff)
    async def console_off(request: Request, exc: ConsoleOff) -> Response:
        return _render(request, "console/off.html", {}, status_code=403)


# -- who is asking -------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _sessions(request: Request) -> ConsoleSessions:
    return request.app.state.console_sessions  # type: ignore[no-any-return]


def _service(request: Request) -> EvidenceService:
    service = getattr(request.app.state, "service", None)
    if service is None:
        raise NotReady("the service is starting")
    return service  # type: ignore[no-any-return]


def _language(request: Request) -> ConsoleLanguage:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in ("en", "fr"):
        return chosen  # type: ignore[return-value]
    accepted = request.headers.get("accept-language", "").lower()
    return "fr" if accepted.startswith("fr") else "en"


def _session(request: Request) -> CuratorSession | None:
    keys = _settings(request).api.curator_keys
    return _sessions(request).read(request.cookies.get(SESSION_COOKIE), keys)


def curator(request: Request) -> CuratorSession:
    """The signed-in curator (a session cookie, or a curator key sent as a Bearer token by a script)."""
    keys = _settings(request).api.curator_keys
    if not keys:
        raise ConsoleOff()
    session = _session(request)
    if session is not None:
        return session
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        name = curator_named(authorization[7:].strip(), keys)
        if name is not None:
            return CuratorSession(name, "bearer", 0.0)
    reason = "expired" if request.cookies.get(SESSION_COOKIE) else None
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise SignInNeeded(path, reason)


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    language = _language(request)
    session = context.get("session")
    base = {
        "lang": language,
        "t": text_for(language),
        "csrf": _sessions(request).csrf_token(session) if isinstance(session, CuratorSession) else "",
        "path": request.url.path,
        "other_lang_url": _with(request, lang="fr" if language == "en" else "en"),
    }
    response = templates.TemplateResponse(request, name, base | context, status_code=status_code)
    if request.query_params.get("lang") in ("en", "fr"):
        response.set_cookie(LANG_COOKIE, language, path="/console", samesite="strict", max_age=365 * 86400)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    return response


def _with(request: Request, **changes: str) -> str:
    query = dict(request.query_params) | changes
    return f"{request.url.path}?{urlencode(query)}"


class StaleForm(Exception):
    pass


async def _checked_form(request: Request, session: CuratorSession) -> FormData:
    """The form of a state-changing request, after its Origin and CSRF token are checked."""
    form = await request.form()
    origin_ok = same_origin(request.headers.get("origin"), request.url.scheme, request.headers.get("host"))
    if (
        session.session_id == "bearer"
        or not origin_ok
        or not _sessions(request).csrf_ok(session, str(form.get("csrf") or ""))
    ):
        raise StaleForm()
    return form


# -- signing in ----------------------------------------------------------------------------


@router.get("")
@router.get("/")
def console_home() -> Response:
    return RedirectResponse("/console/gaps", status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/console/gaps", reason: str | None = None) -> Response:
    if not _settings(request).api.curator_keys:
        raise ConsoleOff()
    token = new_sign_in_token()
    message = {"expired": "expired", "wrong": "wrong_key", "stale": "stale_form"}.get(reason or "")
    status = 401 if reason == "wrong" else 200
    response = _render(
        request, "console/sign_in.html", {"next": _local(next), "token": token, "message": message}, status_code=status
    )
    response.set_cookie(SIGN_IN_COOKIE, token, path="/console", httponly=True, samesite="strict", max_age=3600)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    settings = _settings(request)
    keys = settings.api.curator_keys
    if not keys:
        raise ConsoleOff()
    form = await request.form()
    next_path = _local(str(form.get("next") or "/console/gaps"))
    cookie_token = request.cookies.get(SIGN_IN_COOKIE)
    origin_ok = same_origin(request.headers.get("origin"), request.url.scheme, request.headers.get("host"))
    if not cookie_token or form.get("token") != cookie_token or not origin_ok:
        return RedirectResponse(f"/console/sign-in?{urlencode({'next': next_path, 'reason': 'stale'})}", 303)
    name = curator_named(str(form.get("key") or "").strip(), keys)
    if name is None:
        return RedirectResponse(f"/console/sign-in?{urlencode({'next': next_path, 'reason': 'wrong'})}", 303)
    cookie = _sessions(request).issue(name, keys[name], settings.api.console_session_hours)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        path="/console",
        httponly=True,
        secure=settings.api.console_secure_cookie,
        samesite="strict",
        max_age=int(settings.api.console_session_hours * 3600),
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/console")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    session = curator(request)
    try:
        await _checked_form(request, session)
    except StaleForm:
        return RedirectResponse("/console/gaps", status_code=303)
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


def _local(path: str) -> str:
    """Only a path of this console is a place to go back to after signing in (no open redirect)."""
    return path if path.startswith("/console") and not path.startswith("//") else "/console/gaps"


# -- the views ------------------------------------------------------------------------------


def _since(period: str) -> dt.datetime | None:
    days = PERIODS.get(period, 30)
    return None if days is None else dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


def _date(value: str | None, end: bool = False) -> dt.datetime | None:
    if not value:
        return None
    try:
        return day_bound(dt.date.fromisoformat(value), end)
    except ValueError:
        return None


def _titles(service: EvidenceService) -> dict[str, str]:
    try:
        return {doc: chunks[0].title for doc, chunks in service.snapshot().documents().items()}
    except Exception:  # an empty index or one that is down: ids stand in for titles
        return {}


@router.get("/gaps")
def gaps_page(request: Request, period: str = "30", language: str = "", done: str = "", n: int = 0) -> Response:
    session = curator(request)
    service = _service(request)
    groups = _gap_groups(service, period, language)
    context = {
        "session": session,
        "groups": groups,
        "period": period if period in PERIODS else "30",
        "language": language,
        "titles": _titles(service),
        "done": done,
        "done_count": n,
        "review_file": str(_review_file(_settings(request))),
        "csv_url": "/console/gaps.csv?" + urlencode({"period": period, "language": language}),
    }
    return _render(request, "console/gaps.html", context)


def _gap_groups(service: EvidenceService, period: str, language: str) -> list[Any]:
    gaps = service.records.open_gaps(_since(period))
    if language:
        gaps = [g for g in gaps if g.get("language") == language]
    return service.gap_groups(gaps)


@router.get("/gaps.csv")
def gaps_csv(request: Request, period: str = "30", language: str = "") -> Response:
    curator(request)
    rows = []
    for number, group in enumerate(_gap_groups(_service(request), period, language), start=1):
        for question in group.questions:
            rows.append(question | {"group": number, "group_size": group.count})
    columns = ["group", "group_size", "created_at", "language", "face", "question", "nearest_topics", "id"]
    return _csv(as_csv(rows, columns), "evidence-gaps")


@router.post("/gaps")
async def mark_gaps(request: Request) -> Response:
    session = curator(request)
    try:
        form = await _checked_form(request, session)
    except StaleForm:
        return RedirectResponse("/console/gaps?done=stale", status_code=303)
    status = str(form.get("status") or "")
    ids = [str(i) for i in form.getlist("ids")][:2000]
    if status not in ("added", "out-of-scope") or not ids:
        return RedirectResponse("/console/gaps", status_code=303)
    marked = _service(request).records.mark_gaps(ids, status, session.name)
    if status == "out-of-scope":
        pairs = [(str(q["id"]), str(q["question"])) for q in marked]
        set_aside_out_of_scope(_review_file(_settings(request)), pairs, session.name)
    back = {"done": status, "n": str(len(marked))}
    for key in ("period", "language"):
        if form.get(key):
            back[key] = str(form.get(key))
    return RedirectResponse(f"/console/gaps?{urlencode(back)}", status_code=303)


def _review_file(settings: Settings) -> Path:
    return settings.data_dir / "out-of-scope-review.yaml"


def _filter(request: Request) -> LogFilter:
    q = request.query_params
    answered = {"yes": True, "no": False}.get(q.get("answered", ""))
    return LogFilter(
        text=(q.get("q") or "").strip()[:200] or None,
        face=q.get("face") or None,
        language=q.get("language") or None,
        answered=answered,
        document=q.get("document") or None,
        since=_date(q.get("from")),
        until=_date(q.get("to"), end=True),
    )


def _filter_values(request: Request, service: EvidenceService) -> dict[str, Any]:
    return {"q": dict(request.query_params), "titles": _titles(service), "faces": ["widget", "slack", "api", "cli"]}


@router.get("/feedback")
def feedback_page(request: Request, rating: str = "") -> Response:
    session = curator(request)
    service = _service(request)
    rows = service.records.feedback_log(_filter(request), rating if rating in ("up", "down") else None, ROWS)
    context = {"session": session, "rows": rows, "limit": ROWS} | _filter_values(request, service)
    context["csv_url"] = "/console/feedback.csv?" + urlencode(dict(request.query_params))
    return _render(request, "console/feedback.html", context)


@router.get("/feedback.csv")
def feedback_csv(request: Request, rating: str = "") -> Response:
    curator(request)
    rows = _service(request).records.feedback_log(_filter(request), rating if rating in ("up", "down") else None, 10000)
    columns = ["voted_at", "rating", "comment", "face", "language", "question", "cited", "answer", "id"]
    return _csv(as_csv(rows, columns), "feedback")


@router.get("/queries")
def queries_page(request: Request) -> Response:
    session = curator(request)
    service = _service(request)
    rows = service.records.query_log(_filter(request), ROWS)
    context = {"session": session, "rows": rows, "limit": ROWS} | _filter_values(request, service)
    context["csv_url"] = "/console/queries.csv?" + urlencode(dict(request.query_params))
    return _render(request, "console/queries.html", context)


@router.get("/queries.csv")
def queries_csv(request: Request) -> Response:
    curator(request)
    rows = _service(request).records.query_log(_filter(request), 10000)
    for row in rows:
        row["answered"] = not row["no_evidence"]
    columns = ["created_at", "face", "language", "answered", "answer_mode", "question", "cited", "ups", "downs", "id"]
    return _csv(as_csv(rows, columns), "query-log")


@router.get("/documents")
def documents_page(request: Request) -> Response:
    session = curator(request)
    service = _service(request)
    try:
        inventory = service.documents_inventory()
    except NotReady:
        inventory = []
    runs = service.records.ingestion_history(10)
    return _render(request, "console/documents.html", {"session": session, "documents": inventory, "runs": runs})


@router.get("/documents.csv")
def documents_csv(request: Request) -> Response:
    curator(request)
    rows = _service(request).documents_inventory()
    columns = ["id", "title", "kind", "verdict", "rating_source", "updated", "chunks", "cited", "votes", "down_rate"]
    return _csv(as_csv(rows, columns), "documents")


def _csv(body: str, name: str) -> Response:
    stamp = dt.date.today().isoformat()
    return Response(
        body.encode("utf-8-sig"),  # with a BOM, so spreadsheets read French accents right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="whatworks-{name}-{stamp}.csv"'},
    )


def unavailable_page(request: Request, detail: str) -> Response:
    """A dependency that is down (the query log, the index), as a page a curator can read."""
    return _render(request, "console/unavailable.html", {"detail": detail}, status_code=503)
