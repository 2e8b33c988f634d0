#!/usr/bin/env python3
"""PyTorch's side of the GPU check (scripts/gpu-check): the same models as examples/gpu_check.rs,
in plain torch, because the lent GPU machine has PyTorch but perhaps neither `transformers` nor
`tokenizers`.

  gpu_peer.py minilm DIR TOKENS.json --device cuda [--batch B] [--dtype f16|f32]
      all-MiniLM-L6-v2 (BERT, mean pooling, L2) over pre-tokenized pairs (TOKENS.json, written by
      `scripts/gpu-check prepare` with the model's own tokenizer.json): pairs a second. Tokenizing is
      not timed here (it is in Verdict's figure), so the ratio leans the peer's way.
  gpu_peer.py clip --device cuda [--batch B] [--iters N] [--dtype f16|f32]
      a ViT-B/32 image tower and CLIP's text tower with random weights: images and texts a second.

Prints one JSON object. Batches sorted by length and padded to their longest, as
sentence-transformers does; attention through torch's scaled_dot_product_attention.
"""
import argparse
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_safetensors(path):
    """The tensors of a .safetensors file (read without the `safetensors` package)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = memoryview(data)[8 + n :]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=DTYPES[meta["dtype"]]) if end > start else torch.empty(0)
        out[name] = t.reshape(meta["shape"])
    return out


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


class Bert:
    """A BERT encoder from HF weight names (all-MiniLM-L6-v2's), mean pooled and normalized."""

    def __init__(self, weights, config, device, dtype):
        self.w = {k.removeprefix("bert."): v.to(device=device, dtype=dtype if v.is_floating_point() else v.dtype) for k, v in weights.items()}
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config.get("layer_norm_eps", 1e-12)

    def ln(self, x, name):
        return F.layer_norm(x, x.shape[-1:], self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def lin(self, x, name):
        return F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    @torch.inference_mode()
    def embed(self, ids, mask):
        w = self.w
        n, length = ids.shape
        pos = torch.arange(length, device=ids.device)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos] + w["embeddings.token_type_embeddings.weight"][0]
        x = self.ln(x, "embeddings.LayerNorm")
        bias = torch.zeros((n, 1, 1, length), device=ids.device, dtype=x.dtype)
        bias = bias.masked_fill(mask[:, None, None, :] == 0, torch.finfo(x.dtype).min)
        d = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (self.lin(x, p + "attention.self." + m).view(n, length, self.heads, d).transpose(1, 2) for m in ("query", "key", "value"))
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=bias).transpose(1, 2).reshape(n, length, -1)
            x = self.ln(self.lin(a, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            h = F.gelu(self.lin(x, p + "intermediate.dense"))
            x = self.ln(self.lin(h, p + "output.dense") + x, p + "output.LayerNorm")
        m = mask.unsqueeze(-1).to(torch.float32)
        pooled = (x.float() * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)


def batches(tokens, batch, device):
    """(ids, mask) per batch of texts sorted by length, padded to their longest."""
    order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
    for s in range(0, len(order), batch):
        part = [tokens[i] for i in order[s : s + batch]]
        longest = max(len(t) for t in part)
        ids = torch.zeros((len(part), longest), dtype=torch.int64)
        mask = torch.zeros((len(part), longest), dtype=torch.int64)
        for r, t in enumerate(part):
            ids[r, : len(t)] = torch.tensor(t)
            mask[r, : len(t)] = 1
        yield order[s : s + batch], ids.to(device), mask.to(device)


def minilm(args, dtype):
    config = json.load(open(f"{args.dir}/config.json"))
    model = Bert(read_safetensors(f"{args.dir}/model.safetensors"), config, args.device, dtype)
    pairs = json.load(open(args.tokens))
    texts = [t for p in pairs for t in (p["prompt"], p["response"])]
    _, ids, mask = next(batches(texts[: args.batch], args.batch, args.device))
    model.embed(ids, mask)  # warm-up
    sync(args.device)
    started = time.perf_counter()
    vectors = [None] * len(texts)
    for order, ids, mask in batches(texts, args.batch, args.device):
        for i, v in zip(order, model.embed(ids, mask)):
            vectors[i] = v
    scores = [float((vectors[2 * i] * vectors[2 * i + 1]).sum()) for i in range(len(pairs))]
    sync(args.device)
    seconds = time.perf_counter() - started
    return {"what": "minilm", "peer": "torch", "device": args.device, "dtype": args.dtype, "pairs": len(pairs), "batch": args.batch,
            "seconds": seconds, "pairs_per_s": len(pairs) / seconds, "scores_head": scores[:8]}


class Tower:
    """A CLIP transformer tower (pre-LN, quick GELU) with random weights."""

    def __init__(self, width, layers, heads, device, dtype, causal):
        g = torch.Generator().manual_seed(0)
        r = lambda *s: (torch.randn(*s, generator=g) * 0.02).to(device=device, dtype=dtype)
        z = lambda *s: torch.zeros(*s, device=device, dtype=dtype)
        o = lambda *s: torch.ones(*s, device=device, dtype=dtype)
        self.heads, self.causal = heads, causal
        self.blocks = [
            dict(ln1=(o(width), z(width)), qkv=[(r(width, width), z(width)) for _ in range(3)], out=(r(width, width), z(width)),
                 ln2=(o(width), z(width)), fc1=(r(4 * width, width), z(4 * width)), fc2=(r(width, 4 * width), z(width)))
            for _ in range(layers)
        ]

    def __call__(self, x):
        n, length, width = x.shape
        d = width // self.heads
        for b in self.blocks:
            h = F.layer_norm(x, (width,), *b["ln1"])
            q, k, v = (F.linear(h, *p).view(n, length, self.heads, d).transpose(1, 2) for p in b["qkv"])
            a = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal).transpose(1, 2).reshape(n, length, width)
            x = x + F.linear(a, *b["out"])
            h = F.layer_norm(x, (width,), *b["ln2"])
            h = F.linear(h, *b["fc1"])
            x = x + F.linear(h * torch.sigmoid(1.702 * h), *b["fc2"])
        return x


def clip(args, dtype):
    dev = args.device
    g = torch.Generator().manual_seed(1)
    r = lambda *s: (torch.randn(*s, generator=g) * 0.02).to(device=dev, dtype=dtype)
    # ViT-B/32 at 224: 7x7 patches + CLS, 12 layers 768 wide; the text tower 12 layers 512 wide, 77 tokens.
    patch, cls, pos, vproj = r(768, 3, 32, 32), r(768), r(50, 768), r(512, 768)
    vision = Tower(768, 12, 12, dev, dtype, causal=False)
    tok, tpos, tproj = r(49408, 512), r(77, 512), r(512, 512)
    text = Tower(512, 12, 8, dev, dtype, causal=True)
    ones = lambda w: (torch.ones(w, device=dev, dtype=dtype), torch.zeros(w, device=dev, dtype=dtype))

    @torch.inference_mode()
    def images(px):
        x = F.conv2d(px, patch, stride=32).flatten(2).transpose(1, 2)
        x = torch.cat([cls.expand(x.shape[0], 1, -1), x], dim=1) + pos
        x = vision(F.layer_norm(x, (768,), *ones(768)))
        return F.linear(F.layer_norm(x[:, 0], (768,), *ones(768)), vproj)

    @torch.inference_mode()
    def texts(ids):
        x = text(tok[ids] + tpos)
        x = F.layer_norm(x, (512,), *ones(512))
        return F.linear(x[torch.arange(x.shape[0]), ids.argmax(-1)], tproj)

    px = torch.randn(args.batch, 3, 224, 224, generator=g).to(device=dev, dtype=dtype)
    ids = (torch.arange(args.batch * 77) * 7919 % 49000 + 1).view(args.batch, 77).to(dev)
    images(px), texts(ids)
    sync(dev)
    t = time.perf_counter()
    for _ in range(args.iters):
        images(px)
    sync(dev)
    image_s = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(args.iters):
        texts(ids)
    sync(dev)
    text_s = time.perf_counter() - t
    return {"what": "clip", "peer": "torch", "device": dev, "dtype": args.dtype, "batch": args.batch, "iters": args.iters,
            "images_per_s": args.batch * args.iters / image_s, "texts_per_s": args.batch * args.iters / text_s}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["minilm", "clip"])
    ap.add_argument("dir", nargs="?")
    ap.add_argument("tokens", nargs="?")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--dtype", choices=["f16", "f32"])
    ap.add_argument("--threads", type=int)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    args.dtype = args.dtype or ("f32" if args.device == "cpu" else "f16")
    dtype = torch.float16 if args.dtype == "f16" else torch.float32
    if args.device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"error": "torch sees no CUDA GPU"}))
        return 1
    out = minilm(args, dtype) if args.what == "minilm" else clip(args, dtype)
    if args.device == "cuda":
        out["gpu"] = torch.cuda.get_device_name(0)
    out["torch"] = torch.__version__
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
