#!/usr/bin/env python3
"""Checkpoints (doc/consensus.md, "Checkpoints"), with regtest's test-only
-checkpoint=<height>:<block id>:

- a node given a checkpoint syncs through it, accepting the work records of
  the checkpoint and its ancestors without re-executing them, and validates
  the blocks after it in full;
- headers of a branch that forks below the checkpoint are refused
  (bad-fork-prior-to-checkpoint), and the node keeps its chain;
- a malformed -checkpoint stops the node at startup.
"""

from test_framework import (ComputecoinTestFramework, assert_equal, connect_nodes, sync_blocks,
                            wait_until)


class CheckpointsTest(ComputecoinTestFramework):
    def run_test(self):
        a, b, fork = self.add_node(), self.add_node(), self.add_node()
        a.start(["-workers=2"])
        a.rpc("generate", 8)
        checkpoint = a.rpc("getblockhash", 6)

        self.log("a node with a checkpoint at 6 syncs 8 blocks; up to 6 on trust")
        b.start([f"-checkpoint=6:{checkpoint}"])
        connect_nodes(b, a)
        sync_blocks([a, b])
        assert_equal(b.rpc("getblockchaininfo")["state_root"],
                     a.rpc("getblockchaininfo")["state_root"])
        log = b.debug_log()
        assert f"Checkpoint {checkpoint} at height 6" in log
        assert "accepted without re-execution" in log

        self.log("headers forking below the checkpoint are refused")
        # Another producer's chain from genesis: a branch that forks at 0.
        fork.start(["-workers=1"])
        fork.rpc("generate", 3)
        tip = b.rpc("getbestblockhash")
        connect_nodes(b, fork)
        wait_until(lambda: "bad-fork-prior-to-checkpoint" in b.debug_log(), 30,
                   "the fork's headers refused")
        assert_equal(b.rpc("getbestblockhash"), tip)
        b.stop()
        fork.stop()

        self.log("a malformed -checkpoint stops the node at startup")
        for bad in ("-checkpoint=6", "-checkpoint=x:" + checkpoint, "-checkpoint=6:zz"):
            b.start([bad], wait_for_rpc=False)
            assert_equal(b.wait_for_exit(), 1)
            assert "Invalid -checkpoint" in b.read_stderr()


if __name__ == "__main__":
    CheckpointsTest().main()
