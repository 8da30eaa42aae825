"""HTML pages. They carry no data of their own beyond ids: the page scripts read the API with
the browser session (cookie + CSRF header), so every permission check is the API's."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ..api.deps import SESSION_COOKIE, StoreDep, same_secret, session_user
from ..domain.roles import can_manage_projects
from ..services.access import project_for
from ..store import logins as login_store
from ..store import sessions as session_store
from ..store import users as user_store
from ..store.sessions import LIFETIME
from .security import project_csp

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


def _page(
    request: Request, store, name: str, *, manage: bool = False, project_id: int | None = None, **context
):
    found = session_user(request, store)
    if found is None:
        return RedirectResponse(f"/user/login?next={quote(request.url.path)}", status_code=303)
    user, csrf = found
    project = None
    if project_id is not None:
        with store.read() as conn:
            project = project_for(conn, user, project_id, manage=manage)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "csrf": csrf,
            "project": project,
            "manager": can_manage_projects(user["role"]),
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
    return RedirectResponse("/projects" if session_user(request, store) else "/user/login", status_code=303)


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

    def check() -> tuple[tuple[str, str] | None, int | None]:
        """(session, None) on success, (None, seconds to wait) when rate-limited, else (None, None).
        The slow password hash runs outside any write transaction."""
        with store.read() as conn:
            wait = login_store.retry_after(conn, email, address)
            user = user_store.by_email(conn, email) if wait is None else None
        if wait is not None:
            return None, wait
        ok = user_store.verify_password(user, password)
        with store.write() as conn:
            if not ok:
                login_store.record_failure(conn, email, address)
                return None, None
            login_store.clear_pair(conn, email, address)
            return session_store.create(conn, user["id"]), None

    created, wait = await run_in_threadpool(check)
    if created is None:
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
        created[0],
        max_age=LIFETIME,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/user/logout")
def logout(request: Request, store: StoreDep, csrf_token: str = Form("")):
    found = session_user(request, store)
    if found is not None:
        if not same_secret(csrf_token, found[1]):
            raise HTTPException(403, "CSRF token missing or incorrect.")
        with store.write() as conn:
            session_store.end(conn, request.cookies[SESSION_COOKIE])
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
