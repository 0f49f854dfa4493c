#!/usr/bin/env python3
"""The raw-transaction flow through a wallet (createrawtransaction →
fundrawtransaction → signrawtransactionwithwallet → sendrawtransaction), a
stuck payment bumped by replace-by-fee (bumpfee and the mempool's
replacement rules), fee estimates fed by the blocks that confirm them
(estimatesmartfee), and the errors of each with Bitcoin Core's codes."""

import math
import time

from test_framework import (ComputecoinTestFramework, assert_equal, assert_in,
                            assert_raises_rpc_error)

COIN = 100_000_000
MATURITY = 100


def units(value):
    """Coins (a JSON number) → integer units."""
    return int(round(value * COIN))


def pending(node, wallet):
    b = node.wallet_rpc(wallet, "getbalances")["mine"]
    return units(b["trusted"]), units(b["untrusted_pending"])


class WalletRawTxTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start(["-workers=2"])

        self.log("estimatesmartfee before any block: the floor, with an error note")
        est = node.rpc("estimatesmartfee", 1)
        assert_equal((units(est["feerate"]), est["blocks"]), (1000, 1))
        assert_in("Insufficient data", est["errors"][0])
        assert_raises_rpc_error(-3, "not of expected type numeric", node.rpc,
                                "estimatesmartfee", "x")
        for bad in (0, 1009, 1.5):
            assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008",
                                    node.rpc, "estimatesmartfee", bad)
        assert_raises_rpc_error(-8, "Invalid estimate_mode parameter", node.rpc,
                                "estimatesmartfee", 2, "fast")
        assert_equal(node.rpc("estimatesmartfee", 2, "CONSERVATIVE")["blocks"], 2)

        node.rpc("createwallet", "miner")
        start = time.monotonic()
        for count in (20, 20, 20, 20, 21):
            node.rpc("generate", count)
        self.log(f"101 blocks in {time.monotonic() - start:.1f} s")
        assert node.wallet_rpc("miner", "getbalance") > 0
        assert "errors" not in node.rpc("estimatesmartfee", 1)
        node.rpc("createwallet", "bob")
        bob = node.wallet_rpc("bob", "getnewaddress")
        bob2 = node.wallet_rpc("bob", "getnewaddress")

        self.log("createrawtransaction: outputs only, then fund, sign, send")
        raw = node.rpc("createrawtransaction", [], [{bob: 1.5}])
        decoded = node.rpc("decoderawtransaction", raw)
        assert_equal((decoded["vin"], len(decoded["vout"])), ([], 1))
        assert_equal(units(decoded["vout"][0]["value"]), 150_000_000)
        assert_equal(node.rpc("createrawtransaction", [], {bob: 1.5}), raw)  # the object form
        funded = node.wallet_rpc("miner", "fundrawtransaction", raw)
        assert funded["fee"] > 0, funded
        decoded = node.rpc("decoderawtransaction", funded["hex"])
        assert len(decoded["vin"]) >= 1, decoded
        signed = node.wallet_rpc("miner", "signrawtransactionwithwallet", funded["hex"])
        assert_equal(signed["complete"], True)
        [accepted] = node.rpc("testmempoolaccept", [signed["hex"]])
        assert accepted["allowed"], accepted
        assert_equal(units(accepted["fees"]["base"]), units(funded["fee"]))
        txid = node.rpc("sendrawtransaction", signed["hex"])
        assert_equal(node.rpc("getrawmempool"), [txid])
        assert_equal(pending(node, "bob"), (0, 150_000_000))
        node.rpc("generate", 1)
        assert_equal(pending(node, "bob"), (150_000_000, 0))
        assert_equal(node.wallet_rpc("bob", "gettransaction", txid)["confirmations"], 1)

        self.log("amounts print as Bitcoin Core's: exactly 8 decimals, server and cli")
        assert_equal(node.cli_ok("-rpcwallet=bob", "getbalance"), "1.50000000")
        status, body = node.http_post('{"method": "getbalances", "params": [], "id": 1}',
                                      path="/wallet/bob", raw=True)
        assert_in('"trusted":1.50000000', body)
        assert_in('"untrusted_pending":0.00000000', body)
        assert_in('"feerate": 0.00001000', node.cli_ok("estimatesmartfee", "1008"))

        self.log("createrawtransaction with a chosen input: exactly that coin is spent")
        coin = max(node.wallet_rpc("miner", "listunspent"), key=lambda c: c["amount"])
        raw = node.rpc("createrawtransaction", [{"txid": coin["txid"], "vout": coin["vout"]}],
                       [{bob2: 0.25}], 0, True)
        funded = node.wallet_rpc("miner", "fundrawtransaction", raw)
        decoded = node.rpc("decoderawtransaction", funded["hex"])
        assert_equal([(i["txid"], i["vout"]) for i in decoded["vin"]], [(coin["txid"], coin["vout"])])
        signed = node.wallet_rpc("miner", "signrawtransactionwithwallet", funded["hex"])

        self.log("fundrawtransaction pays an explicit fee_rate (units per byte)")
        at_rate = node.wallet_rpc("miner", "fundrawtransaction", raw, {"fee_rate": 20})
        size = len(at_rate["hex"]) // 2
        assert_equal(units(at_rate["fee"]), math.ceil(20_000 * size / 1000))
        assert_raises_rpc_error(-8, "Cannot specify both conf_target and fee_rate",
                                node.wallet_rpc, "miner", "fundrawtransaction", raw,
                                {"fee_rate": 20, "conf_target": 3})
        assert_raises_rpc_error(-8, "Invalid conf_target", node.wallet_rpc, "miner",
                                "fundrawtransaction", raw, {"conf_target": 0})

        txid = node.rpc("sendrawtransaction", signed["hex"])
        assert_equal(node.rpc("getmempoolentry", txid)["fee"], funded["fee"])
        node.rpc("generate", 1)
        assert_equal(pending(node, "bob"), (175_000_000, 0))

        self.log("createrawtransaction rejects bad input with Bitcoin Core's codes")
        ok_in = [{"txid": coin["txid"], "vout": 0}]
        assert_raises_rpc_error(-5, "Invalid address", node.rpc, "createrawtransaction", [],
                                [{"rcc1pnotanaddress": 1}])
        other_net = "cc" + bob[3:]
        assert_raises_rpc_error(-5, "Invalid address", node.rpc, "createrawtransaction", [],
                                [{other_net: 1}])
        assert_raises_rpc_error(-8, "duplicated address", node.rpc, "createrawtransaction", [],
                                [{bob: 1}, {bob: 2}])
        assert_raises_rpc_error(-8, "data outputs are not supported", node.rpc,
                                "createrawtransaction", [], [{"data": "00"}])
        assert_raises_rpc_error(-8, "outputs must not be empty", node.rpc,
                                "createrawtransaction", [], [])
        assert_raises_rpc_error(-8, "exactly one key", node.rpc, "createrawtransaction", [],
                                [{bob: 1, bob2: 1}])
        assert_raises_rpc_error(-3, "Invalid amount", node.rpc, "createrawtransaction", [],
                                [{bob: "0.000000001"}])
        assert_raises_rpc_error(-3, "Amount out of range", node.rpc, "createrawtransaction", [],
                                [{bob: -1}])
        assert_raises_rpc_error(-8, "txid must be of length 64", node.rpc,
                                "createrawtransaction", [{"txid": "ab", "vout": 0}], [{bob: 1}])
        assert_raises_rpc_error(-8, "missing vout key", node.rpc, "createrawtransaction",
                                [{"txid": coin["txid"]}], [{bob: 1}])
        assert_raises_rpc_error(-8, "vout out of range", node.rpc, "createrawtransaction",
                                [{"txid": coin["txid"], "vout": -1}], [{bob: 1}])
        assert_raises_rpc_error(-8, "no sequence numbers", node.rpc, "createrawtransaction",
                                [{"txid": coin["txid"], "vout": 0, "sequence": 1}], [{bob: 1}])
        assert_raises_rpc_error(-8, "no lock time", node.rpc, "createrawtransaction", ok_in,
                                [{bob: 1}], 5)
        assert_raises_rpc_error(-8, "every transaction is replaceable", node.rpc,
                                "createrawtransaction", ok_in, [{bob: 1}], 0, False)
        assert_raises_rpc_error(-3, "argument inputs is not of expected type json array", node.rpc, "createrawtransaction",
                                "x", [{bob: 1}])

        self.log("a stuck payment: bumpfee replaces it in the mempool and in both wallets")
        miner_before = node.wallet_rpc("miner", "getbalances")["mine"]
        stuck = node.wallet_rpc("miner", "sendtoaddress", bob, 1)
        old = node.rpc("getmempoolentry", stuck)
        old_fee, old_size = units(old["fee"]), old["size"]
        assert_equal(pending(node, "bob"), (175_000_000, 100_000_000))
        assert_raises_rpc_error(-8, "Insufficient total fee rate", node.wallet_rpc, "miner",
                                "bumpfee", stuck, {"fee_rate": 1})
        assert_raises_rpc_error(-8, "Invalid fee_rate", node.wallet_rpc, "miner", "bumpfee",
                                stuck, {"fee_rate": 1.0001})
        assert_raises_rpc_error(-8, "Cannot specify both conf_target and fee_rate",
                                node.wallet_rpc, "miner", "bumpfee", stuck,
                                {"fee_rate": 50, "conf_target": 2})
        assert_raises_rpc_error(-8, "Invalid parameter speed", node.wallet_rpc, "miner",
                                "bumpfee", stuck, {"speed": 1})
        assert_raises_rpc_error(-4, "inputs that don't belong to this wallet", node.wallet_rpc,
                                "bob", "bumpfee", stuck)
        assert_raises_rpc_error(-5, "Invalid or non-wallet transaction id", node.wallet_rpc,
                                "miner", "bumpfee", "00" * 32)
        bumped = node.wallet_rpc("miner", "bumpfee", stuck, {"fee_rate": 50})
        assert_equal(units(bumped["origfee"]), old_fee)
        assert_equal(bumped["errors"], [])
        new = node.rpc("getmempoolentry", bumped["txid"])
        assert_equal(units(new["fee"]), units(bumped["fee"]))
        assert_equal(units(new["fee"]), math.ceil(50_000 * new["size"] / 1000))
        assert_equal(node.rpc("getrawmempool"), [bumped["txid"]])
        assert_equal(pending(node, "bob"), (175_000_000, 100_000_000))  # counted once
        for wallet in ("miner", "bob"):
            details = node.wallet_rpc(wallet, "gettransaction", stuck)["details"]
            assert all(d["abandoned"] for d in details), (wallet, details)

        self.log("the default bump: the old rate plus the incremental relay rate, at least")
        again = node.wallet_rpc("miner", "bumpfee", bumped["txid"])
        entry = node.rpc("getmempoolentry", again["txid"])
        min_fee = (units(new["fee"]) * 1000 // new["size"] + 1000) * entry["size"] / 1000
        assert units(entry["fee"]) >= min_fee, (entry, min_fee)
        assert_equal(node.rpc("getrawmempool"), [again["txid"]])

        self.log("mined: the payment arrives once; the miner paid the last fee only")
        tip = node.rpc("getbestblockhash")
        node.rpc("generate", 1)
        assert_equal(pending(node, "bob"), (275_000_000, 0))
        since = node.wallet_rpc("miner", "listsinceblock", tip)["transactions"]
        cb = sum(units(e["amount"]) for e in since if e.get("generated"))
        after = node.wallet_rpc("miner", "getbalances")["mine"]
        assert_equal(units(after["trusted"]) + units(after["immature"]),
                     units(miner_before["trusted"]) + units(miner_before["immature"]) + cb
                     - 100_000_000 - units(again["fee"]))
        assert_equal(node.wallet_rpc("miner", "gettransaction", again["txid"])["confirmations"], 1)
        assert_raises_rpc_error(-4, "Transaction has been mined", node.wallet_rpc, "miner",
                                "bumpfee", again["txid"])

        self.log("estimatesmartfee follows the confirmed rates: the high one for the next block")
        high = units(entry["fee"]) * 1000 // entry["size"]
        assert units(node.rpc("estimatesmartfee", 1)["feerate"]) >= high
        assert units(node.rpc("estimatesmartfee", 1008)["feerate"]) < high

        self.log("sendtoaddress and sendmany take Bitcoin Core's fee arguments")
        txid = node.wallet_rpc("miner", "sendtoaddress", address=bob, amount=0.5, fee_rate=25)
        entry = node.rpc("getmempoolentry", txid)
        assert_equal(units(entry["fee"]), math.ceil(25_000 * entry["size"] / 1000))
        txid = node.cli_ok("-rpcwallet=miner", "sendmany", "", f'{{"{bob2}": 0.5}}', "1", "",
                           "[]", "true", "2", "economical")
        entry = node.rpc("getmempoolentry", txid)
        rate = units(node.rpc("estimatesmartfee", 2)["feerate"])
        assert_equal(units(entry["fee"]), math.ceil(rate * entry["size"] / 1000))
        assert_raises_rpc_error(-8, "Cannot specify both conf_target and fee_rate",
                                node.wallet_rpc, "miner", "sendtoaddress", address=bob, amount=1,
                                conf_target=2, fee_rate=25)
        assert_raises_rpc_error(-8, "every transaction is replaceable", node.wallet_rpc, "miner",
                                "sendtoaddress", address=bob, amount=1, replaceable=False)
        assert_raises_rpc_error(-8, "Invalid estimate_mode", node.wallet_rpc, "miner",
                                "sendmany", dummy="", amounts={bob: 1}, estimate_mode="fast")
        assert_raises_rpc_error(-8, "Invalid conf_target", node.wallet_rpc, "miner", "sendmany",
                                "", {bob: 1}, None, None, None, None, 0)
        node.stop()


if __name__ == "__main__":
    WalletRawTxTest().main()
