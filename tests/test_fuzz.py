"""Arbitrary JSON never makes the API fail with a 5xx, and a refused import changes nothing."""

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(body=json_values)
def test_import_bodies(api, project, body):
    before = api.get(f"/api/projects/{project}").json()["task_number"]
    r = api.post(f"/api/projects/{project}/import", json=body)
    assert r.status_code in (201, 400), r.text
    after = api.get(f"/api/projects/{project}").json()["task_number"]
    assert after == before + (r.json()["task_count"] if r.status_code == 201 else 0)


@FUZZ
@given(body=json_values)
def test_annotation_and_project_bodies(api, project, body):
    [tid] = api.post(
        f"/api/projects/{project}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "b"}]
    ).json()["task_ids"]
    for method, path in (
        ("post", f"/api/tasks/{tid}/annotations"),
        ("patch", f"/api/projects/{project}"),
        ("post", "/api/projects"),
    ):
        r = getattr(api, method)(path, json=body)
        assert r.status_code < 500, (path, r.text)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200), name=st.sampled_from(["f.json", "f.jsonl", "f.csv", "f.tsv"]))
def test_readers_fail_only_with_format_errors(data, name):
    import io

    from preflab.formats.readers import FormatError, read_items

    with contextlib.suppress(FormatError):
        list(read_items(name, io.BytesIO(data)))
