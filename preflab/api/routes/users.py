"""Users and API tokens (``services.users``). Owners manage users; everyone sees the list (as in
Label Studio)."""

from fastapi import APIRouter, HTTPException, Request

from ...services import users
from ..deps import StoreDep, UserDep, session_user
from ..jsonresponse import JSONResponse
from ..render import user_json
from ..schemas import UserIn, UserPatch

router = APIRouter(tags=["users"])


@router.get("/api/users")
def list_users(user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse([user_json(u) for u in users.listed(store)])


@router.post("/api/users", status_code=201)
def create_user(body: UserIn, user: UserDep, store: StoreDep) -> JSONResponse:
    """Create a user. The answer carries the new user's API token, shown this once."""
    new = users.create(
        store,
        user,
        body.email,
        role=body.role,
        password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
        username=body.username,
    )
    return JSONResponse({**user_json(new.user), "token": new.token}, status_code=201)


@router.get("/api/users/{user_id}")
def get_user(user_id: int, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(user_json(users.get(store, user_id)))


@router.patch("/api/users/{user_id}")
def update_user(user_id: int, body: UserPatch, user: UserDep, store: StoreDep) -> JSONResponse:
    return JSONResponse(user_json(users.update(store, user, user_id, body.given())))


@router.post("/api/current-user/reset-token")
def reset_token(user: UserDep, store: StoreDep) -> JSONResponse:
    """Replace the caller's API token; the new one is shown this once."""
    return JSONResponse({"token": users.reset_token(store, user)})


@router.get("/api/current-user/session")
def current_session(request: Request, store: StoreDep) -> JSONResponse:
    """The browser session's user id and CSRF token, for a page whose token went stale (the user
    logged in again in another tab). 401 when the cookie holds no live session."""
    found = session_user(request, store)
    if found is None:
        raise HTTPException(401, "No live session: log in again.", headers={"WWW-Authenticate": "Token"})
    user, csrf = found
    return JSONResponse({"user_id": user["id"], "csrf_token": csrf})
