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

    from preflab.formats.labelstudio import task_json, task_json_bytes

    row = (
        7,
        3,
        2,
        orjson.dumps(data).decode(),
        "{}",
        1,
        0,
        0,
        0,
        updated_by,
        "2026-01-01T00:00:00.000000Z",
        "2026-01-02T00:00:00.000000Z",
    )
    fast = task_json_bytes(row, None, None, upload)
    slow = orjson.dumps(task_json(row, [], [], upload))
    assert orjson.loads(fast) == orjson.loads(slow)
    assert list(orjson.loads(fast)) == list(orjson.loads(slow))  # same keys in the same order
