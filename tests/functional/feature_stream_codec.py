#!/usr/bin/env python3
"""A network whose model commits activations and their gradients in bf16
(-streamcodec=bf16, ModelConfig::stream_codec; doc/compute.md): two worker
nodes and one node that re-executes every record train on regtest.

- the codec is part of the model, so the network has its own genesis block:
  a plain regtest node's differs;
- the verifier re-executes every record, rounding its own results to bf16
  as the workers did, and refuses none; every node ends on the same tip and
  state root.
"""

from test_framework import (ComputecoinTestFramework, assert_equal, connect_nodes,
                            sync_state_roots, wait_until)


class StreamCodecTest(ComputecoinTestFramework):
    def run_test(self):
        workers = [self.add_node() for _ in range(2)]
        verifier, plain = self.add_node(), self.add_node()
        bf16 = ["-streamcodec=bf16"]
        workers[0].start(["-worker", "-timedproduction"] + bf16)
        wait_until(lambda: len(workers[0].rpc("gettraininginfo")["workers"]) == 1, 60,
                   "the first worker")
        workers[1].start(["-worker", "-timedproduction"] + bf16)
        verifier.start(["-verify=all"] + bf16)
        plain.start([])
        connect_nodes(workers[1], workers[0])
        connect_nodes(verifier, workers[0])
        connect_nodes(verifier, workers[1])

        self.log("the codec is the model's: another genesis block")
        assert workers[0].rpc("getblockhash", 0) != plain.rpc("getblockhash", 0)
        assert_equal(verifier.rpc("getblockhash", 0), workers[0].rpc("getblockhash", 0))

        self.log("three steps in bf16, every record re-executed by the verifier")
        wait_until(lambda: verifier.rpc("gettraininginfo")["step"] >= 3, 180, "three steps")
        sync_state_roots(workers + [verifier], 60)
        # -verify=all: every record of those blocks was re-executed, in the
        # work pool or when its block connected.
        assert_equal(verifier.rpc("getworkpoolinfo")["rejected"], 0)
        assert "bad-work-output-mismatch" not in verifier.debug_log()


if __name__ == "__main__":
    StreamCodecTest().main()
