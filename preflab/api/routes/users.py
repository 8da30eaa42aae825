"""Users and API tokens. Owners manage users; everyone sees the list (as in Label Studio)."""

from fastapi import APIRouter, HTTPException, Request

from ...domain.roles import can_manage_users
from ...store import users as user_store
from ..deps import StoreDep, UserDep, session_user
from ..jsonresponse import JSONResponse
from ..render import user_json
from ..schemas import UserIn, UserPatch

router = APIRouter(tags=["users"])


def _require_owner(user) -> None:
    if not can_manage_users(user["role"]):
        raise HTTPException(403, "Only an owner may manage users.")


@router.get("/api/users")
def list_users(user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        return JSONResponse([user_json(u) for u in user_store.all(conn)])


@router.post("/api/users", status_code=201)
def create_user(body: UserIn, user: UserDep, store: StoreDep) -> JSONResponse:
    """Create a user. The answer carries the new user's API token, shown this once."""
    _require_owner(user)
    password_hash = user_store.hash_password(body.password) if body.password else None
    with store.write() as conn:
        created, token = user_store.create(
            conn,
            body.email,
            role=body.role,
            password_hash=password_hash,
            first_name=body.first_name,
            last_name=body.last_name,
            username=body.username,
        )
    return JSONResponse({**user_json(created), "token": token}, status_code=201)


@router.get("/api/users/{user_id}")
def get_user(user_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    with store.read() as conn:
        found = user_store.get(conn, user_id)
    if found is None:
        raise HTTPException(404, "Not found.")
    return JSONResponse(user_json(found))


@router.patch("/api/users/{user_id}")
def update_user(user_id: int, body: UserPatch, user: UserDep, store: StoreDep) -> JSONResponse:
    fields = body.given()
    if user_id != user["id"] or {"role", "is_active"} & fields.keys():
        _require_owner(user)
    with store.write() as conn:
        if user_store.get(conn, user_id) is None:
            raise HTTPException(404, "Not found.")
        user_store.update_fields(conn, user_id, **fields)
        return JSONResponse(user_json(user_store.get(conn, user_id)))


@router.post("/api/current-user/reset-token")
def reset_token(user: UserDep, store: StoreDep) -> JSONResponse:
    """Replace the caller's API token; the new one is shown this once."""
    with store.write() as conn:
        return JSONResponse({"token": user_store.reset_token(conn, user["id"])})


@router.get("/api/current-user/session")
def current_session(request: Request, store: StoreDep) -> JSONResponse:
    """The browser session's user id and CSRF token, for a page whose token went stale (the user
    logged in again in another tab). 401 when the cookie holds no live session."""
    found = session_user(request, store)
    if found is None:
        raise HTTPException(401, "No live session: log in again.", headers={"WWW-Authenticate": "Token"})
    user, csrf = found
    return JSONResponse({"user_id": user["id"], "csrf_token": csrf})
