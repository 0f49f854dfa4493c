#!/usr/bin/env python3
"""computecoin.conf and its network sections, rpcuser/rpcpassword and
rpcauth from the file, configuration errors, -printtoconsole, and the datadir
lock that keeps a second node out."""

import hashlib
import hmac
import json
import os

from test_framework import ComputecoinTestFramework, assert_equal, assert_in, free_port


def write_conf(node, text):
    with open(os.path.join(node.datadir, "computecoin.conf"), "w") as f:
        f.write(text)


class FeatureConfigTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()

        self.log("rpcuser/rpcpassword and rpcauth from the [regtest] section")
        salt = "3f1e9a0b5c7d2e4f6a8b0c1d2e3f4a5b"
        digest = hmac.new(salt.encode(), b"dave-secret", hashlib.sha256).hexdigest()
        unused_port = free_port()
        write_conf(node, "\n".join([
            "# top level: applies to every network",
            "rpcuser=ignored-by-section",
            f"rpcport={unused_port}",  # network-only: must not apply to regtest
            "[regtest]",
            "rpcuser=carol",
            "rpcpassword=carol-secret",
            f"rpcauth=dave:{salt}${digest}",
            "[test]",
            "rpcuser=testnet-only",
            "",
        ]))
        node.auth = ("carol", "carol-secret")  # password auth: there is no cookie to read
        node.start()
        assert not os.path.exists(node.cookie_path), "a cookie was written although rpcpassword is set"
        status, reply = node.http_post(json.dumps({"method": "getblockcount", "id": 1}),
                                       user="dave", password="dave-secret")
        assert_equal((status, reply["result"]), (200, 0))
        status, _ = node.http_post(json.dumps({"method": "getblockcount", "id": 1}), user="dave", password="nope")
        assert_equal(status, 401)
        # The cli reads the same file, so it finds carol's credentials.
        assert_equal(node.cli_ok("getblockcount"), "0")
        assert_in("only applied on main network", node.debug_log())

        self.log("the datadir lock keeps a second node out")
        second = node.run_program("computecoind", extra=(f"-rpcport={free_port()}",))
        assert_equal(second.returncode, 1)
        assert_in("Cannot obtain a lock on data directory", second.stderr)
        assert_equal(node.cli_ok("getblockcount"), "0")  # the first node is unaffected
        node.stop()
        node.auth = None

        self.log("an empty rpcpassword is no password: the cookie guards RPC, as in bitcoind")
        # Before, rpcpassword= set password authentication with an empty
        # password: anyone sending ':' was let in, `stop` included.
        write_conf(node, "[regtest]\nrpcpassword=\n")
        node.start()
        assert os.path.exists(node.cookie_path), "no cookie with an empty rpcpassword"
        for user in ("", "__cookie__"):
            status, _ = node.http_post(json.dumps({"method": "getblockcount", "id": 1}),
                                       user=user, password="")
            assert_equal(status, 401)
        assert_equal(node.cli_ok("getblockcount"), "0")  # the cli falls back to the cookie too
        node.stop()
        write_conf(node, "[regtest]\nrpcuser=a:b\nrpcpassword=c\n")
        result = node.run_program("computecoind")
        assert_equal(result.returncode, 1)
        assert_in("-rpcuser must not contain ':'", result.stderr)

        self.log("configuration errors stop the node with a clear message")
        for text, expected in [
            ("frobnicate=1\n", "unknown option 'frobnicate'"),
            ("[regtest]\nrpcthreads=many\n", "Invalid value for -rpcthreads=many: expected an integer"),
            ("[moon]\n", "unknown section [moon]"),
            ("noserver\n", "to negate an option write noserver=1"),
            ("rpcauth=broken\n", "rpcauth must be user:salt$hmac"),
            # Unbounded, it aborted the node when the threads could not be made.
            ("[regtest]\nrpcthreads=100000000\n", "-rpcthreads must be in [1, 1024]"),
        ]:
            write_conf(node, text)
            result = node.run_program("computecoind")
            assert_equal(result.returncode, 1)
            assert_in(expected, result.stderr)
        result = node.run_program("computecoind", extra=("-unknownoption",))
        assert_equal(result.returncode, 1)
        assert_in("Invalid parameter -unknownoption", result.stderr)
        result = node.run_program("computecoind", extra=("-testnet",))
        assert_equal(result.returncode, 1)
        assert_in("Invalid combination of -regtest, -testnet", result.stderr)
        write_conf(node, "")
        for arg, expected in [
            ("-computedevice=tpu", "Invalid -computedevice: unknown device 'tpu'"),
            # This project's libtorch (Debian's) has no CUDA.
            ("-computedevice=cuda", "Invalid -computedevice: device 'cuda': no CUDA device"),
            ("-computethreads=-1", "-computethreads must be in [0, 1024]"),
        ]:
            result = node.run_program("computecoind", extra=(arg,))
            assert_equal(result.returncode, 1)
            assert_in(expected, result.stderr)

        self.log("a -conf that is a directory and a -datadir that is a file are refused")
        confdir = os.path.join(node.datadir, "confdir")
        os.makedirs(confdir, exist_ok=True)
        result = node.run_program("computecoind", extra=("-conf=confdir",))
        assert_equal(result.returncode, 1)
        assert_in(f'Error: Config file "{confdir}" is a directory.', result.stderr)
        datafile = os.path.join(node.datadir, "datafile")
        with open(datafile, "w") as f:
            f.write("not a datadir\n")
        result = node.run_program("computecoind", extra=(f"-datadir={datafile}",))
        assert_equal(result.returncode, 1)
        assert_in(f'Error: Specified data directory "{datafile}" is not a directory.', result.stderr)

        self.log("-conf points at another file; -printtoconsole echoes the log")
        write_conf(node, "frobnicate=1\n")  # would fail if it were read
        with open(os.path.join(node.datadir, "other.conf"), "w") as f:
            f.write("[regtest]\nprinttoconsole=1\n")
        node.start(extra_args=("-conf=other.conf",))
        assert_equal(node.rpc("getblockcount"), 0)
        node.stop()
        assert_in("Done loading", node.read_stdout())

        self.log("a chainstate or consensus database that lost its CURRENT file is refused, kept")
        write_conf(node, "")
        netdir = os.path.join(node.datadir, "regtest")
        for store, what in (("consensus", "consensus snapshot"), ("chainstate", "chain")):
            path = os.path.join(netdir, store)
            os.rename(os.path.join(path, "CURRENT"), os.path.join(netdir, "CURRENT." + store))
            before = sorted(f for f in os.listdir(path) if not f.startswith("LOG"))
            result = node.run_program("computecoind")
            assert_equal(result.returncode, 1)
            assert_in(f"Error: {what} database {path} is damaged (its CURRENT file is missing); "
                      "restart with -reindex to rebuild it from the stored blocks, or restore it "
                      "from a backup", result.stderr)
            assert_equal(sorted(f for f in os.listdir(path) if not f.startswith("LOG")), before)
            os.rename(os.path.join(netdir, "CURRENT." + store), os.path.join(path, "CURRENT"))
        node.start()
        assert_equal(node.rpc("getblockcount"), 0)
        node.stop()


if __name__ == "__main__":
    FeatureConfigTest().main()
