"""The documentation covers every CLI command and every API route."""

from pathlib import Path

import click
import pytest

from preflab.cli import cli

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


def test_every_api_route_is_documented(app):
    for path in app.openapi()["paths"]:
        documented = (
            path.replace("{project_id}", "{id}")
            .replace("{task_id}", "{id}")
            .replace("{annotation_id}", "{id}")
            .replace("{prediction_id}", "{id}")
            .replace("{draft_id}", "{id}")
            .replace("{view_id}", "{id}")
        )
        documented = (
            documented.replace("{user_id}", "{id}")
            .replace("{org_id}", "{id}")
            .replace("{export_id}", "{eid}")
        )
        assert documented.split("/{id}/members/")[0] in API_DOC, path


def test_every_setting_is_documented():
    from preflab.config import Settings

    for name, field in Settings.model_fields.items():
        assert f"PREFLAB_{name.upper()}" in README, name
        assert field.description, name
