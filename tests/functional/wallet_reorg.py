#!/usr/bin/env python3
"""Wallets through a reorganisation and through kill -9.

Reorg: two nodes share the first 101 blocks and the workers' keys, then are
partitioned. On node a the miner wallet pays alice twice and a block
confirms both payments; node b, holding a copy of the miner wallet (the
workers' rewards are paid to its addresses, not to the worker keys),
confirms a conflicting spend of the first payment's coin on a longer branch.
When they reconnect, a follows b: the first payment becomes conflicted, the
second goes back to unconfirmed (and into the mempool), the rewards of a's
lost block leave the miner's balance and b's branch's rewards join it;
every balance follows, to the unit.

kill -9: node a is killed while it generates blocks; at restart the wallet
catches up from its last written block, and its balance equals the rewards
of the chain that survived, neither counted twice nor missed."""

import os
import shutil
import threading

from test_framework import (ComputecoinTestFramework, assert_equal, connect_nodes,
                            sync_blocks, wait_until)

COIN = 100_000_000
CONFLICT_FEE = 10_000


def units(value):
    """Coins (a JSON number) → integer units."""
    return int(round(value * COIN))


def mine(node, wallet):
    b = node.wallet_rpc(wallet, "getbalances")["mine"]
    return {k: units(b[k]) for k in ("trusted", "untrusted_pending", "immature")}


def coinbase_total(node, first, last):
    """The coinbase outputs of blocks first..last of node's chain (all pay the workers)."""
    total = 0
    for height in range(first, last + 1):
        block = node.rpc("getblock", node.rpc("getblockhash", height), 2)
        total += sum(units(v["value"]) for v in block["tx"][0]["vout"])
    return total


class WalletReorgTest(ComputecoinTestFramework):
    def run_test(self):
        a, b = self.add_node(), self.add_node()
        a.start(["-workers=2"])
        b.start()
        a.rpc("createwallet", "miner")
        a.rpc("createwallet", "alice")
        connect_nodes(b, a)
        for _ in range(5):
            a.rpc("generate", 20)
        a.rpc("generate", 1)
        sync_blocks([a, b])
        fork = a.rpc("getblockcount")
        assert_equal(fork, 101)

        self.log("partition; b restarts with a's worker keys and miner wallet")
        backup = os.path.join(self.tmpdir, "miner.backup")
        a.wallet_rpc("miner", "backupwallet", backup)
        b.stop()
        shutil.copy(os.path.join(a.network_dir, "workers.dat"),
                    os.path.join(b.network_dir, "workers.dat"))
        b.start(["-workers=2", "-noconnect"])
        b.rpc("restorewallet", "miner", backup)
        wait_until(lambda: not a.rpc("getpeerinfo"), 30, "the partition")

        self.log("on a: two payments to alice, confirmed by one block")
        to_alice = a.wallet_rpc("alice", "getnewaddress")
        pay1 = a.wallet_rpc("miner", "sendtoaddress", to_alice, 3)
        pay2 = a.wallet_rpc("miner", "sendtoaddress", to_alice, 2)
        a.rpc("generate", 1)
        assert_equal(mine(a, "alice"), {"trusted": 500_000_000, "untrusted_pending": 0,
                                        "immature": 0})
        miner_a_branch = mine(a, "miner")

        self.log("on b: a conflicting spend of pay1's coin, on a longer branch")
        spent = {(i["txid"], i["vout"]) for i in a.rpc("decoderawtransaction", a.wallet_rpc(
            "miner", "gettransaction", pay1)["hex"])["vin"]}
        spent2 = {(i["txid"], i["vout"]) for i in a.rpc("decoderawtransaction", a.wallet_rpc(
            "miner", "gettransaction", pay2)["hex"])["vin"]}
        assert not spent & spent2, "the payments share a coin"
        txid, vout = sorted(spent)[0]
        value = None
        for height in range(1, fork + 1):
            for tx in b.rpc("getblock", b.rpc("getblockhash", height), 2)["tx"]:
                if tx["txid"] == txid:
                    value = units(tx["vout"][vout]["value"])
        assert value is not None, "pay1's coin is a reward"
        to_self = b.wallet_rpc("miner", "getnewaddress")
        raw = b.rpc("createrawtransaction", [{"txid": txid, "vout": vout}],
                    [{to_self: (value - CONFLICT_FEE) / COIN}])
        signed = b.wallet_rpc("miner", "signrawtransactionwithwallet", raw)
        assert signed["complete"], signed
        b.rpc("sendrawtransaction", signed["hex"])
        b.rpc("generate", 4)
        assert b.rpc("gettraininginfo")["accepted_work"] > a.rpc("gettraininginfo")["accepted_work"]

        self.log("reconnect: a reorganises onto b's branch")
        connect_nodes(b, a)
        sync_blocks([a, b])
        tip = a.rpc("getblockcount")
        assert_equal(tip, fork + 4)
        assert_equal(a.wallet_rpc("miner", "gettransaction", pay1)["confirmations"], -1)
        assert_equal(a.wallet_rpc("alice", "gettransaction", pay1)["confirmations"], -1)
        assert_equal(a.wallet_rpc("alice", "gettransaction", pay2)["confirmations"], 0)
        wait_until(lambda: pay2 in a.rpc("getrawmempool"), 30, "pay2 back in the mempool")
        assert pay1 not in a.rpc("getrawmempool")
        assert_equal(mine(a, "alice"), {"trusted": 0, "untrusted_pending": 200_000_000,
                                        "immature": 0})
        # The miner: its balance is what b's chain gives it (every coinbase
        # pays its workers' payouts, its addresses, fees included), less pay2
        # and its fee (its own unconfirmed spend) and less the fee of the
        # conflicting spend, which b's copy of the wallet made from one of its
        # coins to one of its addresses.
        rewards = coinbase_total(a, 1, tip)
        fee2 = -units(a.wallet_rpc("miner", "gettransaction", pay2)["fee"])
        spent_total = 200_000_000 + fee2 + CONFLICT_FEE
        m = mine(a, "miner")
        assert_equal(m["trusted"] + m["immature"] + m["untrusted_pending"], rewards - spent_total)
        assert m != miner_a_branch

        self.log("the next block confirms pay2 again; the balances follow")
        a.rpc("generate", 1)
        sync_blocks([a, b])
        assert_equal(mine(a, "alice"), {"trusted": 200_000_000, "untrusted_pending": 0,
                                        "immature": 0})
        m = mine(a, "miner")
        assert_equal(m["trusted"] + m["immature"], coinbase_total(a, 1, tip + 1) - spent_total)
        assert_equal(a.wallet_rpc("alice", "gettransaction", pay2)["confirmations"], 1)

        self.log("kill -9 while generating: the wallet catches up to the surviving chain")
        b.stop()
        before = a.rpc("getblockcount")
        worker = threading.Thread(target=lambda: self.generate_quietly(a, 10))
        worker.start()
        wait_until(lambda: a.rpc("getblockcount") >= before + 2, 60, "some blocks")
        a.kill()
        worker.join()
        a.start(["-workers=2", "-wallet=miner", "-wallet=alice"])
        height = a.rpc("getblockcount")
        self.log(f"  killed at height {height} ({height - before} blocks into the call)")
        m = mine(a, "miner")
        assert_equal(m["trusted"] + m["immature"] + m["untrusted_pending"],
                     coinbase_total(a, 1, height) - spent_total)
        assert_equal(mine(a, "alice")["trusted"], 200_000_000)
        a.rpc("generate", 1)
        m = mine(a, "miner")
        assert_equal(m["trusted"] + m["immature"], coinbase_total(a, 1, height + 1) - spent_total)
        a.stop()

    @staticmethod
    def generate_quietly(node, count):
        try:
            node.rpc("generate", count)
        except Exception:  # the node is killed mid-call
            pass


if __name__ == "__main__":
    WalletReorgTest().main()
