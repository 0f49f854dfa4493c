#!/usr/bin/env python3
"""A node joining further behind than its peers keep tensors (-tensorretention,
regtest only) syncs through assume-valid (doc/consensus.md §6):

- it connects the old records without re-executing them (their inputs are
  pruned everywhere), reaches the same tip and state root, loads the tip's
  model from the first state whose tensors its peer still keeps, and answers
  completions as its peer does; blocks after it caught up are re-executed;
- with -assumevalid=0 it re-executes everything, so it says which tensor no
  peer serves and stays behind.
"""

from test_framework import (ComputecoinTestFramework, assert_equal, connect_nodes,
                            sync_blocks, wait_until)

RETENTION = ["-tensorretention=4"]


class P2PSyncBeyondRetentionTest(ComputecoinTestFramework):
    def run_test(self):
        source, joiner, strict = (self.add_node() for _ in range(3))
        source.start(["-workers=2"] + RETENTION)
        source.rpc("generate", 16)  # block 1 registers, then one step each: 15 done
        assert_equal(source.rpc("gettraininginfo")["step"], 15)

        self.log("a node 15 steps behind, with a retention of 4, syncs through assume-valid")
        joiner.start(RETENTION)
        assert_equal(joiner.rpc("gettraininginfo")["model_loaded"], True)  # genesis
        connect_nodes(joiner, source)
        sync_blocks([source, joiner])
        info = joiner.rpc("gettraininginfo")
        assert_equal(info["state_root"], source.rpc("gettraininginfo")["state_root"])
        assert_equal(info["model_loaded"], True)
        log = joiner.debug_log()
        assert "are not stored (assumed-valid history" in log, "the joiner says it has no model"
        assert "Loaded the model of the tip (step" in log, "then loads the tip's model"
        assert "is not served by any" not in log, "it never waited for a pruned tensor"
        assert_equal(joiner.rpc("completetext", "12+34=", 4)["completion"],
                     source.rpc("completetext", "12+34=", 4)["completion"])

        self.log("caught up: the next blocks are re-executed, with their tensors fetched")
        source.rpc("generate", 2)
        sync_blocks([source, joiner])
        assert_equal(joiner.rpc("gettraininginfo")["state_root"],
                     source.rpc("gettraininginfo")["state_root"])

        self.log("-assumevalid=0 says which tensor nobody serves, and stays behind")
        strict.start(RETENTION + ["-assumevalid=0"])
        connect_nodes(strict, source)
        wait_until(lambda: "is not served by any of our 1 peers" in strict.debug_log(), 60,
                   "the strict node reports the pruned tensor")
        assert_equal(strict.rpc("getblockcount"), 1)  # block 2's records read step 0's outputs


if __name__ == "__main__":
    P2PSyncBeyondRetentionTest().main()
