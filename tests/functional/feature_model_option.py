#!/usr/bin/env python3
"""-model=<preset> (regtest only): a regtest chain on another model preset,
as bench_inference.py --model=gpt2-small uses to serve GPT-2-small's shape
over P2P.

- the model is committed by genesis: a -model=devnet node's genesis block
  differs from a plain regtest node's, and its state root is the devnet
  preset's initial state root (the golden value main, test and devnet's
  genesis blocks commit to);
- it serves that model: completetext answers with its weights;
- an unknown preset, or -model on another network, stops the node at
  start-up with the reason.
"""

from test_framework import ComputecoinTestFramework, assert_equal

DEVNET_INITIAL_STATE_ROOT = "d0dd46f6f9219b332b9137c155322a6f20e12be49eaadd36b816841cc0f2d66a"


class ModelOptionTest(ComputecoinTestFramework):
    def run_test(self):
        devnet_model, plain = self.add_node(), self.add_node()
        devnet_model.start(["-model=devnet"])
        plain.start([])

        self.log("the model is committed by genesis")
        assert devnet_model.rpc("getblockhash", 0) != plain.rpc("getblockhash", 0)
        assert_equal(devnet_model.rpc("getblockchaininfo")["state_root"],
                     DEVNET_INITIAL_STATE_ROOT)
        assert plain.rpc("getblockchaininfo")["state_root"] != DEVNET_INITIAL_STATE_ROOT
        answer = devnet_model.rpc("completetext", "1", 2)
        assert_equal(answer["state_root"], DEVNET_INITIAL_STATE_ROOT)
        assert_equal(len(answer["tokens"]), 2)
        devnet_model.stop()

        self.log("an unknown preset, or -model off regtest, stops the node with the reason")
        devnet_model.start(["-model=gpt9"], wait_for_rpc=False)
        assert_equal(devnet_model.wait_for_exit(), 1)
        assert "Unknown -model=gpt9" in devnet_model.read_stderr()
        other = self.add_node()
        other.chain = "devnet"
        other.start(["-model=tiny"], wait_for_rpc=False)
        assert_equal(other.wait_for_exit(), 1)
        assert "-model are for regtest only" in other.read_stderr()


if __name__ == "__main__":
    ModelOptionTest().main()
