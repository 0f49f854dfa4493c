#!/usr/bin/env python3
"""A lying holder's bond forfeited on chain (doc/inference.md §5b, chain/evidence.h).

The holder of the middle section charges and runs on a worker node: its
worker key vouches for its payee key (serveinfo's bond), and has bonded 5
coins (registerworker). It scales every output by 1.05 (-perturbserve,
regtest only). A client with -inferspotcheck=1 pays it over a channel,
catches its first answer, and submits the evidence: the holder's signed
running receipt, the hop's steps, the answer and the served sections' leaves
under the receipt's state root. Every node judges it by recomputing the hop
in the reference arithmetic; mined, it forfeits the worker's bonds (the
worker leaves the registry and is slashed for good) and pays the client
half of them. The free holders are not bonded."""

from test_framework import (ComputecoinTestFramework, RpcError, assert_equal, assert_in,
                            connect_nodes, sync_blocks, wait_until)

COIN = 100_000_000
PROMPT = "12+34="


def trusted(node):
    return int(round(node.rpc("getbalances")["mine"]["trusted"] * COIN))


class InferenceSlashingTest(ComputecoinTestFramework):
    def run_test(self):
        client = self.add_node()
        client.start(["-inferspotcheck=1"])
        client.rpc("createwallet", "alice")
        h0 = self.add_node()
        h0.start(["-serve=0:1"])
        liar = self.add_node()
        liar.start()
        liar.rpc("createwallet", "liar")
        liar.stop()
        liar.start(["-serve=1:2", "-wallet=liar", "-serveprice=0.0001", "-perturbserve=0.05",
                    "-worker"])
        h2 = self.add_node()
        h2.start(["-serve=2:3"])
        nodes = [client, h0, liar, h2]
        for holder in (h0, liar, h2):
            connect_nodes(client, holder)
        connect_nodes(h0, liar)
        connect_nodes(h0, h2)

        def mine(by, n=1):
            by.rpc("generate", n)
            sync_blocks(nodes)
            height = by.rpc("getblockcount")
            for node in (client, liar):
                wait_until(lambda: node.rpc("getbalances")["lastprocessedblock"]["height"] ==
                           height, 30, "the wallet at the tip")
            root = client.rpc("getblockheader", client.rpc("getbestblockhash"))["state_root"]
            wait_until(lambda: [h["state_root"] for h in client.rpc("getinferenceinfo")["holders"]]
                       == [root] * 3, 30, "the holders serving the tip")

        self.log("the liar's worker registers, matures its rewards and bonds 5 coins")
        mine(liar, 101)
        worker = liar.rpc("getworkerinfo")[0]["key"]
        liar.rpc("registerworker", 5)
        liar.rpc("sendtoaddress", client.rpc("getnewaddress"), 20)
        wait_until(lambda: len(liar.rpc("getrawmempool")) == 2, 30, "the bond and the payment")
        mine(liar)
        assert_equal(liar.rpc("getworkerinfo")[0]["bonded"], 5)
        assert_equal(liar.rpc("getinferenceinfo")["bonded_by"], worker)
        bonded = {h["sections"][0]: h["bonded"] for h in client.rpc("getinferenceinfo")["holders"]}
        assert_equal(bonded, {0: False, 1: True, 2: False})

        self.log("the client opens a channel to the liar")
        try:
            client.rpc("infer", PROMPT, 4)
            raise AssertionError("infer sent a step before its channel was funded")
        except RpcError as e:
            assert_in("channel opening, funding unconfirmed", e.error["message"])
        wait_until(lambda: len(liar.rpc("getrawmempool")) == 1, 30, "the funding")
        mine(liar)

        self.log("its first answer is caught, and the evidence goes to the mempool")
        try:
            client.rpc("infer", PROMPT, 4)
            raise AssertionError("infer through a lying holder succeeded")
        except RpcError as e:
            assert_in("section 1", e.error["message"])
        info = client.rpc("getinferenceinfo")
        assert_equal((info["wrong_outputs"], info["holders_slashed"]), (1, 1))
        assert_in(f"infer: slashing worker {worker}, which vouched for the holder, in ",
                  client.debug_log())
        slash = client.rpc("getrawmempool")
        assert_equal(len(slash), 1)
        wait_until(lambda: liar.rpc("getrawmempool") == slash, 30, "the evidence relayed")

        self.log("mined: the worker's bonds are forfeited, half to the client")
        # By the liar's own node, the only producer here: every node checks
        # the evidence again as the block connects.
        before = trusted(client)
        mine(liar)
        assert_equal(liar.rpc("getworkerinfo")[0]["slashed"], True)
        assert_equal(liar.rpc("getworkerinfo")[0]["registered"], False)
        for node in nodes:
            assert worker not in [w["key"] for w in node.rpc("gettraininginfo")["workers"]]
        assert_equal(trusted(client) - before, 5 * COIN // 2)
        decoded = client.rpc("getrawtransaction", slash[0], True, client.rpc("getbestblockhash"))
        assert_equal(len(decoded["vin"]), 2)  # the free registration bond and the 5 coins


if __name__ == "__main__":
    InferenceSlashingTest().main()
