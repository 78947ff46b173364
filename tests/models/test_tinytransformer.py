import random

import pytest
import torch
import torch.nn.functional as F

from core.models.tinytransformer import SelfAttention, TinyTransformerConfig
from core.training import agreement, checkpoints

CFG = TinyTransformerConfig(vocab_size=len(agreement.WORDS), d_model=16, n_heads=2, n_layers=2, d_ff=32)


def test_self_attention_matches_torch_scaled_dot_product_attention():
    torch.manual_seed(0)
    attn = SelfAttention(CFG)
    x = torch.randn(3, 7, 16)
    out, weights = attn(x)
    q, k, v = attn.W_qkv(x).view(3, 7, 3, 2, 8).permute(2, 0, 3, 1, 4)
    reference = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(3, 7, 16)
    torch.testing.assert_close(out, attn.W_o(reference))
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 2, 7))


def test_padding_gets_no_attention_and_does_not_change_the_prediction():
    model = agreement.untrained(CFG)
    sent = agreement.make_sentence(random.Random(0), 2)
    short = agreement.batch([sent])
    x, q, _, _ = short
    padded = torch.cat([x, torch.full((1, 4), agreement.INDEX[agreement.PAD])], 1)
    with torch.inference_mode():
        a, _ = model(x, q)
        b, maps = model(padded, q, padded == agreement.INDEX[agreement.PAD])
    torch.testing.assert_close(a, b)
    assert float(maps[0][..., -4:].abs().sum()) == 0.0
    with pytest.raises(ValueError, match="longer"):
        model(torch.zeros(1, CFG.max_len + 1, dtype=torch.long), torch.tensor([0]))


def test_sentences_carry_the_subjects_number_and_end_in_the_verb_slot():
    rng = random.Random(3)
    for k in range(5):
        s = agreement.make_sentence(rng, k)
        assert s.words[-1] == agreement.VERB and s.modifiers == k
        assert agreement.NUMBER[s.words[s.subject]] == s.label
    hard = agreement.Sentence(("the", "key", "near", "the", "boxes", agreement.VERB), 1, 0, 1)
    easy = agreement.Sentence(("the", "keys", "near", "the", "boxes", agreement.VERB), 1, 1, 1)
    assert hard.nearest_noun_disagrees and not easy.nearest_noun_disagrees


def test_parse_accepts_vocabulary_sentences_and_explains_bad_input():
    assert agreement.parse("The key, near the boxes") == ("the", "key", ",", "near", "the", "boxes", agreement.VERB)
    for text, message in (("", "Type"), ("the unicorn", "Unknown"), ("the old", "noun"), ("the cat " * 30, "room")):
        with pytest.raises(ValueError, match=message):
            agreement.parse(text)


def test_training_reduces_the_loss_on_a_fixed_batch():
    cfg = agreement.AgreementConfig(steps=40, batch=32, model=CFG.to_dict())
    x, q, y, pad = agreement.batch([agreement.make_sentence(random.Random(9), 1) for _ in range(64)])
    before = agreement.untrained(CFG).loss(x, q, y, pad).item()
    model, info = agreement.train(cfg, log=lambda s: None)
    with torch.inference_mode():
        after = model.loss(x, q, y, pad).item()
    assert after < before - 0.05 and info["cpu_s"] > 0


def test_predict_returns_probabilities_and_one_map_per_layer_and_head():
    probs, maps = agreement.predict(agreement.untrained(CFG), agreement.parse("the cats near the box"))
    assert sum(probs) == pytest.approx(1.0)
    assert len(maps) == 2 and len(maps[0]) == 2 and len(maps[0][0]) == 6 == len(maps[0][0][0])


@pytest.mark.skipif(agreement.RECIPE not in checkpoints.names(model_type=agreement.MODEL_TYPE),
                    reason="needs the shipped agreement-transformer checkpoint")
def test_shipped_transformer_reproduces_its_manifest_metrics_and_solves_hard_cases():
    model, entry = agreement.load()
    cfg = entry["config"]
    metrics = agreement.evaluate(model, cfg["eval_n"], cfg["eval_seed"])
    for key in ("accuracy_by_modifiers", "hard_case_accuracy", "attention_on_subject"):
        assert metrics[key] == entry["metrics"][key]
    assert metrics["hard_case_accuracy"] >= 0.9
    assert entry["bytes"] < 3_000_000
