#!/usr/bin/env python3
"""Payment channels between two real nodes (doc/channels.md).

Node a mines and holds the client wallet (alice); node b holds the holder
wallet (bob). Alice opens a channel to bob's key and signs increasing
payments; bob accepts each, refuses a replayed older one and a forged one,
and settles with the latest: bob's balance rises by exactly the amount paid
and alice's falls by it plus the two fees. A second channel that bob never
settles is reclaimed by alice from its timeout height, and not before; bob
stops accepting its payments near the timeout.

Receipts: bob signs a receipt per response; alice's last payment commits
their Merkle root, so the settlement does; computecoin-light verifyreceipt
accepts each honest proof and refuses a tampered receipt, a wrong path, a
forged signature and a transaction that is not in the block."""

import hashlib
import os

from test_framework import (ComputecoinTestFramework, assert_equal, assert_raises_rpc_error,
                            connect_nodes, sync_blocks, wait_until)

COIN = 100_000_000


def units(value):
    """Coins (a JSON number) → integer units."""
    return int(round(value * COIN))


def trusted(node, wallet):
    return units(node.wallet_rpc(wallet, "getbalances")["mine"]["trusted"])


def sha256(data):
    return hashlib.sha256(data).digest()


def tagged_hash(tag, data):
    t = sha256(tag.encode())
    return sha256(t + t + data)


def mth(leaves):
    """RFC 6962 Merkle tree hash (chain/merkle.h)."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def merkle_root(leaves):
    return sha256(b"\x02" + len(leaves).to_bytes(8, "little") + mth(leaves))


def merkle_path(leaves, i):
    """RFC 9162 inclusion path, the leaf's level first."""
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if i < k:
        return merkle_path(leaves[:k], i) + [mth(leaves[k:])]
    return merkle_path(leaves[k:], i - k) + [mth(leaves[:k])]


def unsigned_receipt(i, holder_pk, state_root):
    """A Receipt's encoding (chain/receipt.h) with a zero signature."""
    salt = os.urandom(32)
    salted = lambda data: tagged_hash("Computecoin/ReceiptSalt", salt + data)
    return (sha256(b"request %d" % i) + bytes.fromhex(state_root) + (0).to_bytes(4, "little") +
            (4).to_bytes(4, "little") + salted(b"123+456=") + salted(b"579") +
            (3).to_bytes(4, "little") + (100 * (i + 1)).to_bytes(8, "little", signed=True) +
            bytes.fromhex(holder_pk) + bytes(64))


def receipt_proof(receipts, hashes, i):
    """A ReceiptProof's encoding: the receipt, then its MerkleProof."""
    path = merkle_path(hashes, i)
    return (receipts[i] + i.to_bytes(8, "little") + len(hashes).to_bytes(8, "little") +
            bytes([len(path)]) + b"".join(path)).hex()


class WalletChannelsTest(ComputecoinTestFramework):
    def run_test(self):
        a, b = self.add_node(), self.add_node()
        a.start(["-workers=2"])
        b.start()
        a.rpc("createwallet", "miner")
        a.rpc("createwallet", "alice")
        b.rpc("createwallet", "bob")
        connect_nodes(b, a)

        def mine(n=1):
            a.rpc("generate", n)
            sync_blocks([a, b])
            # The wallets follow the chain just after the tip moves.
            height = a.rpc("getblockcount")
            for node, wallet in ((a, "alice"), (b, "bob")):
                wait_until(lambda: node.wallet_rpc(wallet, "getbalances")["lastprocessedblock"]
                           ["height"] == height, 30, f"{wallet}'s wallet at the tip")

        def relayed(txid):
            wait_until(lambda: txid in a.rpc("getrawmempool"), 30, "the tx in a's mempool")

        self.log("mature rewards; the miner pays alice 20 coins")
        for _ in range(5):
            a.rpc("generate", 20)
        mine(1)
        a.wallet_rpc("miner", "sendtoaddress", a.wallet_rpc("alice", "getnewaddress"), 20)
        mine(1)
        alice_start = trusted(a, "alice")
        assert_equal(alice_start, 20 * COIN)
        bob_pk = b.wallet_rpc("bob", "getaddressinfo",
                              b.wallet_rpc("bob", "getnewaddress"))["pubkey"]

        self.log("alice opens a 10-coin channel to bob")
        opened = a.wallet_rpc("alice", "openchannel", bob_pk, 10, 50)
        funding, channel = opened["funding"], opened["channel"]
        close_fee = units(opened["close_fee"])
        open_fee = -units(a.wallet_rpc("alice", "gettransaction", opened["txid"])["fee"])
        assert open_fee > 0 and close_fee > 0, (open_fee, close_fee)
        [ch] = a.wallet_rpc("alice", "listchannels")
        assert_equal((ch["funding"], ch["role"], ch["state"], units(ch["capacity"])),
                     (funding, "client", "opening", 10 * COIN))
        assert_raises_rpc_error(-4, "channel-funding-missing", b.wallet_rpc, "bob",
                                "acceptchannelupdate", channel,
                                a.wallet_rpc("alice", "signchannelupdate", funding, 0.5)["update"])
        mine(1)
        assert_equal(a.wallet_rpc("alice", "listchannels")[0]["state"], "open")
        b_alice = a.wallet_rpc("alice", "getbalances")["mine"]
        assert_equal(units(b_alice["trusted"]), alice_start - 10 * COIN - open_fee)
        assert_equal(units(b_alice["in_channels"]), 10 * COIN - close_fee - units(0.5))

        self.log("bob signs three receipts; alice's payments commit their root")
        state_root = a.rpc("getblockheader", a.rpc("getbestblockhash"))["state_root"]
        receipts, hashes = [], []
        for i in range(3):
            signed = b.wallet_rpc("bob", "signreceipt", unsigned_receipt(i, bob_pk, state_root).hex())
            receipts.append(bytes.fromhex(signed["receipt"]))
            hashes.append(bytes.fromhex(signed["hash"]))
        assert_equal(hashes[0], tagged_hash("Computecoin/Receipt", receipts[0]))
        assert_raises_rpc_error(-4, "key is not in this wallet", a.wallet_rpc, "alice",
                                "signreceipt", unsigned_receipt(0, bob_pk, state_root).hex())

        self.log("increasing payments: 1, then 2.5 coins; bob accepts each")
        updates = {}
        for paid, root in ((1, merkle_root(hashes[:1])), (2.5, merkle_root(hashes))):
            updates[paid] = a.wallet_rpc("alice", "signchannelupdate", funding, paid,
                                         root.hex())["update"]
            got = b.wallet_rpc("bob", "acceptchannelupdate", channel, updates[paid])
            assert_equal(units(got["paid"]), units(paid))
        assert_equal(units(b.wallet_rpc("bob", "getbalances")["mine"]["in_channels"]),
                     units(2.5))

        self.log("refused: replays, a forged signature, a forged amount, less than paid")
        for old in (updates[1], updates[2.5]):
            assert_raises_rpc_error(-4, "channel-update-not-increasing", b.wallet_rpc, "bob",
                                    "acceptchannelupdate", channel, old)
        update3 = a.wallet_rpc("alice", "signchannelupdate", funding, 3)["update"]
        forged_sig = update3[:-2] + ("00" if update3[-2:] != "00" else "01")
        assert_raises_rpc_error(-4, "channel-update-bad-sig", b.wallet_rpc, "bob",
                                "acceptchannelupdate", channel, forged_sig)
        # paid is the i64 after the 36-byte outpoint: raise it to 9 coins.
        forged_amount = update3[:72] + (9 * COIN).to_bytes(8, "little").hex() + update3[88:]
        assert_raises_rpc_error(-4, "channel-update-bad-sig", b.wallet_rpc, "bob",
                                "acceptchannelupdate", channel, forged_amount)
        assert_raises_rpc_error(-4, "channel-update-over-capacity", a.wallet_rpc, "alice",
                                "signchannelupdate", funding, 10)
        assert_raises_rpc_error(-4, "channel-update-not-increasing", a.wallet_rpc, "alice",
                                "signchannelupdate", funding, 2)
        assert_raises_rpc_error(-22, "update decode failed", b.wallet_rpc, "bob",
                                "acceptchannelupdate", channel, update3[:-2])
        assert_raises_rpc_error(-4, "channel-refund-premature", a.wallet_rpc, "alice",
                                "closechannel", funding)

        self.log("bob settles with the best he accepted (2.5, not alice's unsent 3)")
        bob_before = trusted(b, "bob")
        closed = b.wallet_rpc("bob", "closechannel", funding)["txid"]
        relayed(closed)
        mine(1)
        assert_equal(trusted(b, "bob") - bob_before, units(2.5))
        assert_equal(trusted(a, "alice"), alice_start - open_fee - units(2.5) - close_fee)
        for node, wallet in ((a, "alice"), (b, "bob")):
            [ch] = node.wallet_rpc(wallet, "listchannels")
            assert_equal((ch["state"], ch["close_txid"]), ("closed", closed))
        assert_raises_rpc_error(-4, "channel-closed", b.wallet_rpc, "bob", "closechannel", funding)

        self.log("computecoin-light verifyreceipt: honest proofs and each forgery")
        block = a.rpc("getbestblockhash")
        a.light("syncheaders")

        def verify(proof, txid=closed, blockhash=block):
            result = a.run_program("computecoin-light", "verifyreceipt", proof, txid, blockhash)
            return result.stdout.strip()

        for i in range(3):
            assert_equal(verify(receipt_proof(receipts, hashes, i)), "valid")
        honest = receipt_proof(receipts, hashes, 1)
        receipt_len = len(receipts[0]) * 2
        tokens_at = (32 * 4 + 8) * 2  # request_id, state_root, sections, input and output hashes
        tampered = honest[:tokens_at] + "09000000" + honest[tokens_at + 8:]
        assert_equal(verify(tampered), "invalid: receipt-bad-sig")
        forged = honest[:receipt_len - 2] + ("00" if honest[receipt_len - 2:receipt_len] != "00"
                                             else "01") + honest[receipt_len:]
        assert_equal(verify(forged), "invalid: receipt-bad-sig")
        wrong_path = receipt_proof(receipts, hashes, 1)
        wrong_path = wrong_path[:receipt_len] + (2).to_bytes(8, "little").hex() + \
            wrong_path[receipt_len + 16:]
        assert_equal(verify(wrong_path), "invalid: receipt-not-committed")
        assert verify(honest, txid=opened["txid"]).startswith("invalid: the server gave no proof"), \
            verify(honest, txid=opened["txid"])
        assert_equal(verify(honest, txid=opened["txid"],
                            blockhash=a.rpc("getblockhash", a.rpc("getblockcount") - 1)),
                     "invalid: receipt-not-settlement")

        self.log("a second channel bob never settles: alice refunds from its timeout")
        alice_before = trusted(a, "alice")
        opened = a.wallet_rpc("alice", "openchannel", bob_pk, 3, 12)
        funding2, channel2 = opened["funding"], opened["channel"]
        timeout = opened["timeout_height"]
        open_fee2 = -units(a.wallet_rpc("alice", "gettransaction", opened["txid"])["fee"])
        mine(1)
        update = a.wallet_rpc("alice", "signchannelupdate", funding2, 1)["update"]
        b.wallet_rpc("bob", "acceptchannelupdate", channel2, update)
        while a.rpc("getblockcount") + 6 < timeout:
            mine(1)
        update = a.wallet_rpc("alice", "signchannelupdate", funding2, 2)["update"]
        assert_raises_rpc_error(-4, "channel-update-expiring", b.wallet_rpc, "bob",
                                "acceptchannelupdate", channel2, update)
        while a.rpc("getblockcount") + 2 < timeout:
            mine(1)
        assert_raises_rpc_error(-4, "channel-refund-premature", a.wallet_rpc, "alice",
                                "closechannel", funding2)
        mine(1)  # the next block is at the timeout height
        refund = a.wallet_rpc("alice", "closechannel", funding2)["txid"]
        mine(1)
        assert_equal(trusted(a, "alice"), alice_before - open_fee2 - units(opened["close_fee"]))
        alice_channels = {c["funding"]: c for c in a.wallet_rpc("alice", "listchannels")}
        assert_equal(alice_channels[funding2]["state"], "closed")
        bob_channels = {c["funding"]: c for c in b.wallet_rpc("bob", "listchannels")}
        assert_equal((bob_channels[funding2]["state"], bob_channels[funding2]["close_txid"]),
                     ("closed", refund))
        assert_equal(units(b.wallet_rpc("bob", "getbalances")["mine"]["in_channels"]), 0)


if __name__ == "__main__":
    WalletChannelsTest().main()
