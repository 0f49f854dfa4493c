#!/usr/bin/env python3
"""Onion-routed inference (doc/inference.md, Onion routing).

A client and three holders of the regtest model's sections, one each,
chained h0 -> h1 -> h2 by P2P connections (a hop forwards to a peer). The
onion-routed greedy output equals direct routing's and local decoding's,
token for token. Each hop's log line for a request names only its two
neighbours: the client's address appears in the first hop's line alone, and
h1 and h2 were never sent a step by the client. A fourth holder of section 0,
of one session, then takes a request (h0 holds sessions, so it is the
lighter one) and h0 the next (the fourth is full): no holder's records share a session id, an ephemeral key or a
neighbour between the two requests, and no holder saw the client asking
both times. Layers built here in Python (secp256k1 ECDH, HKDF-SHA256,
AES-256-GCM: a second implementation of node/onion.h's format) that do not
decrypt, that ask a hop to forward to itself or to a stranger, and an
oversized onion are refused with their reason, nothing computed, and the
holders keep serving. A hop that dies mid-generation is reported by its
predecessor and routed around, with the same output. Free holders: paying inside the layers is
inference_payment.py's."""

import os
import re
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from inference_routing import RawPeer, frame, tensor
from test_framework import (ComputecoinTestFramework, assert_equal, assert_in, connect_nodes,
                            wait_until)

PROMPTS = ["12+34=", "a prompt longer than the context"]
MAX_TOKENS = 20


def var_bytes(b):
    n = len(b)
    return (bytes([n]) if n < 0xFD else b"\xfd" + struct.pack("<H", n)) + b


def onion_hop(session, root, begin, end, position, next_key=bytes(32), inner=b""):
    """net/messages.h OnionHop."""
    return (session + root + struct.pack("<III", begin, end, position) + var_bytes(b"") +
            struct.pack("<I", 0) + next_key + var_bytes(inner))


def seal_layer(holder_key, plaintext):
    """node/onion.h's layer for the holder whose onion key is holder_key:
    (layer, backward key)."""
    ephemeral = ec.generate_private_key(ec.SECP256K1())
    e = ephemeral.public_key().public_bytes(serialization.Encoding.X962,
                                            serialization.PublicFormat.CompressedPoint)[1:]
    holder = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), b"\x02" + holder_key)
    shared = ephemeral.exchange(ec.ECDH(), holder)  # the x coordinate
    keys = HKDF(hashes.SHA256(), 64, salt=e + holder_key,
                info=b"computecoin/onion/v1").derive(shared)
    nonce = os.urandom(12)
    return e + nonce + AESGCM(keys[:32]).encrypt(nonce, plaintext, e), keys[32:]


def open_reply(backward, sealed):
    """(code, reason) of a hop's sealed OnionHopReply."""
    plain = AESGCM(backward).decrypt(sealed[:12], sealed[12:], b"computecoin/onion/reply")
    return plain[0], plain[2:2 + plain[1]].decode()


def onion_step(request_id, input_tensor, onion):
    return struct.pack("<Q", request_id) + input_tensor + var_bytes(onion)


def parse_reply(payload):
    """(code, reason, sealed) of an onionreply."""
    code, length = payload[8], payload[9]
    reason = payload[10:10 + length].decode()
    rest = payload[10 + length:]
    if rest[0] == 0xFD:
        return code, reason, rest[3:3 + struct.unpack("<H", rest[1:3])[0]]
    return code, reason, rest[1:1 + rest[0]]


ONION_LINE = re.compile(r"onion: hop \[(\d+), (\d+)\) session ([0-9a-f]+) key ([0-9a-f]+): "
                        r"from peer=\d+ \(([^)]*)\), (.*)$")


def onion_lines(node, skip, stop=None):
    """The node's onion sessions named in its log lines [skip, stop), in order:
    [(session, key, from_addr, rest)]. A hop logs each step at position 0: a
    session's start, and every step once the window slides."""
    out = {}
    for line in node.debug_log().splitlines()[skip:stop]:
        m = ONION_LINE.search(line)
        if m:
            out[(m.group(3), m.group(4), m.group(5), m.group(6))] = True
    return list(out)


def log_length(node):
    return len(node.debug_log().splitlines())


class InferenceOnionTest(ComputecoinTestFramework):
    def run_test(self):
        client = self.add_node()
        client.start()
        holders = []
        for begin, end in ((0, 1), (1, 2), (2, 3)):
            node = self.add_node()
            node.start([f"-serve={begin}:{end}"])
            # The holder dials the client, so its log names the client by
            # its listening address.
            connect_nodes(node, client)
            holders.append(node)
        h0, h1, h2 = holders
        connect_nodes(h0, h1)
        connect_nodes(h1, h2)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 3, 30,
                   "three announcements")
        wait_until(lambda: len(h0.rpc("getinferenceinfo")["holders"]) == 1 and
                   len(h1.rpc("getinferenceinfo")["holders"]) == 2, 30, "the holders' neighbours")
        client_addr = f"127.0.0.1:{client.p2p_port}"

        self.log("onion-routed greedy decoding equals direct routing and local decoding")
        before = [log_length(h) for h in holders]
        direct_steps = [h.rpc("getinferenceinfo")["steps_served"] for h in holders]
        for prompt in PROMPTS:
            local = client.rpc("completetext", prompt, MAX_TOKENS)
            direct = client.rpc("infer", prompt, MAX_TOKENS, 0)
            onion = client.rpc("infer", prompt, MAX_TOKENS, 0, {"onion": True})
            assert_equal(direct["onion"], False)
            assert_equal(onion["onion"], True)
            assert_equal(onion["tokens"], direct["tokens"])
            assert_equal(onion["tokens"], local["tokens"])
            assert_equal(onion["completion"], direct["completion"])
            assert_equal([hop["sections"] for hop in onion["route"]], [[0, 1], [1, 2], [2, 3]])
            assert_equal(onion["reroutes"], 0)
            assert_equal(onion["tokens_billed"], direct["tokens_billed"])
        steps = [h.rpc("getinferenceinfo")["steps_served"] for h in holders]
        assert_equal(steps[0] - direct_steps[0], steps[2] - direct_steps[2])
        assert_equal(h0.rpc("getinferenceinfo")["onion_forwarded"],
                     h1.rpc("getinferenceinfo")["onion_forwarded"])
        assert_equal(h2.rpc("getinferenceinfo")["onion_forwarded"], 0)  # the last hop

        self.log("each hop's log names only its neighbours; only h0 saw the client")
        lines = [onion_lines(h, skip) for h, skip in zip(holders, before)]
        for hop_lines in lines:
            assert_equal(len(hop_lines), len(PROMPTS))  # one session per request
        for session, key, source, rest in lines[0]:
            assert_equal(source, client_addr)
            assert_in("forwarding to peer=", rest)
            assert_in(f"127.0.0.1:{h1.p2p_port}", rest)
        for session, key, source, rest in lines[1]:
            assert source != client_addr, source
            assert_in(f"127.0.0.1:{h2.p2p_port}", rest)
        for session, key, source, rest in lines[2]:
            assert source != client_addr, source
            assert_equal(rest, "last hop")
        for node in (h1, h2):
            text = "\n".join(l for l in node.debug_log().splitlines() if "onion:" in l)
            assert client_addr not in text, text
        # Each hop has its own session and key for one request.
        for request in range(len(PROMPTS)):
            sessions = {hop_lines[request][0] for hop_lines in lines}
            keys = {hop_lines[request][1] for hop_lines in lines}
            assert_equal(len(sessions), 3)
            assert_equal(len(keys), 3)

        self.log("two requests over different routes: no holder can link them")
        spare = self.add_node()
        spare.start(["-serve=0:1", "-servesessions=1"])
        connect_nodes(spare, client)
        connect_nodes(spare, h1)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 4, 30,
                   "four announcements")
        wait_until(lambda: len(spare.rpc("getinferenceinfo")["holders"]) == 1, 30,
                   "the spare's neighbour")
        nodes = holders + [spare]
        before = [log_length(h) for h in nodes]
        first = client.rpc("infer", PROMPTS[0], MAX_TOKENS, 0, {"onion": True})
        middle = [log_length(h) for h in nodes]
        wait_until(lambda: [h["sessions"] for h in client.rpc("getinferenceinfo")["holders"]
                            if h["max_sessions"] == 1] == [1], 30, "the spare's load")
        second = client.rpc("infer", PROMPTS[0], MAX_TOKENS, 0, {"onion": True})
        assert_equal(second["tokens"], first["tokens"])
        # h0 holds sessions, the spare none: the first route starts at the
        # spare, which is then full (-servesessions=1), so the second at h0.
        first_hops = [hop["peer"] for hop in first["route"]]
        second_hops = [hop["peer"] for hop in second["route"]]
        assert first_hops[0] != second_hops[0], (first_hops, second_hops)
        assert_equal(first_hops[1:], second_hops[1:])
        for node, start, mid in zip(nodes, before, middle):
            a = onion_lines(node, start, mid)
            b = onion_lines(node, mid)
            # Nothing in one request's records appears in the other's.
            assert not {x[0] for x in a} & {x[0] for x in b}, "a shared session id"
            assert not {x[1] for x in a} & {x[1] for x in b}, "a shared ephemeral key"
            # The client is named by at most one of them (a first hop's).
            assert sum(client_addr in x[2] for x in a + b) <= 1, (a, b)
        # The middle hop heard the two requests from two different holders.
        h1_first = onion_lines(h1, before[1])[0]
        h1_second = onion_lines(h1, middle[1])[0]
        assert h1_first[2] != h1_second[2], (h1_first, h1_second)

        self.log("a hop killed mid-generation: its predecessor says so, the client reroutes")
        # A holder of sections 1-3 makes a shorter route; it dies after five
        # steps, h0 answers "next failed", and the client replays the window
        # into a new route from section 0.
        dying = self.add_node()
        dying.start(["-serve=1:3", "-servestopafter=5"])
        connect_nodes(dying, client)
        connect_nodes(h0, dying)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 5, 30,
                   "five announcements")
        wait_until(lambda: len(h0.rpc("getinferenceinfo")["holders"]) == 2, 30,
                   "h0's new neighbour")
        rerouted = client.rpc("infer", PROMPTS[0], MAX_TOKENS, 0, {"onion": True})
        assert_equal(rerouted["tokens"], first["tokens"])
        assert_equal(rerouted["reroutes"], 1)
        assert_equal([hop["sections"] for hop in rerouted["route"]], [[0, 1], [1, 2], [2, 3]])
        dying.wait_for_exit()
        assert_in("onion-next-disconnected", client.debug_log())

        self.log("layers that do not open, loops and strangers are refused; nothing computed")
        info = h0.rpc("getinferenceinfo")
        key = bytes.fromhex(info["onion_key"])
        root = bytes.fromhex(info["state_root"])
        tokens = tensor(3, [1], b"7")  # u8 token ids (Codec::kUInt8)
        peer = RawPeer(h0.p2p_port)

        def ask(request_id, onion):
            served = h0.rpc("getinferenceinfo")["steps_served"]
            peer.sock.sendall(frame("onionstep", onion_step(request_id, tokens, onion)))
            payload = peer.wait_for("onionreply")
            assert_equal(struct.unpack("<Q", payload[:8])[0], request_id)
            assert_equal(h0.rpc("getinferenceinfo")["steps_served"], served)
            return parse_reply(payload)

        # Sealed to another key: cannot be opened, so refused in clear.
        stranger = bytes.fromhex(h1.rpc("getinferenceinfo")["onion_key"])
        layer, _ = seal_layer(stranger, onion_hop(os.urandom(32), root, 0, 1, 0))
        code, reason, _ = ask(1, layer)
        assert_equal((code, reason), (1, "onion-bad-layer: does not decrypt"))
        # One flipped byte in a layer sealed to h0.
        layer, _ = seal_layer(key, onion_hop(os.urandom(32), root, 0, 1, 0))
        layer = layer[:40] + bytes([layer[40] ^ 1]) + layer[41:]
        assert_equal(ask(2, layer)[:2], (1, "onion-bad-layer: does not decrypt"))
        assert_equal(ask(3, os.urandom(20))[:2], (1, "onion-bad-layer: too short"))
        # Asked to forward to itself: refused inside a sealed reply.
        layer, backward = seal_layer(key, onion_hop(os.urandom(32), root, 0, 1, 0, key, b"x"))
        code, _, sealed = ask(4, layer)
        assert_equal(code, 0)
        assert_equal(open_reply(backward, sealed), (1, "onion-loop: asked to forward to itself"))
        # To a key no peer of h0 announced.
        layer, backward = seal_layer(key, onion_hop(os.urandom(32), root, 0, 1, 0,
                                                    os.urandom(32), b"x"))
        assert_equal(open_reply(backward, ask(5, layer)[2]),
                     (1, "onion-next-unreachable: not a peer of this holder"))
        # A well-formed layer for the wrong range: refused like an inferstep.
        layer, backward = seal_layer(key, onion_hop(os.urandom(32), root, 1, 2, 0))
        code, reason = open_reply(backward, ask(6, layer)[2])
        assert_equal(code, 1)
        assert reason.startswith("bad-serve-range"), reason
        # An onion over kMaxOnionBytes: refused from its length, the peer dropped.
        peer.sock.sendall(frame("onionstep", onion_step(7, tokens, bytes(10 * 1024 + 1))))
        assert peer.closed(), "an oversized onion did not cost the connection"
        assert_in("onionstep: oversized-onion", h0.debug_log())
        for node in nodes:
            assert node.process.poll() is None
        assert_equal(client.rpc("infer", PROMPTS[0], MAX_TOKENS, 0, {"onion": True})["tokens"],
                     first["tokens"])


if __name__ == "__main__":
    InferenceOnionTest().main()
