"""The upload guard (apps.core.upload_guard): counts, cells and zip archives within limits."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from apps.core.upload_guard import (
    UploadLimitExceeded,
    check_cell,
    check_count,
    check_decompressed,
    check_lines,
    check_record,
    check_zip_expansion,
    csv_header,
    guarded_csv,
    read_zip_members,
    upload_limit,
)


def _zip(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_limits_come_from_settings(settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "max_rows": 7}
    assert upload_limit("max_rows") == 7
    check_count("max_rows", 7, field="file")
    with pytest.raises(UploadLimitExceeded) as caught:
        check_count("max_rows", 8, field="file")
    assert caught.value.status_code == 413
    assert caught.value.detail == {
        "file": ["row count is 8; the limit is 7 (UPLOAD_LIMITS['max_rows'])"]
    }


def test_cell_limit_names_where(settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "max_cell_chars": 5}
    check_cell("12345", field="file")
    with pytest.raises(UploadLimitExceeded) as caught:
        check_cell("123456", field="file", where="at row 3, column note")
    assert "cell length at row 3, column note is 6" in str(caught.value.detail["file"][0])


def test_zip_members_are_returned():
    members = read_zip_members(_zip({"a.csv": b"x,y\n1,2\n", "dir/b.csv": b"z\n"}), field="f")
    assert members == [("a.csv", b"x,y\n1,2\n"), ("dir/b.csv", b"z\n")]


def test_zip_bomb_is_stopped_while_inflating(settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "max_decompressed_bytes": 1_000_000}
    bomb = _zip({"zeros.csv": b"0" * 5_000_000})
    with pytest.raises(UploadLimitExceeded) as caught:
        read_zip_members(bomb, field="archive")
    assert caught.value.status_code == 413
    assert "max_" in caught.value.detail["archive"][0]


def test_compression_ratio(settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "max_compression_ratio": 10}
    with pytest.raises(UploadLimitExceeded) as caught:
        read_zip_members(_zip({"zeros.csv": b"0" * 500_000}), field="archive")
    assert "max_compression_ratio" in caught.value.detail["archive"][0]


def test_member_count(settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "max_archive_members": 2}
    with pytest.raises(UploadLimitExceeded) as caught:
        read_zip_members(_zip({f"{i}.csv": b"1" for i in range(3)}), field="archive")
    assert "max_archive_members" in caught.value.detail["archive"][0]


@pytest.mark.parametrize("name", ["/etc/passwd", "../up.csv", "a/../../up.csv", "C:/x.csv"])
def test_unsafe_paths_are_400(name):
    with pytest.raises(UploadLimitExceeded) as caught:
        read_zip_members(_zip({name: b"x"}), field="archive")
    assert caught.value.status_code == 400
    assert "archive" in caught.value.detail


def test_nested_zip_and_symlink_and_garbage_are_400():
    inner = _zip({"a.csv": b"1"}).getvalue()
    with pytest.raises(UploadLimitExceeded) as nested:
        read_zip_members(_zip({"inner.bin": inner}), field="archive")
    assert nested.value.status_code == 400 and "nested" in nested.value.detail["archive"][0]

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    buffer.seek(0)
    with pytest.raises(UploadLimitExceeded) as symlink:
        read_zip_members(buffer, field="archive")
    assert symlink.value.status_code == 400 and "symbolic" in symlink.value.detail["archive"][0]

    with pytest.raises(UploadLimitExceeded) as garbage:
        read_zip_members(io.BytesIO(b"not a zip"), field="archive")
    assert garbage.value.status_code == 400


def test_guarded_csv_caps_rows_columns_cells_and_reads_bad_csv_as_400(settings):
    settings.UPLOAD_LIMITS = {
        **settings.UPLOAD_LIMITS,
        "max_rows": 3,
        "max_columns": 2,
        "max_cell_chars": 5,
    }
    assert list(guarded_csv(csv.reader(io.StringIO("a,b\n1,2\n")), field="f")) == [
        ["a", "b"],
        ["1", "2"],
    ]
    for text, limit in (
        ("a\n1\n2\n3\n", "max_rows"),
        ("a,b,c\n", "max_columns"),
        ("a\n123456\n", "max_cell_chars"),
    ):
        with pytest.raises(UploadLimitExceeded) as caught:
            list(guarded_csv(csv.reader(io.StringIO(text)), field="f"))
        assert caught.value.status_code == 413 and limit in caught.value.detail["f"][0]
    with pytest.raises(UploadLimitExceeded) as surplus:  # a DictReader's surplus cells count
        list(guarded_csv(csv.DictReader(io.StringIO("a\n1,2,3\n")), field="f"))
    assert "max_columns" in surplus.value.detail["f"][0]
    with pytest.raises(UploadLimitExceeded) as bad:
        list(guarded_csv(csv.reader(io.StringIO('a,"b"c\n'), strict=True), field="f"))
    assert bad.value.status_code == 400
    with pytest.raises(UploadLimitExceeded) as huge:  # past the csv module's own field limit
        list(guarded_csv(csv.reader(io.StringIO("x" * 200_000)), field="f"))
    assert "max_cell_chars" in huge.value.detail["f"][0]


def test_lines_and_records(settings):
    settings.UPLOAD_LIMITS = {
        **settings.UPLOAD_LIMITS,
        "max_rows": 2,
        "max_columns": 2,
        "max_cell_chars": 5,
    }
    assert check_lines("a\n\nb\n", field="f") == ["a", "", "b"]
    with pytest.raises(UploadLimitExceeded):
        check_lines("a\nb\nc\n", field="f")
    with pytest.raises(UploadLimitExceeded) as long_line:
        check_lines("123456\n", field="f")
    assert "at line 1" in long_line.value.detail["f"][0]
    check_lines("123456\n", field="f", cells=False)
    check_record({"a": ["12345"], "data": "x" * 99}, field="f", skip=frozenset({"data"}))
    with pytest.raises(UploadLimitExceeded) as nested:
        check_record({"a": [{"b": "123456"}]}, field="f")
    assert "at a.0.b" in nested.value.detail["f"][0]
    with pytest.raises(UploadLimitExceeded):
        check_record({"a": 1, "b": 2, "c": 3}, field="f")


def test_zip_expansion_of_a_container(settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "max_decompressed_bytes": 1_000_000}
    inner = _zip({"a.csv": b"1"}).getvalue()
    check_zip_expansion(_zip({"embeddings/x.xlsx": inner}), field="f")  # allowed in a container
    with pytest.raises(UploadLimitExceeded) as caught:
        check_zip_expansion(_zip({"word/document.xml": b"0" * 3_000_000}), field="f")
    assert "UPLOAD_LIMITS['max_" in caught.value.detail["f"][0]
    with pytest.raises(UploadLimitExceeded) as garbage:
        check_zip_expansion(io.BytesIO(b"PK not a zip"), field="f")
    assert garbage.value.status_code == 400
    with pytest.raises(UploadLimitExceeded) as big:
        check_decompressed(1_000_001, field="f")
    assert "max_decompressed_bytes" in big.value.detail["f"][0]


def test_csv_header(settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "max_columns": 2}
    assert csv_header(csv.DictReader(io.StringIO("a,b\n1,2\n")), field="f") == ["a", "b"]
    assert csv_header(csv.DictReader(io.StringIO("")), field="f") == []
    with pytest.raises(UploadLimitExceeded) as wide:
        csv_header(csv.DictReader(io.StringIO("a,b,c\n")), field="f")
    assert "max_columns" in wide.value.detail["f"][0]
    with pytest.raises(UploadLimitExceeded) as huge:
        csv_header(csv.DictReader(io.StringIO("x" * 200_000)), field="f")
    assert "max_cell_chars" in huge.value.detail["f"][0]
