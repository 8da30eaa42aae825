"""``preflab score`` and ``evaluate`` refuse a checkpoint that is not a one-score reward model
(its config, or transformers' report of weights it would initialise at random, says so) instead
of scoring with a random head; ``train`` still starts from any checkpoint."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from click.testing import CliRunner  # noqa: E402

from preflab.cli.main import cli  # noqa: E402
from preflab.train.model import ModelError, load_model, load_reward_model, load_tokenizer  # noqa: E402
from tests import tiny_models  # noqa: E402
from tests.conftest import PAIRWISE  # noqa: E402


def causal_lm(folder):
    return tiny_models.tiny_llama(folder)


def causal_lm_saying_one_label(folder):
    """A causal LM whose config claims one label: only the load report shows the missing head."""
    tiny_models.tiny_llama(folder)
    config = json.loads((folder / "config.json").read_text())
    config["id2label"], config["label2id"] = {"0": "LABEL_0"}, {"LABEL_0": 0}
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def base_encoder(folder):
    """A BERT encoder without any classification head, saved with a one-label config."""
    from transformers import AutoConfig, BertModel

    tiny_models.tiny_bert(folder)
    config = AutoConfig.from_pretrained(folder)
    for weights in folder.glob("*.safetensors"):
        weights.unlink()
    BertModel(config).save_pretrained(folder)
    return folder


def two_label_classifier(folder):
    from transformers import AutoConfig, BertForSequenceClassification

    tiny_models.tiny_bert(folder)
    config = AutoConfig.from_pretrained(folder)
    config.num_labels = 2
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder


NOT_REWARD_MODELS = {
    "causal LM": (causal_lm, "its config has 2 labels"),
    "causal LM, one-label config": (causal_lm_saying_one_label, "no trained weights for score.weight"),
    "base encoder": (base_encoder, "no trained weights for classifier.bias, classifier.weight"),
    "two-label classifier": (two_label_classifier, "its config has 2 labels"),
}


@pytest.fixture(params=list(NOT_REWARD_MODELS), ids=list(NOT_REWARD_MODELS))
def not_a_reward_model(request, tmp_path):
    build, why = NOT_REWARD_MODELS[request.param]
    return build(tmp_path / "checkpoint"), why


def test_loading_for_scoring_refuses_what_is_not_a_reward_model(not_a_reward_model):
    folder, why = not_a_reward_model
    with pytest.raises(ModelError, match="is not a reward model") as info:
        load_reward_model(folder)
    assert why in str(info.value)
    # training still starts from it, with a new one-score head
    model = load_model(folder, load_tokenizer(folder))
    assert model.config.num_labels == 1


def test_a_one_score_classifier_loads_for_scoring(tmp_path):
    model, _, _ = load_reward_model(tiny_models.tiny_bert(tmp_path / "rm"))
    assert model.config.num_labels == 1


def test_score_refuses_it_and_stores_no_prediction(not_a_reward_model, api, settings):
    folder, why = not_a_reward_model
    pid = api.post("/api/projects", json={"title": "P", "label_config": PAIRWISE}).json()["id"]
    rows = [{"prompt": "what is 1 of 2", "answer1": "the answer is good", "answer2": "the answer is evil"}]
    [task_id] = api.post(f"/api/projects/{pid}/import", json=rows).json()["task_ids"]
    before = api.get(f"/api/tasks/{task_id}").json()
    env = {"PREFLAB_DATABASE_URL": settings.database_url} if settings.database_url else {}
    result = CliRunner().invoke(
        cli, ["score", str(folder), "--project", str(pid), "--data-dir", str(settings.data_dir)], env=env
    )
    assert result.exit_code == 1
    assert "is not a reward model" in result.output and why in result.output
    after = api.get(f"/api/tasks/{task_id}").json()
    assert after["predictions"] == [] and after == before


def test_evaluate_refuses_it(not_a_reward_model, tmp_path):
    folder, why = not_a_reward_model
    data = tmp_path / "held_out.jsonl"
    data.write_text(json.dumps({"prompt": "p", "chosen": "good", "rejected": "evil"}) + "\n")
    result = CliRunner().invoke(cli, ["evaluate", str(folder), str(data)])
    assert result.exit_code == 1
    assert "is not a reward model" in result.output and why in result.output
