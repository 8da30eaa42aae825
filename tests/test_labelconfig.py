import pytest

from preflab import gallery
from preflab.domain.labelconfig import LabelConfigError, parse
from tests.conftest import PAIRWISE, SEED_CONFIG


def test_seed_config_parses_like_label_studio():
    config = parse(SEED_CONFIG)
    assert config.parsed() == {
        "comparison": {
            "type": "Pairwise",
            "to_name": ["answer1", "answer2"],
            "inputs": [
                {"type": "Text", "valueType": None, "value": "answer1"},
                {"type": "Text", "valueType": None, "value": "answer2"},
            ],
            "labels": [],
            "labels_attrs": {},
        }
    }
    assert config.control_weights() == {"comparison": {"overall": 1.0, "type": "Pairwise", "labels": {}}}
    assert config.data_keys == ["prompt", "answer1", "answer2"]
    assert config.sample_data()["prompt"].startswith("What are the key benefits")


@pytest.mark.parametrize("template", gallery.TEMPLATES, ids=lambda t: t.key)
def test_every_gallery_template_is_valid_and_its_sample_fits(template):
    config = parse(template.config)
    assert config.controls
    sample = config.sample_data()
    assert sample is not None and config.missing_keys(sample) == []


def test_choices_labels_are_reported():
    config = parse(gallery.template("pairwise-tie-strength").config)
    verdict = config.parsed()["verdict"]
    assert verdict["labels"] == ["Tie", "Both bad"]
    assert verdict["labels_attrs"]["Tie"] == {"value": "Tie", "hotkey": "t"}
    assert config.control_weights()["verdict"]["labels"] == {"Tie": 1.0, "Both bad": 1.0}


def test_unknown_to_name_is_reported_as_label_studio_does():
    xml = '<View><Text name="c" value="$c"/><Choices name="x" toName="a"><Choice value="y"/></Choices></View>'
    with pytest.raises(LabelConfigError, match=r"toName=\"a\" not found in names: \['c'\]"):
        parse(xml)


@pytest.mark.parametrize(
    "xml, message",
    [
        ("", "empty"),
        ("<View><Text name='a' value='$a'></View>", "not well-formed XML: line 1"),
        ("<Box/>", "root tag must be <View>"),
        ("<View><Blink name='a'/></View>", "unknown tag <Blink>"),
        ("<View><Text value='$a'/></View>", "needs a name"),
        ("<View><Text name='a' value='$a'/><Text name='a' value='$b'/></View>", 'name "a" is used twice'),
        ("<View><Text name='a' value='$a'/><Pairwise name='p' toName='a'/></View>", "exactly two names"),
    ],
)
def test_invalid_configs_name_the_problem(xml, message):
    with pytest.raises(LabelConfigError, match=message):
        parse(xml)


def test_entities_and_dtds_are_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<View><Header value='&lol2;'/></View>"
    )
    with pytest.raises(LabelConfigError, match="forbidden XML construct"):
        parse(bomb)
    external = '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]><View>&x;</View>'
    with pytest.raises(LabelConfigError, match="forbidden XML construct"):
        parse(external)


def test_missing_keys():
    config = parse(PAIRWISE)
    assert config.missing_keys({"prompt": "p", "answer1": "a"}) == ["answer2"]


def test_deeply_nested_or_huge_configs_are_refused():
    deep = "<View>" * 5000 + "</View>" * 5000
    with pytest.raises(LabelConfigError, match="nested too deeply: more than 64 levels"):
        parse(deep)
    fine = "<View>" * 64 + "</View>" * 64
    assert parse(fine).controls == {}
    huge = "<View>" + '<Header value="x"/>' * 20000 + "</View>"
    with pytest.raises(LabelConfigError, match="too large"):
        parse(huge)


def test_a_deep_config_is_a_400_and_creates_nothing(api):
    before = api.get("/api/projects").json()["count"]
    r = api.post("/api/projects", json={"title": "deep", "label_config": "<View>" * 5000 + "</View>" * 5000})
    assert r.status_code == 400 and "nested too deeply" in r.json()["validation_errors"]["label_config"][0]
    assert api.get("/api/projects").json()["count"] == before
