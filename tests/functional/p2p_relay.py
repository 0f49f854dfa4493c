#!/usr/bin/env python3
"""Transaction relay rules over real sockets, with hand-driven peers
(p2p_raw.py), one of which only watches what the node announces:

- orphans: a child sent before its parent waits in the orphan pool, its
  parent is asked of the sender, and both enter the mempool (and are
  announced) once the parent comes, by P2P or by sendrawtransaction; the
  orphans of a peer that disconnects are dropped;
- feefilter (BIP133): a node sends its floor after the handshake, and does
  not announce a transaction to a peer whose filter it does not pay;
- rate limits: addresses over the token bucket are ignored and counted; a
  flood of unsolicited transactions from 127.0.0.2 gets that peer
  discouraged while the peers on 127.0.0.1 stay connected;
- -maxuploadtarget: once the window's target leaves no room beyond the
  reserve for new blocks, an inbound peer asking an old block is
  disconnected, and a peer the node connected to itself is still served.
"""

import os
import socket
import struct
import time

from miniwallet import MiniWallet, Transaction, TxIn, read_worker_keys
from p2p_raw import INV_BLOCK, INV_TX, RawPeer, addr_payload, inv_payload, parse_inv
from test_framework import (ComputecoinTestFramework, assert_equal, assert_raises_rpc_error,
                            wait_until)

FEE = 10_000  # base units: well above the minimum relay fee for one input


def asks_for(txid):
    return lambda payload: (INV_TX, txid) in parse_inv(payload)


def announces(peer, txid):
    return any(c == "inv" and (INV_TX, txid) in parse_inv(p) for c, p in peer.received)


class P2PRelayTest(ComputecoinTestFramework):
    def run_test(self):
        a = self.add_node()
        a.start(["-workers=2"])
        for _ in range(5):  # coinbases mature after 100 blocks
            a.rpc("generate", 20)
        a.rpc("generate", 1)
        watcher = RawPeer(a.p2p_port)  # an honest peer that sees every announcement
        watcher.handshake()

        def relayed(tx):
            watcher.wait_for("inv", lambda p: (INV_TX, tx.txid()) in parse_inv(p))

        height = a.rpc("getblockcount")
        # One coinbase funds the test: it is split once, and every transaction
        # below spends one of those outputs.
        wallet = MiniWallet(read_worker_keys(a)[0])
        wallet.scan_blocks(a, 1, height)
        fanout = wallet.create_self_transfer(wallet.take_utxo(height + 1), FEE, outputs=6)
        a.rpc("sendrawtransaction", fanout.hex())
        wallet.utxos = [wallet.output_utxo(fanout, i, height + 1) for i in range(6)]

        def family(children=1):
            parent = wallet.create_self_transfer(wallet.take_utxo(height + 1), FEE, children)
            kids = [wallet.create_self_transfer(wallet.output_utxo(parent, i, height + 1), FEE)
                    for i in range(children)]
            return parent, kids

        self.log("a child before its parent: the parent is asked for, then both are relayed")
        parent, (child1, child2) = family(2)
        peer = RawPeer(a.p2p_port)
        peer.handshake()
        peer.send("tx", child1.serialize())
        peer.wait_for("getdata", asks_for(parent.txid()))
        peer.send("tx", child2.serialize())  # a second orphan of the same parent
        peer.sync()
        mempool = a.rpc("getrawmempool")
        assert child1.txid().hex() not in mempool and child2.txid().hex() not in mempool
        peer.send("tx", parent.serialize())
        wanted = {t.txid().hex() for t in (parent, child1, child2)}
        wait_until(lambda: wanted <= set(a.rpc("getrawmempool")), 10, "the family in a's mempool")
        for tx in (parent, child1, child2):
            relayed(tx)

        self.log("an orphan waits for a parent sent by sendrawtransaction")
        parent, (child,) = family()
        peer.send("tx", child.serialize())
        peer.wait_for("getdata", asks_for(parent.txid()))
        peer.sync()
        a.rpc("sendrawtransaction", parent.hex())
        relayed(child)

        self.log("the orphans of a peer that disconnects are dropped")
        parent, (child,) = family()
        gone = RawPeer(a.p2p_port)
        gone.handshake()
        gone.send("tx", child.serialize())
        gone.wait_for("getdata", asks_for(parent.txid()))
        gone.close()
        wait_until(lambda: len(a.rpc("getpeerinfo")) == 2, 10, "the peer gone")
        a.rpc("sendrawtransaction", parent.hex())
        relayed(parent)  # orphans are retried before the announcement is sent
        peer.sync()
        assert child.txid().hex() not in a.rpc("getrawmempool")
        assert not announces(watcher, child.txid())

        self.log("feefilter: sent after the handshake; a peer's filter is honoured")
        low = RawPeer(a.p2p_port)
        low.handshake()
        floor = struct.unpack("<q", low.wait_for("feefilter"))[0]
        assert_equal(floor, 1000)  # the default minimum relay fee per 1000 bytes
        high = RawPeer(a.p2p_port)
        high.handshake()
        high.send("feefilter", struct.pack("<q", 100_000_000))
        high.sync()
        filters = sorted(p["minfeefilter"] for p in a.rpc("getpeerinfo"))
        assert_equal(filters[-1], 100_000_000)
        tx = wallet.create_self_transfer(wallet.take_utxo(height + 1), FEE)
        a.rpc("sendrawtransaction", tx.hex())
        low.wait_for("inv", lambda p: (INV_TX, tx.txid()) in parse_inv(p))
        high.sync()
        low.sync()  # both peers had turns after the announcement
        assert not announces(high, tx.txid())

        self.log("disconnectnode takes a peer id from getpeerinfo, and nothing else")
        assert_raises_rpc_error(-3, "nodeid must be an integer", a.rpc, "disconnectnode", "", 1.5)
        assert_raises_rpc_error(-8, "nodeid must be a peer id from getpeerinfo", a.rpc,
                                "disconnectnode", "", -1)
        doomed = RawPeer(a.p2p_port)
        doomed.handshake()
        port = doomed.sock.getsockname()[1]
        (entry,) = [p for p in a.rpc("getpeerinfo") if p["addr"].endswith(f":{port}")]
        a.rpc("disconnectnode", "", entry["id"])
        assert doomed.wait_closed()
        doomed.close()
        wait_until(lambda: all(not p["addr"].endswith(f":{port}") for p in a.rpc("getpeerinfo")),
                   10, "the disconnected peer gone")

        self.log("addresses over the rate are ignored and counted, not punished")
        now = int(time.time())
        low.send("addr", addr_payload([(now, f"10.0.{i // 250}.{i % 250 + 1}", 39444)
                                       for i in range(50)]))
        low.sync()
        stats = [p for p in a.rpc("getpeerinfo") if p["addr_rate_limited"] > 0]
        assert_equal(len(stats), 1)
        assert_equal(stats[0]["addr_processed"] + stats[0]["addr_rate_limited"], 50)
        assert stats[0]["addr_rate_limited"] >= 40  # one token to start, then 0.1/s

        self.log("a flood of unsolicited transactions from 127.0.0.2 gets it discouraged")
        honest = len(a.rpc("getpeerinfo"))
        bad = RawPeer(a.p2p_port, source_ip="127.0.0.2")
        bad.handshake()
        # Transactions spending outputs nobody has: each would be an orphan.
        try:
            for _ in range(250):  # unsigned: missing inputs are found before signatures
                junk = Transaction([TxIn(os.urandom(32), 0, wallet.pubkey)], tx.outputs)
                bad.send("tx", junk.serialize())
        except (BrokenPipeError, ConnectionResetError):
            pass  # cut off before the end of the flood
        assert bad.wait_closed()
        bad.close()
        wait_until(lambda: len(a.rpc("getpeerinfo")) == honest, 10, "the flooder gone")
        assert "unsolicited-flood" in a.debug_log()
        again = RawPeer(a.p2p_port, source_ip="127.0.0.2")
        assert again.wait_closed(), "a discouraged address is refused"
        again.close()
        # The honest peers never noticed.
        for honest_peer in (watcher, peer, low, high):
            honest_peer.sync()
        for p in (watcher, peer, low, high):
            p.close()

        self.log("-maxuploadtarget: past it, old blocks go to the peers the node chose only")
        a.stop()
        a.start(["-workers=2", "-maxuploadtarget=1", "-historicalblockage=0"])
        target = a.rpc("getnettotals")["uploadtarget"]
        assert_equal(target["target"], 1 << 20)
        assert_equal(target["timeframe"], 24 * 3600)
        # 1 MiB is below the reserve kept for new blocks: no historical block is served.
        assert_equal(target["serve_historical_blocks"], False)
        old_block = bytes.fromhex(a.rpc("getblockhash", 1))
        asker = RawPeer(a.p2p_port)
        asker.handshake()
        asker.send("getdata", inv_payload([(INV_BLOCK, old_block)]))
        assert asker.wait_closed(), "an inbound peer asking an old block is disconnected"
        asker.close()
        assert "Historical block serving limit reached" in a.debug_log()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        a.rpc("addnode", f"127.0.0.1:{listener.getsockname()[1]}", "onetry")
        chosen = RawPeer.accept(listener)  # a manual peer of a's
        chosen.send("getdata", inv_payload([(INV_BLOCK, old_block)]))
        chosen.wait_for("block")
        chosen.close()
        listener.close()


if __name__ == "__main__":
    P2PRelayTest().main()
