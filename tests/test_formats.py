import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from preflab.domain import exportrows
from preflab.domain.labelconfig import parse
from preflab.formats.labelstudio import write_delimited
from tests.conftest import PAIRWISE

CONFIG = parse(PAIRWISE)
values = st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())


@given(
    st.lists(st.tuples(st.text(min_size=1), values), min_size=1, max_size=6, unique_by=lambda kv: kv[0]),
    st.sampled_from([",", "\t"]),
)
def test_delimited_writer_matches_pythons_csv_quote_nonnumeric(pairs, delimiter):
    data = dict(pairs)
    task = {"id": 1, "data": data, "annotations": []}
    columns = sorted({*data, "id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time"})
    ours = b"".join(write_delimited([list(exportrows.rows(task, CONFIG))], columns, delimiter)).decode()
    expected = io.StringIO()
    writer = csv.DictWriter(
        expected, columns, delimiter=delimiter, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerow(
        {
            **data,
            "id": 1,
            "annotator": None,
            "annotation_id": None,
            "created_at": None,
            "updated_at": None,
            "lead_time": None,
        }
    )
    assert ours == expected.getvalue()


@given(
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), min_size=1, max_size=4),
    st.one_of(st.none(), st.text(max_size=12)),
    st.one_of(st.none(), st.integers(1, 99)),
)
def test_templated_task_encoding_equals_the_dict_path(data, upload, updated_by):
    import orjson

    from preflab.formats.shapes import exported_task_bytes, task_json
    from preflab.store.export_reader import COLUMNS

    row = {
        "id": 7,
        "project_id": 3,
        "inner_id": 2,
        "data": orjson.dumps(data).decode(),
        "meta": "{}",
        "file_upload_id": 1,
        "total_annotations": 0,
        "cancelled_annotations": 0,
        "total_predictions": 0,
        "updated_by": updated_by,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "updated_at": "2026-01-02T00:00:00.000000Z",
    }
    assert set(row) == set(COLUMNS)
    fast = exported_task_bytes(row, [], [], upload)
    slow = orjson.dumps(task_json(row, [], [], upload=upload, exported=True))
    assert orjson.loads(fast) == orjson.loads(slow)
    assert list(orjson.loads(fast)) == list(orjson.loads(slow))  # same keys in the same order
