#!/usr/bin/env python3
"""Training through the chain on one regtest node: `-workers=3`, `generate`,
`gettraininginfo`, `getworkerinfo`, restart, and the errors around them."""

from test_framework import (ComputecoinTestFramework, assert_equal,
                            assert_raises_rpc_error)


class MiningGenerateTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start(["-workers=3"])

        self.log("before any block: step 0, nobody registered")
        info = node.rpc("gettraininginfo")
        assert_equal(info["step"], 0)
        assert_equal(info["workers"], [])
        assert_equal(info["model"], "tiny")
        assert_equal([w["registered"] for w in node.rpc("getworkerinfo")], [False] * 3)

        self.log("generate 10 through the cli: registration, then one step per block")
        hashes = node.cli_ok("generate", "10")
        assert_equal(node.rpc("getblockcount"), 10)
        assert_equal(node.rpc("getbestblockhash") in hashes, True)
        info = node.rpc("gettraininginfo")
        assert_equal(info["height"], 10)
        assert_equal(info["step"], 9)
        first_loss = info["loss"]
        assert_equal(len(info["workers"]), 3)
        assert_equal(sum(w["records"] for w in info["workers"]), info["accepted_work"])
        for w in info["workers"]:
            assert_equal(w["paid"], w["records"])
            assert w["records"] > 0, w
        assert_equal(sorted(w["rank"] for w in node.rpc("getworkerinfo")), [0, 1, 2])
        header = node.rpc("getblockheader", node.rpc("getbestblockhash"))
        assert_equal(header["state_root"], info["state_root"])

        self.log("the loss falls")
        node.rpc("generate", 20)
        info = node.rpc("gettraininginfo")
        assert_equal(info["step"], 29)
        assert info["loss"] < first_loss, (info["loss"], first_loss)

        self.log("errors")
        assert_raises_rpc_error(-8, "nblocks out of range", node.rpc, "generate", 0)
        assert_raises_rpc_error(-3, "is not of expected type numeric", node.rpc, "generate", "1")

        self.log("a restart keeps the training state and the worker keys")
        node.stop()
        node.start(["-workers=3"])
        assert_equal(node.rpc("gettraininginfo"), info)
        node.rpc("generate", 1)
        assert_equal(node.rpc("gettraininginfo")["step"], 30)
        node.stop()

        self.log("without workers generate refuses")
        node.start()
        assert_raises_rpc_error(-1, "No in-process workers", node.rpc, "generate", 1)
        node.stop()

        self.log("a bad -verify stops start-up")
        node.start(["-verify=sample=0"], wait_for_rpc=False)
        assert_equal(node.wait_for_exit(), 1)


if __name__ == "__main__":
    MiningGenerateTest().main()
