"""Version, health and the current user."""

from fastapi import APIRouter

from ...store.db import ping
from ..deps import StoreDep, UserDep
from ..jsonresponse import JSONResponse
from ..render import VERSION, user_json

router = APIRouter(tags=["system"])


@router.get("/api/version")
def version() -> JSONResponse:
    return JSONResponse(VERSION)


@router.get("/health")
def health(store: StoreDep) -> JSONResponse:
    ping(store)
    return JSONResponse({"status": "UP"})


@router.get("/api/current-user/whoami")
def whoami(user: UserDep) -> JSONResponse:
    return JSONResponse(user_json(user))


@router.get("/api/organizations/{org_id}")
def organization(org_id: int, user: UserDep) -> JSONResponse:
    return JSONResponse({"id": 1, "title": "preflab", "created_at": user["created_at"]})
