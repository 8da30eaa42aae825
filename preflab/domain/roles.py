"""Who may do what. Pure code: roles and project visibility rules."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"  # runs the instance: manages users and every project
    MANAGER = "manager"  # creates and configures projects, imports, exports, reviews
    ANNOTATOR = "annotator"  # labels: next task, submit, update own annotations, skip


def can_manage_projects(role: str) -> bool:
    return role in (Role.OWNER, Role.MANAGER)


def can_manage_users(role: str) -> bool:
    return role == Role.OWNER


def can_see_project(role: str, *, restricted: bool, is_member: bool) -> bool:
    """As in Label Studio Community, every user sees every project, unless the project restricts
    itself to its member list; owners always see everything."""
    return role == Role.OWNER or not restricted or is_member


def can_see_all_annotations(role: str) -> bool:
    return can_manage_projects(role)
