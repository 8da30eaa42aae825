"""PREFERENCE_JSONL reads as it is into TRL: ``datasets.load_dataset("json")``, then one
``RewardTrainer`` step on a tiny model made from a config (nothing downloaded). Needs the
``train`` extra (torch, transformers, trl, datasets); skipped, saying so, without it."""

import pytest

torch = pytest.importorskip("torch", reason="needs the train extra: pip install 'preflab[train]'")
trl = pytest.importorskip("trl", reason="needs the train extra: pip install 'preflab[train]'")
datasets = pytest.importorskip("datasets", reason="needs the train extra: pip install 'preflab[train]'")

from preflab import gallery  # noqa: E402
from tests.tiny_models import tiny_bert, tiny_llama  # noqa: E402


def tiny_model(folder):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tiny_bert(folder, hidden=16, layers=1, eos="[SEP]")
    return AutoModelForSequenceClassification.from_pretrained(
        folder, num_labels=1
    ), AutoTokenizer.from_pretrained(folder)


def pick(side):
    return {
        "from_name": "comparison",
        "to_name": "answer1,answer2",
        "type": "pairwise",
        "value": {"selected": side},
    }


def test_reward_trainer_takes_the_export_as_it_is(api, tmp_path):
    config = gallery.template("pairwise-tie-strength").config
    pid = api.post("/api/projects", json={"title": "trl", "label_config": config}).json()["id"]
    tasks = [
        {
            "prompt": f"what is {i} of {i + 1}",
            "answer1": f"the answer is good {i}",
            "answer2": f"the answer is bad {i}",
        }
        for i in range(8)
    ]
    ids = api.post(f"/api/projects/{pid}/import", json=tasks).json()["task_ids"]
    for n, tid in enumerate(ids):
        strength = {
            "from_name": "strength",
            "to_name": "prompt",
            "type": "rating",
            "value": {"rating": 1 + n % 3},
        }
        body = {
            "result": [pick("left" if n % 4 else "right"), strength],
            "shown_order": ["answer2", "answer1"],
        }
        assert api.post(f"/api/tasks/{tid}/annotations", json=body).status_code == 201
    r = api.get(f"/api/projects/{pid}/export?exportType=PREFERENCE_JSONL")
    assert r.status_code == 200
    path = tmp_path / "prefs.jsonl"
    path.write_bytes(r.content)

    dataset = datasets.load_dataset("json", data_files=str(path), split="train")
    assert len(dataset) == 8 and {"prompt", "chosen", "rejected", "margin"} <= set(dataset.column_names)
    assert dataset[0]["chosen"] == "the answer is bad 0" and dataset[1]["chosen"] == "the answer is good 1"

    model, tokenizer = tiny_model(tmp_path / "tiny")
    args = trl.RewardConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=1,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        use_cpu=True,
        max_length=64,
    )
    before = [p.detach().clone() for p in model.parameters()]
    trainer = trl.RewardTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    result = trainer.train()
    assert result.global_step == 1 and torch.isfinite(torch.tensor(result.training_loss))
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters(), strict=True))


def tiny_causal_lm(folder):
    from transformers import AutoTokenizer, LlamaForCausalLM

    tiny_llama(folder, hidden=16, layers=1)  # the reference model is loaded from here too
    return LlamaForCausalLM.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)


def test_dpo_trainer_takes_the_export_as_it_is(api, tmp_path):
    config = gallery.template("human-preference").config
    pid = api.post("/api/projects", json={"title": "dpo", "label_config": config}).json()["id"]
    tasks = [
        {"prompt": f"what is {i} ", "answer1": f"the answer is good {i}", "answer2": f"the answer is bad {i}"}
        for i in range(4)
    ]
    ids = api.post(f"/api/projects/{pid}/import", json=tasks).json()["task_ids"]
    for tid in ids:
        assert api.post(f"/api/tasks/{tid}/annotations", json={"result": [pick("left")]}).status_code == 201
    path = tmp_path / "prefs.jsonl"
    path.write_bytes(api.get(f"/api/projects/{pid}/export?exportType=preference-jsonl").content)
    dataset = datasets.load_dataset("json", data_files=str(path), split="train")
    model, tokenizer = tiny_causal_lm(tmp_path / "lm")
    args = trl.DPOConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=1,
        per_device_train_batch_size=4,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        max_length=32,
    )
    trainer = trl.DPOTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    result = trainer.train()
    assert result.global_step == 1 and torch.isfinite(torch.tensor(result.training_loss))
