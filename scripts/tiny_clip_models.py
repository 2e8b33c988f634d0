"""Tiny randomly initialized CLIP and SigLIP models for Verdict's image-text scoring tests
(tests/score_clip.rs), with transformers' outputs on fixed texts and images as the reference.

    python scripts/tiny_clip_models.py OUT
        writes OUT/clip, OUT/clip_gelu, OUT/siglip (Hugging Face folders: config.json,
        model.safetensors, tokenizer.json, preprocessor_config.json) and OUT/siglip_spm (the same
        with SigLIP's spiece.model and tokenizer_config.json instead of tokenizer.json), OUT/images/*.png (the fixed images) and
        OUT/reference.json, and prints the reference on stdout.

Both are seeded, so every run writes the same models. CLIP's tokenizer is the real one of
openai/clip-vit-base-patch32, built as transformers builds CLIPTokenizer from the BPE vocabulary
that the PyPI package open_clip_torch ships (open_clip/bpe_simple_vocab_16e6.txt.gz: the file is
read, open_clip is never imported). SigLIP's is a small SentencePiece-style Unigram tokenizer
trained here (the real one is a 32k SentencePiece model no package ships), and for siglip_spm a
small SentencePiece model trained with `sentencepiece` and read by transformers' SiglipTokenizer. Images go through
transformers' PIL image processors (CLIPImageProcessorPil, SiglipImageProcessorPil), which are
the ones transformers uses without torchvision and the ones the models were trained with.
The reference: per text its token ids and normalized text embedding, per image its pixel values
and normalized image embedding, and the cosine of every text with every image; all float32 on
the CPU.
"""

import gzip
import json
import os
import sys
import sysconfig

import numpy as np
import torch
from PIL import Image

TEXTS = [
    "a photo of a red square",
    "A blue circle on a white background.",
    "The cat sits on the mat. It is green! Is there a dog?",
    "It is green!",
    "Is there a dog?",
    "The cat sits on the mat.",
    " ".join(["a very long answer that goes on"] * 20),
]


def images(out):
    """Fixed images of several shapes (landscape, portrait, square, noise), saved as PNG."""
    rng = np.random.default_rng(7)
    made = []
    y, x = np.mgrid[0:40, 0:48]
    grad = np.stack([x * 5, y * 6, (x + y) * 2], axis=-1).astype(np.uint8)
    made.append(("gradient.png", grad))
    tall = np.zeros((57, 31, 3), np.uint8)
    tall[:, :, 2] = 200
    tall[10:40, 5:25, 0] = 230
    made.append(("tall.png", tall))
    made.append(("noise.png", rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)))
    made.append(("big.png", rng.integers(0, 256, (90, 70, 3), dtype=np.uint8)))
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    paths = []
    for name, arr in made:
        path = os.path.join(out, "images", name)
        Image.fromarray(arr, "RGB").save(path)
        paths.append(path)
    return paths


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def clip_tokenizer(folder):
    """openai/clip-vit-base-patch32's tokenizer: vocabulary and merges from open_clip's BPE file
    (as open_clip's SimpleTokenizer and transformers' vocab.json read it), built by
    transformers' CLIPTokenizer and saved as tokenizer.json."""
    from transformers import CLIPTokenizer

    site = sysconfig.get_path("purelib")
    bpe = os.path.join(site, "open_clip", "bpe_simple_vocab_16e6.txt.gz")
    lines = gzip.open(bpe).read().decode("utf-8").split("\n")
    merges = [tuple(m.split()) for m in lines[1 : 49152 - 256 - 2 + 1]]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    tok = CLIPTokenizer(vocab={v: i for i, v in enumerate(vocab)}, merges=merges, model_max_length=77)
    tok.save_pretrained(folder)
    return tok


def siglip_tokenizer(folder, max_len):
    """A small Unigram tokenizer in SigLIP's manner: SentencePiece's metaspace, `</s>` appended."""
    from tokenizers import SentencePieceUnigramTokenizer, processors

    corpus = TEXTS + [
        "a photo of a cat", "a dog on the grass", "two people walking", "the sky is blue today",
        "a red car in the street", "green trees and a river", "an old house with a garden",
    ] * 20
    tok = SentencePieceUnigramTokenizer()
    tok.train_from_iterator(corpus, vocab_size=120, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>")
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))])
    tok.save(os.path.join(folder, "tokenizer.json"))
    from tokenizers import Tokenizer

    t = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    t.enable_truncation(max_len)
    t.enable_padding(length=max_len, pad_id=t.token_to_id("<pad>"), pad_token="<pad>")
    return t


# More texts for the SentencePiece tokenizer: case, punctuation, white space, NFKC, unknown
# characters, `▁` and special tokens in the text, an empty text.
SPM_TEXTS = TEXTS + [
    "A Photo, of a CAT!",
    "  two   people\twalking  ",
    "\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 caf\u00e9 \u00a8 x",
    "a \u2603 snowman \u2603\u2603",
    "under_score \u2581 line",
    "",
    "a </s> b",
    "</s> starts special <unk>",
]


def siglip_spm_tokenizer(folder):
    """SigLIP's real tokenizer class, transformers' SiglipTokenizer, over a small SentencePiece
    Unigram model trained here with the `sentencepiece` package in SigLIP's manner (NFKC
    normalization; `<pad>` 0, `</s>` 1, `<unk>` 2; no `<s>`); saved as google/siglip-* folders
    are: spiece.model and tokenizer_config.json, no tokenizer.json."""
    import io

    import sentencepiece as spm
    from transformers import SiglipTokenizer

    corpus = [t.lower() for t in TEXTS] + [
        "a photo of a cat", "a dog on the grass", "two people walking", "the sky is blue today",
        "a red car in the street", "green trees and a river", "caf\u00e9 na\u00efve r\u00e9sum\u00e9",
    ] * 20
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_writer=model, vocab_size=110, model_type="unigram",
        normalization_rule_name="nmt_nfkc", pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        character_coverage=1.0, hard_vocab_limit=False, num_threads=1, minloglevel=2)
    with open(os.path.join(folder, "spiece.model"), "wb") as f:
        f.write(model.getvalue())
    tok = SiglipTokenizer(os.path.join(folder, "spiece.model"))
    tok.save_pretrained(folder)
    assert not os.path.exists(os.path.join(folder, "tokenizer.json"))
    return tok


def clip(out, image_paths, name="clip", act="quick_gelu"):
    """A tiny CLIPModel; `act` is both towers' hidden_act (OpenAI's CLIP: quick_gelu; the LAION /
    open_clip conversions: gelu)."""
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel

    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    tok = clip_tokenizer(folder)
    config = CLIPConfig(
        text_config=dict(vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=77, bos_token_id=49406,
                         eos_token_id=49407, pad_token_id=49407, hidden_act=act),
        vision_config=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8, hidden_act=act),
        projection_dim=24,
    )
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    # The default initialization leaves layer norms at 1 and 0 and biases at 0: make them random
    # too, so a mistake in any of them shows.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(folder, safe_serialization=True)
    proc = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    proc.save_pretrained(folder)
    texts = []
    for t in TEXTS:
        ids = tok(t, truncation=True, max_length=77)["input_ids"]
        texts.append((t, ids))
    return reference(model, texts, image_paths, proc)


def siglip(out, image_paths, name="siglip"):
    """A tiny SiglipModel; `siglip` with a tokenizer.json, `siglip_spm` with SigLIP's own
    SentencePiece tokenizer (siglip_spm_tokenizer) and the pad token its config names (`</s>`)."""
    from transformers import SiglipConfig, SiglipImageProcessorPil, SiglipModel

    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    max_len = 16
    if name == "siglip_spm":
        tok = siglip_spm_tokenizer(folder)
        vocab, pad, eos = tok.vocab_size, tok.pad_token_id, tok.eos_token_id
        texts = [(t, tok(t, padding="max_length", max_length=max_len, truncation=True)["input_ids"]) for t in SPM_TEXTS]
    else:
        tok = siglip_tokenizer(folder, max_len)
        vocab, pad, eos = tok.get_vocab_size(), tok.token_to_id("<pad>"), tok.token_to_id("</s>")
        texts = [(t, tok.encode(t).ids) for t in TEXTS]
    config = SiglipConfig(
        text_config=dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=max_len,
                         pad_token_id=pad, eos_token_id=eos),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8),
    )
    torch.manual_seed(1)
    model = SiglipModel(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(folder, safe_serialization=True)
    proc = SiglipImageProcessorPil(size={"height": 32, "width": 32})
    proc.save_pretrained(folder)
    return reference(model, texts, image_paths, proc)


def reference(model, texts, image_paths, proc):
    out = {"texts": [], "images": []}
    with torch.no_grad():
        text_embeds = []
        for text, ids in texts:
            e = model.get_text_features(input_ids=torch.tensor([ids]))
            e = getattr(e, "pooler_output", e)
            e = torch.nn.functional.normalize(e, dim=-1)[0]
            text_embeds.append(e)
            out["texts"].append({"text": text, "ids": ids, "embedding": e.tolist()})
        image_embeds = []
        for path in image_paths:
            pixels = proc(images=Image.open(path).convert("RGB"), return_tensors="pt")["pixel_values"]
            e = model.get_image_features(pixel_values=pixels)
            e = getattr(e, "pooler_output", e)
            e = torch.nn.functional.normalize(e, dim=-1)[0]
            image_embeds.append(e)
            out["images"].append({"file": os.path.basename(path), "pixels": pixels[0].flatten().tolist(),
                                  "embedding": e.tolist()})
        out["cosine"] = [[float(t @ i) for i in image_embeds] for t in text_embeds]
        # Check against the model's own forward: its logits are the scaled cosines.
        ids = texts[0][1]
        pixels = proc(images=Image.open(image_paths[0]).convert("RGB"), return_tensors="pt")["pixel_values"]
        logits = model(input_ids=torch.tensor([ids]), pixel_values=pixels).logits_per_text[0, 0]
        scale = model.logit_scale.exp()
        bias = getattr(model, "logit_bias", torch.zeros(1))
        assert abs(float(logits - (out["cosine"][0][0] * scale + bias))) < 1e-4, "forward disagrees"
    return out


def main():
    out = sys.argv[1]
    torch.set_num_threads(1)
    paths = images(out)
    ref = {"clip": clip(out, paths), "clip_gelu": clip(out, paths, "clip_gelu", "gelu"), "siglip": siglip(out, paths),
           "siglip_spm": siglip(out, paths, "siglip_spm")}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f)
    json.dump(ref, sys.stdout)


if __name__ == "__main__":
    main()
