#!/usr/bin/env python3
"""Loads a Verdict export with the readers trainers use, unmodified, and prints what they saw.

    check_export.py trl DIR FILE           # HF `datasets` + TRL's own data utilities
    check_export.py llamafactory DIR NAME  # LLaMA-Factory's dataset_info parser and sharegpt converter, then `datasets`
    check_export.py openrlhf DIR FILE      # HF `datasets`, then OpenRLHF's `preprocess_data` on each row

Prints one JSON object: {"rows": N, "images": [[w, h], ...] per row, "questions": [...], ...}; exits
non-zero with the reader's own error when a reader refuses the files. Runs in the virtual environment that
scripts/python-env.sh makes (pinned in scripts/requirements-readers.txt). Nothing here reads
../shared or the network.
"""

import importlib
import json
import os
import sys
import types

import datasets
from datasets import Image, List
from PIL import Image as PILImage


def load(path):
    """HF `datasets`, as a trainer script loads a local file: the builder named by the extension."""
    kind = {"jsonl": "json", "json": "json", "parquet": "parquet"}[path.rsplit(".", 1)[-1]]
    return datasets.load_dataset(kind, data_files={"train": path}, split="train")


def size_of(image):
    if isinstance(image, PILImage.Image):
        image.load()  # decode the pixels, not only the header
        return list(image.size)
    if isinstance(image, dict) and image.get("bytes") is not None:
        import io

        with PILImage.open(io.BytesIO(image["bytes"])) as im:
            im.load()
            return list(im.size)
    raise TypeError(f"not a decoded image: {type(image)}")


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


def check_trl(directory, file_name):
    from trl.data_utils import is_conversational, prepare_multimodal_messages

    os.chdir(directory)  # media paths in a JSONL export are relative to the export folder
    ds = load(file_name)
    if "images" in ds.column_names and ds.features["images"] != List(Image()):
        # A JSON file has no types: paths become images the way the TRL docs show.
        ds = ds.cast_column("images", List(Image()))
    out = {
        "rows": len(ds),
        "columns": ds.column_names,
        "images": [],
        "questions": [],
        "conversational": [],
        "string_contents": [],
    }
    for row in ds:
        conversational = is_conversational(row)
        out["conversational"].append(conversational)
        # What a text model's chat template needs: every message's content a string.
        out["string_contents"].append(
            conversational
            and all(isinstance(m["content"], str) for key in ("prompt", "chosen", "rejected") for m in row[key])
        )
        images = row.get("images") or []
        if conversational and "images" in ds.column_names:
            # What DPOTrainer's vision collator does with each row; raises when the image parts and
            # the images disagree.
            prepare_multimodal_messages(row["prompt"], images=images)
            prepare_multimodal_messages(row["chosen"])
            prepare_multimodal_messages(row["rejected"])
        out["images"].append([size_of(i) for i in images])
        out["questions"].append(text_of(row["prompt"]))
    return out


def import_llamafactory():
    """LLaMA-Factory's own `data.parser` and `data.converter`, without the GPU stack: its
    `extras.constants` and `extras.misc` import torch and peft, so those two get stand-ins with
    the few names the parser uses; every line of the parser and converter is LLaMA-Factory's."""
    spec = importlib.util.find_spec("llamafactory")
    root = os.path.dirname(spec.origin)

    def package(name, path):
        module = types.ModuleType(name)
        module.__path__ = [path]
        sys.modules[name] = module
        return module

    package("llamafactory", root)
    package("llamafactory.extras", os.path.join(root, "extras"))
    package("llamafactory.data", os.path.join(root, "data"))
    constants = types.ModuleType("llamafactory.extras.constants")
    constants.DATA_CONFIG = "dataset_info.json"
    constants.RUNNING_LOG = "running_log.txt"
    sys.modules["llamafactory.extras.constants"] = constants
    misc = types.ModuleType("llamafactory.extras.misc")
    misc.use_modelscope = lambda: False
    misc.use_openmind = lambda: False
    sys.modules["llamafactory.extras.misc"] = misc
    parser = importlib.import_module("llamafactory.data.parser")
    converter = importlib.import_module("llamafactory.data.converter")
    return parser, converter


def check_llamafactory(directory, name):
    parser, converter = import_llamafactory()
    (attr,) = parser.get_dataset_list([name], directory)
    assert attr.load_from == "file" and attr.ranking and attr.formatting == "sharegpt", attr
    ds = load(os.path.join(directory, attr.dataset_name))
    data_args = types.SimpleNamespace(media_dir=directory)
    convert = converter.get_dataset_converter(attr.formatting, attr, data_args)
    out = {"rows": len(ds), "columns": ds.column_names, "images": [], "videos": [], "questions": []}
    for row in ds:
        example = convert(row)
        if not example["_prompt"] or len(example["_response"]) != 2:
            raise ValueError(f"LLaMA-Factory's converter dropped the row as abnormal: {row}")
        images = example["_images"] or []
        prompt_text = "".join(m["content"] for m in example["_prompt"])
        for kind, items in (("<image>", images), ("<video>", example["_videos"] or []), ("<audio>", example["_audios"] or [])):
            # LLaMA-Factory's mm_plugin refuses a row whose placeholders and media differ in number.
            if prompt_text.count(kind) != len(items):
                raise ValueError(f"{prompt_text.count(kind)} {kind} tokens but {len(items)} items: {row}")
        sizes = []
        for image in images:
            if isinstance(image, str):
                if not os.path.isfile(image):
                    raise FileNotFoundError(f"{image} (resolved against media_dir {directory})")
                with PILImage.open(image) as im:
                    im.load()
                    sizes.append(list(im.size))
            else:
                sizes.append(size_of(image))
        out["images"].append(sizes)
        out["videos"].append([video_of(v) for v in (example["_videos"] or [])])
        out["questions"].append(example["_prompt"][-1]["content"])
    return out


def video_of(video):
    """A video as LLaMA-Factory's converter hands it to the multimodal plugin: a file path, or a
    list of frame paths (its `_check_video_is_nested_images`), each resolved against media_dir."""
    if isinstance(video, str):
        if not os.path.isfile(video):
            raise FileNotFoundError(f"{video} (resolved against media_dir)")
        return "file"
    if not isinstance(video, list) or not all(isinstance(f, str) for f in video):
        raise TypeError(f"a video is neither a path nor a list of frame paths: {video!r}")
    for frame in video:
        if not os.path.isfile(frame):
            raise FileNotFoundError(f"frame {frame} (resolved against media_dir)")
        with PILImage.open(frame) as im:
            im.load()
    return len(video)


def preprocess_data(data, input_template=None, prompt_key=None, chosen_key="chosen", rejected_key="rejected",
                    apply_chat_template=None, is_dpo=False):
    """OpenRLHF's `openrlhf/datasets/reward_dataset.py` `preprocess_data`, line for line (its
    module imports torch, which this environment does not have)."""
    if apply_chat_template:
        if prompt_key:
            prompt = apply_chat_template(data[prompt_key], tokenize=False, add_generation_prompt=True)
            chosen = apply_chat_template(data[prompt_key] + data[chosen_key], tokenize=False)[len(prompt) :]
            rejected = apply_chat_template(data[prompt_key] + data[rejected_key], tokenize=False)[len(prompt) :]
        else:
            prompt = ""
            chosen = apply_chat_template(data[chosen_key], tokenize=False)
            rejected = apply_chat_template(data[rejected_key], tokenize=False)

            if is_dpo:
                prompt = apply_chat_template(data[chosen_key][:-1], tokenize=False, add_generation_prompt=True)
                chosen = chosen[len(prompt) :]
                rejected = rejected[len(prompt) :]
    else:
        if prompt_key:
            prompt = data[prompt_key]
            if input_template:
                prompt = input_template.format(prompt)
        else:
            prompt = ""
        chosen = data[chosen_key]
        rejected = data[rejected_key]

    # margin loss
    margin = data["margin"] if data.get("margin") is not None else 0

    return prompt, chosen, rejected, margin


def chat_template(messages, tokenize=False, add_generation_prompt=False):
    """A ChatML chat template as a tokenizer's `apply_chat_template` renders it, strict about
    what text templates need: a list of {role, content} messages with string contents."""
    assert not tokenize
    if not isinstance(messages, list):
        raise TypeError(f"apply_chat_template takes a list of messages, not {type(messages).__name__}")
    out = []
    for m in messages:
        if set(m) != {"role", "content"} or not isinstance(m["content"], str):
            raise TypeError(f"not a {{role, content}} message with string content: {m!r}")
        out.append(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n")
    if add_generation_prompt:
        out.append("<|im_start|>assistant\n")
    return "".join(out)


def check_openrlhf(directory, file_name):
    ds = load(os.path.join(directory, file_name))
    out = {"rows": len(ds), "columns": ds.column_names, "forms": [], "questions": [], "chosen": [], "margins": []}
    for row in ds:
        messages = isinstance(row["prompt"], list)
        # --apply_chat_template for message lists, the plain string path (with an input template) otherwise.
        apply = chat_template if messages else None
        prompt, chosen, rejected, margin = preprocess_data(
            row, "User: {}\nAssistant: ", "prompt", "chosen", "rejected", apply_chat_template=apply
        )
        # prompt + chosen rendered as one conversation: the prompt's generation prompt is its prefix,
        # so what follows is the assistant's answer alone.
        if messages and chosen != f"{row['chosen'][-1]['content']}<|im_end|>\n":
            raise ValueError(f"prompt + chosen do not read as one conversation: {prompt!r} {chosen!r}")
        out["forms"].append("messages" if messages else "strings")
        out["questions"].append(prompt)
        out["chosen"].append(chosen)
        out["margins"].append(margin)
    return out


def main():
    target, directory, what = sys.argv[1:4]
    directory = os.path.abspath(directory)
    check = {"trl": check_trl, "llamafactory": check_llamafactory, "openrlhf": check_openrlhf}[target]
    result = check(directory, what)
    result["versions"] = {"datasets": datasets.__version__}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
