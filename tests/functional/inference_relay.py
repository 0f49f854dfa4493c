#!/usr/bin/env python3
"""Relayed holder announcements (doc/inference.md "Relayed announcements").

Three holders of the regtest model's sections in a line, h0 - h1 - h2 (each
connected to its neighbours only), and a client connected to h0 alone. The
client learns all three announcements (h1's and h2's relayed, each signed by
its holder's onion key, with the holders it is connected to as links) and,
having no direct route, routes through the onion h0 -> h1 -> h2: its greedy
output equals local greedy decoding token for token, and it is still
connected to h0 only. Direct routing, which needs every hop as a peer, finds
no route. A raw peer then sends announcements built here in Python (a second
implementation of the codec and of its BIP340 signature): a well-signed one
is kept, shown in relayed_holders and passed on to h0; a copy altered after
signing, and a serveinfo signed by another key than the one it names, are
refused: the sender is marked misbehaving (bad-serve-sig) and disconnected,
and nothing of them is kept."""

import os
import struct
import time

from bip340 import pubkey_gen, sign, tagged_hash
from inference_routing import RawPeer, frame
from test_framework import (ComputecoinTestFramework, assert_equal, assert_in,
                            assert_raises_rpc_error, connect_nodes, wait_until)

PROMPTS = ["12+34=", "a prompt longer than the context"]
MAX_TOKENS = 20


def announcement(seckey, begin=0, end=3, price=0, links=(), signer=None, state_root=None):
    """net/messages.h ServeInfoMsg, signed by `signer` (default: seckey, the key it names)."""
    unsigned = ((state_root or os.urandom(32)) + struct.pack("<IIqII", begin, end, price, 8, 0) +
                bytes(32) + pubkey_gen(seckey) + struct.pack("<q", int(time.time() * 1000)) +
                bytes([len(links)]) + b"".join(links) + b"\x00")  # has_bond: no
    msg = tagged_hash("Computecoin/ServeInfo", unsigned)
    return unsigned + sign(msg, signer or seckey, os.urandom(32))


def relayed_keys(node):
    return {h["onion_key"] for h in node.rpc("getinferenceinfo")["relayed_holders"]}


class InferenceRelayTest(ComputecoinTestFramework):
    def run_test(self):
        holders = []
        for begin, end in ((0, 1), (1, 2), (2, 3)):
            node = self.add_node()
            node.start([f"-serve={begin}:{end}"])
            holders.append(node)
        h0, h1, h2 = holders
        connect_nodes(h0, h1)
        connect_nodes(h1, h2)
        client = self.add_node()
        client.start()
        connect_nodes(client, h0)
        keys = [h.rpc("getinferenceinfo")["onion_key"] for h in holders]

        self.log("the client, a peer of h0 only, learns all three announcements")

        def converged():
            info = client.rpc("getinferenceinfo")
            direct = {h["onion_key"]: h for h in info["holders"]}
            relayed = {h["onion_key"]: h for h in info["relayed_holders"]}
            return (list(direct) == [keys[0]] and set(relayed) == set(keys[1:]) and
                    direct[keys[0]]["links"] == [keys[1]] and
                    sorted(relayed[keys[1]]["links"]) == sorted(keys[::2]) and
                    relayed[keys[2]]["links"] == [keys[1]])
        wait_until(converged, 30, "three announcements with their links")
        info = client.rpc("getinferenceinfo")
        for h in info["relayed_holders"]:
            assert "peer" not in h and "addr" not in h, h
        assert_equal(sorted(h["sections"] for h in info["relayed_holders"]), [[1, 2], [2, 3]])
        assert_equal(len(client.rpc("getpeerinfo")), 1)

        self.log("routed through relayed holders, greedy output equals local decoding")
        for prompt in PROMPTS:
            local = client.rpc("completetext", prompt, MAX_TOKENS)
            routed = client.rpc("infer", prompt, MAX_TOKENS, 0)
            assert_equal(routed["onion"], True)  # no direct route: the onion reaches them
            assert_equal(routed["tokens"], local["tokens"])
            assert_equal([hop["sections"] for hop in routed["route"]], [[0, 1], [1, 2], [2, 3]])
            assert_equal(routed["reroutes"], 0)
        assert_equal(h0.rpc("getinferenceinfo")["onion_forwarded"],
                     h1.rpc("getinferenceinfo")["onion_forwarded"])
        assert h1.rpc("getinferenceinfo")["onion_forwarded"] > 0
        assert_equal(len(client.rpc("getpeerinfo")), 1)
        assert_raises_rpc_error(-1, "no route", client.rpc, "infer", PROMPTS[0], 4, 0,
                                {"onion": False})

        self.log("an announcement signed in Python is kept and relayed on")
        raw = RawPeer(client.p2p_port)
        seckey = os.urandom(31) + b"\x01"
        good = announcement(seckey, links=[bytes.fromhex(keys[0])])
        raw.sock.sendall(frame("serverelay", good))
        ours = pubkey_gen(seckey).hex()
        wait_until(lambda: ours in relayed_keys(client), 30, "the Python announcement")
        wait_until(lambda: ours in relayed_keys(h0), 30, "relayed on to h0")
        kept = [h for h in client.rpc("getinferenceinfo")["relayed_holders"]
                if h["onion_key"] == ours][0]
        assert_equal(kept["sections"], [0, 3])
        assert_equal(kept["links"], [keys[0]])

        self.log("an announcement altered after signing is refused, its sender disconnected")
        other = os.urandom(31) + b"\x02"
        altered = bytearray(announcement(other))
        altered[40:48] = struct.pack("<q", 1)  # the price, after the signature was made
        raw.sock.sendall(frame("serverelay", bytes(altered)))
        assert raw.closed()
        assert_in("serverelay: bad-serve-sig", client.debug_log())
        assert pubkey_gen(other).hex() not in relayed_keys(client)

        self.log("a serveinfo signed by another key than the one it names is refused")
        raw = RawPeer(h2.p2p_port)
        forged = announcement(seckey, signer=os.urandom(31) + b"\x03")
        raw.sock.sendall(frame("serveinfo", forged))
        assert raw.closed()
        assert_in("serveinfo: bad-serve-sig", h2.debug_log())
        assert_equal(len(h2.rpc("getinferenceinfo")["holders"]), 1)  # h1 alone


if __name__ == "__main__":
    InferenceRelayTest().main()
