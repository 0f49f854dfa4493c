#!/usr/bin/env python3
"""Loads a Computecoin model export into PyTorch and completes a prompt greedily.

    python3 contrib/load-model-export.py <manifest.json> "<prompt>" [max_tokens]

The export is what `computecoin-cli exportmodel <path>` writes (doc/inference.md,
"Model export"). The model below is the one compute/torch/model.cpp defines,
written again with torch.nn.functional: a GPT over bytes (vocabulary 256) whose
layer norms have no gain or bias, whose attention has no key bias, and whose
output head is not tied to the embedding. Decoding is the node's: the most
likely next byte, max_tokens times or until a newline, the context sliding over
the last T bytes. The output matches `computecoin-cli completetext` on the same
weights. Needs python3-torch (Debian's package); reads the safetensors file
with the standard library, so it needs nothing else.
"""

import hashlib
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F


def load_export(manifest_path):
    with open(manifest_path) as f:
        manifest = json.load(f)
    if manifest.get("format") != "computecoin-model-export/1":
        sys.exit(f"{manifest_path}: not a computecoin-model-export/1 manifest")
    path = os.path.join(os.path.dirname(manifest_path), manifest["safetensors"])
    with open(path, "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != manifest["safetensors_sha256"]:
        sys.exit(f"{path} does not match the manifest's safetensors_sha256")
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    body = data[8 + header_len:]
    params = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            sys.exit(f"{name}: dtype {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        values = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32)
        params[name] = values.reshape(entry["shape"])
    return manifest, params


def layer_norm(x):
    return F.layer_norm(x, (x.shape[-1],), eps=1e-5)


def forward(config, p, tokens):
    """tokens (B, t) int64, t <= T -> logits (B, t, V)."""
    b, t = tokens.shape
    c, nh = config["d_model"], config["n_head"]
    hs = c // nh
    x = p["wte"][tokens] + p["wpe"][:t]  # (B, t, C)
    for layer in range(config["n_layer"]):
        w = lambda name: p[f"h.{layer}.{name}"]  # noqa: E731
        b_q, b_v = w("attn.b_qv").split(c)
        qkv = F.linear(layer_norm(x), w("attn.w_qkv"), torch.cat([b_q, torch.zeros(c), b_v]))
        q, k, v = (part.view(b, t, nh, hs).transpose(1, 2) for part in qkv.split(c, dim=-1))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, NH, t, t)
        future = torch.ones(t, t, dtype=torch.bool).triu(1)
        y = scores.masked_fill(future, float("-inf")).softmax(-1) @ v  # (B, NH, t, HS)
        y = y.transpose(1, 2).reshape(b, t, c)
        x = x + F.linear(y, w("attn.w_proj"), w("attn.b_proj"))
        hidden = F.gelu(F.linear(layer_norm(x), w("mlp.w_fc"), w("mlp.b_fc")))
        x = x + F.linear(hidden, w("mlp.w_proj"), w("mlp.b_proj"))
    return F.linear(layer_norm(x), p["head.w"], p["head.b"])


def complete(config, params, prompt, max_tokens):
    tokens = torch.tensor([list(prompt.encode())], dtype=torch.long)
    out = bytearray()
    with torch.no_grad():
        for _ in range(max_tokens):
            context = tokens[:, -config["context"]:]
            next_byte = int(forward(config, params, context)[0, -1].argmax())
            tokens = torch.cat([tokens, torch.tensor([[next_byte]])], dim=1)
            out.append(next_byte)
            if next_byte == ord("\n"):
                break
    return out.decode("utf-8", errors="replace")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    manifest, params = load_export(sys.argv[1])
    max_tokens = int(sys.argv[3]) if len(sys.argv) == 4 else 16
    print(f"model: {manifest['config']['name']} at height {manifest['height']} "
          f"({manifest['network']}), state root {manifest['state_root']}")
    print(f"completion: {json.dumps(complete(manifest['config'], params, sys.argv[2], max_tokens))}")


if __name__ == "__main__":
    main()
