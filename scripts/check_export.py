#!/usr/bin/env python3
"""Loads a Verdict export with the readers trainers use, unmodified, and prints what they saw.

    check_export.py trl DIR FILE           # HF `datasets` + TRL's own data utilities
    check_export.py llamafactory DIR NAME  # LLaMA-Factory's dataset_info parser and sharegpt converter, then `datasets`

Prints one JSON object: {"rows": N, "images": [[w, h], ...] per row, "questions": [...]}; exits non-zero
with the reader's own error when a reader refuses the files. Runs in the virtual environment that
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
    out = {"rows": len(ds), "columns": ds.column_names, "images": [], "questions": [], "conversational": []}
    for row in ds:
        conversational = is_conversational(row)
        out["conversational"].append(conversational)
        images = row.get("images") or []
        if conversational:
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
    out = {"rows": len(ds), "columns": ds.column_names, "images": [], "questions": []}
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
        out["questions"].append(example["_prompt"][-1]["content"])
    return out


def main():
    target, directory, what = sys.argv[1:4]
    directory = os.path.abspath(directory)
    result = check_trl(directory, what) if target == "trl" else check_llamafactory(directory, what)
    result["versions"] = {"datasets": datasets.__version__}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
