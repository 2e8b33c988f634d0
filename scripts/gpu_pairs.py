#!/usr/bin/env python3
"""Writes the GPU check's pairs: N (prompt, response) pairs from a fixed seed (prompts ~15 words,
responses ~100, from a small vocabulary), as PAIRS.jsonl for Verdict and, tokenized with the
model's own tokenizer.json (cut at its max_seq_length), as TOKENS.json for the PyTorch peer.

  gpu_pairs.py MODEL_DIR N PAIRS.jsonl TOKENS.json
"""
import json
import random
import sys

from tokenizers import Tokenizer

WORDS = ("the a of to and in is that it for on with as was by this be are from at or an which "
         "image photo shows man woman dog cat car street table red blue green left right two three "
         "person holding sitting standing building sky tree water white black small large wooden").split()


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def main():
    model, n, pairs_path, tokens_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rng = random.Random(0)
    pairs = []
    for _ in range(n):
        prompt = sentence(rng, rng.randint(10, 20))[:-1] + "?"
        response = " ".join(sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(5, 9)))
        pairs.append({"prompt": prompt, "response": response})
    with open(pairs_path, "w") as f:
        for p in pairs:
            f.write(json.dumps(p) + "\n")
    tok = Tokenizer.from_file(f"{model}/tokenizer.json")
    limit = json.load(open(f"{model}/sentence_bert_config.json")).get("max_seq_length", 256)
    tok.enable_truncation(limit)
    tok.no_padding()
    ids = lambda t: tok.encode(t).ids
    json.dump([{"prompt": ids(p["prompt"]), "response": ids(p["response"])} for p in pairs], open(tokens_path, "w"))


if __name__ == "__main__":
    main()
