"""The PyTorch and Hugging Face starter templates: the zips hold the right files, the PyTorch script really
trains and samples, and the Hugging Face script says what it needs when `transformers` is missing.
"""

import importlib.util
import io
import re
import subprocess
import sys
import zipfile

import pytest

from core.course import templates

TINY_SETTINGS = ["--hidden", "32", "--embed", "16", "--layers", "1", "--dropout", "0", "--seq-len", "16",
                 "--batch", "8", "--steps", "90", "--eval-every", "30", "--warmup", "5", "--lr", "0.01",
                 "--threads", "1", "--sample-len", "60"]


def tiny_text() -> str:
    words = "the cat sat on a mat and the dog ran to the red hat".split()
    return " ".join(words[(i * 7 + i // 3) % len(words)] for i in range(700)) + "\n"


def extract(track: str, where) -> dict[str, str]:
    zf = zipfile.ZipFile(io.BytesIO(templates.templates_zip(track)))
    zf.extractall(where)
    return {n: zf.read(n).decode() for n in zf.namelist()}


@pytest.mark.parametrize(("track", "script"), [("pytorch", "char_lstm.py"), ("huggingface", "finetune_gpt2.py")])
def test_each_zip_holds_its_script_and_readme_and_the_script_compiles(track, script):
    zf = zipfile.ZipFile(io.BytesIO(templates.templates_zip(track)))
    assert zf.testzip() is None
    assert sorted(zf.namelist()) == [f"rnn-course-{track}/README.md", f"rnn-course-{track}/{script}"]
    assert templates.TRACKS[track].script == script
    source = zf.read(f"rnn-course-{track}/{script}").decode()
    compile(source, script, "exec")
    assert f"python {script} --data input.txt" in zf.read(f"rnn-course-{track}/README.md").decode()


def test_zip_is_identical_each_time_it_is_built():
    assert templates.templates_zip("pytorch") == templates.templates_zip("pytorch")


def test_unknown_track_is_refused():
    with pytest.raises(KeyError, match="unknown template track"):
        templates.files("jax")


def test_huggingface_readme_says_what_it_needs_and_that_this_server_cannot_run_it():
    readme = templates.files("huggingface")["README.md"]
    assert "pip install" in readme and "transformers" in readme
    assert "does not download" in readme and "weights" in readme


def run_script(path, *args, cwd, timeout=120):
    return subprocess.run([sys.executable, str(path), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_pytorch_template_trains_loss_falls_and_it_samples(tmp_path):
    extract("pytorch", tmp_path)
    folder = tmp_path / "rnn-course-pytorch"
    (tmp_path / "tiny.txt").write_text(tiny_text())
    ckpt = tmp_path / "m.pt"
    out = run_script(folder / "char_lstm.py", "--data", str(tmp_path / "tiny.txt"), "--checkpoint", str(ckpt),
                     *TINY_SETTINGS, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    vals = [float(v) for v in re.findall(r"val ([0-9.]+) nats/char", out.stdout)]
    assert len(vals) == 4  # step 0 and three reports
    first_uniform = float(re.search(r"uniform guess scores ([0-9.]+)", out.stdout).group(1))
    assert vals[0] == pytest.approx(first_uniform, abs=0.3)  # an untrained model is close to uniform
    assert vals[-1] < vals[0] - 0.8, vals  # it learned the word patterns
    ppl = [float(p) for p in re.findall(r"perplexity ([0-9.]+)", out.stdout)]
    assert all(p == pytest.approx(2.718281828 ** v, rel=0.01) for p, v in zip(ppl, vals, strict=False))
    sample = out.stdout.split("--- sample (temperature 0.8) ---\n", 1)[1]
    assert len(sample.strip()) >= 40 and set(sample.strip()) <= set(tiny_text())
    assert ckpt.is_file()
    again = run_script(folder / "char_lstm.py", "--sample-from", str(ckpt), "--prime", "the ", "--sample-len",
                       "30", "--temperature", "0.5", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split("---\n", 1)[1].startswith("the ")


@pytest.mark.parametrize(("args", "message"), [
    (["--data", "missing.txt"], "no such file"),
    (["--data", "empty.txt"], "at least two different characters"),
    (["--data", "short.txt"], "too short"),
    (["--data", "short.txt", "--temperature", "0"], "temperature must be above 0"),
    ([], "give --data"),
])
def test_pytorch_template_rejects_bad_input_with_a_message_not_a_traceback(tmp_path, args, message):
    extract("pytorch", tmp_path)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "short.txt").write_text("abcabc")
    out = run_script(tmp_path / "rnn-course-pytorch" / "char_lstm.py", *args, cwd=tmp_path)
    assert out.returncode != 0
    assert message in out.stderr and "Traceback" not in out.stderr


@pytest.mark.skipif(importlib.util.find_spec("transformers") is not None, reason="transformers is installed here")
def test_huggingface_template_without_transformers_exits_with_what_to_install(tmp_path):
    extract("huggingface", tmp_path)
    (tmp_path / "tiny.txt").write_text(tiny_text())
    out = run_script(tmp_path / "rnn-course-huggingface" / "finetune_gpt2.py", "--data", "tiny.txt", cwd=tmp_path,
                     timeout=60)
    assert out.returncode == 1
    assert "pip install transformers" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "gpt2-finetuned").exists()


# A stand-in for `transformers` (a char-level tokenizer and a tiny GRU "causal LM" with the same call surface),
# so the Hugging Face script's own loop, evaluation, saving and sampling run here without the package or weights.
FAKE_TRANSFORMERS = '''
import json, os, torch

class _Out:
    def __init__(self, logits, loss=None):
        self.logits, self.loss = logits, loss

class _Enc:
    def __init__(self, ids, pt):
        self.input_ids = torch.tensor([ids]) if pt else ids

class AutoTokenizer:
    eos_token, eos_token_id, model_max_length = "\\\\n", 0, 1024
    def __init__(self, chars): self.chars = chars
    @classmethod
    def from_pretrained(cls, name, local_files_only=False):
        return cls([chr(c) for c in range(32, 127)] + ["\\\\n"])
    def __call__(self, text, return_tensors=None):
        return _Enc([self.chars.index(c) if c in self.chars else 0 for c in text], return_tensors == "pt")
    def decode(self, ids, skip_special_tokens=False): return "".join(self.chars[i] for i in ids)
    def save_pretrained(self, out): os.makedirs(out, exist_ok=True); open(os.path.join(out, "tok.json"), "w").write("{}")

class AutoModelForCausalLM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.rnn, self.head = torch.nn.Embedding(96, 16), torch.nn.GRU(16, 32, batch_first=True), torch.nn.Linear(32, 96)
    @classmethod
    def from_pretrained(cls, name, local_files_only=False): return cls()
    @property
    def device(self): return self.head.weight.device
    def forward(self, input_ids, labels=None):
        logits = self.head(self.rnn(self.emb(input_ids))[0])
        loss = None if labels is None else torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, 96), labels[:, 1:].reshape(-1))
        return _Out(logits, loss)
    def generate(self, ids, max_new_tokens, do_sample, temperature, top_k, pad_token_id):
        for _ in range(max_new_tokens):
            p = torch.softmax(self(ids).logits[0, -1] / temperature, -1)
            ids = torch.cat([ids, torch.multinomial(p, 1)[None]], 1)
        return ids
    def save_pretrained(self, out): os.makedirs(out, exist_ok=True); torch.save(self.state_dict(), os.path.join(out, "m.pt"))
'''


def test_huggingface_template_loop_runs_against_a_stand_in_for_transformers(tmp_path):
    extract("huggingface", tmp_path)
    fake = tmp_path / "fake" / "transformers"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(FAKE_TRANSFORMERS)
    (tmp_path / "tiny.txt").write_text(tiny_text())
    out = subprocess.run([sys.executable, str(tmp_path / "rnn-course-huggingface" / "finetune_gpt2.py"),
                          "--data", "tiny.txt", "--steps", "60", "--eval-every", "20", "--block", "32",
                          "--batch", "8", "--lr", "0.01", "--warmup", "5", "--device", "cpu", "--out", "ft",
                          "--sample-tokens", "20", "--prime", "the "],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(tmp_path / "fake"), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin"})
    assert out.returncode == 0, out.stderr
    vals = [float(v) for v in re.findall(r"val ([0-9.]+) nats/token", out.stdout)]
    per_char = [float(v) for v in re.findall(r"([0-9.]+) nats/char", out.stdout)]
    assert len(vals) == 4 and vals[-1] < vals[0] - 1.0, out.stdout
    assert per_char == pytest.approx(vals, rel=0.02)  # one token per character in the stand-in
    assert (tmp_path / "ft" / "m.pt").is_file()
    assert out.stdout.split("---\n", 1)[1].startswith("the ")
