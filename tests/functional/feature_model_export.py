#!/usr/bin/env python3
"""Model export (issue 10 §7) on a real node:

- exportmodel writes <path>.safetensors and <path>.json for the tip, never
  overwrites, and refuses a bad path with a clear error;
- this script reads the files with the standard library alone, following
  doc/inference.md: the safetensors layout, every tensor named and shaped as
  compute/params.h's table, and the state root recomputed from the tensors
  (section slices, tensor encoding, tagged hashes, Merkle root) equals the
  tip's, so the documented format is enough for a second implementation;
- verifymodelexport accepts the honest export (in the active chain, and still
  after more blocks, no longer at the tip) and refuses a flipped weight, a
  manifest that names another state root, and a tensor file that is missing.
When python3-torch is installed, contrib/load-model-export.py loads the
export into PyTorch and its greedy completion equals completetext's.
"""

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

from bip340 import tagged_hash
from miniwallet import compact_size
from test_framework import (ComputecoinTestFramework, assert_equal, assert_in,
                            assert_raises_rpc_error)


def merkle_root(leaves):
    def mth(d):
        if not d:
            return hashlib.sha256(b"").digest()
        if len(d) == 1:
            return hashlib.sha256(b"\x00" + d[0]).digest()
        k = 1
        while k * 2 < len(d):
            k *= 2
        return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()
    return hashlib.sha256(b"\x02" + struct.pack("<Q", len(leaves)) + mth(leaves)).digest()


def tensor_hash_f32(payload, shape):
    """EncodedTensor::Hash of a kFloat32 tensor (compute/tensor.h)."""
    encoding = bytes([0]) + compact_size(len(shape))  # codec kFloat32
    encoding += b"".join(struct.pack("<Q", d) for d in shape)
    encoding += compact_size(len(payload)) + payload
    return tagged_hash("Computecoin/Tensor", encoding)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    assert_equal(header_len % 8, 0)
    header = json.loads(data[8:8 + header_len])
    return header, data[8 + header_len:]


def section_bytes(header, body, slices):
    """A section's flat f32 vector: its slices row-major, one after another."""
    out = bytearray()
    for s in slices:
        entry = header[s["param"]]
        begin, _ = entry["data_offsets"]
        shape = entry["shape"]
        cols = shape[1] if len(shape) == 2 else 1
        if s["axis"] == 0:
            out += body[begin + 4 * cols * s["begin"]:begin + 4 * cols * s["end"]]
        else:
            for r in range(shape[0]):
                row = begin + 4 * cols * r
                out += body[row + 4 * s["begin"]:row + 4 * s["end"]]
    return bytes(out)


def python_with_torch():
    """This interpreter, or Debian's, if it can import torch (python3-torch)."""
    for python in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(python) and subprocess.run(
                [python, "-c", "import torch"], capture_output=True).returncode == 0:
            return python
    return None


class FeatureModelExportTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start(["-workers=3"])
        node.rpc("generate", 6)
        tip = node.rpc("getbestblockhash")
        root = node.rpc("gettraininginfo")["state_root"]

        self.log("exportmodel writes both files for the tip")
        info = node.rpc("exportmodel", "model")
        assert_equal(info["blockhash"], tip)
        assert_equal(info["state_root"], root)
        assert_equal(info["manifest"], os.path.join(node.network_dir, "model.json"))
        assert_equal(os.path.getsize(info["safetensors"]), info["bytes"])

        self.log("the documented format, read by this script alone, makes the tip's state root")
        with open(info["manifest"]) as f:
            manifest = json.load(f)
        assert_equal(manifest["format"], "computecoin-model-export/1")
        assert_equal((manifest["network"], manifest["height"]), ("regtest", info["height"]))
        with open(info["safetensors"], "rb") as f:
            assert_equal(hashlib.sha256(f.read()).hexdigest(), manifest["safetensors_sha256"])
        header, body = read_safetensors(info["safetensors"])
        config = manifest["config"]
        c, v, t = config["d_model"], config["vocab"], config["context"]
        assert_equal(header["wte"]["shape"], [v, c])
        assert_equal(header["wpe"]["shape"], [t, c])
        assert_equal(header["h.0.attn.w_qkv"]["shape"], [3 * c, c])
        assert_equal(header["head.b"]["shape"], [v])
        assert_equal(header["__metadata__"]["state_root"], root)
        params = [k for k in header if k != "__metadata__"]
        assert_equal(len(params), 4 + 8 * config["n_layer"])
        assert_equal(sum(e["data_offsets"][1] - e["data_offsets"][0]
                         for k, e in header.items() if k != "__metadata__"), len(body))
        leaves = []
        for i, section in enumerate(manifest["sections"]):
            flat = section_bytes(header, body, section["slices"])
            weights = tensor_hash_f32(flat, [len(flat) // 4])
            assert_equal(weights.hex(), section["weights_hash"])
            leaves.append(tagged_hash("Computecoin/StateLeaf", struct.pack("<I", i) + weights +
                                      bytes.fromhex(section["optimizer_state_hash"])))
        assert_equal(merkle_root(leaves).hex(), root)

        self.log("verifymodelexport accepts it, also once the tip has moved on")
        assert_equal(node.rpc("verifymodelexport", "model.json")["in_active_chain"], True)
        node.rpc("generate", 2)
        checked = node.rpc("verifymodelexport", info["manifest"])
        assert_equal((checked["blockhash"], checked["in_active_chain"]), (tip, True))

        self.log("an export never overwrites; bad paths are refused")
        assert_raises_rpc_error(-1, "exists already", node.rpc, "exportmodel", "model")
        assert_raises_rpc_error(-3, "path must be a non-empty string", node.rpc, "exportmodel", "")
        # A directory was taken as a file name prefix: "/" wrote /.json and /.safetensors.
        for directory in ("/", node.datadir + "/"):
            assert_raises_rpc_error(-8, "path must name a file, not a directory", node.rpc,
                                    "exportmodel", directory)
        assert not os.path.exists(os.path.join(node.datadir, ".json"))
        assert_raises_rpc_error(-1, "cannot create", node.rpc, "exportmodel", "no/such/dir/m")

        self.log("tampering is caught: a flipped weight, a false state root, a missing file")
        tampered = os.path.join(node.network_dir, "tampered")
        os.mkdir(tampered)
        shutil.copy(info["safetensors"], tampered)
        with open(info["safetensors"], "rb") as f:
            raw = bytearray(f.read())
        raw[len(raw) - len(body) + 100] ^= 0x01  # a bit of wte[0][25]: section 0
        with open(os.path.join(tampered, "model.safetensors"), "wb") as f:
            f.write(raw)
        with open(os.path.join(tampered, "model.safetensors"), "rb") as f:
            tampered_sha = hashlib.sha256(f.read()).hexdigest()
        forged = dict(manifest, safetensors_sha256=tampered_sha)
        with open(os.path.join(tampered, "model.json"), "w") as f:
            json.dump(forged, f)
        assert_raises_rpc_error(-25, "section 0's weights do not hash to its weights_hash",
                                node.rpc, "verifymodelexport", os.path.join(tampered, "model.json"))
        with open(os.path.join(tampered, "model.json"), "w") as f:
            json.dump(dict(manifest, safetensors_sha256=tampered_sha), f)
        os.remove(os.path.join(tampered, "model.safetensors"))
        assert_raises_rpc_error(-25, "cannot read", node.rpc, "verifymodelexport",
                                os.path.join(tampered, "model.json"))
        shutil.copy(info["safetensors"], tampered)
        with open(os.path.join(tampered, "model.json"), "w") as f:
            json.dump(dict(manifest, state_root="00" * 32), f)
        assert_raises_rpc_error(-25, "the sections do not make the manifest's state_root",
                                node.rpc, "verifymodelexport", os.path.join(tampered, "model.json"))
        with open(os.path.join(tampered, "model.json"), "w") as f:
            f.write("[" * 100000)
        assert_raises_rpc_error(-25, "is not a computecoin-model-export/1 manifest",
                                node.rpc, "verifymodelexport", os.path.join(tampered, "model.json"))

        self.log("PyTorch loads the export and completes as the node does")
        python = python_with_torch()
        if python is None:
            self.log("  skipped: python3-torch is not installed")
            return
        prompt = "123+456="
        want = node.rpc("completetext", prompt, 8)["completion"]
        script = os.path.join(os.path.dirname(__file__), "..", "..", "contrib",
                              "load-model-export.py")
        result = subprocess.run([python, script, info["manifest"], prompt, "8"],
                                capture_output=True, text=True, timeout=120)
        assert_equal(result.returncode, 0)
        assert_in(f"completion: {json.dumps(want)}", result.stdout)


if __name__ == "__main__":
    FeatureModelExportTest().main()
