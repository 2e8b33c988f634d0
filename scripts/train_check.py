#!/usr/bin/env python3
"""Trains on a Verdict export with the trainers' own code, on tiny randomly initialized models, and
prints what they read.

    train_check.py trl-text DIR FILE             # TRL DPOTrainer, 2 steps, tiny Llama (text)
    train_check.py trl-vision DIR FILE           # TRL DPOTrainer, 2 steps, tiny LLaVA (images)
    train_check.py openrlhf DIR FILE [--chat-template]   # OpenRLHF preprocess_data and RewardDataset
    train_check.py swift DIR FILE [--vision]     # ms-swift load_dataset and its DPO encoding

Each prints one JSON object on stdout and exits non-zero with the trainer's own error when it
refuses the export. Nothing is downloaded (HF_HUB_OFFLINE=1): the tokenizer is trained here with
the `tokenizers` library and the models are built from configs. The `trl-*` and `openrlhf`
commands run in target/pyenv (scripts/python-env.sh); `swift` in target/pyenv-swift (ms-swift pins
older datasets, transformers and TRL than the others). Nothing here reads ../shared or the network.
"""

import json
import math
import os
import sys
import tempfile
import types

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The torch wheel is a CUDA build; the check runs on the CPU wherever it runs.
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"]

# Qwen2's chat template in miniature: `content` is joined with `+`, so a message whose content is a
# list of typed parts fails here as it does with Llama's or Qwen's own templates.
TEXT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# A vision chat template as LLaVA processors have: typed parts, `<image>` for each image part.
VISION_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>' }}"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "What is shown in the picture? A red circle on a white background.",
    "You are a helpful assistant. Answer briefly and truthfully.",
    "user assistant system question answer image chosen rejected prompt",
    "0123456789 yes no maybe, the colour is blue green red; it is a cat.",
]


def tokenizer(chat_template):
    """A byte-level BPE tokenizer trained here (every byte is in its alphabet, so any text
    tokenizes), wrapped as a transformers fast tokenizer with the chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(CORPUS * 4, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_special_tokens={"image_token": "<image>"} if chat_template is VISION_TEMPLATE else None,
    )
    fast.chat_template = chat_template
    return fast


def text_config(vocab_size):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=False,
    )


def load(path):
    """HF `datasets`, as the TRL docs load a local file: the builder named by the extension."""
    import datasets

    kind = {"jsonl": "json", "json": "json", "parquet": "parquet"}[path.rsplit(".", 1)[-1]]
    return datasets.load_dataset(kind, data_files={"train": path}, split="train")


def dpo(model_dir, processing_class, dataset, out_dir):
    """TRL's DPOTrainer for 2 optimizer steps on the CPU, the model loaded from `model_dir` (TRL
    builds the reference model from the same path)."""
    from trl import DPOConfig, DPOTrainer

    args = DPOConfig(
        output_dir=out_dir,
        per_device_train_batch_size=2,
        max_steps=2,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        dataloader_num_workers=0,
        dataset_num_proc=None,
        max_length=None,
        seed=0,
    )
    trainer = DPOTrainer(model=model_dir, args=args, train_dataset=dataset, processing_class=processing_class)
    trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    return trainer, {
        "rows": len(dataset),
        "steps": trainer.state.global_step,
        "losses": losses,
        "finite": bool(losses) and all(math.isfinite(x) for x in losses),
    }


def trl_text(directory, file_name):
    import torch
    from transformers import LlamaForCausalLM

    os.chdir(directory)
    dataset = load(file_name)
    tok = tokenizer(TEXT_TEMPLATE)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as work:
        model_dir = os.path.join(work, "model")
        LlamaForCausalLM(text_config(len(tok))).save_pretrained(model_dir)
        tok.save_pretrained(model_dir)
        trainer, out = dpo(model_dir, tok, dataset, os.path.join(work, "out"))
        prepared = trainer.train_dataset
        # What the model was trained on: each row's prompt as TRL tokenized it, decoded.
        out["prompts"] = [tok.decode(ids) for ids in prepared["prompt_ids"]]
        out["chosen"] = [tok.decode(ids) for ids in prepared["chosen_ids"]]
    out["columns"] = dataset.column_names
    return out


def text_of(messages):
    """The text of a prompt: a string, or the text parts of conversational messages."""
    if isinstance(messages, str):
        return messages
    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            out.extend(p["text"] for p in content if p.get("type") == "text" and p.get("text"))
    return "\n".join(out)


def trl_vision(directory, file_name):
    import torch
    from datasets import Image, List
    from transformers import CLIPImageProcessor, CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration
    from transformers import LlavaProcessor

    os.chdir(directory)  # a JSONL export's media paths are relative to the export folder
    dataset = load(file_name)
    if dataset.features["images"] != List(Image()):
        # A JSON file has no types: paths become images the way the TRL docs show.
        dataset = dataset.cast_column("images", List(Image()))
    tok = tokenizer(VISION_TEMPLATE)
    size, patch = 30, 6
    vision = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=size,
        patch_size=patch,
        projection_dim=32,
    )
    config = LlavaConfig(
        vision_config=vision,
        text_config=text_config(len(tok)),
        image_token_index=tok.convert_tokens_to_ids("<image>"),
        vision_feature_select_strategy="default",
        vision_feature_layer=-2,
    )
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": size}, crop_size={"height": size, "width": size}, do_convert_rgb=True
        ),
        tokenizer=tok,
        patch_size=patch,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=VISION_TEMPLATE,
    )
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as work:
        model_dir = os.path.join(work, "model")
        LlavaForConditionalGeneration(config).save_pretrained(model_dir)
        processor.save_pretrained(model_dir)
        trainer, out = dpo(model_dir, processor, dataset, os.path.join(work, "out"))
        # What reaches the model: the collator's batch over every row (pixels and image tokens).
        batch = trainer.data_collator([dict(row) for row in dataset])
        image_id = config.image_token_index
        rows = len(dataset)
        out["image_tokens"] = [int((ids == image_id).sum()) for ids in batch["input_ids"][:rows]]
        out["pixel_values"] = list(batch["pixel_values"].shape) if "pixel_values" in batch else None
        out["images"] = [[list(im.size) for im in row["images"]] for row in dataset]
        out["tokens_per_image"] = (size // patch) ** 2
        out["questions"] = [text_of(row["prompt"]) for row in dataset]
    out["columns"] = dataset.column_names
    return out


def openrlhf(directory, file_name, chat_template):
    """OpenRLHF's own reader: `blending_datasets` loads the file, `RewardDataset` runs
    `preprocess_data` on each row (with the tokenizer's chat template when `--chat-template`,
    as `--apply_chat_template` does) and tokenizes; a reward-model batch carries the margins."""
    from openrlhf.datasets.reward_dataset import RewardDataset, preprocess_data
    from openrlhf.datasets.utils import blending_datasets

    tok = tokenizer(TEXT_TEMPLATE)
    data_args = types.SimpleNamespace(
        prompt_key="prompt",
        chosen_key="chosen",
        rejected_key="rejected",
        apply_chat_template=chat_template,
        tokenizer_chat_template=None,
    )
    # The few members of OpenRLHF's DeepSpeed strategy its dataset code touches (`args.data.*`,
    # `print`, `is_rank_0`); the strategy itself wants deepspeed and a GPU.
    strategy = types.SimpleNamespace(
        args=types.SimpleNamespace(data=data_args, use_ms=False),
        print=lambda *a: print(*a, file=sys.stderr),
        is_rank_0=lambda: False,
    )
    data = blending_datasets(os.path.join(directory, file_name), None, strategy)
    apply = tok.apply_chat_template if chat_template else None
    read = [preprocess_data(row, None, "prompt", "chosen", "rejected", apply) for row in data]
    reward = RewardDataset(data, tok, 512, strategy, num_processors=1)
    batch = reward.collate_fn([reward[i] for i in range(len(reward))])
    dpo_set = RewardDataset(data, tok, 512, strategy, is_dpo=True, num_processors=1)
    return {
        "rows": len(data),
        "columns": data.column_names,
        "prompts": [r[0] for r in read],
        "chosen": [r[1] for r in read],
        "rejected": [r[2] for r in read],
        "margins": [r[3] for r in read],
        "reward_margins": list(batch[4]),
        "reward_rows": len(reward),
        "dpo_rows": len(dpo_set),
        "dpo_prompt_tokens": list(dpo_set.extras),
    }


def swift(directory, file_name, vision):
    """ms-swift's `load_dataset` on the file (read from another working directory, media found
    through ROOT_IMAGE_DIR as the manifest says), then its template in DPO mode (`swift rlhf
    --rlhf_type dpo` sets mode "rlhf") encodes each row and collates the batch."""
    import torch
    from swift.dataset import load_dataset
    from swift.model import get_processor
    from swift.template import get_template

    with tempfile.TemporaryDirectory() as work:
        os.environ["ROOT_IMAGE_DIR"] = directory
        os.environ["MODELSCOPE_CACHE"] = os.path.join(work, "cache")  # swift caches what it maps there
        os.chdir(work)
        model_dir = os.path.join(work, "model")
        if vision:
            from transformers import CLIPImageProcessor, LlavaProcessor

            tok = tokenizer(VISION_TEMPLATE)
            LlavaProcessor(
                image_processor=CLIPImageProcessor(size={"shortest_edge": 30}, crop_size={"height": 30, "width": 30}),
                tokenizer=tok,
                patch_size=6,
                vision_feature_select_strategy="default",
                num_additional_image_tokens=1,
                chat_template=VISION_TEMPLATE,
            ).save_pretrained(model_dir)
            model_type, template_type = "llava1_5_hf", "llava1_5_hf"
        else:
            tok = tokenizer(TEXT_TEMPLATE)
            tok.save_pretrained(model_dir)
            model_type, template_type = "qwen2", "chatml"
        write_config(model_dir, len(tok), vision)
        processor = get_processor(model_dir, model_type=model_type)
        template = get_template(processor, template_type=template_type)
        template.set_mode("rlhf")
        train, _ = load_dataset(os.path.join(directory, file_name), num_proc=1, load_from_cache_file=False)
        encoded = [template.encode(row) for row in train]
        batch = template.data_collator(encoded)
        image_id = tok.convert_tokens_to_ids("<image>")
        return {
            "rows": len(train),
            "columns": train.column_names,
            "messages": [row["messages"] for row in train],
            "rejected_response": [row.get("rejected_response") for row in train],
            "images": [len(row.get("images") or []) for row in train],
            "margins": [e.get("margin") for e in encoded],
            "batch_margin": batch["margin"].tolist() if "margin" in batch else None,
            "chosen_tokens": [len(e["chosen_input_ids"]) for e in encoded],
            "rejected_tokens": [len(e["rejected_input_ids"]) for e in encoded],
            "image_tokens": [int((torch.tensor(e["chosen_input_ids"]) == image_id).sum()) for e in encoded],
            "pixel_values": list(batch["pixel_values"].shape) if "pixel_values" in batch else None,
        }


def write_config(model_dir, vocab_size, vision):
    """A config.json for ms-swift's processor loader (it reads the model's config to choose the
    dtype and architecture); no weights are needed to encode."""
    from transformers import CLIPVisionConfig, LlavaConfig, Qwen2Config

    text = Qwen2Config(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2)
    if vision:
        config = LlavaConfig(
            vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                           num_attention_heads=4, image_size=30, patch_size=6),
            text_config=text,
        )
        config.architectures = ["LlavaForConditionalGeneration"]
    else:
        config = text
        config.architectures = ["Qwen2ForCausalLM"]
    config.save_pretrained(model_dir)


def main():
    command, directory, file_name = sys.argv[1:4]
    flags = sys.argv[4:]
    directory = os.path.abspath(directory)
    # Trainers print their logs on stdout; only the JSON answer goes there.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    if command == "trl-text":
        out = trl_text(directory, file_name)
    elif command == "trl-vision":
        out = trl_vision(directory, file_name)
    elif command == "openrlhf":
        out = openrlhf(directory, file_name, "--chat-template" in flags)
    elif command == "swift":
        out = swift(directory, file_name, "--vision" in flags)
    else:
        sys.exit(f"unknown command {command}")
    sys.stdout = real_stdout
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
