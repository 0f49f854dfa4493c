#!/usr/bin/env python3
"""The one slashing rule through real processes (doc/consensus.md §2.2).

An honest worker node earns coins (regtest `generate`) and pays one to a
second node's worker key, which bonds it (a signed kWorkerBond transaction:
its registration, so that a real bond is at stake). Then both produce on a
timer, the second as a liar whose outputs are scaled by 1.01 before it
commits them (-perturbwork, regtest only):

- the honest node's work pool re-executes the liar's relayed record, finds it
  wrong, and its miner turns the record into a slashing transaction that
  forfeits the liar's bond and pays half of it to the honest worker's key
  hash (the other half is burnt);
- the transaction is mined: the liar leaves the honest node's registry and
  stays out (a slashed key never registers again), and training goes on
  with the honest worker alone. Whether the honest node first catches a
  relayed record (its work pool) or the liar's own block carrying one (then
  refused, and the worker named), it reports the liar.
"""

import re
import time

import bip340
from miniwallet import (COIN, KIND_WORKER_BOND, MiniWallet, Transaction,
                        TxIn, TxOut, key_hash, payout_output, read_worker_keys)
from test_framework import (ComputecoinTestFramework, assert_equal, connect_nodes, sync_blocks,
                            wait_until)

FEE = 1000


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

        self.log("the honest worker earns coins; the liar bonds one of them")
        honest.start(["-worker"])
        start = time.monotonic()
        for count in (20, 20, 20, 20, 21):  # no call near the RPC timeout on 2 cores
            honest.rpc("generate", count)
        self.log(f"  101 blocks in {time.monotonic() - start:.1f} s")
        liar.start(["-worker"])
        connect_nodes(liar, honest)
        sync_blocks([honest, liar])
        wallet = MiniWallet(read_worker_keys(honest)[0])
        honest_key = wallet.pubkey.hex()
        liar_secret = read_worker_keys(liar)[0]
        liar_pub = bip340.pubkey_gen(liar_secret)
        liar_key = liar_pub.hex()
        wallet.scan_blocks(honest, 1, 101)
        txid, index, spent, _ = wallet.take_utxo(spend_height=102)
        pay = Transaction([TxIn(txid, index, wallet.pubkey)],
                          [TxOut(spent.value - FEE, key_hash(liar_pub))])
        pay.sign_input(0, spent, wallet.seckey)
        bond_value = spent.value - 2 * FEE
        genesis = bytes.fromhex(honest.rpc("getblockhash", 0))
        bond = Transaction([TxIn(pay.txid(), 0, liar_pub)],
                           [TxOut(bond_value, liar_pub, KIND_WORKER_BOND, owner=key_hash(liar_pub)),
                            payout_output(liar_secret, key_hash(liar_pub), genesis)])
        bond.sign_input(0, pay.outputs[0], liar_secret)
        honest.rpc("sendrawtransaction", pay.hex())
        honest.rpc("sendrawtransaction", bond.hex())
        honest.rpc("generate", 1)
        sync_blocks([honest, liar])
        info = liar.rpc("getworkerinfo")[0]
        assert_equal((info["registered"], round(info["bonded"] * COIN)), (True, bond_value))

        self.log("both produce on a timer; the liar lies")
        honest.stop()
        honest.start(["-worker", "-timedproduction"])
        liar.stop()
        liar.start(["-worker", "-timedproduction", "-perturbwork=0.01"])
        connect_nodes(liar, honest)
        start_height = honest.rpc("getblockcount")

        self.log("the honest node catches a wrong record and reports it")
        pattern = re.compile(f"Miner: slashing {liar_key} in ([0-9a-f]{{64}})")
        wait_until(lambda: pattern.search(honest.debug_log()), 120, "a slashing transaction")
        txid = pattern.search(honest.debug_log()).group(1)

        self.log("the slashing transaction is mined and the liar's bonds forfeited")
        wait_until(lambda: block_with(honest, txid, start_height) is not None, 120,
                   "the slashing mined")
        block_hash = block_with(honest, txid, start_height)
        tx = honest.rpc("getrawtransaction", txid, True, block_hash)
        assert_equal(tx["version"], 4)
        assert all(vin["pubkey"] == "00" * 32 for vin in tx["vin"]), "nobody signs for the liar"
        assert bond.txid().hex() in [vin["txid"] for vin in tx["vin"]], "the paid bond is taken"
        assert_equal(len(tx["vin"]), 1)
        assert_equal(len(tx["vout"]), 1)
        assert_equal(tx["vout"][0]["kind"], "pay_to_key_hash")
        assert_equal(tx["vout"][0]["lock"], key_hash(bytes.fromhex(honest_key)).hex())
        assert_equal(round(tx["vout"][0]["value"] * COIN), bond_value // 2)  # half; half burnt
        assert liar_key not in workers(honest)
        info = honest.rpc("getworkerinfo")[0]
        assert_equal((info["slashed"], info["bonded"], info["unbonding"]), (False, 0, []))

        self.log("the liar stays out while the honest worker trains on")
        height = honest.rpc("getblockcount")
        wait_until(lambda: honest.rpc("getblockcount") > height, 90, "another block")
        assert_equal(workers(honest), [honest_key])


if __name__ == "__main__":
    SlashingTest().main()
