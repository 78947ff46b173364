"""Uploaded text files: good text passes; every kind of unusable file gets a message saying what to do."""

import pytest

from core.jobs import uploads

GOOD = ("It was the best of times, it was the worst of times. " * 40).encode("utf-8")


def test_good_utf8_text_is_accepted_with_its_counts():
    up = uploads.read_upload(GOOD, "tale.txt")
    assert up.text == GOOD.decode() and up.n_chars == len(GOOD) and up.n_bytes == len(GOOD)
    assert up.n_distinct == len(set(GOOD.decode())) and up.name == "tale.txt" and up.notes == ()


def test_non_ascii_utf8_bom_and_crlf_are_handled():
    text = "Grüße aus Köln — ça va? 日本語\r\n" * 60
    up = uploads.read_upload(b"\xef\xbb\xbf" + text.encode("utf-8"), "de.txt")
    assert up.text == text.replace("\r\n", "\n") and "\r" not in up.text and len(up.notes) == 2


@pytest.mark.parametrize("data, fragment, advice", [
    (b"", "is empty", "at least"),
    (None, "is empty", "at least"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10, "binary", "plain text"),
    ("café ".encode("latin-1") * 400, "not valid UTF-8", "Re-save it as UTF-8"),
    (b"a" * 5000, "only one distinct character", "varied characters"),
    (b"hello world", "only 11 characters", "Add more text"),
    (b"\x01\x02\x03\x04abc" * 500, "control characters", "plain-text file"),
])
def test_unusable_files_get_a_clear_message(data, fragment, advice):
    with pytest.raises(uploads.UploadError) as e:
        uploads.read_upload(data, "file.bin")
    assert fragment in str(e.value) and advice in str(e.value) and "file.bin" in str(e.value)


def test_files_over_the_limit_are_refused_before_decoding():
    with pytest.raises(uploads.UploadError, match=r"10\.0 MB; the limit is 5 MB"):
        uploads.read_upload(b"ab" * (5 * 2**20) + b"c", "big.txt")
    assert uploads.read_upload(GOOD, max_bytes=len(GOOD)).n_bytes == len(GOOD)


def test_file_names_are_shown_without_paths_or_markup():
    assert uploads.safe_name("../../etc/passwd") == "passwd"
    assert uploads.safe_name("C:\\Users\\me\\notes*[x].txt") == "notesx.txt"
    assert uploads.safe_name(None) == "upload.txt" and uploads.safe_name("\x00\x01") == "upload.txt"
    assert len(uploads.safe_name("a" * 500)) == 80
