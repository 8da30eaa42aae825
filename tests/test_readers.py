import io

import pytest

from preflab.formats.readers import FormatError, read_items


def items(name, data: bytes, fmt=None):
    return list(read_items(name, io.BytesIO(data), fmt))


def test_json_array_streams_items_with_positions():
    assert items("d.json", b'[{"a": 1}, {"a": 2.5}]') == [("item 1", {"a": 1}), ("item 2", {"a": 2.5})]


def test_single_object_and_bom():
    assert items("d.json", b'\xef\xbb\xbf{\n  "a": "x"\n}') == [("item 1", {"a": "x"})]


def test_jsonl_by_extension_and_by_content():
    data = b'{"a": 1}\n\n{"a": 2}\n'
    assert items("d.jsonl", data) == [("line 1", {"a": 1}), ("line 3", {"a": 2})]
    assert items("d.json", data) == [("line 1", {"a": 1}), ("line 3", {"a": 2})]


def test_csv_and_tsv_use_the_header_as_keys():
    data = 'prompt,answer1\r\n"Hi, there","multi\nline"\r\nx,é\r\n'.encode()
    assert items("d.csv", data) == [
        ("line 2", {"prompt": "Hi, there", "answer1": "multi\nline"}),
        ("line 4", {"prompt": "x", "answer1": "é"}),
    ]
    assert items("d.tsv", b"a\tb\n1\t2\n") == [("line 2", {"a": "1", "b": "2"})]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("d.json", b"", "the file is empty"),
        ("d.json", b"  \n ", "the file is empty"),
        ("d.json", b'[{"a": 1},\n {"a": }]', r"d.json: line 2, column \d+: invalid JSON"),
        ("d.json", b'[{"a": "\xff"}]', r"d.json: line 1: not valid UTF-8"),
        ("d.json", b'"just a string"', "expected a JSON array"),
        ("d.jsonl", b'{"a": 1}\n{"a": \n', r"d.jsonl: line 2: invalid JSON"),
        ("d.csv", b"a,b\n1,2\n3\n", r"d.csv: line 3: expected 2 fields"),
        ("d.csv", b"a,a\n1,2\n", "appears twice"),
        ("d.csv", b"a,b\n1,\xff\n", r"d.csv: line 2: not valid UTF-8"),
        ("d.xlsx", b"PK", "unsupported file type '.xlsx'"),
    ],
)
def test_bad_files_name_file_line_and_problem(name, data, message):
    with pytest.raises(FormatError, match=message):
        items(name, data)


def test_bad_utf8_far_into_a_large_file_is_located():
    rows = b"".join(b'{"a": "%d"}\n' % i for i in range(200_000))
    with pytest.raises(FormatError, match=r"big.jsonl: line 150001: not valid UTF-8"):
        items("big.jsonl", rows[: rows.index(b'"150000"')] + b'"\xe9"' + rows[rows.index(b'"150000"') + 8 :])
    data = b"a\n" + b"x\n" * 1_000_000 + b"\xc3\n"
    with pytest.raises(FormatError, match=r"big.csv: line 1000002: not valid UTF-8 \(byte 2000002\)"):
        items("big.csv", data)


def test_text_files_give_one_task_per_line_under_text():
    import io

    from preflab.formats.readers import read_items

    items = list(read_items("prompts.txt", io.BytesIO("\ufefffirst line\r\n\nsecond, with comma\n".encode())))
    assert items == [("line 1", {"text": "first line"}), ("line 3", {"text": "second, with comma"})]
