#!/usr/bin/env python3
"""The wallet in a real node: a worker's rewards appear immature, then
spendable; a payment to a second wallet confirms with both balances right to
the unit; encryption and its errors; backup and restore; every wallet error
code once. Wallets are reached through the cli's -rpcwallet and /wallet/<name>."""

import json
import os
import time

from test_framework import (ComputecoinTestFramework, assert_equal,
                            assert_raises_rpc_error)

COIN = 100_000_000
MATURITY = 100


def units(value):
    """Coins (a JSON number) → integer units."""
    return int(round(value * COIN))


class WalletBasicTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start(["-workers=2"])

        def cli_json(*args):
            return json.loads(node.cli_ok(*args))

        self.log("no wallet yet: -18")
        assert_raises_rpc_error(-18, "No wallet is loaded", node.rpc, "getbalance")

        self.log("createwallet through the cli; it watches the workers' rewards")
        assert_equal(cli_json("createwallet", "miner"), {"name": "miner", "warnings": []})
        assert_equal(node.rpc("listwallets"), ["miner"])
        assert_raises_rpc_error(-35, 'Wallet "miner" is already loaded.', node.rpc, "loadwallet", "miner")
        assert_raises_rpc_error(-36, "Database already exists.", node.rpc, "createwallet", "miner")

        self.log("two blocks (registration, then work): the rewards are immature")
        node.rpc("generate", 2)
        b = node.rpc("getbalances")["mine"]
        assert_equal(units(b["trusted"]), 0)
        assert b["immature"] > 0, b
        first_reward = units(b["immature"])

        start = time.monotonic()
        node.rpc("generate", MATURITY - 2)
        assert_equal(units(node.rpc("getbalances")["mine"]["trusted"]), 0)
        node.rpc("generate", 1)  # tip 101: block 2's coins may be spent in block 102
        self.log(f"{MATURITY - 1} more blocks took {time.monotonic() - start:.1f} s")
        b = node.rpc("getbalances")["mine"]
        assert_equal(units(b["trusted"]), first_reward)  # block 2's coins matured
        assert_equal(units(node.rpc("getbalance")), first_reward)
        coins = node.rpc("listunspent")
        assert_equal(sum(units(c["amount"]) for c in coins), first_reward)
        assert all(c["coinbase"] for c in coins)

        self.log("a second wallet; with two loaded, the default is gone: -19")
        node.rpc("createwallet", "alice")
        assert_raises_rpc_error(-19, "Wallet file not specified", node.rpc, "getbalance")
        assert_raises_rpc_error(-18, "Requested wallet does not exist or is not loaded",
                                node.wallet_rpc, "nobody", "getbalance")
        address = node.wallet_rpc("alice", "getnewaddress", "from miner")
        assert address.startswith("rcc1p"), address
        info = node.wallet_rpc("alice", "getaddressinfo", address)
        assert_equal((info["ismine"], info["labels"]), (True, ["from miner"]))
        assert_equal(node.wallet_rpc("miner", "getaddressinfo", address)["ismine"], False)
        assert_equal(node.rpc("validateaddress", address)["isvalid"], True)
        assert_equal(node.rpc("validateaddress", "cc1qqqqq")["isvalid"], False)

        self.log("errors -5 and -6")
        assert_raises_rpc_error(-5, "Invalid address", node.wallet_rpc, "miner", "sendtoaddress",
                                "rcc1pnotanaddress", 1)
        assert_raises_rpc_error(-6, "Insufficient funds", node.wallet_rpc, "miner", "sendtoaddress",
                                address, 1_000_000)
        assert_raises_rpc_error(-3, "Invalid amount", node.wallet_rpc, "miner", "sendtoaddress",
                                address, "0.000000001")

        self.log("send 1.5 through the cli -rpcwallet; confirm with one block")
        before = node.wallet_rpc("miner", "getbalances")["mine"]
        tip = node.rpc("getbestblockhash")
        txid = node.cli_ok("-rpcwallet=miner", "sendtoaddress", address, "1.5")
        assert_equal(units(node.wallet_rpc("alice", "getbalances")["mine"]["untrusted_pending"]),
                     150_000_000)
        fee = -units(node.wallet_rpc("miner", "gettransaction", txid)["fee"])
        assert fee > 0, fee
        node.rpc("generate", 1)
        alice = node.wallet_rpc("alice", "getbalances")["mine"]
        assert_equal(units(alice["trusted"]), 150_000_000)
        assert_equal(units(alice["untrusted_pending"]), 0)
        # The miner: minus 1.5 and the fee, plus block 102's coinbase (which
        # pays the fee back to the producer, one of its workers).
        since = node.wallet_rpc("miner", "listsinceblock", tip)["transactions"]
        cb = sum(units(e["amount"]) for e in since if e.get("generated"))
        after = node.wallet_rpc("miner", "getbalances")["mine"]
        assert_equal(units(after["trusted"]) + units(after["immature"]),
                     units(before["trusted"]) + units(before["immature"]) + cb - 150_000_000 - fee)
        tx = node.wallet_rpc("alice", "gettransaction", txid)
        assert_equal((tx["confirmations"], units(tx["amount"])), (1, 150_000_000))
        sends = [e for e in node.wallet_rpc("miner", "listtransactions", "*", 100)
                 if e["category"] == "send"]
        assert_equal([(e["txid"], units(e["amount"])) for e in sends], [(txid, -150_000_000)])

        self.log("encryption: -15, -13, -14, unlock, relock after the timeout")
        assert_raises_rpc_error(-15, "unencrypted wallet", node.wallet_rpc, "miner", "walletlock")
        node.wallet_rpc("miner", "encryptwallet", "correct horse")
        assert_raises_rpc_error(-15, "encrypted wallet", node.wallet_rpc, "miner", "encryptwallet", "x")
        assert_raises_rpc_error(-13, "walletpassphrase", node.wallet_rpc, "miner", "sendtoaddress",
                                address, 1)
        assert_raises_rpc_error(-14, "passphrase entered was incorrect", node.wallet_rpc, "miner",
                                "walletpassphrase", "wrong", 10)
        node.wallet_rpc("miner", "walletpassphrase", "correct horse", 2)
        assert node.wallet_rpc("miner", "getwalletinfo")["unlocked_until"] > 0
        txid2 = node.wallet_rpc("miner", "sendtoaddress", address, 0.25)
        time.sleep(2.5)
        assert_equal(node.wallet_rpc("miner", "getwalletinfo")["unlocked_until"], 0)
        assert_raises_rpc_error(-13, "walletpassphrase", node.wallet_rpc, "miner", "sendtoaddress",
                                address, 1)
        node.rpc("generate", 1)
        assert_equal(units(node.wallet_rpc("alice", "getbalance")), 175_000_000)
        assert_equal(node.wallet_rpc("alice", "gettransaction", txid2)["confirmations"], 1)

        self.log("backup, unload, restore: same balance, same next address; -4")
        backup = os.path.join(self.tmpdir, "alice.backup")
        node.wallet_rpc("alice", "backupwallet", backup)
        assert_raises_rpc_error(-4, "Wallet backup failed", node.wallet_rpc, "alice",
                                "backupwallet", backup)
        next_address = node.wallet_rpc("alice", "getnewaddress")
        balance = node.wallet_rpc("alice", "getbalances")["mine"]
        node.cli_ok("-rpcwallet=alice", "unloadwallet")
        assert_equal(node.rpc("listwallets"), ["miner"])
        assert_raises_rpc_error(-18, "Requested wallet does not exist or is not loaded",
                                node.rpc, "unloadwallet", "alice")
        assert_raises_rpc_error(-18, "Path does not exist", node.rpc, "loadwallet", "nobody")
        assert_equal(node.rpc("restorewallet", "alice2", backup)["name"], "alice2")
        assert_equal(node.wallet_rpc("alice2", "getbalances")["mine"], balance)
        assert_equal(node.wallet_rpc("alice2", "getnewaddress"), next_address)

        self.log("a restart with -wallet= loads the wallets and keeps the balances")
        miner_balance = node.wallet_rpc("miner", "getbalances")
        node.stop()
        node.start(["-workers=2", "-wallet=miner", "-wallet=alice2"])
        assert_equal(node.rpc("listwallets"), ["miner", "alice2"])
        assert_equal(node.wallet_rpc("miner", "getbalances"), miner_balance)
        assert_equal(node.wallet_rpc("alice2", "getbalances")["mine"], balance)
        node.stop()


if __name__ == "__main__":
    WalletBasicTest().main()
