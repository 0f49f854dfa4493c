#!/usr/bin/env python3
"""The one slashing rule through real processes (doc/consensus.md §2.2).

An honest worker node and a liar whose outputs are scaled by 1.01 before it
commits them (-perturbwork, regtest only), regtest timed production:

- the honest node's work pool re-executes the liar's relayed record, finds it
  wrong, and its miner turns the record into a slashing transaction that
  forfeits the liar's bond (regtest's bond is 0: the free registration) and
  pays the reporter's share to the honest worker's key hash;
- the transaction is mined: the liar leaves the honest node's registry and
  stays out (a slashed key never registers again), its own node reports it
  slashed (getworkerinfo), the reporter's output pays the honest worker's
  key hash, and training goes on with the honest worker alone.
"""

import re

from miniwallet import key_hash
from test_framework import (ComputecoinTestFramework, assert_equal, connect_nodes, sync_blocks,
                            wait_until)


def workers(node):
    return [w["key"] for w in node.rpc("gettraininginfo")["workers"]]


def block_with(node, txid, start):
    """The hash of the active-chain block from height `start` on holding txid, or None."""
    for height in range(start, node.rpc("getblockcount") + 1):
        block_hash = node.rpc("getblockhash", height)
        if txid in node.rpc("getblock", block_hash)["tx"]:
            return block_hash
    return None


class SlashingTest(ComputecoinTestFramework):
    def run_test(self):
        honest = self.add_node()
        liar = self.add_node()
        honest.start(["-worker", "-timedproduction"])
        wait_until(lambda: len(workers(honest)) == 1, 60, "the honest worker")
        honest_key = honest.rpc("getworkerinfo")[0]["key"]
        # The liar syncs the honest chain without producing, then lies.
        liar.start(["-worker"])
        connect_nodes(liar, honest)
        sync_blocks([honest, liar])
        liar.stop()
        liar.start(["-worker", "-timedproduction", "-perturbwork=0.01"])
        connect_nodes(liar, honest)
        wait_until(lambda: len(workers(honest)) == 2, 60, "the liar registered")
        liar_key = liar.rpc("getworkerinfo")[0]["key"]
        start = honest.rpc("getblockcount")

        self.log("the honest node catches a wrong record and reports it")
        pattern = re.compile(f"Miner: slashing {liar_key} in ([0-9a-f]{{64}})")
        wait_until(lambda: pattern.search(honest.debug_log()), 120, "a slashing transaction")
        txid = pattern.search(honest.debug_log()).group(1)

        self.log("the slashing transaction is mined and the liar's bond forfeited")
        wait_until(lambda: block_with(honest, txid, start) is not None, 120, "the slashing mined")
        block_hash = block_with(honest, txid, start)
        tx = honest.rpc("getrawtransaction", txid, True, block_hash)
        assert_equal(tx["version"], 4)
        assert all(vin["pubkey"] == "00" * 32 for vin in tx["vin"]), "nobody signs for the liar"
        assert_equal(len(tx["vout"]), 1)
        assert_equal(tx["vout"][0]["kind"], "pay_to_key_hash")
        assert_equal(tx["vout"][0]["lock"], key_hash(bytes.fromhex(honest_key)).hex())
        assert_equal(tx["vout"][0]["value"], 0)  # half of a zero bond
        assert liar_key not in workers(honest)

        info = honest.rpc("getworkerinfo")[0]
        assert_equal((info["slashed"], info["bonded"], info["unbonding"]), (False, 0, []))
        wait_until(lambda: liar.rpc("getworkerinfo")[0]["slashed"], 60, "the liar sees it")

        self.log("the liar stays out while the honest worker trains on")
        height = honest.rpc("getblockcount")
        wait_until(lambda: honest.rpc("getblockcount") >= height + 3, 90, "three more blocks")
        assert_equal(workers(honest), [honest_key])


if __name__ == "__main__":
    SlashingTest().main()
