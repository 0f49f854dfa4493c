#!/usr/bin/env python3
"""Inference paid over payment channels (doc/inference.md, Payment).

Three holders of the regtest model's three sections: h0 (sections 0-1) and
h2 (2-3) charge, h1 (1-2) is free and mines. The client's wallet is paid 20
coins. A price above maxfee, and a request with no wallet loaded, are
refused before a channel is opened or a step sent; the first
call opens a channel to each charging holder and says so; after a block the
routed greedy output equals local greedy decoding, and the client's channels
were paid exactly what the holders' receipts say, which is the result's cost
and what the holders accepted. A second request reuses the channels. h0
settles by itself a block after its first payment (-servesettleafter=1), h2
by hand; each holder's balance rises by exactly what it was paid and the
client's falls by that plus the fees; computecoin-light verifyreceipt
accepts a receipt of the run. A raw peer's steps over h2's channel: no
payment, a forged update, an older amount, more than owed, and a replay of
an accepted amount are each refused with their reason and nothing is
computed. Last, h2 restarts keeping no session between steps: every step
replays its window, and the replayed rows are paid for too."""

import os
import struct

from inference_routing import RawPeer, frame, tensor
from test_framework import (ComputecoinTestFramework, assert_equal, assert_in,
                            assert_raises_rpc_error, connect_nodes, sync_blocks, wait_until)

COIN = 100_000_000
PRICES = {0: 10_000, 2: 20_000}  # units per token: h0 and h2; h1 is free
PROMPT = "12+34="
MAX_TOKENS = 8  # 6 + 8 <= the 16-byte context: one row per step after the prompt


def units(value):
    return int(round(value * COIN))


def trusted(node):
    return units(node.rpc("getbalances")["mine"]["trusted"])


def paid_step(session, root, payment):
    """A one-row inferstep for sections [2, 3) at position 0 carrying `payment` bytes."""
    length = len(payment)
    size = bytes([length]) if length < 0xFD else b"\xfd" + struct.pack("<H", length)
    return (struct.pack("<Q", 1) + session + bytes.fromhex(root) + struct.pack("<III", 2, 3, 0) +
            tensor(0, [1, 32], struct.pack("<32f", *([0.25] * 32))) + size + payment)


class InferencePaymentTest(ComputecoinTestFramework):
    def run_test(self):
        client = self.add_node()
        client.start()
        client.rpc("createwallet", "alice")
        holders = []
        for index, (begin, end) in enumerate(((0, 1), (1, 2), (2, 3))):
            node = self.add_node()
            node.start()
            node.rpc("createwallet", f"holder{index}")
            node.stop()
            args = [f"-serve={begin}:{end}", f"-wallet=holder{index}"]
            if index in PRICES:
                args.append(f"-serveprice={PRICES[index] / COIN:.8f}")
            if index == 0:
                args.append("-servesettleafter=1")
            if index == 1:
                args.append("-workers=2")
            node.start(args)
            connect_nodes(client, node)
            holders.append(node)
        h0, h1, h2 = holders
        connect_nodes(h0, h1)  # the onion route's links
        connect_nodes(h1, h2)
        nodes = [client] + holders

        def mine(n=1):
            h1.rpc("generate", n)
            sync_blocks(nodes)
            height = h1.rpc("getblockcount")
            for node in nodes:
                wait_until(lambda: node.rpc("getbalances")["lastprocessedblock"]["height"] ==
                           height, 30, "the wallet at the tip")
            root = client.rpc("getblockheader", client.rpc("getbestblockhash"))["state_root"]
            wait_until(lambda: [h["state_root"] for h in client.rpc("getinferenceinfo")["holders"]]
                       == [root] * 3, 30, "the holders serving the tip")

        self.log("h1 mines and pays the client 20 coins")
        for _ in range(5):
            h1.rpc("generate", 20)
        mine(1)
        h1.rpc("sendtoaddress", client.rpc("getnewaddress"), 20)
        mine(1)
        start = trusted(client)
        assert_equal(start, 20 * COIN)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 3, 30,
                   "three announcements")

        self.log("a price above maxfee is refused before anything is opened or sent")
        # 6 prompt bytes + 7 tokens fed back at 0.0003 coins: 0.0039 at most.
        assert_raises_rpc_error(-8, "price above maxfee", client.rpc, "infer", PROMPT,
                                MAX_TOKENS, 0.0038)
        assert_equal(client.rpc("listchannels"), [])
        assert_equal([h.rpc("getinferenceinfo")["steps_served"] for h in holders], [0, 0, 0])

        self.log("no wallet to pay with: refused before anything is sent")
        client.rpc("unloadwallet", "alice")
        assert_raises_rpc_error(-8, "paying holders needs a wallet", client.rpc, "infer", PROMPT,
                                MAX_TOKENS)
        client.rpc("loadwallet", "alice")
        assert_equal([h.rpc("getinferenceinfo")["steps_served"] for h in holders], [0, 0, 0])

        self.log("the first call opens a channel to each charging holder")
        assert_raises_rpc_error(-1, "channel opening, funding unconfirmed", client.rpc, "infer",
                                PROMPT, MAX_TOKENS)
        channels = client.rpc("listchannels")
        payees = {h0.rpc("getinferenceinfo")["payee"], h2.rpc("getinferenceinfo")["payee"]}
        assert_equal({c["holder_pubkey"] for c in channels}, payees)
        assert_equal({c["state"] for c in channels}, {"opening"})
        assert_equal({c["capacity"] for c in channels}, {0.1})  # -inferchannelamount's default
        assert_raises_rpc_error(-1, "channel opening, funding unconfirmed", client.rpc, "infer",
                                PROMPT, MAX_TOKENS)
        assert_equal(len(client.rpc("listchannels")), 2)  # not opened twice
        assert_equal([h.rpc("getinferenceinfo")["steps_served"] for h in holders], [0, 0, 0])
        fundings = {c["funding"].split(":")[0] for c in channels}
        wait_until(lambda: fundings <= set(h1.rpc("getrawmempool")), 30,
                   "the fundings relayed to the miner")
        mine(1)

        self.log("routed greedy decoding equals local greedy; paid exactly the receipts")
        self.log("(the second request over an onion route: payments inside the layers)")
        local = client.rpc("completetext", PROMPT, MAX_TOKENS)
        costs = []
        fundings_used = []
        for onion in (False, True):
            routed = client.rpc("infer", PROMPT, MAX_TOKENS, None, {"onion": onion})
            assert_equal(routed["onion"], onion)
            assert_equal(routed["tokens"], local["tokens"])
            rows = routed["tokens_billed"]
            assert_equal(rows, len(PROMPT) + len(routed["tokens"]) - 1)
            payments = {p["sections"][0]: p for p in routed["payments"]}
            assert_equal(sorted(payments), [0, 2])
            for section, price in PRICES.items():
                assert_equal(units(payments[section]["paid"]), price * rows)
                assert_equal(units(payments[section]["amount"]), price * rows)
                assert_equal(payments[section]["tokens"], rows)
            assert_equal(units(routed["cost"]), (PRICES[0] + PRICES[2]) * rows)
            costs.append(units(routed["cost"]))
            fundings_used.append({s: payments[s]["funding"] for s in PRICES})
        # What onion routing does not hide: a holder's channel links the
        # client's requests at that holder (doc/inference.md, threat model).
        assert_equal(fundings_used[0], fundings_used[1])
        assert h0.rpc("getinferenceinfo")["onion_forwarded"] > 0
        channels = client.rpc("listchannels")
        assert_equal(len(channels), 2)  # reused
        assert_equal(sum(units(c["paid"]) for c in channels), sum(costs))
        info = client.rpc("getinferenceinfo")
        assert_equal(units(info["spent"]), sum(costs))
        assert_equal(units(info["request_costs"]), sum(costs))
        receipts = client.rpc("listreceipts")
        assert_equal(len(receipts), 2)
        for entry in receipts:
            assert_equal(entry["committed"], True)
            assert_equal(len(entry["receipts"]), 2)
            assert_equal(sum(units(r["amount"]) for r in entry["receipts"]), units(entry["paid"]))
        by_holder = {}
        for node in (h0, h2):
            [held] = node.rpc("listchannels")
            assert_equal(held["role"], "holder")
            mine_ = [c for c in channels if c["funding"] == held["funding"]][0]
            assert_equal(held["paid"], mine_["paid"])
            assert_equal(node.rpc("getinferenceinfo")["earned"], held["paid"])
            by_holder[node] = held
        assert_equal(h1.rpc("listchannels"), [])  # the free holder served without payment
        assert h1.rpc("getinferenceinfo")["steps_served"] > 0

        self.log("a raw peer over h2's channel: each bad payment refused, nothing computed")
        root = [h for h in client.rpc("getinferenceinfo")["holders"]
                if h["sections"] == [2, 3]][0]["state_root"]
        held = by_holder[h2]
        peer = RawPeer(h2.p2p_port)
        channel = bytes.fromhex(held["channel"])
        funding = channel[:36]
        salt = os.urandom(32)

        def send(payment):
            served = h2.rpc("getinferenceinfo")["steps_served"]
            peer.sock.sendall(frame("inferstep", paid_step(os.urandom(32), root, payment)))
            return peer.wait_for("inferresult"), served

        def update(paid, signature=bytes(64)):
            return (b"\x01" + funding + struct.pack("<q", paid) + os.urandom(32) + signature)

        def refused(payment, reason):
            result, served = send(payment)
            assert_equal(result[8], 1)
            assert_in(reason.encode(), result)
            assert_equal(h2.rpc("getinferenceinfo")["steps_served"], served)

        best = units(held["paid"])
        refused(b"", "payment-missing")
        refused(channel, "bad-payment")
        refused(channel + b"\x00" + salt + b"\x00", "bad-payment")
        refused(channel + update(best) + salt, "channel-update-not-increasing")  # a replay
        refused(channel + update(best + PRICES[2]) + salt, "payment-too-high")
        refused(channel + update(best - 1) + salt, "payment-too-low")  # an older amount
        # Owing nothing, a step needs no update: computed, and owed for.
        result, served = send(channel + b"\x00" + salt)
        assert_equal(result[8], 0)
        assert_equal(h2.rpc("getinferenceinfo")["steps_served"], served + 1)
        owed = best + PRICES[2]
        refused(channel + b"\x00" + salt, "payment-too-low")
        refused(channel + update(owed) + salt, "channel-update-bad-sig")  # forged
        peer.sock.close()
        assert_equal(units(h2.rpc("listchannels")[0]["paid"]), best)

        self.log("h0 settles by itself a block after its first payment; h2 by hand")
        balances = {node: trusted(node) for node in (h0, h2)}
        assert_equal(list(balances.values()), [0, 0])
        for _ in range(3):  # its wallet may see a block after the service does
            mine(1)
            if h0.rpc("listchannels")[0]["state"] != "open":
                break
        assert_equal(h0.rpc("listchannels")[0]["state"], "closing")
        assert_in("settling channel", h0.debug_log())
        settlements = [h0.rpc("listchannels")[0]["close_txid"],
                       h2.rpc("closechannel", by_holder[h2]["funding"])["txid"]]
        wait_until(lambda: all(t in h1.rpc("getrawmempool") for t in settlements), 30,
                   "the settlements relayed to the miner")
        mine(1)
        for node in (h0, h2):
            [held] = node.rpc("listchannels")
            assert_equal(held["state"], "closed")
            assert_equal(trusted(node), units(held["paid"]))
            info = node.rpc("getinferenceinfo")
            assert_equal(info["settled"], held["paid"])
        spent = sum(units(c["paid"]) for c in channels)
        fees = sum(units(c["close_fee"]) for c in channels)
        opened = {c["funding"].split(":")[0] for c in channels}
        fees += sum(-units(client.rpc("gettransaction", txid)["fee"]) for txid in opened)
        assert_equal(trusted(client), start - spent - fees)

        self.log("computecoin-light verifyreceipt proves a receipt of this run was paid")
        entry = [e for e in client.rpc("listreceipts") if e["state"] == "closed"][0]
        block = client.rpc("gettransaction", entry["close_txid"])["blockhash"]
        client.light("syncheaders")
        for receipt in entry["receipts"]:
            result = client.run_program("computecoin-light", "verifyreceipt", receipt["proof"],
                                        entry["close_txid"], block)
            assert_equal(result.stdout.strip(), "valid")
        forged = entry["receipts"][0]["proof"]
        forged = forged[:-2] + ("00" if forged[-2:] != "00" else "01")
        result = client.run_program("computecoin-light", "verifyreceipt", forged,
                                    entry["close_txid"], block)
        assert result.stdout.strip().startswith("invalid"), result.stdout

        self.log("a paid holder that drops every session: replays are paid, output the same")
        h2.stop()
        h2.start(["-serve=2:3", "-wallet=holder2", f"-serveprice={PRICES[2] / COIN:.8f}",
                  "-servesessiontimeout=0"])
        connect_nodes(client, h2)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 3, 30,
                   "three announcements")
        # Both channels are closed, and h2 has a new payee key: two new ones.
        assert_raises_rpc_error(-1, "channel opening", client.rpc, "infer", PROMPT, MAX_TOKENS)
        fundings = {c["funding"].split(":")[0] for c in client.rpc("listchannels")
                    if c["state"] == "opening"}
        assert_equal(len(fundings), 2)
        wait_until(lambda: fundings <= set(h1.rpc("getrawmempool")), 30, "the fundings relayed")
        mine(1)
        # The replays cost more than the default maxfee (0.01) allows.
        assert_raises_rpc_error(-8, "price above maxfee", client.rpc, "infer", PROMPT, MAX_TOKENS)
        routed = client.rpc("infer", PROMPT, MAX_TOKENS, 1)
        assert_equal(routed["tokens"], local["tokens"])
        payments = {p["sections"][0]: p for p in routed["payments"]}
        assert_equal(payments[0]["tokens"], routed["tokens_billed"])
        assert payments[2]["tokens"] > routed["tokens_billed"], payments[2]  # the replays
        for section, price in PRICES.items():
            assert_equal(units(payments[section]["paid"]), price * payments[section]["tokens"])
            assert_equal(payments[section]["paid"], payments[section]["amount"])
        assert_equal(units(routed["cost"]), sum(units(p["paid"]) for p in payments.values()))


if __name__ == "__main__":
    InferencePaymentTest().main()
