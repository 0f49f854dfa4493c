"""Transactions built and signed in Python, as Bitcoin Core's MiniWallet.

Functional tests use it to spend coins without a node wallet: it knows the
transaction wire format (chain/transaction.h), computes txids and sighashes
the way the node does, and signs with bip340.py. Its coins are the
coinbase rewards of one of the node's in-process workers, whose secret keys
the node keeps in <datadir>/regtest/workers.dat (node/training.h: 32-byte
secrets, one after another).

Wire format (chain/serialize.h, little-endian integers, CompactSize counts):
  Transaction = version:u32 inputs:vector<TxIn> outputs:vector<TxOut> lock_height:u32
  TxIn        = prevout_txid:[32] prevout_index:u32 pubkey:[32] signature:[64]
  TxOut       = value:i64 kind:u8 lock:[32] [owner:[32] if kind is worker_bond or unbonding]
                [payout_signature:[64] if kind is worker_payout]
  txid        = SHA256(SHA256(encoding with every signature zeroed))
  wtxid       = SHA256(SHA256(full encoding))
  sighash(i)  = TaggedHash("Computecoin/Sighash", txid || i:u32 || spent TxOut)
  KeyHash(pk) = TaggedHash("Computecoin/KeyHash", pk): a pay-to-key-hash lock
  payout_signature = the bonded worker key's BIP340 signature of
                TaggedHash("Computecoin/Registration", genesis || worker key || payout)
Hashes print as their bytes in order (no Bitcoin-style reversal).
"""

import hashlib
import os
import struct

import bip340

COIN = 100_000_000
KIND_PAY_TO_KEY_HASH = 0
KIND_WORKER_BOND = 1
KIND_UNBONDING = 4
KIND_WORKER_PAYOUT = 5  # right after each bond: where its worker's rewards go
KINDS = {"pay_to_key_hash": KIND_PAY_TO_KEY_HASH, "worker_bond": KIND_WORKER_BOND,
         "channel": 2, "commitment": 3, "unbonding": KIND_UNBONDING,
         "worker_payout": KIND_WORKER_PAYOUT}
COINBASE_MATURITY = 100


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def key_hash(pubkey):
    return bip340.tagged_hash("Computecoin/KeyHash", pubkey)


def compact_size(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


class TxOut:
    def __init__(self, value, lock, kind=KIND_PAY_TO_KEY_HASH, payout_signature=bytes(64),
                 owner=bytes(32)):
        self.value = value  # base units
        self.kind = kind
        self.lock = lock  # 32 bytes
        self.payout_signature = payout_signature  # on the wire for worker_payout only
        self.owner = owner  # the key hash that spends a worker_bond or unbonding output

    def serialize(self):
        out = struct.pack("<qB", self.value, self.kind) + self.lock
        if self.kind in (KIND_WORKER_BOND, KIND_UNBONDING):
            out += self.owner
        if self.kind == KIND_WORKER_PAYOUT:
            out += self.payout_signature
        return out

    @classmethod
    def from_json(cls, vout):
        """From a decoded output (getblock 2, decoderawtransaction)."""
        return cls(round(vout["value"] * COIN), bytes.fromhex(vout["lock"]), KINDS[vout["kind"]],
                   bytes.fromhex(vout.get("payout_signature", "00" * 64)),
                   bytes.fromhex(vout.get("owner", "00" * 32)))


def payout_output(worker_seckey, payout, genesis):
    """The worker_payout output after a bond to bip340.pubkey_gen(worker_seckey):
    `payout` (a key hash) signed by that key for the network whose genesis
    block id is `genesis` (bytes, as getblockhash 0 prints them)."""
    message = bip340.tagged_hash("Computecoin/Registration",
                                 genesis + bip340.pubkey_gen(worker_seckey) + payout)
    return TxOut(0, payout, KIND_WORKER_PAYOUT, bip340.sign(message, worker_seckey, os.urandom(32)))


class TxIn:
    def __init__(self, txid, index, pubkey, signature=bytes(64)):
        self.txid = txid  # 32 bytes
        self.index = index
        self.pubkey = pubkey
        self.signature = signature

    def serialize(self, with_signature=True):
        return (self.txid + struct.pack("<I", self.index) + self.pubkey +
                (self.signature if with_signature else bytes(64)))


class Transaction:
    def __init__(self, inputs=(), outputs=(), version=1, lock_height=0):
        self.version = version
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.lock_height = lock_height

    def serialize(self, with_signatures=True):
        out = struct.pack("<I", self.version) + compact_size(len(self.inputs))
        out += b"".join(i.serialize(with_signatures) for i in self.inputs)
        out += compact_size(len(self.outputs)) + b"".join(o.serialize() for o in self.outputs)
        return out + struct.pack("<I", self.lock_height)

    def hex(self):
        return self.serialize().hex()

    def txid(self):
        return sha256d(self.serialize(with_signatures=False))

    def wtxid(self):
        return sha256d(self.serialize())

    def sighash(self, index, spent):
        return bip340.tagged_hash("Computecoin/Sighash",
                                  self.txid() + struct.pack("<I", index) + spent.serialize())

    def sign_input(self, index, spent, seckey, aux_rand=None):
        """Signs input `index`, which spends `spent`. Set every input's
        pubkey first: pubkeys are part of the txid and so of every sighash."""
        aux = aux_rand if aux_rand is not None else os.urandom(32)
        self.inputs[index].signature = bip340.sign(self.sighash(index, spent), seckey, aux)


def read_worker_keys(node):
    """The secret keys of a node's in-process workers (workers.dat)."""
    with open(os.path.join(node.network_dir, "workers.dat"), "rb") as f:
        data = f.read()
    assert len(data) % 32 == 0, "workers.dat is not whole keys"
    return [data[i:i + 32] for i in range(0, len(data), 32)]


class MiniWallet:
    """One key's coins, as (txid bytes, index, TxOut, spendable-from height)."""

    def __init__(self, seckey):
        self.seckey = seckey
        self.pubkey = bip340.pubkey_gen(seckey)
        self.lock = key_hash(self.pubkey)
        self.utxos = []

    def scan_blocks(self, node, first, last):
        """Adds the outputs paying this key in blocks first..last (coinbase
        outputs become spendable COINBASE_MATURITY blocks after theirs).
        Zero-value outputs (a producer's fee output in a block without fees)
        are left out."""
        for height in range(first, last + 1):
            block = node.rpc("getblock", node.rpc("getblockhash", height), 2)
            for tx in block["tx"]:
                coinbase = not tx["vin"]
                for vout in tx["vout"]:
                    out = TxOut.from_json(vout)
                    if out.kind == KIND_PAY_TO_KEY_HASH and out.lock == self.lock and out.value > 0:
                        mature = height + COINBASE_MATURITY if coinbase else height + 1
                        self.utxos.append((bytes.fromhex(tx["txid"]), vout["n"], out, mature))

    def take_utxo(self, spend_height):
        """Removes and returns the oldest coin spendable in a block at spend_height."""
        for i, utxo in enumerate(self.utxos):
            if utxo[3] <= spend_height:
                return self.utxos.pop(i)
        raise AssertionError(f"no coin spendable at height {spend_height}: {self.utxos}")

    def create_self_transfer(self, utxo, fee, outputs=1):
        """A signed transaction spending `utxo` back to this key in `outputs`
        equal parts (the last takes the remainder), paying `fee` base units."""
        txid, index, spent, _ = utxo
        total = spent.value - fee
        part = total // outputs
        values = [part] * (outputs - 1) + [total - part * (outputs - 1)]
        tx = Transaction([TxIn(txid, index, self.pubkey)], [TxOut(v, self.lock) for v in values])
        tx.sign_input(0, spent, self.seckey)
        return tx

    @staticmethod
    def output_utxo(tx, index, height):
        """Output `index` of tx as a coin spendable from `height`."""
        return (tx.txid(), index, tx.outputs[index], height)
