#!/usr/bin/env python3
"""computecoin-light over P2P (-connect, -addnode): it syncs headers from a full node's
P2P port, checking linkage, producer signatures, time and claimed work;
verifies a work record, a transaction and a block's producer's registration
through getproof; reports a missing proof as invalid; follows another
peer's branch only when it commits more accepted work, also when it asks
several peers at once; and refuses a peer that breaks the protocol or is
silent, while another peer still serves it."""

import json
import socket
import threading

from test_framework import ComputecoinTestFramework, assert_equal, assert_in, free_port


class P2PLightTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start(["-workers=2"])
        produced = node.rpc("generate", 5)
        peer = f"-connect=127.0.0.1:{node.p2p_port}"

        self.log("syncheaders over P2P")
        result = node.light(peer, "syncheaders")
        assert_equal((result.returncode, result.stderr), (0, ""))
        summary = json.loads(result.stdout)
        assert_equal(summary["height"], 5)
        assert_equal(summary["hash"], produced[-1])
        assert_equal(summary["downloaded"], 5)
        assert_equal(json.loads(node.light(peer, "syncheaders").stdout)["downloaded"], 0)

        self.log("verifywork and verifytx through getproof")
        block = node.rpc("getblock", produced[2])
        result = node.light(peer, "verifywork", block["records"][0], produced[2])
        assert_equal((result.returncode, result.stdout.strip()), (0, "valid"))
        result = node.light(peer, "verifytx", block["tx"][0], produced[2])
        assert_equal((result.returncode, result.stdout.strip()), (0, "valid"))

        self.log("verifyproducer: the producer is in the parent's registry")
        for block_hash in produced[1:]:
            result = node.light(peer, "verifyproducer", block_hash)
            assert_equal((result.returncode, result.stdout.strip()), (0, "valid"))
        result = node.light(peer, "verifyproducer", node.rpc("getblockhash", 0))
        assert_equal((result.returncode, result.stdout.strip()),
                     (1, "invalid: the genesis block has no producer"))
        # Block 1 registers the workers: its producer (a bond-0 network's
        # free registration) is in no registry before it.
        result = node.light(peer, "verifyproducer", produced[0])
        assert_equal(result.returncode, 1)
        assert_in("invalid: the peer gave no proof", result.stdout)

        self.log("a record that is not in the block: the peer has no proof")
        result = node.light(peer, "verifywork", "22" * 32, produced[2])
        assert_equal(result.returncode, 1)
        assert_in("invalid: the peer gave no proof", result.stdout)

        self.log("a branch with less accepted work is not followed, one with more is")
        other = self.add_node()
        other.start(["-workers=1"])
        other_peer = f"-connect=127.0.0.1:{other.p2p_port}"
        lighter = other.rpc("generate", 2)
        ours = node.rpc("getblockheader", produced[-1])["accepted_work"]
        assert other.rpc("getblockheader", lighter[-1])["accepted_work"] < ours
        result = node.light(other_peer, "syncheaders")
        assert_equal(result.returncode, 1)
        assert_in(f"not more than our chain's {ours}: not followed", result.stderr)
        assert_equal(json.loads(node.light(peer, "getbestheader").stdout)["hash"], produced[-1])
        # Both peers at once: the lighter one is reported, not followed, and
        # the sync succeeds on the heavier (in either order).
        for first, second in ((other_peer, peer), (peer, other_peer)):
            result = node.light(first, second, "syncheaders")
            assert_equal((result.returncode, result.stderr), (0, ""))
            summary = json.loads(result.stdout)
            assert_equal(summary["hash"], produced[-1])
            by_peer = {p["peer"]: p for p in summary["peers"]}
            assert_in("not followed", by_peer[other_peer.split("=")[1]]["error"])
            assert "error" not in by_peer[peer.split("=")[1]]
        heavier = lighter + other.rpc("generate", 10)
        assert other.rpc("getblockheader", heavier[-1])["accepted_work"] > ours
        result = node.light(other_peer, "syncheaders")
        assert_equal((result.returncode, result.stderr), (0, ""))
        summary = json.loads(result.stdout)
        assert_equal((summary["hash"], summary["disconnected"]), (heavier[-1], 5))

        self.log("an unreachable peer beside a good one (-addnode): reported, and the sync "
                 "succeeds")
        unreachable = f"127.0.0.1:{free_port()}"
        result = node.light(f"-connect={unreachable}", f"-addnode=127.0.0.1:{other.p2p_port}",
                            "syncheaders")
        assert_equal((result.returncode, result.stderr), (0, ""))
        summary = json.loads(result.stdout)
        assert_equal(summary["hash"], heavier[-1])
        assert_equal(summary["peers"][0]["peer"], unreachable)
        assert_in("cannot connect", summary["peers"][0]["error"])
        assert_equal(summary["peers"][1], {"peer": other_peer.split("=")[1], "downloaded": 0})
        other.stop()

        self.log("a peer that sends garbage is refused with its reason")
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]

        def garbage():
            conn, _ = server.accept()
            conn.recv(4096)
            conn.sendall(b"\x00" * 64)
            conn.close()

        thread = threading.Thread(target=garbage)
        thread.start()
        result = node.light(f"-connect=127.0.0.1:{port}", "syncheaders")
        thread.join()
        server.close()
        assert_equal(result.returncode, 1)
        assert_in("broke the framing", result.stderr)

        self.log("no peer listening")
        result = node.light(f"-connect=127.0.0.1:{port}", "syncheaders")
        assert_equal(result.returncode, 1)
        assert_in("cannot connect", result.stderr)


if __name__ == "__main__":
    P2PLightTest().main()
