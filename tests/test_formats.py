import csv
import io

from hypothesis import given
from hypothesis import strategies as st

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
    ours = b"".join(write_delimited([[task]], CONFIG, columns, delimiter)).decode()
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
