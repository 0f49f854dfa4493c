#!/usr/bin/env python3
"""P2P figures for doc/benchmarks.md (not run by CTest): a node that joins
late syncs N blocks (headers, blocks and the tensors it needs to re-execute
the work records: all of them within the source's retention, the last half
retention's beyond it, doc/consensus.md §6) from one peer, and so does a node
whose checkpoint is the tip (blocks only: neither tensors nor re-execution;
the difference is the share spent fetching and re-verifying work), a new
block crosses a line of four nodes, and a transaction sent at one end
reaches every mempool.
Usage: bench_p2p.py --bindir=build/bin [--blocks=N]"""

import sys
import time

from miniwallet import MiniWallet, read_worker_keys
from test_framework import ComputecoinTestFramework, connect_nodes, sync_blocks

BLOCKS = 40
for arg in list(sys.argv):
    if arg.startswith("--blocks="):
        BLOCKS = int(arg.split("=", 1)[1])
        sys.argv.remove(arg)


class BenchP2P(ComputecoinTestFramework):
    def run_test(self):
        a = self.add_node()
        a.start(["-workers=2"])
        t0 = time.monotonic()
        for _ in range(0, BLOCKS, 20):
            a.rpc("generate", min(20, BLOCKS - a.rpc("getblockcount")))
        produce = time.monotonic() - t0
        self.log(f"produced {BLOCKS} blocks in {produce:.1f} s ({BLOCKS / produce:.1f} blocks/s)")

        b = self.add_node()
        b.start()
        t0 = time.monotonic()
        connect_nodes(b, a)
        sync_blocks([a, b], timeout=600)
        took = time.monotonic() - t0
        received = sum(p["bytesrecv"] for p in b.rpc("getpeerinfo"))
        trusted_steps = "none"
        for line in b.debug_log().splitlines():
            if "Loaded the model of the tip (step" in line:
                trusted_steps = "steps below " + line.split("(step ")[1].split(")")[0]
        self.log(f"block sync: {BLOCKS} blocks in {took:.1f} s = {BLOCKS / took:.1f} blocks/s; "
                 f"assumed valid (beyond the source's retention): {trusted_steps}; "
                 f"{received / 1e6:.1f} MB received ({received / BLOCKS / 1e6:.2f} MB/block); "
                 f"producing them took {produce:.1f} s")

        # The share of that time spent on work: a node told the tip is a
        # checkpoint (doc/consensus.md §6) syncs the same blocks without
        # fetching a tensor or re-executing a record.
        trusting = self.add_node()
        trusting.start([f"-checkpoint={BLOCKS}:{a.rpc('getblockhash', BLOCKS)}"])
        t0 = time.monotonic()
        connect_nodes(trusting, a)
        sync_blocks([a, trusting], timeout=600)
        trusted = time.monotonic() - t0
        self.log(f"block sync below a checkpoint (no tensors, no re-execution): {BLOCKS} blocks "
                 f"in {trusted:.1f} s = {BLOCKS / trusted:.1f} blocks/s; fetching and "
                 f"re-verifying work is "
                 f"{max(0.0, 1 - trusted / took) * 100:.0f}% of the full sync")
        trusting.stop()

        # One at a time: a node whose only peer is still syncing takes that
        # peer's tip for the best header, and beyond the retention it would
        # leave its initial download too early (doc/consensus.md §9).
        c, d = self.add_node(), self.add_node()
        c.start()
        connect_nodes(c, b)
        sync_blocks([a, b, c], timeout=600)
        d.start()
        connect_nodes(d, c)
        sync_blocks([a, b, c, d], timeout=600)
        samples = []
        for _ in range(5):
            t0 = time.monotonic()
            block = a.rpc("generate", 1)[0]
            generated = time.monotonic() - t0
            while d.rpc("getbestblockhash") != block:
                time.sleep(0.01)
            samples.append(time.monotonic() - t0 - generated)
        samples.sort()
        self.log(f"propagation a -> d across 3 hops: median {samples[2] * 1000:.0f} ms "
                 f"(min {samples[0] * 1000:.0f}, max {samples[-1] * 1000:.0f})")

        # Coinbases mature after 100 blocks: make sure a's first key has one.
        if a.rpc("getblockcount") < 102:
            a.rpc("generate", 102 - a.rpc("getblockcount"))
            sync_blocks([a, b, c, d], timeout=600)
        wallet = MiniWallet(read_worker_keys(a)[0])
        height = a.rpc("getblockcount")
        wallet.scan_blocks(a, 1, height)
        samples = []
        for _ in range(5):
            tx = wallet.create_self_transfer(wallet.take_utxo(spend_height=height + 1), 1000)
            t0 = time.monotonic()
            txid = d.rpc("sendrawtransaction", tx.hex())
            pending = [a, b, c]
            while pending:
                pending = [n for n in pending if txid not in n.rpc("getrawmempool")]
                time.sleep(0.005)
            samples.append(time.monotonic() - t0)
        samples.sort()
        self.log(f"sendrawtransaction at d -> in all four mempools: median "
                 f"{samples[2] * 1000:.0f} ms (min {samples[0] * 1000:.0f}, "
                 f"max {samples[-1] * 1000:.0f})")


if __name__ == "__main__":
    BenchP2P().main()
