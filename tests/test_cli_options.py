"""The flags of ``preflab train`` and ``preflab generate`` are derived from their config
dataclasses (``preflab.cli.options``): every field has a flag, a flag's value reaches the config,
and the flags the commands had before the derivation keep their names, types, bounds and defaults."""

from __future__ import annotations

import re
from dataclasses import fields

import click
import pytest
from click.testing import CliRunner

from preflab.cli.main import cli
from preflab.cli.options import config_from, config_options
from preflab.generate.config import GenerateConfig
from preflab.train.config import TrainConfig

# every field set to a value other than its default, through its flag
TRAIN_ARGS = [
    "--model", "ckpt", "-o", "out", "--max-length", "64", "--eval-fraction", "0.2", "--split-seed", "3",
    "--seed", "7", "--epochs", "2.5", "--batch-size", "4", "--gradient-accumulation-steps", "2",
    "--lr", "1e-4", "--warmup-fraction", "0.1", "--weight-decay", "0.01", "--max-steps", "5",
    "--gradient-checkpointing", "on", "--precision", "fp32", "--no-group-by-length",
    "--pad-to-multiple-of", "16", "--center-rewards-coefficient", "0.01", "--no-use-margin", "--no-use-confidence",
    "--save-steps", "10", "--no-resume", "--logging-steps", "3", "--trl-defaults",
]  # fmt: skip
TRAIN_EXPECTED = TrainConfig(
    model="ckpt", output_dir="out", max_length=64, eval_fraction=0.2, split_seed=3, seed=7, epochs=2.5,
    batch_size=4, gradient_accumulation_steps=2, learning_rate=1e-4, warmup_fraction=0.1,
    weight_decay=0.01, max_steps=5, gradient_checkpointing="on", precision="fp32", group_by_length=False,
    pad_to_multiple_of=16, center_rewards_coefficient=0.01, use_margin=False, use_confidence=False, save_steps=10, resume=False,
    logging_steps=3, trl_defaults=True,
)  # fmt: skip
GENERATE_ARGS = [
    "-m", "a", "--model", "b", "--model", "c", "-n", "3", "--temperature", "0.5", "--top-p", "0.9",
    "--max-tokens", "64", "--seed", "1", "--system", "Be brief.", "--endpoint", "completions",
    "--base-url", "http://127.0.0.1:9/v1", "--api-key", "k", "--stream", "--timeout", "5",
    "--concurrency", "2", "--max-retries", "1", "--retry-delay", "0.5", "--identical-retries", "0",
    "--drop-identical", "--batch-size", "2", "--device", "cpu",
]  # fmt: skip
GENERATE_EXPECTED = GenerateConfig(
    models=["a", "b", "c"], candidates=3, temperature=0.5, top_p=0.9, max_tokens=64, seed=1,
    system="Be brief.", endpoint="completions", base_url="http://127.0.0.1:9/v1", api_key="k", stream=True,
    timeout=5.0, concurrency=2, max_retries=1, retry_delay=0.5, identical_retries=0, drop_identical=True,
    batch_size=2, device="cpu",
)  # fmt: skip

# the option rows of `--help` before the flags were derived (flag and metavar, [extra]); new
# fields add rows, none of these may change
TRAIN_BEFORE = [
    ("--model TEXT", "required"), ("-o, --output DIRECTORY", "required"), ("--epochs FLOAT", "default: 1.0"),
    ("--batch-size INTEGER RANGE", "default: 16; x>=1"), ("--max-length INTEGER RANGE", "default: 512; x>=16"),
    ("--lr FLOAT", ""), ("--eval-fraction FLOAT RANGE", "default: 0.1; 0<=x<=0.9"),
    ("--split-seed INTEGER", "default: 0"), ("--seed INTEGER", "default: 42"),
    ("--max-steps INTEGER", "default: -1"), ("--gradient-accumulation-steps INTEGER RANGE", "default: 1; x>=1"),
    ("--gradient-checkpointing [auto|on|off]", "default: auto"),
    ("--precision [auto|bf16|fp16|fp32]", "default: auto"), ("--save-steps INTEGER RANGE", "default: 200; x>=1"),
    ("--resume / --no-resume", "default: resume"), ("--trl-defaults", ""),
    ("--data-dir DIRECTORY", "default: preflab-data"), ("--help", ""),
]  # fmt: skip
GENERATE_BEFORE = [
    ("-o, --output FILE", ""), ("--project INTEGER", ""), ("--template TEXT", ""), ("--config FILE", ""),
    ("--title TEXT", ""), ("--overlap INTEGER RANGE", "default: 1; 1<=x<=1000"), ("--user TEXT", ""),
    ("-m, --model TEXT", "required"), ("-n, --candidates INTEGER RANGE", "default: 2; 1<=x<=26"),
    ("--temperature FLOAT RANGE", "default: 0.8; 0<=x<=2"), ("--top-p FLOAT RANGE", "default: 1.0; 0<x<=1"),
    ("--max-tokens INTEGER RANGE", "default: 512; x>=1"), ("--seed INTEGER", ""), ("--system TEXT", ""),
    ("--endpoint [chat|completions]", "default: chat"), ("--base-url TEXT", ""), ("--api-key TEXT", ""),
    ("--stream / --no-stream", "default: no-stream"), ("--timeout FLOAT RANGE", "default: 120.0; x>0"),
    ("--concurrency INTEGER RANGE", "default: 8; 1<=x<=4096"),
    ("--max-retries INTEGER RANGE", "default: 6; 0<=x<=100"),
    ("--retry-delay FLOAT RANGE", "default: 1.0; x>=0"),
    ("--identical-retries INTEGER RANGE", "default: 2; 0<=x<=20"), ("--drop-identical", ""),
    ("--batch-size INTEGER RANGE", "default: 8; x>=1"), ("--device TEXT", "default: auto"),
    ("--data-dir DIRECTORY", "default: preflab-data"), ("--help", ""),
]  # fmt: skip
CASES = [
    ("train", TrainConfig, TRAIN_ARGS, TRAIN_EXPECTED, TRAIN_BEFORE),
    ("generate", GenerateConfig, GENERATE_ARGS, GENERATE_EXPECTED, GENERATE_BEFORE),
]
IDS = ["train", "generate"]


def help_rows(command: click.Command) -> dict[str, str]:
    """Each option's `--help` row: flags and metavar -> (help text, [extra])."""
    ctx = click.Context(command, info_name=command.name)
    return dict(p.get_help_record(ctx) for p in command.get_params(ctx) if isinstance(p, click.Option))


@pytest.mark.parametrize(("name", "cls", "args", "expected", "before"), CASES, ids=IDS)
def test_every_config_field_is_a_flag_of_its_command(name, cls, args, expected, before):
    params = {p.name: p for p in cli.commands[name].params}
    for f in fields(cls):
        assert f.name in params, f"{cls.__name__}.{f.name} has no flag on preflab {name}"
        assert params[f.name].help.startswith(f.metadata["help"])


@pytest.mark.parametrize(("name", "cls", "args", "expected", "before"), CASES, ids=IDS)
def test_the_flags_from_before_are_unchanged(name, cls, args, expected, before):
    rows = help_rows(cli.commands[name])
    for flag, extra in before:
        assert flag in rows, f"preflab {name} lost {flag}"
        shown = re.search(r"\[([^\]]*)\]$", rows[flag])
        assert (shown.group(1) if shown else "") == extra, flag


@pytest.mark.parametrize(("name", "cls", "args", "expected", "before"), CASES, ids=IDS)
def test_each_flag_value_reaches_the_config(name, cls, args, expected, before):
    unchanged = [f.name for f in fields(cls) if getattr(expected, f.name) == f.default]
    assert unchanged == [], "the test sets every field to a value other than its default"
    built = []

    @click.command()
    @config_options(cls)
    def command(**values):
        built.append(config_from(cls, values))
        assert values == {}, "config_from takes every field's value"

    result = CliRunner().invoke(command, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert built == [expected]


def test_the_train_command_hands_its_flags_to_train(monkeypatch, tmp_path):
    from preflab.train import trainer

    seen = []
    monkeypatch.setattr(trainer, "train", lambda config, loaded, source: seen.append(config) or {})
    source = tmp_path / "prefs.jsonl"
    source.write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n')
    result = CliRunner().invoke(cli, ["train", str(source), *TRAIN_ARGS], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert seen == [TRAIN_EXPECTED]


def test_the_generate_command_hands_its_flags_to_generate(monkeypatch, tmp_path):
    from preflab.generate import runner
    from preflab.generate.backends import Fatal

    seen = []

    def stop(items, config, journal, **_):
        seen.append(config)
        raise Fatal("stopped by the test")

    monkeypatch.setattr(runner, "generate", stop)
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a prompt\n")
    argv = ["generate", str(prompts), "-o", str(tmp_path / "out.jsonl"), *GENERATE_ARGS]
    result = CliRunner().invoke(cli, argv, env={"OPENAI_API_KEY": None}, catch_exceptions=False)
    assert "stopped by the test" in result.output
    assert seen == [GENERATE_EXPECTED]


def test_an_env_var_supplies_its_field():
    built = []

    @click.command()
    @config_options(GenerateConfig)
    def command(**values):
        built.append(config_from(GenerateConfig, values))

    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "from-env"}
    result = CliRunner().invoke(command, ["-m", "a"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (built[0].base_url, built[0].api_key) == ("http://127.0.0.1:9/v1", "from-env")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "Invalid value for '--batch-size'"),
        (["--precision", "fp8"], "Invalid value for '--precision'"),
        (["--eval-fraction", "0.95"], "Invalid value for '--eval-fraction'"),
    ],
)
def test_a_flag_out_of_its_bounds_is_refused(args, message, tmp_path):
    source = tmp_path / "prefs.jsonl"
    source.write_text("")
    result = CliRunner().invoke(cli, ["train", str(source), "--model", "m", "-o", str(tmp_path / "o"), *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "o").exists()
