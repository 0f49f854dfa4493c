#!/usr/bin/env python3
"""What a worker gains by lying within the verification tolerance ε (issue 11
item 7a), for doc/security.md (not run by CTest).

Regtest nodes train `tiny` from the same genesis through `generate` with
three in-process workers each: one honest, and liars whose every committed
output is scaled by (1 + f) (-perturbwork=f), for f below ε = 1e-4 (accepted:
each claim is within ε of the honest re-execution) and above it (refused).
After N blocks: each chain's last loss, held-out accuracy, and the relative L2
distance of its weights from the honest chain's (from exportmodel, read here).
--lies= replaces the factors with other -perturbwork values, e.g. the steered
liars ascent:0.9 and bias:0.9 (EngineOptions::adversary).
Usage: bench_epsilon.py --bindir=build/bin [--blocks=N] [--lies=0,ascent:0.9,...]"""

import json
import math
import os
import struct
import sys

from test_framework import ComputecoinTestFramework, RpcError

BLOCKS = 200
LIES = ["0", "2e-5", "5e-5", "9e-5", "2e-4"]  # the first is the honest chain
for arg in list(sys.argv):
    if arg.startswith("--blocks="):
        BLOCKS = int(arg.split("=", 1)[1])
        sys.argv.remove(arg)
    elif arg.startswith("--lies="):
        LIES = arg.split("=", 1)[1].split(",")
        sys.argv.remove(arg)


def weights(node, name):
    info = node.rpc("exportmodel", name)
    with open(info["safetensors"], "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = []
    for key, entry in sorted(header.items()):
        if key == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        out.extend(struct.unpack(f"<{(end - begin) // 4}f", body[begin:end]))
    return out


class BenchEpsilon(ComputecoinTestFramework):
    def run_test(self):
        results = []
        honest = None
        for f in LIES:
            node = self.add_node()
            node.start(["-workers=3"] + ([f"-perturbwork={f}"] if f != "0" else []))
            made = 0
            error = ""
            while made < BLOCKS:
                try:
                    made += len(node.rpc("generate", min(20, BLOCKS - made)))
                except RpcError as e:
                    error = str(e)
                    break
            info = node.rpc("gettraininginfo")
            accuracy = node.rpc("evaluatemodel", 200, 7)["accuracy"] if made else 0.0
            w = weights(node, f"model-{f}")
            if honest is None:
                honest = w
            gap = math.sqrt(sum((a - b) ** 2 for a, b in zip(w, honest))) / \
                math.sqrt(sum(b * b for b in honest))
            results.append((f, made, info["step"], info["loss"], accuracy, gap, error))
            self.log(f"f={f}: {made} blocks, step {info['step']}, loss {info['loss']:.4f}, "
                     f"accuracy {accuracy:.3f}, weight gap {gap:.2e}"
                     + (f", stopped: {error}" if error else ""))
            node.stop()
        self.log("| -perturbwork (ε = 1e-4) | blocks | step | last loss | held-out accuracy | "
                 "relative L2 weight gap to honest |")
        for f, made, step, loss, acc, gap, error in results:
            self.log(f"| {f} | {made} | {step} | {loss:.4f} | {acc:.3f} | {gap:.2e} |"
                     + (f" refused: {error[:60]}" if error else ""))


if __name__ == "__main__":
    BenchEpsilon().main()
