#!/usr/bin/env python3
"""computecoin-cli against a running node: calls, -rpcwait, -named, -getinfo,
-stdin, help, errors and their exit statuses."""

import os
import subprocess
import time

from test_framework import ComputecoinTestFramework, assert_equal, assert_in


class InterfaceCliTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()

        self.log("-rpcwait waits for a node that is not running yet")
        waiter = subprocess.Popen(
            [os.path.join(self.bindir, "computecoin-cli")] + node.base_args() +
            ["-rpcwait", "-rpcwaittimeout=60", "getblockcount"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)  # let it fail to connect at least once
        assert waiter.poll() is None, "computecoin-cli -rpcwait gave up before the node started"
        node.start()
        out, err = waiter.communicate(timeout=60)
        assert_equal(waiter.returncode, 0)
        assert_equal(out.strip(), "0")

        self.log("plain calls")
        assert_equal(node.cli_ok("getblockcount"), "0")
        best = node.cli_ok("getbestblockhash")
        assert_equal(node.cli_ok("getblockhash", "0"), best)
        assert_equal(node.rpc("getbestblockhash"), best)  # the same over direct HTTP

        self.log("-named")
        assert_equal(node.cli_ok("-named", "getblockhash", "height=0"), best)
        header_hex = node.cli_ok("-named", "getblockheader", f"blockhash={best}", "verbose=false")
        assert_equal(len(header_hex), 560)
        result = node.cli("-named", "getblockhash", "0")
        assert_equal(result.returncode, 1)
        assert_in("No '=' in named argument '0'", result.stderr)
        result = node.cli("-named", "getblockhash", "hieght=0")
        assert_equal(result.returncode, 8)
        assert_in("Unknown named parameter hieght", result.stderr)

        self.log("-getinfo")
        import json
        info = json.loads(node.cli_ok("-getinfo"))
        assert_equal(info["chain"], "regtest")
        assert_equal(info["blocks"], 0)
        assert_equal(info["bestblockhash"], best)
        assert_equal(info["connections"], 0)

        self.log("-stdin")
        assert_equal(node.cli_ok("-stdin", "getblockhash", stdin="0\n"), best)

        self.log("help")
        overview = node.cli_ok("help")
        assert_in("== Blockchain ==", overview)
        assert_in("getblockcount", overview)
        assert_in("stop", overview)
        assert node.cli_ok("help", "getblockhash").startswith("getblockhash height\n")

        self.log("a method's error: code and message on stderr, exit status |code|")
        result = node.cli("getblockhash", "5")
        assert_equal(result.returncode, 8)
        assert_equal(result.stderr, "error code: -8\nerror message:\nBlock height out of range\n")
        result = node.cli("nosuchmethod")
        assert_equal(result.returncode, 32601 % 256)
        assert_in("error code: -32601", result.stderr)
        result = node.cli("getblockhash", "zero")
        assert_equal(result.returncode, 1)
        assert_equal(result.stderr, "error: Error parsing JSON: zero\n")

        self.log("wrong password")
        result = node.cli("getblockcount", extra=("-rpcuser=someone", "-rpcpassword=wrong"))
        assert_equal(result.returncode, 1)
        assert_equal(result.stderr, "error: Authorization failed: Incorrect rpcuser or rpcpassword\n")

        self.log("unknown option")
        result = node.cli("-frobnicate", "getblockcount")
        assert_equal(result.returncode, 1)
        assert_in("Invalid parameter -frobnicate", result.stderr)

        node.stop()

        self.log("no node: connection error, and -rpcwait gives up at -rpcwaittimeout")
        result = node.cli("getblockcount", extra=("-rpcpassword=x",))
        assert_equal(result.returncode, 1)
        assert_in(f"error: Could not connect to the server 127.0.0.1:{node.rpc_port}", result.stderr)
        result = node.cli("-rpcwait", "-rpcwaittimeout=1", "getblockcount")
        assert_equal(result.returncode, 1)
        assert_in("error: timeout on transient error", result.stderr)


if __name__ == "__main__":
    InterfaceCliTest().main()
