#!/usr/bin/env python3
"""Raw transactions through the mempool of one regtest node (`-workers=2`):
a payment built and signed in Python from a worker's matured coinbase
reward (miniwallet.py, bip340.py), testmempoolaccept, sendrawtransaction,
getrawmempool, getmempoolentry, getmempoolinfo, a double spend, an unconfirmed
chain, confirmation by `generate`, getrawtransaction with the block hash, and
the errors around them with Bitcoin Core's codes."""

import time

import bip340
from miniwallet import COIN, MiniWallet, Transaction, TxIn, TxOut, read_worker_keys
from test_framework import (ComputecoinTestFramework, assert_equal, assert_in,
                            assert_raises_rpc_error)

FEE = 10_000  # base units: 0.0001 coins, over the minimum relay fee, under maxfeerate


class MempoolRawTxTest(ComputecoinTestFramework):
    def run_test(self):
        self.log("BIP340 signing in Python reproduces the BIP's vectors")
        bip340.self_test()

        node = self.add_node()
        node.start(["-workers=2"])

        self.log("generate 101 blocks so that a worker's first rewards mature")
        # In calls of 20 blocks, so that no call nears the framework's 30 s
        # RPC timeout on a loaded machine (101 blocks take 10-25 s on 2 cores).
        start = time.monotonic()
        for count in (20, 20, 20, 20, 21):
            node.rpc("generate", count)
        self.log(f"  101 blocks in {time.monotonic() - start:.1f} s")
        tip = node.rpc("getblockcount")
        assert_equal(tip, 101)

        keys = read_worker_keys(node)
        assert_equal(len(keys), 2)
        wallet = MiniWallet(keys[0])
        assert_in(wallet.pubkey.hex(), [w["key"] for w in node.rpc("getworkerinfo")])
        wallet.scan_blocks(node, 1, tip)
        utxo = wallet.take_utxo(spend_height=tip + 1)
        spent_value = utxo[2].value
        assert_equal(spent_value, COIN)  # one coin per accepted work record

        self.log("a payment signed in Python: decoded and test-accepted as the node sees it")
        tx = wallet.create_self_transfer(utxo, FEE, outputs=2)
        txid = tx.txid().hex()
        decoded = node.rpc("decoderawtransaction", tx.hex())
        assert_equal(decoded["txid"], txid)
        assert_equal(decoded["wtxid"], tx.wtxid().hex())
        assert_equal(decoded["size"], len(tx.serialize()))
        assert_equal([v["value"] for v in decoded["vout"]], [0.49995, 0.49995])
        [result] = node.rpc("testmempoolaccept", [tx.hex()])
        assert result["allowed"] is True, result
        assert_equal(result["txid"], txid)
        assert_equal(result["vsize"], len(tx.serialize()))
        assert_equal(result["fees"]["base"], FEE / COIN)
        assert_equal(node.rpc("getrawmempool"), [])

        self.log("the cli passes the array as JSON")
        cli_result = node.cli_ok("testmempoolaccept", f'["{tx.hex()}"]')
        assert_in('"allowed": true', cli_result)

        self.log("sendrawtransaction: into the mempool")
        assert_equal(node.rpc("sendrawtransaction", tx.hex()), txid)
        assert_equal(node.rpc("getrawmempool"), [txid])
        entry = node.rpc("getmempoolentry", txid)
        assert_equal(entry["size"], len(tx.serialize()))
        assert_equal(entry["fee"], FEE / COIN)
        assert_equal(entry["fees"]["base"], FEE / COIN)
        assert_equal(entry["height"], tip)
        assert_equal(entry["depends"], [])
        assert_equal(entry["spentby"], [])
        assert_equal(entry["wtxid"], tx.wtxid().hex())
        assert abs(entry["time"] - time.time()) < 60, entry
        info = node.rpc("getmempoolinfo")
        assert_equal(info["size"], 1)
        assert_equal(info["bytes"], len(tx.serialize()))
        assert_equal(info["total_fee"], FEE / COIN)
        assert_equal(info["loaded"], True)
        assert_equal(info["minrelaytxfee"], 0.00001)
        assert_equal(node.rpc("getrawtransaction", txid), tx.hex())
        assert_equal(node.rpc("getrawtransaction", txid, True)["hex"], tx.hex())
        assert_equal(node.rpc("sendrawtransaction", tx.hex()), txid)  # again: no error

        self.log("a child of the unconfirmed payment joins it")
        child = wallet.create_self_transfer(MiniWallet.output_utxo(tx, 1, tip + 1), FEE)
        assert_equal(node.rpc("sendrawtransaction", child.hex()), child.txid().hex())
        assert_equal(node.rpc("getmempoolentry", child.txid().hex())["depends"], [txid])
        assert_equal(node.rpc("getmempoolentry", txid)["spentby"], [child.txid().hex()])
        assert_equal(node.rpc("getrawmempool", True)[txid]["descendantcount"], 2)

        self.log("a double spend of the same coin that pays no more is refused (no replacement)")
        double = wallet.create_self_transfer(utxo, FEE, outputs=3)
        assert_raises_rpc_error(-26, "insufficient fee", node.rpc, "sendrawtransaction",
                                double.hex())
        [result] = node.rpc("testmempoolaccept", [double.hex()])
        assert_equal((result["allowed"], result["reject-reason"]), (False, "insufficient fee"))

        self.log("rejections keep Bitcoin Core's codes")
        other = wallet.take_utxo(spend_height=tip + 1)
        bad_sig = wallet.create_self_transfer(other, FEE)
        bad_sig.inputs[0].signature = bytes([bad_sig.inputs[0].signature[0] ^ 1]) + \
            bad_sig.inputs[0].signature[1:]
        assert_raises_rpc_error(-26, "bad-txns-bad-sig, vin 0", node.rpc, "sendrawtransaction",
                                bad_sig.hex())
        assert_raises_rpc_error(-26, "min-relay-fee-not-met", node.rpc, "sendrawtransaction",
                                wallet.create_self_transfer(other, 0).hex())
        greedy = wallet.create_self_transfer(other, COIN // 2)
        assert_raises_rpc_error(-25, "Fee exceeds maximum configured by user", node.rpc,
                                "sendrawtransaction", greedy.hex())
        orphan = wallet.create_self_transfer(MiniWallet.output_utxo(double, 0, tip + 1), FEE)
        assert_raises_rpc_error(-25, "bad-txns-inputs-missingorspent", node.rpc,
                                "sendrawtransaction", orphan.hex())
        [result] = node.rpc("testmempoolaccept", [orphan.hex()])
        assert_equal(result["reject-reason"], "missing-inputs")
        assert_raises_rpc_error(-22, "TX decode failed", node.rpc, "sendrawtransaction", "zz")
        assert_raises_rpc_error(-22, "TX decode failed", node.rpc, "sendrawtransaction",
                                tx.hex() + "00")
        assert_raises_rpc_error(-22, "TX decode failed", node.rpc, "decoderawtransaction", "0011")
        assert_raises_rpc_error(-8, "Array must contain between 1 and 25 transactions.", node.rpc,
                                "testmempoolaccept", [])
        assert_raises_rpc_error(-5, "Transaction not in mempool", node.rpc, "getmempoolentry",
                                double.txid().hex())
        bad = node.cli("sendrawtransaction", "zz")
        assert_equal((bad.returncode, bad.stderr.splitlines()[0]), (22, "error code: -22"))

        self.log("generate 1 confirms both; the mempool empties")
        [block_hash] = node.rpc("generate", 1)
        assert_equal(node.rpc("getrawmempool"), [])
        assert_equal(node.rpc("getmempoolinfo")["size"], 0)
        block_txids = node.rpc("getblock", block_hash)["tx"]
        assert_in(txid, block_txids)
        assert_in(child.txid().hex(), block_txids)
        found = node.rpc("getrawtransaction", txid, True, block_hash)
        assert_equal(found["in_active_chain"], True)
        assert_equal(found["blockhash"], block_hash)
        assert_equal(found["confirmations"], 1)
        assert_equal(found["hex"], tx.hex())
        assert_equal(node.rpc("getrawtransaction", txid, False, block_hash), tx.hex())
        assert_raises_rpc_error(-5, "No such mempool transaction", node.rpc, "getrawtransaction",
                                txid)
        assert_raises_rpc_error(-5, "No such transaction found in the provided block", node.rpc,
                                "getrawtransaction", double.txid().hex(), False, block_hash)
        assert_raises_rpc_error(-5, "Block hash not found", node.rpc, "getrawtransaction", txid,
                                False, "00" * 32)
        assert_raises_rpc_error(-27, "Transaction outputs already in utxo set", node.rpc,
                                "sendrawtransaction", tx.hex())
        # The double spend's coin is gone now.
        assert_raises_rpc_error(-25, "bad-txns-inputs-missingorspent", node.rpc,
                                "sendrawtransaction", double.hex())

        self.log("the producer collected the fees")
        coinbase = node.rpc("getblock", block_hash, 2)["tx"][0]
        assert_in(2 * FEE / COIN, [v["value"] for v in coinbase["vout"]])
        node.stop()


if __name__ == "__main__":
    MempoolRawTxTest().main()
