#!/usr/bin/env python3
"""Clean shutdown on SIGTERM, SIGINT and the stop RPC: exit status 0, the
cookie removed, the log closed; a restart reopens the same chain."""

import os
import signal

from test_framework import ComputecoinTestFramework, assert_equal, assert_in, wait_until


class FeatureShutdownTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start()
        best = node.rpc("getbestblockhash")
        assert os.path.exists(node.cookie_path)

        self.log("SIGTERM")
        node.signal(signal.SIGTERM)
        assert_equal(node.wait_for_exit(), 0)
        assert not os.path.exists(node.cookie_path), "cookie left behind"
        log = node.debug_log()
        assert_in("Shutdown: done", log)
        assert_in("Wrote the regtest genesis block " + best, log)

        self.log("restart reopens the same chain")
        node.start()
        assert_equal(node.rpc("getbestblockhash"), best)
        assert_equal(node.rpc("getblockcount"), 0)
        assert_in("Loaded the chain: height 0, tip " + best, node.debug_log())

        self.log("SIGINT while a client holds an idle keep-alive connection")
        import http.client
        idle = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=30)
        idle.connect()
        node.signal(signal.SIGINT)
        assert_equal(node.wait_for_exit(), 0)
        idle.close()
        assert not os.path.exists(node.cookie_path)

        self.log("the stop RPC answers, then the node exits cleanly")
        node.start()
        assert_equal(node.cli_ok("stop"), "Computecoin server stopping")
        assert_equal(node.wait_for_exit(), 0)
        assert not os.path.exists(node.cookie_path)

        self.log("a signal during start-up still ends in a clean exit")
        node.start(wait_for_rpc=False)
        # The cookie appears once the RPC server is up, while the chain is still loading.
        wait_until(lambda: os.path.exists(node.cookie_path), what="the cookie")
        node.signal(signal.SIGTERM)
        assert_equal(node.wait_for_exit(), 0)


if __name__ == "__main__":
    FeatureShutdownTest().main()
