#!/usr/bin/env python3
"""Recovery tools (issue 11) on a real node:

- a chain database that lost its CURRENT file is refused with a message
  that says what is wrong and to restart with -reindex; -reindex rebuilds
  the same chain (tip, state root, UTXO set) from the stored blocks;
- a kill -9 during -reindex's re-validation: the next start, without
  -reindex, finishes it; SIGTERM there stops it between two blocks with a
  clean exit, and the next start finishes it too;
- -reindex-chainstate rebuilds the same chain;
- -checkblocks/-checklevel at start (bad values refused, level 4 over the
  whole chain passes) and the verifychain RPC with Bitcoin Core's arguments.
What each level finds in damaged stores is tested in
tests/validation/recovery_test.cpp.
"""

import os
import signal
import time

from test_framework import (AssertionFailed, ComputecoinTestFramework, assert_equal, assert_in,
                            assert_raises_rpc_error)


class FeatureReindexTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start(["-workers=3"])
        node.rpc("generate", 12)
        want = self.summary(node)
        chainstate = os.path.join(node.network_dir, "chainstate")

        self.log("verifychain: every level, default and whole chain")
        assert_equal(node.rpc("verifychain"), True)
        for level in range(5):
            assert_equal(node.rpc("verifychain", level, 0), True)
        assert_equal(node.rpc("verifychain", 9, -1), True)  # clamped, as Bitcoin Core
        assert_raises_rpc_error(-3, "", node.rpc, "verifychain", "x")

        self.log("a chain database without its CURRENT file: refused, pointing at -reindex")
        node.stop()
        os.remove(os.path.join(chainstate, "CURRENT"))
        result = node.run_program("computecoind")
        assert_equal(result.returncode, 1)
        assert_in(f"Error: chain database {chainstate} is damaged (its CURRENT file is missing); "
                  "restart with -reindex", result.stderr)

        self.log("-reindex rebuilds the same chain from the stored blocks")
        node.start(["-workers=3", "-reindex"])
        assert_equal(self.summary(node), want)
        log = node.debug_log()
        assert_in("salvaging its tables with LevelDB's repair", log)
        assert_in("Reindex: 12 blocks validated (0 of them on trust", log)
        assert not os.path.exists(os.path.join(node.network_dir, "reindexing"))

        self.log("a kill -9 during re-validation: the next start finishes the reindex")
        node.stop()
        node.start(["-workers=3", "-reindex"], wait_for_rpc=False)
        self.wait_for(node, lambda: "Reindex: validating" in
                      node.debug_log().split("Shutdown: done")[-1])
        node.kill()
        assert os.path.exists(os.path.join(node.network_dir, "reindexing"))
        node.start(["-workers=3"])
        assert_equal(self.summary(node), want)
        assert not os.path.exists(os.path.join(node.network_dir, "reindexing"))

        self.log("SIGTERM during re-validation stops at once, cleanly; the next start resumes")
        node.stop()
        node.start(["-workers=3", "-reindex"], wait_for_rpc=False)
        self.wait_for(node, lambda: "Reindex: validating" in
                      node.debug_log().split("Shutdown: done")[-1])
        node.signal(signal.SIGTERM)
        assert_equal(node.wait_for_exit(timeout=15), 0)
        log = node.debug_log().split("Reindex: validating")[-1]
        assert_in("Shutdown requested during start-up: reindex stopped at height", log)
        assert "Reindex: 12 blocks validated" not in log, "it finished instead of stopping"
        assert os.path.exists(os.path.join(node.network_dir, "reindexing"))
        node.start(["-workers=3"])
        assert_equal(self.summary(node), want)

        self.log("-reindex-chainstate rebuilds the same chain")
        node.stop()
        node.start(["-workers=3", "-reindex-chainstate"])
        assert_equal(self.summary(node), want)
        assert_in("Reindex: copied", node.debug_log())

        self.log("-checkblocks/-checklevel: bad values refused; a clean chain passes level 4")
        node.stop()
        for arg, message in (("-checklevel=5", "-checklevel must be in [0, 4]"),
                             ("-checkblocks=-1", "-checkblocks must be in [0, 4294967295]")):
            result = node.run_program("computecoind", arg)
            assert_equal(result.returncode, 1)
            assert_in("Error: " + message, result.stderr)
        node.start(["-workers=3", "-checklevel=4", "-checkblocks=0"])
        assert_in("Verifying the last all blocks at level 4", node.debug_log())
        assert_in("Verification: no problems found", node.debug_log())
        assert_equal(self.summary(node), want)
        node.stop()

    def summary(self, node):
        info = node.rpc("getblockchaininfo")
        return (info["blocks"], info["bestblockhash"], node.rpc("gettraininginfo")["state_root"],
                node.rpc("gettxoutsetinfo")["hash_serialized"])

    @staticmethod
    def wait_for(node, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while not predicate():
            if node.process.poll() is not None:
                raise AssertionFailed(f"node exited: {node.read_stderr()}")
            if time.monotonic() > deadline:
                raise AssertionFailed("timed out")
            time.sleep(0.005)


if __name__ == "__main__":
    FeatureReindexTest().main()
