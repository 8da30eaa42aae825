"""The documentation covers every CLI command and every API route."""

import re
from pathlib import Path

import click
import pytest

from preflab.cli.main import cli

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
API_DOC = (ROOT / "docs" / "api.md").read_text()


def commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name))


@pytest.mark.parametrize("command", sorted(commands(cli)))
def test_every_cli_command_is_in_the_readme(command):
    assert f"`preflab {command}" in README


METHODS = r"(?:GET|POST|PUT|PATCH|DELETE)"
ROUTE = re.compile(rf"({METHODS}(?:, {METHODS})*) (/\S*|…/\S*)")


def _route(path: str) -> str:
    """A path with its query string dropped and every ``{parameter}`` as ``{}``."""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])


def documented_routes(text: str) -> set[tuple[str, str]]:
    """(method, path) of each route in the first column of the API table: `GET, POST /api/x`, and
    `DELETE …/tail` for a tail of the path before it in the same row."""
    routes = set()
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        before = None
        for span in re.findall(r"`([^`]*)`", line.split("|")[1]):
            if not (match := ROUTE.fullmatch(span)):
                continue  # `?view=ID`: another query string of the route before
            methods, path = match.groups()
            if path.startswith("…"):
                tail = path[1:]
                path = before[: before.index("/" + tail.split("/")[1])] + tail
            before = path
            routes |= {(method, _route(path)) for method in methods.split(", ")}
    return routes


def test_every_api_route_is_documented_with_its_methods_and_no_other(app):
    served = {(m.upper(), _route(path)) for path, ops in app.openapi()["paths"].items() for m in ops}
    documented = documented_routes(API_DOC)
    assert sorted(served - documented) == [], "served but not in docs/api.md"
    assert sorted(documented - served) == [], "in docs/api.md but not served"


def test_the_route_table_is_read_with_methods_and_relative_tails():
    table = (
        "| `GET, POST /api/p/{id}/members`, `DELETE …/members/{user}` | x |\n"
        "| `GET /api/tasks?project=ID` (or `?view=ID`) | x |\n| `GET` alone is no route | x |"
    )
    assert documented_routes(table) == {
        ("GET", "/api/p/{}/members"),
        ("POST", "/api/p/{}/members"),
        ("DELETE", "/api/p/{}/members/{}"),
        ("GET", "/api/tasks"),
    }


def test_every_setting_is_documented():
    from preflab.services.settings import Settings

    for name, field in Settings.model_fields.items():
        assert f"PREFLAB_{name.upper()}" in README, name
        assert field.description, name
