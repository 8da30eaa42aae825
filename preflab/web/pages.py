"""HTML pages. They carry no data of their own beyond ids, and the rules the page scripts follow
(``page_rules``: decided here, served in base.html's JSON block, read by js/rules.js): the page
scripts read the API with the browser session (cookie + CSRF header), so every permission check
is the API's. Sessions (log in, log out, who a page is for) are preflab.services.sessions'."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ..api.deps import SESSION_COOKIE, StoreDep
from ..domain.preferences import ITEM_TEXT_KEYS
from ..domain.roles import can_manage_projects
from ..services import sessions
from ..store.sessions import LIFETIME
from .security import media_hosts, project_csp

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")  # autoescapes .html


#: Where a login goes when its ``next`` is missing or refused.
DEFAULT_NEXT = "/projects"
#: A same-origin path: a single leading slash, then printable ASCII only (no backslash, which
#: browsers read as a slash; no space, control or non-ASCII character that a browser may drop or
#: fold). With no scheme and no ``//``, no browser can read it as another site, however the
#: framework encodes ``Location``.
_LOCAL_PATH = re.compile(r"/(?!/)[\x21-\x5b\x5d-\x7e]*")


def _safe_next(target: str | None) -> str:
    """``target`` if it is a same-origin path, else the default page."""
    if target and _LOCAL_PATH.fullmatch(target):
        return target
    return DEFAULT_NEXT


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # non-browser clients send neither; the SameSite cookie still protects browsers
    return urlsplit(origin).netloc == request.headers.get("host")


def page_rules(project) -> dict:
    """What the page scripts follow and the server decides (js/rules.js reads it): the project's
    media hosts as its Content-Security-Policy lists them, and where a Ranker item's text is."""
    return {
        "media_hosts": media_hosts(project["media_hosts"]) if project is not None else [],
        "item_text_keys": list(ITEM_TEXT_KEYS),
    }


def _page(
    request: Request, store, name: str, *, manage: bool = False, project_id: int | None = None, **context
):
    found = sessions.page_session(store, request.cookies.get(SESSION_COOKIE), project_id, manage=manage)
    if found is None:
        return RedirectResponse(f"/user/login?next={quote(request.url.path)}", status_code=303)
    project = found.project
    response = templates.TemplateResponse(
        request,
        name,
        {
            "user": found.user,
            "csrf": found.csrf,
            "project": project,
            "manager": can_manage_projects(found.user["role"]),
            "rules": page_rules(project),
            **context,
        },
    )
    if project is not None and project.get("media_hosts"):
        # the project's media hosts, and no others, for its images, audio and video
        response.headers["Content-Security-Policy"] = project_csp(project["media_hosts"])
    return response


def error_page(request: Request, status: int, detail: str):
    context = {"status": status, "detail": detail, "user": None, "csrf": None, "project": None}
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


@router.get("/")
def home(request: Request, store: StoreDep):
    signed_in = sessions.page_session(store, request.cookies.get(SESSION_COOKIE)) is not None
    return RedirectResponse("/projects" if signed_in else "/user/login", status_code=303)


@router.get("/user/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None):
    return templates.TemplateResponse(
        request, "login.html", {"next": _safe_next(next), "error": None, "user": None}
    )


@router.post("/user/login")
async def login(
    request: Request,
    store: StoreDep,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form(DEFAULT_NEXT),
):
    if not _same_origin(request):
        raise HTTPException(403, "Cross-site login refused.")
    address = request.client.host if request.client else ""
    outcome = await run_in_threadpool(sessions.log_in, store, email, password, address)
    if outcome.session is None:
        wait = outcome.wait
        context = {
            "next": _safe_next(next),
            "error": f"Too many failed logins: try again in {wait} seconds."
            if wait
            else "Wrong email or password.",
            "user": None,
            "email": email,
        }
        headers = {"Retry-After": str(wait)} if wait else None
        return templates.TemplateResponse(
            request, "login.html", context, status_code=429 if wait else 400, headers=headers
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        outcome.session[0],
        max_age=LIFETIME,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/user/logout")
def logout(request: Request, store: StoreDep, csrf_token: str = Form("")):
    if not sessions.log_out(store, request.cookies.get(SESSION_COOKIE), csrf_token):
        raise HTTPException(403, "CSRF token missing or incorrect.")
    response = RedirectResponse("/user/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/user/account", response_class=HTMLResponse)
def account(request: Request, store: StoreDep):
    return _page(request, store, "account.html")


@router.get("/projects", response_class=HTMLResponse)
def projects(request: Request, store: StoreDep):
    return _page(request, store, "projects.html")


@router.get("/projects/new", response_class=HTMLResponse)
def new_project(request: Request, store: StoreDep):
    return _page(request, store, "project_new.html")


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(project_id: int, request: Request, store: StoreDep):
    return _page(request, store, "project.html", project_id=project_id)


@router.get("/projects/{project_id}/label", response_class=HTMLResponse)
def label(project_id: int, request: Request, store: StoreDep):
    return _page(request, store, "label.html", project_id=project_id)


@router.get("/projects/{project_id}/stats", response_class=HTMLResponse)
def stats_page(project_id: int, request: Request, store: StoreDep):
    """Every member's: the API gives annotators the project-wide figures and their own row."""
    return _page(request, store, "stats.html", project_id=project_id)


@router.get("/projects/{project_id}/{section}", response_class=HTMLResponse)
def project_section(project_id: int, section: str, request: Request, store: StoreDep):
    if section not in ("settings", "import", "export"):
        raise HTTPException(404, "Not found.")
    return _page(request, store, f"{section}.html", project_id=project_id, manage=True)


@router.get("/projects/{project_id}/tasks/{task_id}", response_class=HTMLResponse)
def task_page(project_id: int, task_id: int, request: Request, store: StoreDep):
    return _page(request, store, "task.html", project_id=project_id, task_id=task_id)
