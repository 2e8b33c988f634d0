"""The CLAP benchmark's model and peer (scripts/bench_clap.sh): transformers' ClapModel on PyTorch.

    python scripts/peer_clap.py make DIR
        a ClapModel shaped as laion/clap-htsat-unfused (HTSAT: patch width 96, depths 2-2-6-2, heads
        4-8-16-32, 256 spectrogram, windows of 8; a RoBERTa-base text tower; projections to 512)
        with random weights, its feature extractor as that checkpoint's (48 kHz, 64 mel bins, 10 s,
        rand_trunc, repeatpad), and a byte-level BPE tokenizer trained here (the real RoBERTa
        vocabulary ships in no package; only the ids differ, not the work).
    python scripts/peer_clap.py bench DIR [--batch 8] [--runs 3] [--threads 2]
        encodes the same clips and captions as examples/clap_bench.rs and prints one JSON line:
        `clips` (ClapFeatureExtractor, then get_audio_features), `audio_model` (the tower alone),
        `texts` (tokenizing and get_text_features), each run's seconds after a warm-up.
"""

import json
import os
import sys
import time

import numpy as np

WORDS = ["a", "dog", "barks", "while", "the", "rain", "falls", "on", "an", "old", "roof", "and", "birds", "sing"]


def texts(n):
    return [" ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(8 + i % 33)) for i in range(n)]


def clips(n, rate, seconds):
    t = np.arange(rate * seconds) / rate
    out = []
    for k in range(n):
        f = 110.0 * (k % 7 + 1)
        wave = 0.3 * np.sin(2 * np.pi * f * t) + 0.2 * np.sin(2 * np.pi * 2.5 * f * t) + 0.1 * np.sin(2 * np.pi * 7 * f * t)
        out.append(wave.astype(np.float32))
    return out


def make(out):
    import torch
    from tokenizers import ByteLevelBPETokenizer, processors
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel

    os.makedirs(out, exist_ok=True)
    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(texts(200) * 5, vocab_size=600, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    tok.save(os.path.join(out, "tokenizer.json"))
    torch.manual_seed(0)
    config = ClapConfig(text_config=dict(), audio_config=dict(enable_fusion=False))
    ClapModel(config).eval().save_pretrained(out, safe_serialization=True)
    ClapFeatureExtractor(truncation="rand_trunc", padding="repeatpad").save_pretrained(out)


def bench(folder, batch, runs, threads):
    import torch
    from tokenizers import Tokenizer
    from transformers import ClapFeatureExtractor, ClapModel

    torch.set_num_threads(threads)
    model = ClapModel.from_pretrained(folder).eval()
    fe = ClapFeatureExtractor.from_pretrained(folder)
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    tok.enable_padding(pad_id=1, pad_token="<pad>")
    tok.enable_truncation(512)

    def encode(ts):
        enc = tok.encode_batch(ts)
        return torch.tensor([e.ids for e in enc]), torch.tensor([e.attention_mask for e in enc])

    ts, cs = texts(batch), clips(batch, fe.sampling_rate, 10)
    feats = fe(cs, sampling_rate=fe.sampling_rate, return_tensors="pt")["input_features"]
    t_clips, t_model, t_texts = [], [], []
    with torch.inference_mode():
        for run in range(runs + 1):
            t = time.perf_counter()
            f = fe(cs, sampling_rate=fe.sampling_rate, return_tensors="pt")["input_features"]
            model.get_audio_features(input_features=f)
            a = time.perf_counter() - t
            t = time.perf_counter()
            model.get_audio_features(input_features=feats)
            b = time.perf_counter() - t
            t = time.perf_counter()
            ids, mask = encode(ts)
            model.get_text_features(input_ids=ids, attention_mask=mask)
            c = time.perf_counter() - t
            if run > 0:
                t_clips.append(a)
                t_model.append(b)
                t_texts.append(c)
    med = lambda v: sorted(v)[len(v) // 2]
    print(json.dumps({
        "impl": f"transformers {__import__('transformers').__version__} (torch {torch.__version__})",
        "batch": batch, "threads": threads, "clips": t_clips, "audio_model": t_model, "texts": t_texts,
        "median": {"clips": med(t_clips), "audio_model": med(t_model), "texts": med(t_texts)},
    }))


def main():
    args = sys.argv[1:]
    opt = lambda name, d: int(args[args.index(name) + 1]) if name in args else d
    if args[0] == "make":
        make(args[1])
    else:
        bench(args[1], opt("--batch", 8), opt("--runs", 3), opt("--threads", 2))


if __name__ == "__main__":
    main()
