#!/usr/bin/env python3
"""computecoin-light against a full node: syncheaders, verifytx on the
genesis coinbase (valid), the ways a proof is refused (invalid), then work
records and transactions of produced blocks, and following a reorganisation
when the light client is pointed at a node with another branch."""

import json
import os
import subprocess

from test_framework import ComputecoinTestFramework, assert_equal, assert_in


def light_against(framework, light_dir, node, *args):
    """computecoin-light keeping its headers in `light_dir`, asking `node`."""
    return subprocess.run(
        [os.path.join(framework.bindir, "computecoin-light"), "-regtest", f"-datadir={light_dir}",
         f"-rpcport={node.rpc_port}", f"-rpccookiefile={node.cookie_path}"] + list(args),
        capture_output=True, text=True, timeout=120)


class LightClientTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start()
        best = node.rpc("getbestblockhash")
        coinbase = node.rpc("getblock", best)["tx"][0]

        self.log("verifying before syncing: the block is unknown locally")
        result = node.light("verifytx", coinbase, best)
        assert_equal(result.returncode, 1)
        assert_in("is not in the local header chain (run syncheaders)", result.stdout)

        self.log("syncheaders")
        result = node.light("syncheaders")
        assert_equal(result.returncode, 0)
        summary = json.loads(result.stdout)
        assert_equal(summary["height"], 0)
        assert_equal(summary["hash"], best)
        assert_equal(summary["downloaded"], 1)
        headers_file = os.path.join(node.network_dir, "light", "headers.dat")
        assert_equal(os.path.getsize(headers_file), 280)

        self.log("syncing again downloads nothing")
        summary = json.loads(node.light("syncheaders").stdout)
        assert_equal((summary["downloaded"], summary["disconnected"]), (0, 0))
        assert_equal(json.loads(node.light("getbestheader").stdout), {"height": 0, "hash": best})

        self.log("verifytx on the genesis coinbase")
        result = node.light("verifytx", coinbase, best)
        assert_equal((result.returncode, result.stdout), (0, "valid\n"))

        self.log("a transaction that is not in the block")
        result = node.light("verifytx", "11" * 32, best)
        assert_equal(result.returncode, 1)
        assert_equal(result.stdout, "invalid: the server gave no proof: Transaction not found in block\n")

        self.log("a work record that is not in the block (genesis has none)")
        result = node.light("verifywork", "22" * 32, best)
        assert_equal(result.returncode, 1)
        assert_equal(result.stdout, "invalid: the server gave no proof: Work record not found in block\n")

        self.log("malformed input")
        result = node.light("verifytx", "xyz", best)
        assert_equal(result.returncode, 1)
        assert_equal(result.stderr, "error: txid must be 64 hex digits\n")
        result = node.light("frobnicate")
        assert_equal(result.returncode, 1)
        assert_in("unknown command 'frobnicate'", result.stderr)

        self.log("a corrupted header file is reported, not trusted")
        with open(headers_file, "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 1]))
        result = node.light("getbestheader")
        assert_equal(result.returncode, 1)
        assert_in("header 0 is not this network's genesis block", result.stderr)

        node.stop()

        self.log("blocks with work records: verifywork and verifytx on them")
        os.remove(headers_file)
        node.start(extra_args=("-workers=2",))
        produced = node.rpc("generate", 3)
        assert_equal(len(produced), 3)
        summary = json.loads(node.light("syncheaders").stdout)
        assert_equal((summary["height"], summary["hash"], summary["downloaded"]), (3, produced[-1], 4))
        block = node.rpc("getblock", produced[1])
        assert len(block["records"]) > 0, "a produced block carries work records"
        for record in (block["records"][0], block["records"][-1]):
            result = node.light("verifywork", record, produced[1])
            assert_equal((result.returncode, result.stdout), (0, "valid\n"))
        result = node.light("verifywork", block["records"][0], produced[2])
        assert_equal(result.returncode, 1)
        assert_in("invalid: the server gave no proof", result.stdout)
        result = node.light("verifytx", block["tx"][0], produced[1])
        assert_equal((result.returncode, result.stdout), (0, "valid\n"))
        result = node.light("verifyproducer", produced[1])
        assert_equal((result.returncode, result.stdout), (0, "valid\n"))

        self.log("a light client follows a reorganisation to another node's branch")
        light_dir = os.path.join(self.tmpdir, "light")
        os.makedirs(light_dir)
        summary = json.loads(light_against(self, light_dir, node, "syncheaders").stdout)
        assert_equal((summary["height"], summary["downloaded"]), (3, 4))
        other = self.add_node()
        other.start(extra_args=("-workers=1",))
        branch = other.rpc("generate", 2)
        result = light_against(self, light_dir, other, "syncheaders")
        assert_equal(result.returncode, 0)
        summary = json.loads(result.stdout)
        # Only genesis is shared: three headers go, two come.
        assert_equal((summary["height"], summary["hash"]), (2, branch[-1]))
        assert_equal((summary["disconnected"], summary["downloaded"]), (3, 2))
        result = light_against(self, light_dir, other, "verifywork", block["records"][0], produced[1])
        assert_equal(result.returncode, 1)
        assert_in("is not in the local header chain", result.stdout)
        other.stop()
        node.stop()

        self.log("no node to ask")
        os.remove(headers_file)
        result = node.light("syncheaders", )
        assert_equal(result.returncode, 1)
        assert_in("error: Could not locate RPC credentials", result.stderr)


if __name__ == "__main__":
    LightClientTest().main()
