"""The documentation covers every CLI command, every setting and every API route."""

import re
from pathlib import Path

import pytest

from preflab.cli import docs

ROOT = Path(__file__).parent.parent
API_DOC = (ROOT / "docs" / "api.md").read_text()


@pytest.mark.parametrize("path", sorted(docs.BLOCKS))
def test_the_generated_cli_reference_is_what_the_docs_say(path):
    """README.md's command and settings tables and docs/cli.md's reference are generated from
    the commands' --help and from Settings; rerun ``python -m preflab.cli.docs`` after a change."""
    text = (ROOT / path).read_text()
    assert docs.render(text, docs.BLOCKS[path], path) == text, f"{path} is out of date"


def test_the_reference_lists_every_command_with_its_full_help():
    names = [e.name for e in docs.entries()]
    assert {"start", "user create", "model import-gguf", "train", "generate"} <= set(names)
    reference = docs.reference()
    for e in docs.entries():
        assert f"### preflab {e.name}\n\n```text\nUsage: preflab {e.name} " in reference
    assert "--gradient-accumulation-steps" in reference and "Env: OPENAI_API_KEY." in reference


def test_a_stale_block_is_found_and_rewritten(tmp_path):
    for path in docs.BLOCKS:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text((ROOT / path).read_text())
    readme = tmp_path / "README.md"
    readme.write_text(readme.read_text().replace("Create a user and print their API token.", "Make a user."))
    assert docs.stale(tmp_path) == ["README.md"]
    with pytest.raises(ValueError, match="expected one <!-- BEGIN generated: commands -->"):
        docs.render("no block here", docs.BLOCKS["README.md"], "README.md")


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


def test_every_setting_has_a_description():
    from preflab.services.settings import Settings

    assert [n for n, f in Settings.model_fields.items() if not f.description] == []
