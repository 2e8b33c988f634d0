"""Tiny reward models for Verdict's reward-scorer tests (tests/score_reward.rs), made with
`transformers` and `tokenizers`, and the logits they give for fixed (prompt, response) pairs.

    python scripts/tiny_reward_models.py OUT_DIR
        writes OUT_DIR/<name>/{config.json, model.safetensors, tokenizer.json, tokenizer_config.json}
        for each model below and prints, as JSON on stdout:
        {"pairs": [[prompt, response], ...],
         "models": {name: {"dir": folder, "max_length": n, "logits": [[...], ...]}}}

The models are randomly initialized, seeded, hidden size 32, 2 layers, and their tokenizers'
vocabularies built from the corpus below (the same every run):
  tiny-deberta-reward   DebertaV2ForSequenceClassification shaped like DeBERTa-v3 (the public
                        OpenAssistant/reward-model-deberta-v3-* family): relative attention with
                        log position buckets, shared attention keys, c2p and p2c, no absolute
                        positions, no token types; one label; a Unigram tokenizer.json laid out as
                        transformers converts deberta-v3's spm.model (Strip, spaces collapsed,
                        Metaspace, [CLS] A [SEP] B [SEP] with type ids 0 and 1). The real one also
                        has a Precompiled (NFKC) normalizer, which needs sentencepiece to make.
  tiny-deberta-v2-conv  the same shaped like DeBERTa-v2-xlarge: a convolution layer beside the first
                        layer (conv_kernel_size 3, conv_act gelu).
  tiny-deberta-v2-conv-1-layer  one layer, a convolution of width 5 with transformers' default
                        activation (tanh).
  tiny-cross-encoder    BertForSequenceClassification shaped like cross-encoder/ms-marco-MiniLM-L-6-v2
                        (pooler dense+tanh over [CLS], classifier), one label, a lowercasing WordPiece.
  tiny-cross-encoder-2  the same with two labels, id2label {0: negative, 1: positive}.

Inputs are encoded as the models are used: the tokenizer's pair encoding (prompt, response), cut to
the tokenizer's model_max_length (40 here, so long pairs are cut) from the response's end
(truncation="only_second"); where the prompt alone does not fit, both are cut longest-first. The
pairs are scored in one padded batch, on the CPU in float32. The tokenizer is tokenizer.json as
the file says (PreTrainedTokenizerFast), as Verdict reads it.
"""

import json
import os
import sys

MAX_LENGTH = 40

PAIRS = [
    ("What color is the ball?", "The ball is red."),
    ("What color is the ball?", "Paris is the capital of France, and it is a city."),
    ("Describe the weather in the photo.", "It is a sunny day with a clear blue sky over the hills."),
    # The response is cut from its end: the question stays whole.
    (
        "How many apples are in the bowl?",
        " ".join(["There are two apples and an orange in the bowl next to the window."] * 6),
    ),
    # The prompt alone does not fit: both are cut, longest first.
    (" ".join(["Why is the sky blue during the day and red at dusk?"] * 8), "Because of scattering."),
    ("Ünïcödé naïve café — déjà vu?", "  Spaces   and\ttabs \n everywhere  "),
    ("", "An empty prompt."),
    ("A prompt with an empty response.", ""),
]

CORPUS = [p for pair in PAIRS for p in pair] + [
    "The quick brown fox jumps over the lazy dog.",
    "A red circle above a blue square on a yellow background.",
    "The model answers questions about images and text.",
    "Numbers like 1,234.56 and symbols such as & or ? appear too.",
    "Curators label pairs of answers as chosen and rejected.",
]


def word_counts(normalize, pre_tokenize):
    """How often each pre-tokenized word of CORPUS occurs."""
    counts = {}
    for text in CORPUS:
        for word, _ in pre_tokenize(normalize(text)):
            counts[word] = counts.get(word, 0) + 1
    return counts


# The vocabularies are built here rather than trained: tokenizers' trainers give a different
# vocabulary from run to run (their hash maps' order), and with it different token ids, logits and
# spread of scores. Each holds the specials, every character, and the words seen twice or more;
# rarer words are spelled out.


def wordpiece_tokenizer(path):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=None, clean_text=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts = word_counts(normalizer.normalize_str, pre_tokenizer.pre_tokenize_str)
    chars = sorted({c for w in counts for c in w})
    words = sorted(w for w, n in counts.items() if n >= 2 and len(w) > 1)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens = dict.fromkeys(specials + chars + ["##" + c for c in chars] + words)
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(tokens)}, unk_token="[UNK]",
                                     max_input_chars_per_word=100))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    tok.decoder = decoders.WordPiece()
    tok.save(path)
    return tok


def unigram_tokenizer(path):
    import math

    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    normalizer = normalizers.Sequence([normalizers.Strip(), normalizers.Replace(Regex(" {2,}"), " ")])
    metaspace = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    counts = word_counts(normalizer.normalize_str, metaspace.pre_tokenize_str)
    total = sum(counts.values())
    chars = sorted({c for w in counts for c in w})
    words = sorted(w for w, n in counts.items() if n >= 2 and len(w) > 1)
    specials = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]
    # Log frequencies as scores; a character alone scores below any word.
    vocab = [(t, 0.0) for t in specials] + [(c, math.log(0.1 / total)) for c in chars]
    vocab += [(w, math.log(counts[w] / total)) for w in words if w not in chars]
    tok = Tokenizer(models.Unigram(vocab, unk_id=specials.index("[UNK]"), byte_fallback=False))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizers.Sequence([metaspace])
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.save(path)
    return tok


def write_tokenizer_config(folder, fast):
    specials = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                "mask_token": "[MASK]"}
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": fast, "model_max_length": MAX_LENGTH, **specials}, f, indent=2)


def randomize(model, seed):
    """Weights far from transformers' small init, so that a wrong layer shows in the logits."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if "LayerNorm.weight" in name or "layer_norm.weight" in name:
                p.copy_(1.0 + 0.2 * noise)
            else:
                p.copy_(0.3 * noise)


def encode(tokenizer, prompt, response):
    # PreTrainedTokenizerFast leaves token types out unless asked; BERT reads them.
    kwargs = {"max_length": MAX_LENGTH, "return_token_type_ids": True}
    try:
        return tokenizer(prompt, response, truncation="only_second", **kwargs)
    except Exception:
        return tokenizer(prompt, response, truncation="longest_first", **kwargs)


def logits(folder):
    import torch
    from transformers import AutoModelForSequenceClassification, PreTrainedTokenizerFast

    # tokenizer.json as it is: transformers 5's DebertaV2Tokenizer (AutoTokenizer) replaces the
    # file's normalizer with its own (whitespace runs, tabs and newlines to one space, NFC, right
    # strip), where transformers 4 read deberta-v3's tokenizer.json as converted; Verdict reads it.
    tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    encodings = [encode(tokenizer, p, r) for p, r in PAIRS]
    batch = tokenizer.pad(encodings, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**batch).logits
    return [[float(x) for x in row] for row in out]


def build(out):
    import torch
    from transformers import (BertConfig, BertForSequenceClassification, DebertaV2Config,
                              DebertaV2ForSequenceClassification)

    torch.manual_seed(0)
    made = {}

    folder = os.path.join(out, "tiny-deberta-reward")
    os.makedirs(folder, exist_ok=True)
    tok = unigram_tokenizer(os.path.join(folder, "tokenizer.json"))
    config = DebertaV2Config(
        vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=48, hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        max_position_embeddings=64, type_vocab_size=0, initializer_range=0.02, layer_norm_eps=1e-7,
        relative_attention=True, max_relative_positions=-1, position_buckets=8, norm_rel_ebd="layer_norm",
        share_att_key=True, pos_att_type=["p2c", "c2p"], position_biased_input=False, pad_token_id=0,
        pooler_hidden_size=32, pooler_dropout=0, pooler_hidden_act="gelu", num_labels=1,
        id2label={0: "LABEL_0"}, label2id={"LABEL_0": 0},
    )
    model = DebertaV2ForSequenceClassification(config)
    randomize(model, 1)
    model.save_pretrained(folder, safe_serialization=True)
    write_tokenizer_config(folder, "DebertaV2TokenizerFast")
    made["tiny-deberta-reward"] = folder

    for name, conv, seed in [("tiny-deberta-v2-conv", {"conv_kernel_size": 3, "conv_act": "gelu"}, 4),
                             ("tiny-deberta-v2-conv-1-layer", {"conv_kernel_size": 5, "num_hidden_layers": 1}, 5)]:
        conv_folder = os.path.join(out, name)
        os.makedirs(conv_folder, exist_ok=True)
        unigram_tokenizer(os.path.join(conv_folder, "tokenizer.json"))
        conv_config = DebertaV2Config(**{**config.to_dict(), **conv})
        model = DebertaV2ForSequenceClassification(conv_config)
        randomize(model, seed)
        model.save_pretrained(conv_folder, safe_serialization=True)
        write_tokenizer_config(conv_folder, "DebertaV2TokenizerFast")
        made[name] = conv_folder

    for name, labels, seed in [("tiny-cross-encoder", ["LABEL_0"], 2),
                               ("tiny-cross-encoder-2", ["negative", "positive"], 3)]:
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        tok = wordpiece_tokenizer(os.path.join(folder, "tokenizer.json"))
        config = BertConfig(
            vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=37, hidden_act="gelu", max_position_embeddings=64, type_vocab_size=2,
            layer_norm_eps=1e-12, pad_token_id=0, num_labels=len(labels),
            id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
        )
        model = BertForSequenceClassification(config)
        randomize(model, seed)
        model.save_pretrained(folder, safe_serialization=True)
        write_tokenizer_config(folder, "BertTokenizerFast")
        made[name] = folder

    return {
        "pairs": [list(p) for p in PAIRS],
        "models": {name: {"dir": folder, "max_length": MAX_LENGTH, "logits": logits(folder)}
                   for name, folder in made.items()},
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT_DIR")
    import torch

    torch.set_num_threads(2)
    print(json.dumps(build(sys.argv[1])))


if __name__ == "__main__":
    main()
