"""The reward-model benchmark's model and peer (scripts/bench_reward.sh): a DeBERTa-v3-base-shaped
sequence-classification reward model (as the public OpenAssistant/reward-model-deberta-v3-base:
12 layers x 768, 12 heads, relative attention with 256 log buckets, shared attention keys, c2p
and p2c, one logit), random weights, scoring (prompt, response) pairs on the CPU.

    python scripts/peer_reward.py make DIR
        writes DIR/{config.json, model.safetensors, tokenizer.json, tokenizer_config.json}: the
        model (seed 0) and a Unigram tokenizer laid out as deberta-v3's converted one (Metaspace,
        [CLS] A [SEP] B [SEP]) whose vocabulary is the benchmark pairs' words (scripts/peer_score.py
        gen), so a word is a token or two as with the real vocabulary
    python scripts/peer_reward.py long N SEED OUT.jsonl
        N pairs as peer_score.py gen makes them but with responses of 300-400 words (~400 tokens a
        pair, the model's 512 in reach): where attention's share of the work is larger
    python scripts/peer_reward.py torch PAIRS.jsonl --model DIR --batch 32 --threads 2
        transformers' DebertaV2ForSequenceClassification on torch, in inference mode: as Verdict's
        reward scorer takes a call of `batch` pairs (sorted by length, 16 a forward pass, padded
        to the pass's longest, the response cut first at 512 tokens), the logit per pair

Each run prints one JSON line as examples/score_bench.rs does (peer_score.py's `report`);
`python scripts/peer_score.py summary RESULTS.jsonl` gives the medians and ratios.
"""

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_score  # noqa: E402  (the pairs' words, read_pairs and report)

MAX_LENGTH = 512
PASS = 16  # pairs per forward pass, as src/score/reward.rs


def tokenizer(path):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    specials = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]
    words = sorted({w for word in peer_score.WORDS for w in (word, word.capitalize())})
    chars = sorted({c for w in words for c in w} | set("0123456789?.,") | {"▁"})
    vocab = [(t, 0.0) for t in specials] + [(c, math.log(1e-6)) for c in chars]
    vocab += [("▁" + w, math.log(1e-3)) for w in words]
    tok = Tokenizer(models.Unigram(vocab, unk_id=specials.index("[UNK]"), byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.Strip(), normalizers.Replace(" {2,}", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.save(path)
    return tok


def make(out):
    import torch
    from transformers import DebertaV2Config, DebertaV2ForSequenceClassification

    os.makedirs(out, exist_ok=True)
    tok = tokenizer(os.path.join(out, "tokenizer.json"))
    config = DebertaV2Config(
        vocab_size=tok.get_vocab_size(), hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, hidden_act="gelu", max_position_embeddings=512, type_vocab_size=0,
        layer_norm_eps=1e-7, relative_attention=True, max_relative_positions=-1, position_buckets=256,
        norm_rel_ebd="layer_norm", share_att_key=True, pos_att_type=["p2c", "c2p"],
        position_biased_input=False, pad_token_id=0, pooler_hidden_size=768, pooler_dropout=0,
        pooler_hidden_act="gelu", num_labels=1, id2label={0: "LABEL_0"}, label2id={"LABEL_0": 0},
    )
    torch.manual_seed(0)
    DebertaV2ForSequenceClassification(config).eval().save_pretrained(out, safe_serialization=True)
    specials = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                "mask_token": "[MASK]"}
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": MAX_LENGTH, **specials}, f)


def long_pairs(n, seed, out):
    import random

    rng = random.Random(seed)
    with open(out, "w") as f:
        for i in range(n):
            prompt = f"{peer_score.sentence(rng, rng.randint(9, 19))} {i}?"
            parts, left = [], rng.randint(300, 400)
            while left > 0:
                k = min(left, rng.randint(8, 20))
                parts.append(peer_score.sentence(rng, k) + ".")
                left -= k
            f.write(json.dumps({"prompt": prompt, "response": " ".join(parts)}) + "\n")


def score_torch(path, folder, batch, threads, int8=False):
    import torch

    torch.set_num_threads(threads)
    from transformers import AutoModelForSequenceClassification, PreTrainedTokenizerFast

    prompts, responses = peer_score.read_pairs(path)
    started = time.perf_counter()
    tok = PreTrainedTokenizerFast.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    if int8:
        # PyTorch's own CPU int8 (the peer of Verdict's --int8): every linear layer's weights in
        # int8, activations quantized dynamically (fbgemm/oneDNN, the "x86" engine). Deprecated for
        # torchao in torch 2.10+, still there in 2.15.
        import warnings

        warnings.simplefilter("ignore")
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    scores = [0.0] * len(prompts)
    with torch.inference_mode():
        for at in range(0, len(prompts), batch):
            call = sorted(range(at, min(at + batch, len(prompts))), key=lambda i: len(prompts[i]) + len(responses[i]))
            for p in range(0, len(call), PASS):
                rows = call[p:p + PASS]
                enc = tok([prompts[i] for i in rows], [responses[i] for i in rows], truncation="only_second",
                          max_length=MAX_LENGTH, padding=True, return_tensors="pt")
                logits = model(**enc).logits[:, 0]
                for i, s in zip(rows, logits.tolist()):
                    scores[i] = s
    tool = "transformers-int8" if int8 else "transformers"
    peer_score.report(tool, len(prompts), batch, load_s, time.perf_counter() - started, scores)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["make", "long", "torch"])
    ap.add_argument("rest", nargs="*")
    ap.add_argument("--model")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--int8", action="store_true")
    a = ap.parse_args()
    if a.what == "make":
        make(a.rest[0])
    elif a.what == "long":
        long_pairs(int(a.rest[0]), int(a.rest[1]), a.rest[2])
    else:
        score_torch(a.rest[0], a.model, a.batch, a.threads, a.int8)


if __name__ == "__main__":
    sys.exit(main())
