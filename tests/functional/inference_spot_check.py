#!/usr/bin/env python3
"""A lying holder caught by the client's spot check (doc/inference.md §5b).

Holders of the regtest model's three sections, one each, and a liar of the
middle section that scales every output it serves by 1.05 (-perturbserve,
regtest only). A client with -inferspotcheck=1 re-executes every step of
every hop on its own copy of the model: the liar's first answer fails its
hop, the log names it, getinferenceinfo counts it and lists its onion key,
and no route takes it again; once an honest holder of the middle section is
there, the routed output equals local greedy decoding token for token. A
client without spot checks takes the liar's answers unnoticed. Bad values of
the two options stop the node at start-up with the reason."""

from test_framework import (ComputecoinTestFramework, RpcError, assert_equal, assert_in,
                            connect_nodes, wait_until)

PROMPT = "12+34="
MAX_TOKENS = 8


class InferenceSpotCheckTest(ComputecoinTestFramework):
    def run_test(self):
        self.log("bad option values stop the node with the reason")
        bad = self.add_node()
        for args, reason in ((["-inferspotcheck=1.5"], "-inferspotcheck=1.5: must be a number from 0 to 1"),
                             (["-serve", "-perturbserve=0"], "-perturbserve=0: must be a number in (-1, 1), not 0")):
            bad.start(args, wait_for_rpc=False)
            assert_equal(bad.wait_for_exit(), 1)
            assert_in(reason, bad.read_stderr())

        checker = self.add_node()
        checker.start(["-inferspotcheck=1"])
        trusting = self.add_node()
        trusting.start()
        clients = (checker, trusting)
        h0 = self.add_node()
        h0.start(["-serve=0:1"])
        liar = self.add_node()
        liar.start(["-serve=1:2", "-perturbserve=0.05"])
        h2 = self.add_node()
        h2.start(["-serve=2:3"])
        for client in clients:
            for holder in (h0, liar, h2):
                connect_nodes(client, holder)
            wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 3, 30,
                       "three announcements")
        liar_key = liar.rpc("getinferenceinfo")["onion_key"]

        self.log("without spot checks the liar's answers are taken")
        routed = trusting.rpc("infer", PROMPT, MAX_TOKENS, 0)
        assert_equal([hop["sections"] for hop in routed["route"]], [[0, 1], [1, 2], [2, 3]])
        info = trusting.rpc("getinferenceinfo")
        assert_equal((info["spot_checked_steps"], info["wrong_outputs"], info["caught_holders"]),
                     (0, 0, []))

        self.log("with them its first answer fails the hop; no other holder covers section 1")
        try:
            checker.rpc("infer", PROMPT, MAX_TOKENS, 0)
            raise AssertionError("infer through a lying holder succeeded")
        except RpcError as e:
            assert_in("section 1", e.error["message"])
        info = checker.rpc("getinferenceinfo")
        assert_equal(info["wrong_outputs"], 1)
        assert_equal(info["caught_holders"], [liar_key])
        assert info["spot_checked_steps"] >= 2, info  # h0's step was checked and passed
        assert_in(f"infer: holder {liar_key} at peer=", checker.debug_log())
        assert_in("served a wrong output for sections [1, 2) at position 0", checker.debug_log())

        self.log("an honest holder of section 1: same output as local decoding, liar unused")
        h1 = self.add_node()
        h1.start(["-serve=1:2"])
        connect_nodes(checker, h1)
        wait_until(lambda: len(checker.rpc("getinferenceinfo")["holders"]) == 4, 30,
                   "four announcements")
        liar_steps = liar.rpc("getinferenceinfo")["steps_served"]
        local = checker.rpc("completetext", PROMPT, MAX_TOKENS)
        routed = checker.rpc("infer", PROMPT, MAX_TOKENS, 0)
        assert_equal(routed["tokens"], local["tokens"])
        assert_equal(routed["reroutes"], 0)
        assert_equal([hop["sections"] for hop in routed["route"]], [[0, 1], [1, 2], [2, 3]])
        assert_equal(liar.rpc("getinferenceinfo")["steps_served"], liar_steps)
        info = checker.rpc("getinferenceinfo")
        assert_equal(info["wrong_outputs"], 1)
        # Every step of the three hops was checked: positions of the prompt, then one per token.
        assert info["spot_checked_steps"] >= 2 + 3 * MAX_TOKENS, info


if __name__ == "__main__":
    InferenceSpotCheckTest().main()
