#!/usr/bin/env python3
"""Real computecoind processes on loopback as a network:

- four nodes in a line: blocks generated at one end reach the other end,
  with the tensors each node needs to re-execute the work records; a
  payment sent at the other end reaches every mempool and is mined;
- a node started after 200 blocks syncs headers-first from two peers to
  the same tip and state root;
- a partition into two pairs, each generating, then reconnection: all four
  converge on the branch with the most accepted work;
- a misbehaving peer connecting from 127.0.0.2: garbage gets it
  disconnected and discouraged while the honest peers stay; setban persists
  across a restart.
"""

import os
import shutil
import socket

from miniwallet import MiniWallet, read_worker_keys
from test_framework import (ComputecoinTestFramework, assert_equal, connect_nodes,
                            sync_blocks, wait_until)

FEE = 10_000  # base units: well above the minimum relay fee for one input


class P2PSyncTest(ComputecoinTestFramework):
    def run_test(self):
        a, b, c, d = (self.add_node() for _ in range(4))
        a.start(["-workers=2"])
        for n in (b, c, d):
            n.start()

        self.log("four nodes in a line: a - b - c - d")
        connect_nodes(b, a)
        connect_nodes(c, b)
        connect_nodes(d, c)
        for _ in range(5):  # 101 blocks, so that a worker's first reward matures
            a.rpc("generate", 20)
        a.rpc("generate", 1)
        sync_blocks([a, b, c, d])
        roots = {n.rpc("getblockchaininfo")["state_root"] for n in (a, b, c, d)}
        assert_equal(len(roots), 1)
        assert_equal(d.rpc("getblockcount"), 101)
        assert_equal(d.rpc("getblockchaininfo")["initialblockdownload"], False)
        # d validated the blocks itself: it has a peer, synced headers and blocks.
        peer = d.rpc("getpeerinfo")[0]
        assert_equal(peer["synced_blocks"], 101)

        self.log("a payment sent at d reaches every mempool and is mined by a")
        # a's first wallet holds its worker keys: it must see the payment
        # relayed by its peer before any block carries it.
        a.rpc("createwallet", "workers")
        wallet = MiniWallet(read_worker_keys(a)[0])
        wallet.scan_blocks(a, 1, 101)
        tx = wallet.create_self_transfer(wallet.take_utxo(spend_height=102), FEE)
        txid = d.rpc("sendrawtransaction", tx.hex())
        wait_until(lambda: all(txid in n.rpc("getrawmempool") for n in (a, b, c, d)), 30,
                   "the payment in every mempool")
        assert_equal(a.wallet_rpc("workers", "gettransaction", txid)["confirmations"], 0)
        block = a.rpc("generate", 1)[0]
        sync_blocks([a, b, c, d])
        assert_equal(txid in d.rpc("getblock", block)["tx"], True)
        for n in (a, b, c, d):
            assert_equal(n.rpc("getrawmempool"), [])

        self.log("a node started after 200 blocks syncs from two peers to the same tip and "
                 "state root")
        for _ in range(2):  # to height 200: the late joiner
            a.rpc("generate", 49)
        sync_blocks([a, b, c, d])
        assert_equal(a.rpc("getblockcount"), 200)
        e = self.add_node()
        e.start()
        connect_nodes(e, a)
        connect_nodes(e, c)
        sync_blocks([a, e])
        assert_equal(e.rpc("getblockchaininfo")["state_root"],
                     a.rpc("getblockchaininfo")["state_root"])
        assert_equal(e.rpc("getblockchaininfo")["verificationprogress"], 1.0)
        e.stop()

        self.log("partition into {a, b} and {c, d}; each side generates")
        # c opened the connection to b: c disconnects it (b sees c's
        # ephemeral port, so b disconnects by id).
        c.rpc("disconnectnode", f"127.0.0.1:{b.p2p_port}")
        wait_until(lambda: len(b.rpc("getpeerinfo")) == 1 and
                   all(not p["addr"].endswith(f":{b.p2p_port}") for p in c.rpc("getpeerinfo")),
                   30, "the partition")
        # d restarts with a's worker keys (the registered workers), so each
        # side can produce: they build different branches at different times.
        d.stop()
        shutil.copy(os.path.join(a.network_dir, "workers.dat"),
                    os.path.join(d.network_dir, "workers.dat"))
        d.start(["-workers=2"])
        connect_nodes(d, c)
        a.rpc("generate", 2)
        d.rpc("generate", 4)
        sync_blocks([a, b])
        sync_blocks([c, d])
        assert a.rpc("getbestblockhash") != d.rpc("getbestblockhash")
        tips_before = {n: n.rpc("getbestblockhash") for n in (a, d)}
        work_a = a.rpc("gettraininginfo")["accepted_work"]
        work_d = d.rpc("gettraininginfo")["accepted_work"]
        self.log(f"accepted work: a side {work_a}, d side {work_d}")

        self.log("reconnect: all converge on the branch with the most accepted work")
        connect_nodes(b, c)
        sync_blocks([a, b, c, d])
        winner = a if work_a > work_d else d
        assert_equal(a.rpc("getbestblockhash"), winner.rpc("getbestblockhash"))
        assert_equal(len({n.rpc("getblockchaininfo")["state_root"] for n in (a, b, c, d)}), 1)
        # getchaintips: the loser's old tip is a fully validated fork, its
        # branch as long as the blocks it generated.
        loser, branch = (d, 4) if winner is a else (a, 2)
        tips = loser.rpc("getchaintips")
        assert_equal(tips[0]["status"], "active")
        assert_equal((tips[0]["hash"], tips[0]["branchlen"]),
                     (winner.rpc("getbestblockhash"), 0))
        old_tip = [t for t in tips if t["hash"] == tips_before[loser]]
        assert_equal(len(old_tip), 1)
        assert_equal((old_tip[0]["status"], old_tip[0]["branchlen"]), ("valid-fork", branch))

        self.log("a peer on 127.0.0.2 that sends garbage is disconnected and discouraged")
        honest = len(b.rpc("getpeerinfo"))
        bad = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        bad.bind(("127.0.0.2", 0))
        bad.settimeout(10)
        bad.connect(("127.0.0.1", b.p2p_port))
        wait_until(lambda: len(b.rpc("getpeerinfo")) == honest + 1, 10, "the bad peer's connection")
        bad.sendall(b"\x00" * 24 + b"garbage that is no frame" * 10)
        closed = False
        try:
            while bad.recv(4096):
                pass
            closed = True
        except (ConnectionResetError, socket.timeout):
            closed = True
        bad.close()
        assert closed
        wait_until(lambda: len(b.rpc("getpeerinfo")) == honest, 10, "the bad peer gone")
        # Discouraged: a new connection from 127.0.0.2 is refused at once.
        again = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        again.bind(("127.0.0.2", 0))
        again.settimeout(10)
        again.connect(("127.0.0.1", b.p2p_port))
        try:
            refused = again.recv(1) == b""
        except ConnectionResetError:
            refused = True
        again.close()
        assert refused
        # The honest peers were never disturbed.
        a.rpc("generate", 1)
        sync_blocks([a, b, c, d])

        self.log("setban persists across a restart; clearbanned lifts it")
        b.rpc("setban", "127.0.0.3", "add", 3600)
        assert_equal([x["address"] for x in b.rpc("listbanned")], ["127.0.0.3/32"])
        b.stop()
        b.start()
        assert_equal([x["address"] for x in b.rpc("listbanned")], ["127.0.0.3/32"])
        b.rpc("clearbanned")
        assert_equal(b.rpc("listbanned"), [])


if __name__ == "__main__":
    P2PSyncTest().main()
