"""A hand-driven P2P connection for functional tests (Bitcoin Core's P2PInterface,
reduced): it frames, sends and parses messages itself, so a test can play a peer
that sends what no node would (a child before its parent, a flood).

Frame (net/protocol.h): magic:[4] command:[12, NUL-padded] length:u32
checksum:[4] = Hash256(payload)[:4], then the payload (net/messages.h).
"""

import hashlib
import os
import socket
import struct
import time

REGTEST_MAGIC = bytes([0xC3, 0x0C, 0xFA, 0xBF])
PROTOCOL_VERSION = 1
NODE_NETWORK = 1
INV_TX = 1
INV_BLOCK = 2


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def compact_size(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    return b"\xfe" + struct.pack("<I", n)


def version_payload(nonce, relay=True):
    """version:i32 services:u64 time:i64 addr_from:Service nonce:u64
    user_agent:string best_height:u32 relay:bool"""
    ua = b"/p2p_raw.py/"
    return (struct.pack("<iQq", PROTOCOL_VERSION, NODE_NETWORK, int(time.time())) +
            bytes(18) + struct.pack("<Q", nonce) + compact_size(len(ua)) + ua +
            struct.pack("<I?", 0, relay))


def inv_payload(items):
    """items: [(type, 32-byte hash)]"""
    return compact_size(len(items)) + b"".join(struct.pack("<I", t) + h for t, h in items)


def parse_inv(payload):
    """The (type, hash) items of an inv/getdata/notfound payload."""
    n, pos = payload[0], 1
    if n == 0xFD:
        n, pos = struct.unpack_from("<H", payload, 1)[0], 3
    elif n == 0xFE:
        n, pos = struct.unpack_from("<I", payload, 1)[0], 5
    out = []
    for i in range(n):
        t = struct.unpack_from("<I", payload, pos + 36 * i)[0]
        out.append((t, payload[pos + 36 * i + 4:pos + 36 * i + 36]))
    return out


def addr_payload(entries):
    """entries: [(time, ipv4 string, port)]"""
    out = compact_size(len(entries))
    for t, ip, port in entries:
        mapped = bytes(10) + b"\xff\xff" + socket.inet_aton(ip)
        out += struct.pack("<qQ", t, NODE_NETWORK) + mapped + struct.pack("<H", port)
    return out


class RawPeer:
    """One connection to a node's P2P port, from `source_ip` (a second loopback
    address keeps a misbehaving peer apart from the honest ones on 127.0.0.1)."""

    def __init__(self, port, source_ip="127.0.0.1", magic=REGTEST_MAGIC, timeout=10, sock=None):
        self.magic = magic
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((source_ip, 0))
            sock.settimeout(timeout)
            sock.connect(("127.0.0.1", port))
        self.sock = sock
        self.buf = b""
        self.received = []  # (command, payload), in arrival order
        self.closed = False

    def close(self):
        self.sock.close()

    def send(self, command, payload=b""):
        header = (self.magic + command.encode().ljust(12, b"\x00") +
                  struct.pack("<I", len(payload)) + sha256d(payload)[:4])
        self.sock.sendall(header + payload)

    def handshake(self, relay=True):
        self.send("version", version_payload(int.from_bytes(os.urandom(8), "little"), relay))
        self.wait_for("version")
        self.send("verack")
        self.wait_for("verack")

    @classmethod
    def accept(cls, listener, magic=REGTEST_MAGIC, timeout=10):
        """The peer a node connected to: the node's connection accepted on
        `listener`, handshaken (the node speaks first)."""
        listener.settimeout(timeout)
        sock, _ = listener.accept()
        peer = cls(0, magic=magic, sock=sock)
        peer.wait_for("version")
        peer.send("version", version_payload(int.from_bytes(os.urandom(8), "little")))
        peer.send("verack")
        peer.wait_for("verack")
        return peer

    def _read(self, deadline):
        """Reads what arrived before `deadline` into self.received."""
        self.sock.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            return
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
            return
        self.buf += data
        while len(self.buf) >= 24:
            length = struct.unpack_from("<I", self.buf, 16)[0]
            if len(self.buf) < 24 + length:
                break
            command = self.buf[4:16].rstrip(b"\x00").decode()
            payload = self.buf[24:24 + length]
            self.buf = self.buf[24 + length:]
            if command == "ping":
                try:
                    self.send("pong", payload)
                except OSError:  # closed meanwhile: wait_closed() will see it
                    pass
            self.received.append((command, payload))

    def wait_for(self, command, predicate=lambda payload: True, timeout=10):
        """Returns the first payload of `command` received (now or before) that
        satisfies `predicate`; raises on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for c, p in self.received:
                if c == command and predicate(p):
                    return p
            if self.closed or time.monotonic() > deadline:
                raise AssertionError(f"no {command} message (closed={self.closed})")
            self._read(deadline)

    def wait_closed(self, timeout=10):
        """True once the node closed the connection."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._read(deadline)
        return self.closed

    def sync(self, timeout=10):
        """Returns once the node processed everything sent before: a ping's pong
        (messages from one peer are handled in order)."""
        nonce = os.urandom(8)
        self.send("ping", nonce)
        self.wait_for("pong", lambda p: p == nonce, timeout)
