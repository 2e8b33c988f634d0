"""A tiny randomly initialized CLAP model (text-audio agreement) for Verdict's audio scoring tests
(tests/score_clap.rs), with transformers' outputs on fixed texts and clips as the reference.

    python scripts/tiny_clap_models.py OUT
        writes OUT/clap (a Hugging Face folder: config.json, model.safetensors, tokenizer.json,
        preprocessor_config.json), OUT/clap_fused (the same model with `enable_fusion`, which
        Verdict refuses by name), OUT/audio/*.wav (the fixed clips, 16-bit PCM) and
        OUT/reference.json, and prints the reference on stdout.

The model is transformers' ClapModel in the shape of laion/clap-htsat-unfused (an HTSAT audio
tower: Swin layers over the log-mel spectrogram laid out as an image, window attention with
shifted windows and patch merging; a RoBERTa text tower), scaled down: 16 mel bins, a 64-wide
spectrogram image, windows of 4 (so the shifted windows' mask counts), two stages. The fused one
reads 64 mel bins (transformers' fused extractor assumes 64) of 63 frames in one band. Its feature
extractor is transformers' ClapFeatureExtractor with `rand_trunc` truncation and `repeatpad`
padding (laion/clap-htsat-unfused's), at 16 kHz over 1 s clips. The tokenizer is a small
byte-level BPE trained here in RoBERTa's manner (`<s>` 0, `<pad>` 1, `</s>` 2). The batch norm's
running statistics and the relative position tables, which start as constants, are randomized.

The fused model's reference ("fused"): per clip its four channels of features, whether it is
longer than the model's second (the chirp: its whole mel shrunk and three crops, each from the
middle of its third, where the extractor draws at random), its normalized audio embedding, and
the texts' cosines with the clips.

The reference: per clip its samples' count, its log-mel features and normalized audio embedding;
per text its token ids and normalized text embedding; the cosine of every text with every clip.
A clip longer than the model's 1 s is cut to its first second (the extractor's random crop,
made at 0: Verdict's choice) before the extractor sees it. All float32 on the CPU.
"""

import json
import os
import sys

import numpy as np
import torch

RATE = 16_000

TEXTS = [
    "a dog barking in the distance",
    "A high tone. Then a low hum!",
    "rain falling on a tin roof",
    "",
    " ".join(["a very long caption that goes on and on"] * 30),
]

CORPUS = TEXTS + [
    "birds singing in the morning",
    "a car engine starts and drives away",
    "people talking in a busy cafe",
    "music with drums and a guitar",
    "the wind blows through the trees",
]


def clips(out):
    """Fixed clips, saved as 16-bit PCM WAV at 16 kHz mono: a short tone (repeated to fill the
    second), a chirp longer than a second (cut), a second of noise, a low hum with a click."""
    rng = np.random.default_rng(11)
    t = lambda seconds: np.arange(int(RATE * seconds)) / RATE
    made = [
        ("tone.wav", 0.4 * np.sin(2 * np.pi * 440 * t(0.3))),
        ("chirp.wav", 0.5 * np.sin(2 * np.pi * (200 + 900 * t(1.7)) * t(1.7))),
        ("noise.wav", rng.uniform(-0.3, 0.3, RATE)),
        ("hum.wav", 0.3 * np.sin(2 * np.pi * 60 * t(0.8)) + np.where(np.arange(int(RATE * 0.8)) == 4000, 0.9, 0.0)),
    ]
    os.makedirs(os.path.join(out, "audio"), exist_ok=True)
    listed = []
    for name, wave in made:
        pcm = np.clip(np.round(wave * 32767), -32768, 32767).astype("<i2")
        write_wav(os.path.join(out, "audio", name), pcm)
        # What a decoder gives back: the integers over 32768.
        listed.append((name, pcm.astype(np.float32) / 32768.0))
    return listed


def write_wav(path, pcm):
    data = pcm.tobytes()
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt "
    header += (16).to_bytes(4, "little") + (1).to_bytes(2, "little") + (1).to_bytes(2, "little")
    header += RATE.to_bytes(4, "little") + (RATE * 2).to_bytes(4, "little")
    header += (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    header += b"data" + len(data).to_bytes(4, "little")
    with open(path, "wb") as f:
        f.write(header + data)


def tokenizer(folder):
    """A byte-level BPE in RoBERTa's manner, saved as tokenizer.json."""
    from tokenizers import ByteLevelBPETokenizer, processors

    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(
        CORPUS, vocab_size=400, min_frequency=1, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    )
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    tok.save(os.path.join(folder, "tokenizer.json"))
    from tokenizers import Tokenizer

    return Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))


def build(out, fused=False):
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel

    name = "clap_fused" if fused else "clap"
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    tok = tokenizer(folder)
    torch.manual_seed(3)
    config = ClapConfig(
        text_config=dict(
            vocab_size=tok.get_vocab_size(),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            max_position_embeddings=66,
            type_vocab_size=1,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
        ),
        audio_config=dict(
            # transformers' fused extractor shrinks to 64 mel bins whatever its size: a fused
            # model reads 64, in a 64-wide image (one band: freq_ratio 1).
            num_mel_bins=64 if fused else 16,
            spec_size=64,
            window_size=4,
            patch_size=4,
            patch_stride=[4, 4],
            depths=[2, 2],
            num_attention_heads=[2, 4],
            patch_embeds_hidden_size=16,
            hidden_size=32,
            enable_fusion=fused,
            fusion_type="aff_2d" if fused else None,
        ),
        projection_dim=24,
    )
    model = ClapModel(config).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-20.0, 5.0)
                module.running_var.uniform_(50.0, 400.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
        for name_, p in model.named_parameters():
            if "relative_position_bias_table" in name_:
                p.normal_(0.0, 0.5)
    model.save_pretrained(folder, safe_serialization=True)
    extractor = ClapFeatureExtractor(
        feature_size=64 if fused else 16,
        sampling_rate=RATE,
        hop_length=256 if fused else 80,
        max_length_s=1,
        fft_window_size=512 if fused else 256,
        frequency_min=50,
        frequency_max=7000,
        truncation="fusion" if fused else "rand_trunc",
        padding="repeatpad",
    )
    extractor.save_pretrained(folder)
    return model, extractor, tok


def fused_reference(fused, extractor, listed, text):
    """The fused model's features and audio embeddings of the clips: a clip that fits is its mel
    four times; a longer one (the chirp) its shrunk mel and three crops, each from the middle of
    its third (the extractor draws them at random: numpy's choice is made to pick the middle)."""
    pick = np.random.choice
    np.random.choice = lambda r: r[len(r) // 2]
    try:
        got = extractor([w for _, w in listed], sampling_rate=RATE, return_tensors="pt")
    finally:
        np.random.choice = pick
    with torch.no_grad():
        audio = fused.get_audio_features(input_features=got["input_features"], is_longer=got["is_longer"]).pooler_output
    return {
        "clips": [
            {"file": f"audio/{name}", "longer": bool(l[0]), "features": f.reshape(-1).tolist(), "embedding": a.tolist()}
            for (name, _), f, l, a in zip(listed, got["input_features"], got["is_longer"].tolist(), audio)
        ],
        "cosines": (text @ audio.T).tolist(),
    }


def reference(out):
    model, extractor, tok = build(out)
    fused, fused_extractor, _ = build(out, fused=True)
    listed = clips(out)
    ref = {"clips": [], "texts": []}
    max_samples = extractor.nb_max_samples
    waves = [w[:max_samples] for _, w in listed]
    feats = extractor(waves, sampling_rate=RATE, return_tensors="pt")["input_features"]
    with torch.no_grad():
        audio = model.get_audio_features(input_features=feats).pooler_output
    for (name, wave), f, a in zip(listed, feats, audio):
        ref["clips"].append(
            {
                "file": f"audio/{name}",
                "samples": len(wave),
                "features": f.reshape(-1).tolist(),
                "embedding": a.tolist(),
            }
        )
    encodings = [tok.encode(t) for t in TEXTS]
    limit = model.config.text_config.max_position_embeddings - 2
    ids = [e.ids[: limit - 1] + [2] if len(e.ids) > limit else e.ids for e in encodings]
    width = max(len(i) for i in ids)
    input_ids = torch.tensor([i + [1] * (width - len(i)) for i in ids])
    mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i in ids])
    with torch.no_grad():
        text = model.get_text_features(input_ids=input_ids, attention_mask=mask).pooler_output
    for t, i, e in zip(TEXTS, ids, text):
        ref["texts"].append({"text": t, "ids": i, "embedding": e.tolist()})
    ref["cosines"] = (text @ audio.T).tolist()
    with torch.no_grad():
        fused_text = fused.get_text_features(input_ids=input_ids, attention_mask=mask).pooler_output
    ref["fused"] = fused_reference(fused, fused_extractor, listed, fused_text)
    ref["max_tokens"] = limit
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f)
    return ref


if __name__ == "__main__":
    json.dump(reference(sys.argv[1]), sys.stdout)
