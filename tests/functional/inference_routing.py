#!/usr/bin/env python3
"""Inference routed through section holders over P2P (doc/inference.md).

A client node and holders of the regtest model's three sections, one each:
the client's routed greedy output equals its own local greedy decoding
(completetext) token for token, through three hops; malformed and oversized
steps from a raw peer are refused and the holder keeps serving; a holder that
dies mid-generation (a fourth holder, of sections 1-3, which makes the route
shorter) is routed around and the output is the same as without the failure;
a holder that keeps no session between steps gets the client's kept inputs
replayed, and the output is again the same. The holders here are free;
paying them is inference_payment.py's."""

import hashlib
import os
import socket
import struct
import time

from test_framework import (ComputecoinTestFramework, assert_equal, assert_in, connect_nodes,
                            wait_until)

REGTEST_MAGIC = bytes([0xC3, 0x0C, 0xFA, 0xBF])
PROMPTS = ["12+34=", "7", "a prompt longer than the context"]
MAX_TOKENS = 24  # past the 16-byte context: the window slides


def frame(command, payload):
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return (REGTEST_MAGIC + command.encode().ljust(12, b"\0") + struct.pack("<I", len(payload)) +
            checksum + payload)


def compact(n):
    assert n < 0xFD
    return bytes([n])


def tensor(codec, shape, payload):
    """compute/tensor.h: codec:u8 rank:compact dims:u64[rank] payload:bytes."""
    out = bytes([codec]) + compact(len(shape)) + b"".join(struct.pack("<Q", d) for d in shape)
    length = len(payload)
    out += (bytes([length]) if length < 0xFD else b"\xfd" + struct.pack("<H", length))
    return out + payload


def infer_step(request_id, begin, end, position, input_tensor, state_root=b"\0" * 32):
    return (struct.pack("<Q", request_id) + os.urandom(32) + state_root +
            struct.pack("<III", begin, end, position) + input_tensor + compact(0))


class RawPeer:
    """A bare P2P connection that speaks just enough protocol to send steps."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        version = (struct.pack("<iQq", 1, 0, int(time.time())) + b"\0" * 18 +
                   struct.pack("<Q", 0x5EED) + compact(5) + b"/raw/" + struct.pack("<I", 0) + b"\0")
        self.sock.sendall(frame("version", version))
        self.wait_for("verack")
        self.sock.sendall(frame("verack", b""))

    def receive(self):
        """The next (command, payload); None once the node has closed the connection."""
        while True:
            if len(self.buffer) >= 24:
                length = struct.unpack("<I", self.buffer[16:20])[0]
                if len(self.buffer) >= 24 + length:
                    command = self.buffer[4:16].rstrip(b"\0").decode()
                    payload = self.buffer[24:24 + length]
                    self.buffer = self.buffer[24 + length:]
                    return command, payload
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                return None
            if not data:
                return None
            self.buffer += data

    def wait_for(self, command):
        while True:
            message = self.receive()
            assert message is not None, f"disconnected while waiting for {command}"
            if message[0] == command:
                return message[1]

    def closed(self):
        """True once the node disconnects us (draining what it sent before);
        socket.timeout if it does not within 30 s."""
        while self.receive() is not None:
            pass
        return True


class InferenceRoutingTest(ComputecoinTestFramework):
    def holder_info(self, node):
        return node.rpc("getinferenceinfo")

    def run_test(self):
        client = self.add_node()
        client.start()
        holders = []
        for begin, end in ((0, 1), (1, 2), (2, 3)):
            node = self.add_node()
            node.start([f"-serve={begin}:{end}"])
            connect_nodes(client, node)
            holders.append(node)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 3, 30,
                   "three announcements")
        root = client.rpc("completetext", "x", 1)["state_root"]
        for h in client.rpc("getinferenceinfo")["holders"]:
            assert_equal(h["state_root"], root)

        self.log("routed greedy decoding equals local greedy, token for token")
        expected = {}
        for prompt in PROMPTS:
            local = client.rpc("completetext", prompt, MAX_TOKENS)
            expected[prompt] = local["tokens"]
            routed = client.rpc("infer", prompt, MAX_TOKENS, 0)
            assert_equal(routed["tokens"], local["tokens"])
            assert_equal(routed["completion"] + ("\n" if routed["stopped"] else ""),
                         local["completion"])
            assert_equal([hop["sections"] for hop in routed["route"]], [[0, 1], [1, 2], [2, 3]])
            assert_equal(routed["reroutes"], 0)
            assert_equal(routed["state_root"], root)
            billed = len(prompt) + len(routed["tokens"]) - 1
            assert_equal(routed["tokens_billed"], billed)
            assert_equal(routed["cost"], 0)
            assert_equal(routed["payments"], [])
        served = [self.holder_info(h)["steps_served"] for h in holders]
        assert_equal(served[0], served[1])
        assert_equal(served[1], served[2])
        assert_equal(self.holder_info(holders[0])["sessions_started"] > 0, True)

        self.log("sampled decoding is reproducible from its seed")
        options = {"temperature": 0.9, "top_p": 0.95, "seed": 11, "stop": []}
        first = client.rpc("infer", "12+34=", 10, 0, options)
        assert_equal(client.rpc("infer", "12+34=", 10, 0, options)["tokens"], first["tokens"])
        assert_equal(len(first["tokens"]), 10)

        self.log("malformed and oversized steps are refused; the holder keeps serving")
        target = holders[2]
        peer = RawPeer(target.p2p_port)
        stream = struct.pack("<32f", *([0.5] * 32))
        peer.sock.sendall(frame("inferstep", infer_step(1, 2, 3, 0, tensor(0, [1, 32], stream))))
        refused = peer.wait_for("inferresult")
        assert_equal(refused[8], 1)  # code: refused
        assert_in(b"wrong-state-root", refused)
        peer.sock.sendall(frame("inferstep", infer_step(
            2, 1, 2, 0, tensor(0, [1, 32], stream), bytes.fromhex(root))))
        assert_in(b"bad-serve-range", peer.wait_for("inferresult"))
        # A tensor of rank 3 does not decode: the peer is marked and dropped.
        peer.sock.sendall(frame("inferstep", infer_step(3, 2, 3, 0, tensor(0, [1, 1, 32], stream))))
        assert peer.closed(), "a malformed step did not cost the connection"
        assert_in("inferstep: bad-infer-tensor", target.debug_log())
        peer = RawPeer(holders[0].p2p_port)
        header = (REGTEST_MAGIC + b"inferstep".ljust(12, b"\0") +
                  struct.pack("<I", 64 * 1024 * 1024) + b"\0" * 4)
        peer.sock.sendall(header)
        assert peer.closed(), "an oversized step header did not cost the connection"
        for node in holders:
            assert node.process.poll() is None
        assert_equal(client.rpc("infer", PROMPTS[0], MAX_TOKENS, 0)["tokens"], expected[PROMPTS[0]])

        self.log("a holder killed mid-generation: the client reroutes, same output")
        # A holder of sections 1-3 makes a route of two hops, preferred to three;
        # it dies after five steps and the client routes around it.
        spare = self.add_node()
        spare.start(["-serve=1:3", "-servestopafter=5"])
        connect_nodes(client, spare)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 4, 30,
                   "four announcements")
        before = self.holder_info(holders[1])["steps_served"]
        for prompt in PROMPTS:
            routed = client.rpc("infer", prompt, MAX_TOKENS, 0)
            assert_equal(routed["tokens"], expected[prompt])
            assert_equal([hop["sections"] for hop in routed["route"]], [[0, 1], [1, 2], [2, 3]])
            assert_equal(routed["reroutes"], 1 if prompt == PROMPTS[0] else 0)
        spare.wait_for_exit()
        assert_in("-servestopafter: exiting after 5 steps", spare.debug_log())
        assert self.holder_info(holders[1])["steps_served"] > before

        self.log("a holder that drops every session: the client replays, same output")
        holders[0].stop()
        holders[0].start(["-serve=0:1", "-servesessiontimeout=0"])
        connect_nodes(client, holders[0])
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 3, 30,
                   "three announcements")
        routed = client.rpc("infer", PROMPTS[0], MAX_TOKENS, 0)
        assert_equal(routed["tokens"], expected[PROMPTS[0]])
        assert_equal(routed["reroutes"], 0)
        dropped = holders[0].rpc("getinferenceinfo")
        assert_equal(dropped["sessions_evicted"] >= len(routed["tokens"]) - 1, True)


if __name__ == "__main__":
    InferenceRoutingTest().main()
