#!/usr/bin/env python3
"""Payment channels between two real nodes (doc/channels.md).

Node a mines and holds the client wallet (alice); node b holds the holder
wallet (bob). Alice opens a channel to bob's key and signs increasing
payments; bob accepts each, refuses a replayed older one and a forged one,
and settles with the latest: bob's balance rises by exactly the amount paid
and alice's falls by it plus the two fees. A second channel that bob never
settles is reclaimed by alice from its timeout height, and not before; bob
stops accepting its payments near the timeout."""

from test_framework import (ComputecoinTestFramework, assert_equal, assert_raises_rpc_error,
                            connect_nodes, sync_blocks, wait_until)

COIN = 100_000_000


def units(value):
    """Coins (a JSON number) → integer units."""
    return int(round(value * COIN))


def trusted(node, wallet):
    return units(node.wallet_rpc(wallet, "getbalances")["mine"]["trusted"])


def coins(amount_units):
    return f"{amount_units / COIN:.8f}"


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

        self.log("increasing payments: 1, then 2.5 coins; bob accepts each")
        updates = {}
        for paid in (1, 2.5):
            updates[paid] = a.wallet_rpc("alice", "signchannelupdate", funding, paid)["update"]
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
