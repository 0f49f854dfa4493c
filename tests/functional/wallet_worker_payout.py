#!/usr/bin/env python3
"""Rewards and bonds belong to the wallet, not to the hot signing key
(doc/consensus.md 2.0, doc/wallet.md "Worker rewards and the wallet").

A -worker node with an encrypted worker wallet registers its key paying to an
address of that wallet, the payout signed by the worker key; the rewards
mature there and are spent; the key in workers.dat alone cannot spend them,
and a stranger cannot name another payout for the key. Then registerworker
bonds wallet coins to the key, owned by the wallet, deregisterworker moves
the bonds to an unbonding output the wallet owns, the key in workers.dat
cannot spend that output, and the wallet spends it once the unbonding delay
has passed."""

import time

import bip340
from miniwallet import (COIN, COINBASE_MATURITY, KIND_UNBONDING, KIND_WORKER_BOND,
                        KIND_WORKER_PAYOUT,
                        Transaction, TxIn, TxOut, key_hash, payout_output, read_worker_keys)
from test_framework import ComputecoinTestFramework, assert_equal, assert_raises_rpc_error

PASSPHRASE = "worker wallet passphrase"
UNBONDING_DELAY = 10  # regtest's


def units(value):
    return int(round(value * COIN))


class WalletWorkerPayoutTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start(["-worker"])
        start = time.monotonic()
        node.rpc("createwallet", "pay", False, False, PASSPHRASE)  # encrypted, locked

        def w(method, *args):
            return node.wallet_rpc("pay", method, *args)

        self.log("the free registration pays to an address of the locked, encrypted wallet")
        node.rpc("generate", 2)  # registration, then work
        (info,) = node.rpc("getworkerinfo")
        payout = info["payout"]
        assert_equal(info["registered"], True)
        assert_equal(w("getaddressinfo", payout)["ismine"], True)
        seckey = read_worker_keys(node)[0]
        hot_pubkey = bip340.pubkey_gen(seckey)
        assert_equal(info["key"], hot_pubkey.hex())

        block = node.rpc("getblock", node.rpc("getblockhash", 2), 2)
        coinbase = block["tx"][0]
        rewards = [o for o in coinbase["vout"] if o["kind"] == "pay_to_key_hash" and o["value"] > 0]
        assert rewards, coinbase
        payout_lock = rewards[0]["lock"]
        assert payout_lock != key_hash(hot_pubkey).hex()  # not the signing key's hash
        reg = node.rpc("getblock", node.rpc("getblockhash", 1), 2)["tx"][0]["vout"]
        assert_equal([o["kind"] for o in reg][-2:], ["worker_bond", "worker_payout"])
        assert_equal(reg[-1]["lock"], payout_lock)
        genesis = bytes.fromhex(node.rpc("getblockhash", 0))
        signed = bip340.tagged_hash("Computecoin/Registration",
                                    genesis + hot_pubkey + bytes.fromhex(payout_lock))
        assert bip340.verify(signed, hot_pubkey, bytes.fromhex(reg[-1]["payout_signature"]))

        self.log("a stranger cannot name the payout of somebody else's key")
        stranger = bytes(range(1, 33))
        stranger_pub = bip340.pubkey_gen(stranger)
        for payout_out in (payout_output(stranger, key_hash(stranger_pub), genesis),  # its sig
                           TxOut(0, key_hash(stranger_pub), KIND_WORKER_PAYOUT,
                                 bytes.fromhex(reg[-1]["payout_signature"]))):  # the worker's
            front_run = Transaction([TxIn(bytes(range(32)), 0, stranger_pub)],
                                    [TxOut(COIN, hot_pubkey, KIND_WORKER_BOND), payout_out])
            assert_raises_rpc_error(-26, "bad-txns-payout-sig", node.rpc, "sendrawtransaction",
                                    front_run.hex())
        assert units(w("getbalances")["mine"]["immature"]) > 0

        self.log("the rewards mature in the wallet")
        node.rpc("generate", COINBASE_MATURITY)
        mine = w("getbalances")["mine"]
        assert units(mine["trusted"]) >= COIN, mine

        self.log("workers.dat's key alone cannot spend a matured reward")
        reward = rewards[0]
        spent = TxOut(units(reward["value"]), bytes.fromhex(payout_lock))
        theft = Transaction([TxIn(bytes.fromhex(coinbase["txid"]), reward["n"], hot_pubkey)],
                            [TxOut(spent.value - 10_000, key_hash(hot_pubkey))])
        theft.sign_input(0, spent, seckey)
        assert_raises_rpc_error(-26, "bad-txns-wrong-key", node.rpc, "sendrawtransaction",
                                theft.hex())

        self.log("the wallet spends them once unlocked (-13 before)")
        me = w("getnewaddress")
        assert_raises_rpc_error(-13, "walletpassphrase", w, "sendtoaddress", me, 0.5)
        assert_raises_rpc_error(-13, "walletpassphrase", w, "registerworker", 1)
        w("walletpassphrase", PASSPHRASE, 600)
        txid = w("sendtoaddress", me, 0.5)
        node.rpc("generate", 1)
        assert_equal(w("gettransaction", txid)["confirmations"], 1)

        self.log("registerworker: errors, then a 5-coin bond paying to the same payout")
        assert_raises_rpc_error(-8, "Invalid worker key", w, "registerworker", 5, "zz")
        assert_raises_rpc_error(-6, "Insufficient funds", w, "registerworker", 1_000_000)
        reg = w("registerworker", 5)
        assert_equal((reg["payout"], reg["worker"], units(reg["amount"])),
                     (payout, hot_pubkey.hex(), 5 * COIN))
        node.rpc("generate", 1)
        (info,) = node.rpc("getworkerinfo")
        assert_equal((info["registered"], units(info["bonded"]), info["payout"]),
                     (True, 5 * COIN, payout))
        assert_equal(units(w("getbalances")["mine"]["bonded"]), 5 * COIN)
        bond_tx = next(tx for tx in node.rpc("getblock", node.rpc("getbestblockhash"), 2)["tx"]
                       if tx["txid"] == reg["txid"])
        (bond_out,) = [o for o in bond_tx["vout"] if o["kind"] == "worker_bond"]
        assert_equal((bond_out["lock"], bond_out["owner"]), (hot_pubkey.hex(), payout_lock))

        self.log("deregisterworker: every bond into one unbonding output")
        dereg = w("deregisterworker")
        assert_equal(units(dereg["amount"]), 5 * COIN)  # the 5-coin bond and the free one (0)
        node.rpc("generate", 1)
        tip = node.rpc("getblockcount")
        (info,) = node.rpc("getworkerinfo")
        assert_equal((info["registered"], units(info["bonded"])), (False, 0))
        assert_equal([(units(u["value"]), u["release_height"]) for u in info["unbonding"]],
                     [(5 * COIN, tip + UNBONDING_DELAY)])
        assert_equal(units(w("getbalances")["mine"]["bonded"]), 5 * COIN)
        unbond_tx = next(tx for tx in node.rpc("getblock", node.rpc("getbestblockhash"), 2)["tx"]
                         if tx["txid"] == dereg["txid"])
        (unbonding,) = [o for o in unbond_tx["vout"] if o["kind"] == "unbonding"]
        assert_equal((unbonding["lock"], unbonding["owner"]), (hot_pubkey.hex(), payout_lock))

        self.log("released after the delay, the wallet spends it back to itself")
        node.rpc("generate", UNBONDING_DELAY - 2)  # the next block is one below the release
        assert_equal(units(w("getbalances")["mine"]["bonded"]), 5 * COIN)
        trusted = units(w("getbalances")["mine"]["trusted"])
        node.rpc("generate", 1)  # the next block may spend it
        self.log("workers.dat's key cannot take the released unbonding output")
        released = TxOut.from_json(unbonding)
        assert_equal(released.kind, KIND_UNBONDING)
        theft = Transaction([TxIn(bytes.fromhex(dereg["txid"]), unbonding["n"], hot_pubkey)],
                            [TxOut(released.value - 10_000, key_hash(hot_pubkey))])
        theft.sign_input(0, released, seckey)
        assert_raises_rpc_error(-26, "bad-txns-wrong-key", node.rpc, "sendrawtransaction",
                                theft.hex())
        mine = w("getbalances")["mine"]
        assert_equal(units(mine["bonded"]), 0)
        assert units(mine["trusted"]) >= trusted + 5 * COIN, (trusted, mine)
        everything = w("sendtoaddress", me, mine["trusted"], "", "", True)
        node.rpc("generate", 1)
        assert_equal(w("gettransaction", everything)["confirmations"], 1)
        (info,) = node.rpc("getworkerinfo")
        assert_equal(info["unbonding"], [])
        assert_equal(units(w("getbalances")["mine"]["bonded"]), 0)
        self.log(f"took {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    WalletWorkerPayoutTest().main()
