"""``POST /api/projects/{id}/validate`` and the same check on a ``PATCH`` of ``label_config``: a
config that would orphan the project's annotations or read data its tasks lack is refused (400)
with the names involved; results of tags the labeling page does not draw survive import → export."""

import orjson

from preflab.domain.labelconfig import orphans, parse, result_usage
from tests.conftest import PAIRWISE, pick

VERDICT = """<View>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="answer1,answer2"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
  <Choices name="verdict" toName="prompt">{choices}</Choices>
</View>"""
BOTH = VERDICT.format(choices='<Choice value="Tie"/><Choice value="Both bad"/>')
TIE_ONLY = VERDICT.format(choices='<Choice value="Tie"/>')
NO_PAIRWISE = """<View>
  <Text name="prompt" value="$prompt"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
  <Choices name="verdict" toName="prompt"><Choice value="Tie"/><Choice value="Both bad"/></Choices>
</View>"""


def verdict(value: str) -> dict:
    return {"from_name": "verdict", "to_name": "prompt", "type": "choices", "value": {"choices": [value]}}


# --- the pure comparison ---


def test_result_usage_collects_controls_and_option_values():
    result = [
        *pick(),
        verdict("Tie"),
        {
            "from_name": "box",
            "to_name": "img",
            "type": "rectanglelabels",
            "value": {"x": 1, "rectanglelabels": ["Car"]},
        },
        {
            "from_name": "tax",
            "to_name": "t",
            "type": "taxonomy",
            "value": {"taxonomy": [["Eukarya", "Human"]]},
        },
        {"type": "relation", "from_id": "a", "to_id": "b"},
        "junk",
    ]
    assert result_usage(result) == {
        ("comparison", "pairwise"): set(),
        ("verdict", "choices"): {"Tie"},
        ("box", "rectanglelabels"): {"Car"},
        ("tax", "taxonomy"): {"Eukarya", "Human"},
    }
    assert result_usage("not a list") == {}


def test_orphans_names_dropped_controls_changed_types_and_missing_values():
    used = {("comparison", "pairwise", frozenset()), ("verdict", "choices", frozenset({"Tie", "Both bad"}))}
    assert orphans(parse(BOTH), used) == []
    assert orphans(parse(TIE_ONLY), used) == [
        'existing annotations use "Both bad" in name="verdict", which the new <Choices name="verdict"> no longer has'
    ]
    assert orphans(parse(NO_PAIRWISE), used) == [
        'existing annotations use name="comparison" (pairwise), which the new config does not have'
    ]
    retyped = BOTH.replace(
        '<Choices name="verdict" toName="prompt">', '<Taxonomy name="verdict" toName="prompt">'
    )
    retyped = retyped.replace("</Choices>", "</Taxonomy>")
    assert orphans(parse(retyped), used) == [
        'existing annotations of name="verdict" are choices results, but the new config makes it a <Taxonomy>'
    ]
    dynamic = VERDICT.format(choices="").replace('toName="prompt">', 'toName="prompt" value="$options">')
    assert orphans(parse(dynamic), used) == []  # options from the task accept any value


# --- over HTTP ---


def _project(api, config: str, tasks: list) -> int:
    project = api.post("/api/projects", json={"title": "v", "label_config": config}).json()["id"]
    r = api.post(f"/api/projects/{project}/import", json=tasks)
    assert r.status_code == 201, r.text
    return project


def _annotated(api, config: str = BOTH) -> tuple[int, int]:
    data = {"prompt": "p", "answer1": "a", "answer2": "b"}
    project = _project(api, config, [data, dict(data)])
    task = api.get(f"/api/projects/{project}/tasks").json()[0]["id"]
    r = api.post(f"/api/tasks/{task}/annotations", json={"result": [*pick(), verdict("Both bad")]})
    assert r.status_code == 201, r.text
    return project, task


def _errors(r) -> str:
    assert r.status_code == 400, r.text
    return r.json()["validation_errors"]["label_config"][0]


def test_validate_accepts_a_config_that_keeps_every_label(api):
    project, _ = _annotated(api)
    r = api.post(f"/api/projects/{project}/validate", json={"label_config": BOTH.replace("Tie", "Draw")})
    assert r.status_code == 200, r.text  # "Tie" is not used by any annotation: renaming it orphans nothing
    r = api.post(f"/api/projects/{project}/validate", json={"label_config": BOTH + "<!-- same -->"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["data_keys"] == ["prompt", "answer1", "answer2"]
    assert body["parsed_label_config"]["verdict"]["labels"] == ["Tie", "Both bad"]
    assert body["config_essential_data_has_changed"] is False
    more = BOTH.replace('<Choice value="Tie"/>', '<Choice value="Tie"/><Choice value="Unsure"/>')
    assert api.post(f"/api/projects/{project}/validate", json={"label_config": more}).json()[
        "config_essential_data_has_changed"
    ]


def test_validate_refuses_orphaning_configs_with_the_names(api):
    project, _ = _annotated(api)
    message = _errors(api.post(f"/api/projects/{project}/validate", json={"label_config": TIE_ONLY}))
    assert message == (
        'existing annotations use "Both bad" in name="verdict", which the new <Choices name="verdict"> no longer has'
    )
    message = _errors(api.post(f"/api/projects/{project}/validate", json={"label_config": NO_PAIRWISE}))
    assert 'name="comparison" (pairwise), which the new config does not have' in message
    reads_more = BOTH.replace(
        '<Text name="prompt" value="$prompt"/>', '<Text name="prompt" value="$question"/>'
    )
    message = _errors(api.post(f"/api/projects/{project}/validate", json={"label_config": reads_more}))
    first = api.get(f"/api/projects/{project}/tasks").json()[0]["id"]
    assert message == f'the config reads $question, but task {first} has no data key "question"'
    # an invalid config is refused as by POST /api/projects/validate
    assert "unknown tag <Blink>" in _errors(
        api.post(f"/api/projects/{project}/validate", json={"label_config": "<View><Blink/></View>"})
    )


def test_patch_is_guarded_by_the_same_check_and_changes_nothing_when_refused(api):
    project, _ = _annotated(api)
    r = api.patch(f"/api/projects/{project}", json={"label_config": TIE_ONLY})
    assert '"Both bad" in name="verdict"' in _errors(r)
    assert api.get(f"/api/projects/{project}").json()["label_config"] == BOTH
    r = api.patch(
        f"/api/projects/{project}",
        json={"label_config": BOTH.replace("</View>", "<Header value='x'/></View>")},
    )
    assert r.status_code == 200, r.text
    # a project without annotations takes any valid config its tasks can feed
    empty = _project(api, PAIRWISE, [{"prompt": "p", "answer1": "a", "answer2": "b"}])
    assert api.patch(f"/api/projects/{empty}", json={"label_config": NO_PAIRWISE}).status_code == 200


def test_a_later_task_lacking_a_key_is_found(api):
    rows = [
        {"prompt": "p", "answer1": "a", "answer2": "b", "extra": 1},
        {"prompt": "q", "answer1": "a", "answer2": "b"},
    ]
    project = _project(api, PAIRWISE, rows)
    second = api.get(f"/api/projects/{project}/tasks").json()[1]["id"]
    config = PAIRWISE.replace("</View>", '<Header value="$extra"/></View>')
    assert _errors(api.post(f"/api/projects/{project}/validate", json={"label_config": config})) == (
        f'the config reads $extra, but task {second} has no data key "extra"'
    )


IMAGE_CONFIG = """<View>
  <Image name="img" value="$image"/>
  <RectangleLabels name="box" toName="img"><Label value="Car"/><Label value="Person"/></RectangleLabels>
  <Choices name="quality" toName="img"><Choice value="Good"/><Choice value="Bad"/></Choices>
</View>"""


def test_results_of_undrawn_tags_round_trip_import_to_export_unchanged(api):
    result = [
        {
            "id": "r1",
            "from_name": "box",
            "to_name": "img",
            "type": "rectanglelabels",
            "original_width": 640,
            "original_height": 480,
            "image_rotation": 0,
            "value": {
                "x": 10.5,
                "y": 20.25,
                "width": 30,
                "height": 40,
                "rotation": 0,
                "rectanglelabels": ["Car"],
            },
        },
        {
            "id": "r2",
            "from_name": "quality",
            "to_name": "img",
            "type": "choices",
            "value": {"choices": ["Good"]},
        },
        {"type": "relation", "from_id": "r1", "to_id": "r2", "direction": "right"},
    ]
    task = {"data": {"image": "/data/upload/1/cat.png"}, "annotations": [{"result": result}]}
    project = _project(api, IMAGE_CONFIG, [task])
    exported = orjson.loads(api.get(f"/api/projects/{project}/export?exportType=JSON").content)
    assert exported[0]["data"] == task["data"]
    assert exported[0]["annotations"][0]["result"] == result
    # and the config check sees the labels they use
    dropped = IMAGE_CONFIG.replace('<Label value="Car"/>', "")
    assert '"Car" in name="box"' in _errors(
        api.post(f"/api/projects/{project}/validate", json={"label_config": dropped})
    )
