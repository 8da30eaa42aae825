"""preflab generate against an OpenAI-compatible server started on loopback by the test.

The stub (preflab/generate/stub.py) speaks the real wire format (JSON and server-sent events,
usage, /v1/models) and the real ``openai`` client talks to it over HTTP; it counts the requests
and the most in flight, and injects 429s, 500s, slow answers and bad keys.
"""

from __future__ import annotations

import json
import time

import orjson
import pytest
from click.testing import CliRunner

pytest.importorskip("openai")

from preflab.cli.main import cli
from preflab.generate import GenerateConfig, Journal, PromptError, generate, read_prompts
from preflab.generate.backends import backoff, retry_after
from preflab.generate.plan import assign_models, duplicate_slots
from preflab.generate.stub import StubServer
from tests.conftest import PAIRWISE


@pytest.fixture
def stub():
    with StubServer() as server:
        yield server


@pytest.fixture
def run(settings, stub):
    """``preflab generate`` on the test's database, pointed at the stub."""
    env = {"PREFLAB_DATA_DIR": str(settings.data_dir), "OPENAI_BASE_URL": None, "OPENAI_API_KEY": None}
    if settings.database_url:
        env["PREFLAB_DATABASE_URL"] = settings.database_url

    def invoke(prompts, *args, ok=True, key=None):
        argv = ["generate", str(prompts), "--base-url", stub.url, "--api-key", key or stub.key,
                "--retry-delay", "0.01", *map(str, args)]  # fmt: skip
        result = CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def write_txt(path, n, start=0):
    path.write_text("".join(f"prompt number {i}\n" for i in range(start, start + n)))
    return path


def rows_of(path):
    return orjson.loads(path.read_bytes())


# -- prompts files ---------------------------------------------------------------------------------


def test_prompts_files_of_every_kind(tmp_path):
    (tmp_path / "p.txt").write_text("\ufeffWhat is 2+2?\n\n  Name a colour.  \n")
    assert [p.text for p in read_prompts(tmp_path / "p.txt")] == ["What is 2+2?", "Name a colour."]
    (tmp_path / "p.json").write_text(
        json.dumps([{"prompt": "a", "id": 7, "topic": "math"}, {"data": {"prompt": "b"}}])
    )
    first, second = read_prompts(tmp_path / "p.json")
    assert (first.text, first.data, first.messages) == (
        "a",
        {"id": 7, "topic": "math"},
        [{"role": "user", "content": "a"}],
    )
    assert second.text == "b" and second.data == {}  # a Label Studio task is read as its data
    (tmp_path / "p.csv").write_text('prompt,source\n"multi\nline",forum\n')
    (tmp_path / "p.tsv").write_text("source\tprompt\nforum\thello\n")
    assert [(p.text, p.data) for p in read_prompts(tmp_path / "p.csv")] == [
        ("multi\nline", {"source": "forum"})
    ]
    assert [(p.text, p.data) for p in read_prompts(tmp_path / "p.tsv")] == [("hello", {"source": "forum"})]


def test_chat_histories_answer_the_last_user_turn_and_keep_a_transcript(tmp_path):
    chat = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Tell me a joke"},
        {"role": "assistant", "content": "an old reply that the candidates replace"},
    ]
    (tmp_path / "chats.jsonl").write_text(json.dumps({"messages": chat, "id": "c1"}) + "\n")
    (prompt,) = read_prompts(tmp_path / "chats.jsonl")
    assert prompt.is_chat and prompt.messages == chat[:4] and prompt.data == {"id": "c1"}
    assert prompt.text == "System: Be brief.\n\nUser: Hi\n\nAssistant: Hello!\n\nUser: Tell me a joke"


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("p.jsonl", '{"prompt": "ok"}\n{"text": "no prompt"}\n', 'p.jsonl: line 2: no "prompt"'),
        ("p.jsonl", '{"prompt": "ok"}\n{"prompt": \n', "p.jsonl: line 2: invalid JSON"),
        (
            "p.json",
            '[{"messages": [{"role": "assistant", "content": "x"}]}]',
            'item 1: "messages" has no user turn',
        ),
        ("p.json", '[{"messages": [{"role": "wizard", "content": "x"}]}]', "unknown role 'wizard'"),
        ("p.csv", "question\nwhat\n", 'p.csv: line 2: no "prompt"'),
        ("p.txt", "\n\n", "no prompts found"),
        ("p.md", "# hi", "unsupported file type '.md'"),
    ],
)
def test_bad_prompts_files_are_refused_before_any_request(tmp_path, run, stub, name, body, message):
    path = tmp_path / name
    path.write_text(body)
    with pytest.raises(PromptError, match=message.replace("(", r"\(")):
        read_prompts(path)
    result = run(path, "-o", tmp_path / "out.json", "--model", "stub-a", ok=False)
    assert result.exit_code == 1 and message in result.output
    assert stub.requests == 0 and stub.model_requests == 0


# -- rows ------------------------------------------------------------------------------------------


def test_txt_prompts_become_rows_of_the_seed_format(tmp_path, run, stub):
    out = tmp_path / "dataset.json"
    result = run(write_txt(tmp_path / "p.txt", 5), "-o", out, "--model", "stub-a", "--seed", "7",
                 "--temperature", "0.5", "--top-p", "0.9", "--max-tokens", "64")  # fmt: skip
    assert "5 generated" in result.output and "Wrote 5 rows" in result.output
    rows = rows_of(out)
    assert [r["prompt"] for r in rows] == [f"prompt number {i}" for i in range(5)]
    for row in rows:
        assert set(row) == {"prompt", "answer1", "answer2", "model1", "model2", "generation"}
        assert row["model1"] == row["model2"] == "stub-a"
        assert row["answer1"] != row["answer2"]  # two slots of one model get different seeds
        assert row["answer1"].startswith("stub-a answers: " + row["prompt"])
        gen = row["generation"]
        assert (gen["temperature"], gen["top_p"], gen["max_tokens"], gen["seed"]) == (0.5, 0.9, 64, 7)
    sent = stub.log[0]["body"]
    assert sent["temperature"] == 0.5 and sent["top_p"] == 0.9 and sent["max_tokens"] == 64
    assert sent["messages"] == [{"role": "user", "content": sent["messages"][0]["content"]}]
    assert len({e["seed"] for e in stub.log}) == 10  # every request its own seed
    # the dataset imports as it is (the human-preference template reads prompt, answer1, answer2)
    assert (tmp_path / "dataset.json.progress.jsonl").exists()


def test_jsonl_output_system_prompt_chat_rows_and_kept_fields(tmp_path, run, stub):
    chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "Joke?"}]  # fmt: skip
    src = tmp_path / "p.jsonl"
    src.write_text(
        json.dumps({"prompt": "plain", "id": 1}) + "\n" + json.dumps({"messages": chat, "id": 2}) + "\n"
    )
    out = tmp_path / "d.jsonl"
    run(src, "-o", out, "--model", "stub-b", "--system", "Be kind.", "-n", "3")
    plain, talk = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert plain["id"] == 1 and plain["prompt"] == "plain" and "messages" not in plain
    assert {"answer1", "answer2", "answer3", "model3"} <= set(plain)
    assert talk["id"] == 2 and talk["messages"] == chat
    assert talk["prompt"] == "User: Hi\n\nAssistant: Hello\n\nUser: Joke?"
    sent = [e["body"]["messages"] for e in stub.log if e["prompt"] == "Joke?"]
    assert len(sent) == 3 and sent[0] == [{"role": "system", "content": "Be kind."}, *chat]


def test_streaming_gives_the_same_answers_and_counts_tokens_from_usage(tmp_path, run, stub):
    src = write_txt(tmp_path / "p.txt", 4)
    plain = run(src, "-o", tmp_path / "a.json", "--model", "stub-a", "--seed", "3")
    streamed = run(src, "-o", tmp_path / "b.json", "--model", "stub-a", "--seed", "3", "--stream")
    assert rows_of(tmp_path / "a.json") == rows_of(tmp_path / "b.json")
    assert [e["stream"] for e in stub.log] == [False] * 8 + [True] * 8
    assert all(e["body"]["stream_options"] == {"include_usage": True} for e in stub.log[8:])
    tokens = sum(len(r[f"answer{i}"].split()) for r in rows_of(tmp_path / "a.json") for i in (1, 2))
    assert f"{tokens:,} tokens" in plain.output and f"{tokens:,} tokens" in streamed.output


def test_completions_endpoint_sends_the_prompt_text(tmp_path, run, stub):
    out = tmp_path / "d.json"
    run(
        write_txt(tmp_path / "p.txt", 2),
        "-o",
        out,
        "--model",
        "stub-a",
        "--endpoint",
        "completions",
        "--stream",
    )
    assert all(
        "messages" not in e["body"] and e["body"]["prompt"].startswith("prompt number") for e in stub.log
    )
    assert all(r["answer1"].startswith("stub-a answers: prompt number") for r in rows_of(out))


# -- errors, retries -------------------------------------------------------------------------------


def test_429_with_retry_after_and_500s_are_retried_until_they_succeed(tmp_path, run, stub):
    stub.fail(status=429, retry_after="1")
    stub.fail(status=500, times=2)
    stub.fail(status=503, retry_after="0")
    started = time.monotonic()
    result = run(write_txt(tmp_path / "p.txt", 3), "-o", tmp_path / "d.json", "--model", "stub-a",
                 "--concurrency", "1")  # fmt: skip
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured
    assert [e["status"] for e in stub.log[:4]] == [429, 500, 500, 503]
    assert stub.requests == 6 + 4 and "(4 retries)" in result.output
    assert len(rows_of(tmp_path / "d.json")) == 3


def test_slow_answers_time_out_and_are_retried(tmp_path, run, stub):
    stub.fail(slow=1.5)
    result = run(write_txt(tmp_path / "p.txt", 1), "-o", tmp_path / "d.json", "--model", "stub-a",
                 "--timeout", "0.4", "--concurrency", "1")  # fmt: skip
    assert "(1 retries)" in result.output and stub.requests == 3
    assert len(rows_of(tmp_path / "d.json")) == 1


def test_a_bad_key_stops_with_a_clear_error_and_no_generation_request(tmp_path, run, stub):
    result = run(write_txt(tmp_path / "p.txt", 3), "-o", tmp_path / "d.json", "--model", "stub-a",
                 key="sk-wrong", ok=False)  # fmt: skip
    assert result.exit_code == 1
    assert "authentication failed (401)" in result.output and "Incorrect API key" in result.output
    assert "--api-key" in result.output
    assert stub.requests == 0 and not (tmp_path / "d.json").exists()


def test_a_bad_key_found_mid_run_stops_the_run(tmp_path, stub):
    """A server without /v1/models auth (or a key revoked mid-run): the first 401 ends the run."""
    stub.fail(status=401, times=100)
    config = GenerateConfig(models=["stub-a"], base_url=stub.url, api_key=stub.key, retry_delay=0.01)
    from preflab.generate import Fatal

    with pytest.raises(Fatal, match=r"authentication failed \(401\)"):
        generate(read_prompts(write_txt(tmp_path / "p.txt", 20)), config, Journal(tmp_path / "j.jsonl"))
    assert stub.requests <= config.concurrency * 2  # no retries, and the other workers stopped


def test_a_missing_model_stops_with_a_clear_error(tmp_path, run, stub):
    result = run(write_txt(tmp_path / "p.txt", 3), "-o", tmp_path / "d.json", "--model", "gpt-nope", ok=False)
    assert result.exit_code == 1 and "'gpt-nope' is not served" in result.output
    assert "stub-a, stub-b" in result.output and stub.requests == 0


def test_a_404_from_the_endpoint_stops_the_run(tmp_path, stub):
    stub.listed = [*stub.models, "listed-but-gone"]  # listed by /v1/models, then refused
    config = GenerateConfig(models=["listed-but-gone"], base_url=stub.url, api_key=stub.key)
    from preflab.generate import Fatal

    with pytest.raises(Fatal, match=r"not found \(404\).*does not exist"):
        generate(read_prompts(write_txt(tmp_path / "p.txt", 1)), config, Journal(tmp_path / "j.jsonl"))


def test_a_refused_prompt_fails_alone_and_a_rerun_retries_only_it(tmp_path, run, stub):
    stub.fail(status=400, message="prompt too long")
    src = write_txt(tmp_path / "p.txt", 4)
    out = tmp_path / "d.json"
    result = run(src, "-o", out, "--model", "stub-a", "--concurrency", "1", ok=False)
    assert result.exit_code == 1 and "1 of 4 prompts failed" in result.output
    assert "prompt too long" in result.output and not out.exists()
    stub.reset_counts()
    result = run(src, "-o", out, "--model", "stub-a")
    assert "1 generated, 3 already done" in result.output and stub.requests == 2
    assert len(rows_of(out)) == 4


def test_retry_policy_reads_retry_after_and_backs_off_with_jitter():
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None
    waits = [backoff(a, 1.0) for a in range(8)]
    assert all(2**a / 2 <= w <= 2**a for a, w in enumerate(waits[:6]))
    assert waits[7] <= 60 and 2.0 <= backoff(0, 1.0, asked=2.0) <= 2.2


# -- resume ----------------------------------------------------------------------------------------


def test_a_rerun_makes_no_request_for_prompts_done(tmp_path, run, stub):
    out = tmp_path / "d.json"
    run(write_txt(tmp_path / "p.txt", 6), "-o", out, "--model", "stub-a")
    first = rows_of(out)
    stub.reset_counts()
    result = run(tmp_path / "p.txt", "-o", out, "--model", "stub-a", "--concurrency", "3", "--stream")
    assert stub.requests == 0 and stub.model_requests == 0
    assert "0 generated, 6 already done" in result.output and rows_of(out) == first
    # more prompts: only the new ones are asked for; new sampling settings generate anew
    write_txt(tmp_path / "p.txt", 10)
    run(tmp_path / "p.txt", "-o", out, "--model", "stub-a")
    assert stub.requests == 8 and rows_of(out)[:6] == first
    stub.reset_counts()
    run(tmp_path / "p.txt", "-o", out, "--model", "stub-a", "--temperature", "0.1")
    assert stub.requests == 20


def test_a_crashed_run_resumes_from_its_journal(tmp_path, run, stub):
    """The journal is written as prompts finish: after a crash (here: a torn last line and a
    prompt never journaled), a rerun asks only for what is missing."""
    src, out = write_txt(tmp_path / "p.txt", 5), tmp_path / "d.json"
    run(src, "-o", out, "--model", "stub-a")
    journal = tmp_path / "d.json.progress.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    assert len(lines) == 5
    journal.write_bytes(b"".join(lines[:3]) + lines[3][:40])  # two prompts lost, one line torn
    out.unlink()
    stub.reset_counts()
    result = run(src, "-o", out, "--model", "stub-a")
    assert "2 generated, 3 already done" in result.output and stub.requests == 4
    assert [r["prompt"] for r in rows_of(out)] == [f"prompt number {i}" for i in range(5)]
    entries = journal.read_bytes().splitlines()
    assert len(entries) == 6 and entries[3] == lines[3][:40]  # the torn line stays, on a line of its own
    assert len(Journal(journal).done) == 5


def test_duplicate_prompts_are_asked_once_and_keep_their_rows(tmp_path, run, stub):
    src = tmp_path / "p.jsonl"
    src.write_text("".join(json.dumps({"prompt": "same", "id": i}) + "\n" for i in range(3)))
    result = run(src, "-o", tmp_path / "d.json", "--model", "stub-a")
    assert stub.requests == 2 and "Prompts: 3 (1 distinct)" in result.output
    rows = rows_of(tmp_path / "d.json")
    assert [r["id"] for r in rows] == [0, 1, 2] and len({r["answer1"] for r in rows}) == 1


# -- concurrency -----------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 4])
def test_concurrency_limit_is_respected_and_used(tmp_path, run, stub, limit):
    stub.latency = 0.03
    run(write_txt(tmp_path / "p.txt", 12), "-o", tmp_path / "d.json", "--model", "stub-a",
        "--concurrency", limit, "--stream")  # fmt: skip
    assert stub.requests == 24 and stub.max_in_flight == limit


# -- several models, identical answers -------------------------------------------------------------


def test_several_models_are_assigned_to_slots_at_random_seeded_and_recorded(tmp_path, run, stub):
    src = write_txt(tmp_path / "p.txt", 200)
    run(src, "-o", tmp_path / "a.json", "--model", "stub-a", "--model", "stub-b", "--seed", "5",
        "--concurrency", "32")  # fmt: skip
    rows = rows_of(tmp_path / "a.json")
    for row in rows:
        assert {row["model1"], row["model2"]} == {"stub-a", "stub-b"}
        assert row["answer1"].startswith(row["model1"] + " answers") and row["answer2"].startswith(
            row["model2"]
        )
    first = sum(r["model1"] == "stub-a" for r in rows)
    assert 70 <= first <= 130  # balanced: each model in slot 1 about half the time
    asked = {(e["prompt"], e["model"]) for e in stub.log}
    assert asked == {(r["prompt"], m) for r in rows for m in ("stub-a", "stub-b")}
    # seeded: the same seed gives the same assignment, another seed another one
    run(src, "-o", tmp_path / "b.json", "--model", "stub-b", "--model", "stub-a", "--seed", "5")
    assert [r["model1"] for r in rows_of(tmp_path / "b.json")] == [r["model1"] for r in rows]
    config = GenerateConfig(models=["stub-a", "stub-b"], seed=6)
    other = [assign_models(r["generation"]["key"], config)[0] for r in rows]
    assert other != [r["model1"] for r in rows]


def test_three_models_two_slots_make_a_tournament(tmp_path, stub):
    stub.models.append("stub-c")
    config = GenerateConfig(
        models=["stub-a", "stub-b", "stub-c"], seed=1, base_url=stub.url, api_key=stub.key
    )
    outcome = generate(read_prompts(write_txt(tmp_path / "p.txt", 90)), config, Journal(tmp_path / "j.jsonl"))
    pairs = [frozenset((r["model1"], r["model2"])) for r in outcome.rows]
    assert all(len(p) == 2 for p in pairs) and len(set(pairs)) == 3
    with pytest.raises(ValueError, match="-n 3 needs at least 3 models"):
        GenerateConfig(models=["a", "b"], candidates=3)


def test_identical_answers_are_generated_again(tmp_path, run, stub):
    stub.answer = lambda model, prompt, seed, call: "Same." if call < 2 else f"Different {call}."
    result = run(write_txt(tmp_path / "p.txt", 3), "-o", tmp_path / "d.json", "--model", "stub-a")
    rows = rows_of(tmp_path / "d.json")
    assert all(r["answer1"] == "Same." and r["answer2"] == "Different 2." for r in rows)
    assert not any("identical" in r for r in rows)
    assert "3 regenerated, 0 prompts flagged" in result.output and stub.requests == 9


def test_answers_that_stay_identical_are_flagged_or_dropped(tmp_path, run, stub):
    stub.answer = lambda model, prompt, seed, call: (
        "  The  same\nanswer. " if call % 2 else "The same answer."
    )
    src = write_txt(tmp_path / "p.txt", 2)
    result = run(src, "-o", tmp_path / "d.json", "--model", "stub-a", "--identical-retries", "3")
    rows = rows_of(tmp_path / "d.json")
    assert all(r["identical"] is True for r in rows) and stub.requests == 2 * (2 + 3)
    assert "6 regenerated, 2 prompts flagged identical" in result.output
    result = run(
        src, "-o", tmp_path / "d.json", "--model", "stub-a", "--identical-retries", "3", "--drop-identical"
    )
    assert rows_of(tmp_path / "d.json") == [] and "(2 left out)" in result.output
    assert duplicate_slots(["a", "b", " a", "c", "b\n"]) == [2, 4]


# -- into a project --------------------------------------------------------------------------------


def _project(store, owner, config=PAIRWISE) -> int:
    from preflab.services.instance import create_project

    return create_project(store, title="Gen", label_config=config, user_id=owner.id)


def _tasks(store, project_id) -> list[dict]:
    from sqlalchemy import select

    from preflab.store.schema import tasks

    with store.read() as conn:
        rows = conn.execute(select(tasks.c.data).where(tasks.c.project_id == project_id).order_by(tasks.c.id))
        return [orjson.loads(r[0]) if isinstance(r[0], str | bytes) else r[0] for r in rows]


def test_project_import_once_and_not_twice(tmp_path, run, stub, store, owner):
    project_id = _project(store, owner)
    src = write_txt(tmp_path / "p.txt", 4)
    result = run(src, "--project", project_id, "--model", "stub-a", "--model", "stub-b", "--seed", "2")
    assert f"Imported 4 tasks into project {project_id}" in result.output
    data = _tasks(store, project_id)
    assert [d["prompt"] for d in data] == [f"prompt number {i}" for i in range(4)]
    assert all({d["model1"], d["model2"]} == {"stub-a", "stub-b"} for d in data)
    stub.reset_counts()
    result = run(src, "--project", project_id, "--model", "stub-a", "--model", "stub-b", "--seed", "2")
    assert stub.requests == 0 and "Nothing new to import" in result.output
    assert len(_tasks(store, project_id)) == 4
    write_txt(src, 6)  # two more prompts: only they are generated and imported
    result = run(src, "--project", project_id, "--model", "stub-a", "--model", "stub-b", "--seed", "2")
    assert "Imported 2 tasks" in result.output and len(_tasks(store, project_id)) == 6


def test_project_import_is_all_or_nothing(tmp_path, run, stub, store, owner):
    config = PAIRWISE.replace("<View>", '<View>\n  <Text name="context" value="$context"/>')
    project_id = _project(store, owner, config)
    src = tmp_path / "p.jsonl"
    src.write_text(json.dumps({"prompt": "a", "context": "c"}) + "\n" + json.dumps({"prompt": "b"}) + "\n")
    result = run(src, "--project", project_id, "--model", "stub-a", ok=False)
    assert result.exit_code == 1 and 'missing data key "context"' in result.output
    assert "Nothing was imported" in result.output and _tasks(store, project_id) == []
    # a failed prompt imports nothing either; the rerun asks only for it
    stub.reset_counts()
    src.write_text(
        json.dumps({"prompt": "c", "context": "c"})
        + "\n"
        + json.dumps({"prompt": "d", "context": "d"})
        + "\n"
    )
    stub.fail(status=400)
    result = run(src, "--project", project_id, "--model", "stub-a", "--concurrency", "1", ok=False)
    assert "nothing was imported" in result.output and _tasks(store, project_id) == []
    result = run(src, "--project", project_id, "--model", "stub-a")
    assert "Imported 2 tasks" in result.output and len(_tasks(store, project_id)) == 2
    assert stub.requests == 2 + 2 + 2  # round 1: the 400 and its slot partner, one good prompt; rerun: 2


@pytest.mark.parametrize("target", ["--project", "--template"])
def test_a_run_killed_between_the_import_and_its_journal_imports_nothing_again(
    tmp_path, run, stub, store, owner, monkeypatch, target
):
    from preflab.generate.journal import Journal as RealJournal
    from preflab.store.schema import projects

    record = RealJournal.record_import

    def killed(journal, project_id, created, keys):
        if keys:  # the import has committed: the process dies before the journal says so
            raise RuntimeError("killed")
        record(journal, project_id, created, keys)

    def project_ids():
        with store.read() as conn:
            return [r.id for r in conn.execute(projects.select().order_by(projects.c.id))]

    before = project_ids()
    args = (
        ["--project", _project(store, owner)] if target == "--project" else ["--template", "human-preference"]
    )
    src = write_txt(tmp_path / "p.txt", 3)
    monkeypatch.setattr(RealJournal, "record_import", killed)
    with pytest.raises(RuntimeError, match="killed"):
        run(src, *args, "--model", "stub-a")
    monkeypatch.setattr(RealJournal, "record_import", record)
    [project_id] = [p for p in project_ids() if p not in before] if target == "--template" else [args[1]]
    assert len(_tasks(store, project_id)) == 3
    stub.reset_counts()
    result = run(src, *args, "--model", "stub-a")
    assert f"Nothing new to import into project {project_id}: all 3 rows are there" in result.output
    assert len(_tasks(store, project_id)) == 3 and stub.requests == 0
    assert len(project_ids()) == len(before) + 1
    write_txt(src, 4)  # a new prompt still goes in, once
    assert "Imported 1 tasks" in run(src, *args, "--model", "stub-a").output
    assert len(_tasks(store, project_id)) == 4


def test_template_creates_the_project_once(tmp_path, run, stub, store, owner):
    from preflab.store.schema import projects

    def titles():
        with store.read() as conn:
            return [r.title for r in conn.execute(projects.select().order_by(projects.c.id))]

    src = write_txt(tmp_path / "p.txt", 3)
    result = run(src, "--template", "human-preference", "--title", "Candidates", "--model", "stub-a")
    assert "Imported 3 tasks into project" in result.output and "(created)" in result.output
    assert titles() == ["Candidates"]
    write_txt(src, 5)
    result = run(src, "--template", "human-preference", "--title", "Candidates", "--model", "stub-a")
    assert "Imported 2 tasks" in result.output and "(created)" not in result.output
    assert titles() == ["Candidates"]
    # a ranker config gets an items list; three answers from one model
    run(src, "--template", "llm-ranker", "-o", tmp_path / "r.json", "--model", "stub-a", "-n", "3")
    assert titles() == ["Candidates", "Generated: p.txt"]
    with store.read() as conn:
        ranker = conn.execute(projects.select().where(projects.c.title == "Generated: p.txt")).first().id
    items = _tasks(store, ranker)[0]["items"]
    assert [i["id"] for i in items] == ["answer1", "answer2", "answer3"]
    # a config the import refuses leaves no project behind
    bad = tmp_path / "bad.xml"
    bad.write_text(PAIRWISE.replace("<View>", '<View>\n  <Text name="context" value="$context"/>'))
    result = run(write_txt(tmp_path / "q.txt", 2), "--config", bad, "--model", "stub-a", ok=False)
    assert result.exit_code == 1 and titles() == ["Candidates", "Generated: p.txt"]


def test_a_generated_ranker_project_keeps_each_answers_model_for_the_leaderboard(
    tmp_path, run, stub, store, api
):
    from preflab.store.schema import projects

    stub.models.append("stub-c")
    src = write_txt(tmp_path / "p.txt", 4)
    models = ["--model", "stub-a", "--model", "stub-b", "--model", "stub-c"]
    run(src, "--template", "llm-ranker", "--title", "Ranked", *models, "-n", "3", "--seed", "1")
    with store.read() as conn:
        pid = conn.execute(projects.select().where(projects.c.title == "Ranked")).first().id
    task_list = api.get("/api/tasks", params={"project": pid}).json()
    task_list = task_list["tasks"] if isinstance(task_list, dict) else task_list
    assert len(task_list) == 4
    for task in task_list:
        data = task["data"]
        # the answer of stub-a first, then stub-b's, then stub-c's
        ranking = sorted(data["items"], key=lambda i: data[i["id"].replace("answer", "model")])
        result = [
            {
                "from_name": "rank",
                "to_name": "answers",
                "type": "ranker",
                "value": {"ranker": {"rank": [i["id"] for i in ranking]}},
            }
        ]
        assert api.post(f"/api/tasks/{task['id']}/annotations", json={"result": result}).status_code == 201
    board = api.get(f"/api/projects/{pid}/stats").json()["leaderboard"]
    assert [row["model"] for row in board] == ["stub-a", "stub-b", "stub-c"]
    assert [(row["wins"], row["losses"]) for row in board] == [(8, 0), (4, 4), (0, 8)]
    for task in task_list:
        items, data = task["data"]["items"], task["data"]
        assert [i["model"] for i in items] == [data["model1"], data["model2"], data["model3"]]


def test_options_that_contradict_each_other_are_refused(tmp_path, run, stub):
    src = write_txt(tmp_path / "p.txt", 1)
    assert "say where the rows go" in run(src, "--model", "stub-a", ok=False).output
    out = run(src, "-o", tmp_path / "d.csv", "--model", "stub-a", ok=False).output
    assert ".json or .jsonl" in out
    out = run(
        src, "-o", tmp_path / "d.json", "--model", "stub-a", "--model", "stub-b", "-n", "3", ok=False
    ).output
    assert "needs at least 3 models" in out
    out = run(src, "--project", "1", "--template", "llm-ranker", "--model", "stub-a", ok=False).output
    assert "pick one" in out
    assert stub.requests == 0
