"""The CLIP benchmark's peer (scripts/bench_clip.sh): transformers' CLIPModel on the CPU.

    python scripts/peer_clip.py make DIR
        writes a ViT-B/32-shaped CLIP (openai/clip-vit-base-patch32's configuration: vision 12
        layers 768 wide, patch 32 at 224; text 12 layers 512 wide; projection 512) with random
        weights (seed 0), the real CLIP tokenizer (scripts/tiny_clip_models.py builds it from
        open_clip_torch's BPE file) and CLIPImageProcessorPil's configuration
    python scripts/peer_clip.py make-siglip DIR
        writes a SigLIP-base-shaped SiglipModel (google/siglip-base-patch16-224's sizes: both towers
        12 layers 768 wide, patch 16 at 224, texts padded to 64) with random weights (seed 0), a
        SentencePiece-style tokenizer.json (tiny_clip_models.siglip_tokenizer) and
        SiglipImageProcessorPil's configuration
    python scripts/peer_clip.py bench DIR [--batch 32] [--runs 5] [--threads 2]
        encodes the same images and texts as examples/clip_bench.rs, prints one JSON line:
        `images` (CLIPImageProcessorPil then get_image_features), `image_model` (the forward pass
        alone), `texts` (the tokenizer then get_text_features), seconds per run after a warm-up
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def make(out):
    import torch
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel

    import tiny_clip_models

    os.makedirs(out, exist_ok=True)
    tiny_clip_models.clip_tokenizer(out)
    config = CLIPConfig(
        text_config=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8,
                         max_position_embeddings=77, bos_token_id=49406, eos_token_id=49407, pad_token_id=49407),
        vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                           image_size=224, patch_size=32),
        projection_dim=512,
    )
    torch.manual_seed(0)
    CLIPModel(config).eval().save_pretrained(out, safe_serialization=True)
    CLIPImageProcessorPil().save_pretrained(out)


def make_siglip(out):
    import torch
    from transformers import SiglipConfig, SiglipImageProcessorPil, SiglipModel
    import tiny_clip_models

    os.makedirs(out, exist_ok=True)
    tok = tiny_clip_models.siglip_tokenizer(out, 64)
    config = SiglipConfig(
        text_config=dict(vocab_size=tok.get_vocab_size(), hidden_size=768, intermediate_size=3072,
                         num_hidden_layers=12, num_attention_heads=12, max_position_embeddings=64,
                         pad_token_id=tok.token_to_id("<pad>"), eos_token_id=tok.token_to_id("</s>")),
        vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                           image_size=224, patch_size=16),
    )
    torch.manual_seed(0)
    SiglipModel(config).eval().save_pretrained(out, safe_serialization=True)
    SiglipImageProcessorPil(size={"height": 224, "width": 224}).save_pretrained(out)


def texts(n):
    words = ["a", "photo", "of", "the", "red", "car", "parked", "near", "an", "old", "house", "with", "green", "trees"]
    return [" ".join(words[(i * 7 + j * 3) % len(words)] for j in range(8 + i % 33)) for i in range(n)]


def images(n):
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:480, 0:640].astype(np.uint32)
    out = []
    for k in range(n):
        rgb = np.stack([(x * 3 + y + k * 11) % 256, (x + y * 5 + k * 7) % 256, (x * y + k) % 256], axis=-1)
        out.append(Image.fromarray(rgb.astype(np.uint8), "RGB"))
    return out


def bench(folder, batch, runs, threads):
    import torch
    from transformers import CLIPImageProcessorPil, CLIPModel, CLIPTokenizer, SiglipImageProcessorPil, SiglipModel

    torch.set_num_threads(threads)
    siglip = json.load(open(os.path.join(folder, "config.json")))["architectures"][0] == "SiglipModel"
    if siglip:
        from tokenizers import Tokenizer

        model = SiglipModel.from_pretrained(folder).eval()
        proc = SiglipImageProcessorPil.from_pretrained(folder)
        spm = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        spm.enable_truncation(64)
        spm.enable_padding(length=64, pad_id=spm.token_to_id("<pad>"), pad_token="<pad>")
        # As SigLIP reads texts: padded to its length, no attention mask.
        tok = lambda ts: {"input_ids": torch.tensor([e.ids for e in spm.encode_batch(ts)])}
    else:
        model = CLIPModel.from_pretrained(folder).eval()
        proc = CLIPImageProcessorPil.from_pretrained(folder)
        clip_tok = CLIPTokenizer.from_pretrained(folder)
        tok = lambda ts: clip_tok(ts, padding=True, truncation=True, max_length=77, return_tensors="pt")
    ts, ims = texts(batch), images(batch)
    pixels = proc(images=ims, return_tensors="pt")["pixel_values"]
    t_images, t_model, t_texts = [], [], []
    with torch.inference_mode():
        for run in range(runs + 1):
            t = time.perf_counter()
            model.get_image_features(pixel_values=proc(images=ims, return_tensors="pt")["pixel_values"])
            a = time.perf_counter() - t
            t = time.perf_counter()
            model.get_image_features(pixel_values=pixels)
            b = time.perf_counter() - t
            t = time.perf_counter()
            enc = tok(ts)
            model.get_text_features(**enc)
            c = time.perf_counter() - t
            if run > 0:
                t_images.append(a)
                t_model.append(b)
                t_texts.append(c)
    med = lambda v: sorted(v)[len(v) // 2]
    print(json.dumps({
        "impl": f"transformers {__import__('transformers').__version__} (torch {torch.__version__})",
        "batch": batch, "threads": threads, "images": t_images, "image_model": t_model, "texts": t_texts,
        "median": {"images": med(t_images), "image_model": med(t_model), "texts": med(t_texts)},
    }))


def main():
    args = sys.argv[1:]
    opt = lambda name, d: int(args[args.index(name) + 1]) if name in args else d
    if args[0] == "make":
        make(args[1])
    elif args[0] == "make-siglip":
        make_siglip(args[1])
    else:
        bench(args[1], opt("--batch", 32), opt("--runs", 5), opt("--threads", 2))


if __name__ == "__main__":
    main()
