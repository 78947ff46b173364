"""Vocab, the corpus registry and the truncated-BPTT batches."""

import hashlib

import pytest
import torch

from core.data import corpora as data
from core.data.corpora import Batches, CorpusError, TextData, Vocab


def test_vocab_round_trips_and_names_unknown_characters():
    vocab = Vocab.from_text("hello world")
    assert vocab.chars == sorted(set("hello world"))
    assert vocab.decode(vocab.encode("low hold")) == "low hold"
    with pytest.raises(ValueError, match="'azyqui'"):
        vocab.encode("lazy quiz")
    assert vocab.decode(vocab.encode("lazy quiz", unknown="skip")) == "l "
    assert vocab.unknown("lazy") == ["a", "z", "y"]


def test_vocab_rejects_duplicates():
    with pytest.raises(ValueError):
        Vocab(["a", "a"])


def test_split_is_first_ninety_percent_then_last_ten():
    text = "".join(chr(97 + i % 26) for i in range(1000))
    d = TextData.from_text(text)
    assert len(d.train) == 900 and len(d.val) == 100
    assert d.vocab.decode(d.val) == text[900:]
    assert d.sha256 == hashlib.sha256(text.encode()).hexdigest()


def test_batches_are_contiguous_streams_so_state_can_be_carried():
    ids = torch.arange(1000)
    b = Batches(ids, batch=4, seq_len=10)
    x0, y0, start0 = b.get(0)
    x1, _, start1 = b.get(1)
    assert x0.shape == (4, 10) and start0 and not start1
    assert torch.equal(y0, x0 + 1)  # targets are the next character
    assert torch.equal(x1[:, 0], x0[:, -1] + 1)  # chunk 1 continues chunk 0 in every stream
    # A pure function of the step: asking again (as a resumed run does) gives the same batch.
    again = Batches(ids, batch=4, seq_len=10)
    assert torch.equal(again.get(b.chunks_per_epoch + 3)[0], b.get(b.chunks_per_epoch + 3)[0])
    assert b.get(b.chunks_per_epoch)[2]  # a new epoch starts with a reset


def test_registry_lists_the_five_corpora_with_hashes():
    assert set(data.CORPORA) == {"tinyshakespeare", "names", "latex", "linux_c", "warpeace"}
    assert all(len(c.sha256) == 64 for c in data.CORPORA.values())
    assert data.CORPORA["tinyshakespeare"].url.startswith("https://")
    assert data.CORPORA["latex"].url is None


def test_data_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    assert data.data_dir() == tmp_path


def test_corpus_without_a_url_says_so_when_missing(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    with pytest.raises(CorpusError, match="no single download URL"):
        data.corpus_path("linux_c")


def test_corpus_with_wrong_hash_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    (tmp_path / "names.txt").write_text("not the names\n")
    with pytest.raises(CorpusError, match="sha256"):
        data.corpus_path("names")


def test_offline_download_fails_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    with pytest.raises(CorpusError, match="offline"):
        data.corpus_path("tinyshakespeare")
    with pytest.raises(CorpusError, match="Unknown corpus"):
        data.corpus_path("klingon")


def test_download_verifies_and_saves_the_corpus(tmp_path, monkeypatch):
    payload = b"first citizen:\nbefore we proceed any further, hear me speak.\n"
    fake = data.Corpus("tiny", "tiny.txt", len(payload), hashlib.sha256(payload).hexdigest(),
                       "https://example.invalid/tiny.txt", "test")
    monkeypatch.setitem(data.CORPORA, "tiny", fake)
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "cache"))

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return payload

    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: Response())
    assert data.load_text("tiny") == payload.decode()
    assert (tmp_path / "cache" / "tiny.txt").read_bytes() == payload
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: Response())
    monkeypatch.setitem(data.CORPORA, "bad", data.Corpus("bad", "bad.txt", 1, "0" * 64, fake.url, "test"))
    with pytest.raises(CorpusError, match="not saved"):
        data.corpus_path("bad")
    assert not (tmp_path / "cache" / "bad.txt").exists()


def test_shuffled_lines_keep_every_line_in_a_seeded_order():
    text = "\n".join(f"name{i}" for i in range(50))
    a = data.shuffle_lines(text, 0)
    assert a == data.shuffle_lines(text, 0) != text
    assert sorted(a.split("\n")) == sorted(text.split("\n"))
