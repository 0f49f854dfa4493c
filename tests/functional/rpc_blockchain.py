#!/usr/bin/env python3
"""The chain RPCs over HTTP: results, Bitcoin-style errors, JSON-RPC 1.0/2.0
shapes, batches and HTTP status codes."""

import json

from test_framework import (ComputecoinTestFramework, assert_equal, assert_in,
                            assert_raises_rpc_error)


class RpcBlockchainTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start()

        self.log("genesis is the tip")
        best = node.rpc("getbestblockhash")
        assert_equal(node.rpc("getblockhash", 0), best)
        assert_equal(node.rpc("getblockcount"), 0)

        info = node.rpc("getblockchaininfo")
        assert_equal(info["chain"], "regtest")
        assert_equal(info["blocks"], 0)
        assert_equal(info["headers"], 0)
        assert_equal(info["bestblockhash"], best)

        self.log("getblockheader")
        header = node.rpc("getblockheader", best)
        assert_equal(header["hash"], best)
        assert_equal(header["height"], 0)
        assert_equal(header["confirmations"], 1)
        assert_equal(header["ntx"], 1)
        assert "previousblockhash" not in header
        assert_equal(len(node.rpc("getblockheader", best, False)), 560)
        assert_equal(node.rpc("getblockheader", blockhash=best, verbose=True), header)  # named params

        self.log("getblock")
        block = node.rpc("getblock", best)
        assert_equal(len(block["tx"]), 1)
        assert_equal(block["records"], [])
        full = node.rpc("getblock", best, 2)
        assert_equal(full["tx"][0]["txid"], block["tx"][0])
        assert_equal(full["tx"][0]["vin"], [])
        raw = node.rpc("getblock", best, 0)
        assert_equal(len(raw), 2 * block["size"])

        self.log("getheaders")
        assert_equal(node.rpc("getheaders", 0), [node.rpc("getblockheader", best, False)])

        self.log("errors")
        assert_raises_rpc_error(-8, "Block height out of range", node.rpc, "getblockhash", 1)
        assert_raises_rpc_error(-8, "Block height out of range", node.rpc, "getblockhash", -1)
        assert_raises_rpc_error(-5, "Block not found", node.rpc, "getblockheader", "00" * 32)
        assert_raises_rpc_error(-8, "blockhash must be of length 64", node.rpc, "getblockheader", "abcd")
        assert_raises_rpc_error(-8, "blockhash must be hexadecimal string", node.rpc, "getblock", "zz" * 32)
        assert_raises_rpc_error(-8, "Invalid verbosity", node.rpc, "getblock", best, 7)
        assert_raises_rpc_error(-3, "is not of expected type numeric", node.rpc, "getblockhash", "0")
        assert_raises_rpc_error(-1, "getblockhash height", node.rpc, "getblockhash")
        assert_raises_rpc_error(-32601, "Method not found", node.rpc, "getblockcont")

        self.log("JSON-RPC 1.0 errors carry HTTP statuses, 2.0 errors do not")
        status, reply = node.http_post(json.dumps({"method": "getblockcont", "id": 1}))
        assert_equal(status, 404)
        assert_equal(reply, {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 1})
        status, reply = node.http_post(json.dumps({"jsonrpc": "2.0", "method": "getblockcont", "id": 1}))
        assert_equal(status, 200)
        status, reply = node.http_post(json.dumps({"method": "getblockhash", "params": [9], "id": 1}))
        assert_equal(status, 500)
        assert_equal(reply["error"]["code"], -8)
        status, reply = node.http_post("{oops")
        assert_equal(status, 500)
        assert_equal(reply["error"]["code"], -32700)

        self.log("a batch")
        status, reply = node.http_post(json.dumps([
            {"jsonrpc": "2.0", "method": "getblockcount", "id": "a"},
            {"jsonrpc": "2.0", "method": "getblockhash", "params": [0], "id": "b"},
            {"jsonrpc": "2.0", "method": "getblockhash", "params": [3], "id": "c"},
        ]))
        assert_equal(status, 200)
        assert_equal([r["id"] for r in reply], ["a", "b", "c"])
        assert_equal(reply[0]["result"], 0)
        assert_equal(reply[1]["result"], best)
        assert_equal(reply[2]["error"]["code"], -8)

        self.log("wrong credentials")
        status, _ = node.http_post(json.dumps({"method": "getblockcount"}), user="__cookie__", password="0" * 64)
        assert_equal(status, 401)

        self.log("node information")
        network = node.rpc("getnetworkinfo")
        assert_equal(network["subversion"], "/Computecoin:0.1.0/")
        assert node.rpc("uptime") >= 0
        assert_in("getblockchaininfo", node.rpc("help"))

        node.stop()


if __name__ == "__main__":
    RpcBlockchainTest().main()
