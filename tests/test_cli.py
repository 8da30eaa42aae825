import os
import re
import stat
import subprocess
import sys
import time

import httpx
import orjson
import pytest
from click.testing import CliRunner

from preflab.cli.main import cli
from tests.conftest import free_port, pick, seed_tasks


@pytest.fixture
def run(settings):
    """Invoke the CLI on the test's database (SQLite file or PostgreSQL) and data folder."""
    env = {"PREFLAB_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["PREFLAB_DATABASE_URL"] = settings.database_url

    def invoke(*args, ok=True):
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def test_scripted_setup_import_and_export(run, tmp_path, store):
    run("init")
    out = run(
        "user",
        "create",
        "ops@example.com",
        "--role",
        "owner",
        "--password",
        "longpassword",
        "--token",
        "t" * 40,
    ).output
    assert "t" * 40 in out
    generated = run("user", "create", "ann@example.com").output
    assert re.search(r"API token: [0-9a-f]{40}", generated)
    project_id = run("project", "create", "Prefs", "--overlap", "2").output.strip()
    data = tmp_path / "dataset.jsonl"
    data.write_bytes(b"\n".join(orjson.dumps(r) for r in seed_tasks(3)))
    assert "Imported 3 tasks" in run("import", project_id, str(data)).output
    assert "3 tasks, 0 labeled" in run("project", "list").output
    out_file = tmp_path / "out.json"
    run("export", project_id, "--all-tasks", "-o", str(out_file))
    assert [t["data"] for t in orjson.loads(out_file.read_bytes())] == seed_tasks(3)
    csv_out = run("export", project_id, "--format", "csv", "--all-tasks").output
    assert csv_out.startswith('"annotation_id","annotator","answer1"')
    assert "ops@example.com  owner" in run("user", "list").output
    run("user", "set-password", "ops@example.com", "--password", "a-new-password")
    from preflab.store import users as user_store

    with store.read() as conn:
        row = user_store.by_email(conn, "ops@example.com")
    assert user_store.verify_password(row, "a-new-password")
    assert not user_store.verify_password(row, "longpassword")


def test_bad_import_exits_nonzero_and_imports_nothing(run, tmp_path):
    run("init")
    run("user", "create", "ops@example.com", "--role", "owner")
    project_id = run("project", "create", "Prefs").output.strip()
    bad = tmp_path / "bad.csv"
    bad.write_text("prompt,answer1,answer2\np,a,b\np,a\n")
    result = run("import", project_id, str(bad), ok=False)
    assert result.exit_code == 1
    assert "bad.csv: line 3: expected 3 fields" in result.output and "Nothing was imported" in result.output
    assert "0 tasks" in run("project", "list").output


def test_user_errors_are_clear(run):
    run("init")
    assert "no owner yet" in run("project", "create", "x", ok=False).output
    run("user", "create", "a@example.com", "--role", "owner")
    assert "exists already" in run("user", "create", "A@example.com", ok=False).output
    assert "unknown" not in run("user", "create", "b@example.com", "--role", "manager").output
    assert "no template 'nope'" in run("project", "create", "x", "--template", "nope", ok=False).output


@pytest.mark.parametrize(
    "command",
    [[], ["start"], ["serve"], ["init"], ["user", "create"], ["project", "create"], ["import"], ["export"]],
)
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert len(result.output.split("\n\n")[1].strip()) > 10  # a description, not just the usage line


def test_start_creates_admin_and_demo_then_reuses_them(tmp_path, settings):
    if settings.database_url:
        pytest.skip("`preflab start` is the embedded SQLite quick start")
    port = free_port()
    env = {**os.environ, "PREFLAB_DATA_DIR": str(tmp_path / "data")}
    env.pop("PREFLAB_DATABASE_URL", None)

    def start():
        return subprocess.Popen(
            [sys.executable, "-m", "preflab", "start", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_until_up():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health").json()
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("server did not start")

    first = start()
    try:
        wait_until_up()
    finally:
        first.terminate()
        output = first.communicate(timeout=10)[0]
    # stdout is a pipe here (as under a log collector): the secrets go to an owner-only file
    saved = tmp_path / "data" / "owner-credentials.txt"
    assert f"{saved}" in output and stat.S_IMODE(saved.stat().st_mode) == 0o600
    token = re.search(r"API token: ([0-9a-f]{40})", saved.read_text()).group(1)
    password = re.search(r"password:\s+(\S+)", saved.read_text()).group(1)
    assert token not in output and password not in output
    assert f"http://127.0.0.1:{port}" in output and "admin@preflab.local" in output and len(password) >= 12

    second = start()
    try:
        wait_until_up()
        headers = {"Authorization": f"Token {token}"}
        projects = httpx.get(f"http://127.0.0.1:{port}/api/projects", headers=headers).json()["results"]
        assert [p["task_number"] for p in projects] == [5]
        demo = projects[0]["id"]
        task = httpx.get(f"http://127.0.0.1:{port}/api/projects/{demo}/next", headers=headers).json()
        r = httpx.post(
            f"http://127.0.0.1:{port}/api/tasks/{task['id']}/annotations",
            headers=headers,
            json={"result": pick()},
        )
        assert r.status_code == 201
    finally:
        second.terminate()
        output = second.communicate(timeout=10)[0]
    assert "API token" not in output and "existing accounts" in output
