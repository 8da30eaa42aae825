"""The library API checks what it is given at its boundary, by the rules the CLI applies: a bad
argument is refused with the CLI's message (naming the file, line or field) and changes nothing."""

import io
import re

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import preflab
from preflab.cli.main import cli
from preflab.services.errors import Invalid, NotFound
from preflab.store.schema import file_uploads, projects, tasks
from tests.conftest import PAIRWISE, seed_tasks


def _counts(store) -> tuple[int, int, int]:
    with store.read() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (projects, tasks, file_uploads)
        )


@pytest.fixture
def project(store, owner):
    return preflab.create_project(store, title="lib", label_config=PAIRWISE, user_id=owner.id)


def _cli_import(settings, project_id, path):
    env = {"PREFLAB_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["PREFLAB_DATABASE_URL"] = settings.database_url
    return CliRunner().invoke(cli, ["import", str(project_id), str(path)], env=env, catch_exceptions=False)


def test_a_bad_line_is_refused_by_the_library_as_by_the_cli(settings, store, owner, project, tmp_path):
    good, bad = orjson.dumps({"data": seed_tasks(1)[0]}), b'{"data": {"prompt": "p"}, "predictions": 5}'
    path = tmp_path / "tasks.jsonl"
    path.write_bytes(good + b"\n" + bad + b"\n")
    before = _counts(store)
    with path.open("rb") as f, pytest.raises(preflab.ImportFailed) as refused:
        preflab.import_tasks(store, project, [preflab.Source(name=path.name, stream=f)], user_id=owner.id)
    assert str(refused.value).startswith("tasks.jsonl: line 2: ")
    cli_result = _cli_import(settings, project, path)
    assert cli_result.exit_code == 1
    assert f"Error: {refused.value}\nNothing was imported." in cli_result.output
    assert _counts(store) == before


@pytest.mark.parametrize(
    ("project_id", "user_id", "message"),
    [
        (999, None, "there is no project 999"),
        ("1", None, "there is no project 1"),
        (None, 999, "there is no user 999"),
        (None, True, "there is no user True"),
    ],
)
def test_import_refuses_an_unknown_project_or_user(store, owner, project, project_id, user_id, message):
    before = _counts(store)
    source = preflab.Source(name="items", items=seed_tasks(2))
    with pytest.raises(preflab.ImportFailed, match=f"^{message}$"):
        preflab.import_tasks(store, project_id or project, [source], user_id=user_id or owner.id)
    assert _counts(store) == before


def test_the_cli_says_the_same_about_an_unknown_project(settings, store, owner, tmp_path):
    path = tmp_path / "tasks.json"
    path.write_bytes(orjson.dumps(seed_tasks(1)))
    result = _cli_import(settings, 999, path)
    assert result.exit_code == 1 and "Error: there is no project 999" in result.output


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("tasks.json", "each source must be a preflab.Source, got str"),
        (preflab.Source(name="x"), "x: give the source a stream or items, not both or neither"),
        (
            preflab.Source(name="x", items=[{}], stream=io.BytesIO(b"[]")),
            "x: give the source a stream or items, not both or neither",
        ),
        (preflab.Source(name="x", items={"prompt": "p"}), "x: items must be a list of tasks, got dict"),
        (preflab.Source(name="x.xml", stream=io.BytesIO(b"<a/>")), "x.xml: unsupported file type '.xml'"),
    ],
)
def test_import_refuses_a_malformed_source(store, owner, project, source, message):
    before = _counts(store)
    good = preflab.Source(name="good", items=seed_tasks(1))
    with pytest.raises(preflab.ImportFailed, match="^" + re.escape(message)):
        preflab.import_tasks(store, project, [good, source], user_id=owner.id)
    assert _counts(store) == before


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"title": 5}, Invalid, "title"),
        ({"title": "x" * 201}, Invalid, "title"),
        ({"label_config": None}, Invalid, "label_config"),
        ({"maximum_annotations": 0}, Invalid, "maximum_annotations"),
        ({"maximum_annotations": 1001}, Invalid, "maximum_annotations"),
        ({"maximum_annotations": True}, Invalid, "maximum_annotations"),
        ({"maximum_annotation": 3}, Invalid, "maximum_annotation"),
        ({"user_id": 999}, NotFound, None),
    ],
)
def test_create_project_refuses_what_the_cli_refuses(store, owner, fields, error, field):
    before = _counts(store)
    arguments = {"title": "t", "label_config": PAIRWISE, "user_id": owner.id, **fields}
    with pytest.raises(error) as refused:
        preflab.create_project(store, **arguments)
    assert getattr(refused.value, "field", None) == field
    assert _counts(store) == before


def test_create_project_refuses_a_bad_label_config(store, owner):
    before = _counts(store)
    with pytest.raises(ValueError, match="XML"):
        preflab.create_project(store, title="t", label_config="<View", user_id=owner.id)
    assert _counts(store) == before


def test_open_store_refuses_what_is_not_settings_or_a_folder(tmp_path):
    with pytest.raises(Invalid, match=re.escape("open_store takes a preflab.Settings, got str")):
        preflab.open_store(str(tmp_path))
    file = tmp_path / "a-file"
    file.write_text("keep me")
    with pytest.raises(Invalid, match="is a file") as refused:
        preflab.open_store(preflab.Settings(data_dir=file))
    assert refused.value.field == "data_dir" and file.read_text() == "keep me"
    with pytest.raises(Invalid, match="not a database URL: 'nonsense'"):
        preflab.open_store(preflab.Settings(data_dir=tmp_path / "d", database_url="nonsense"))
