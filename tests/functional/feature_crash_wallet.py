#!/usr/bin/env python3
"""Crash campaign for the wallet (issue 11): SIGKILL a node at random
instants while its wallet pays another wallet back to back (blocks in
between), and while a wallet encrypts itself. After each restart, with both
wallets loaded again by -wallet=:

- no acknowledged payment is lost: every txid sendtoaddress returned is in
  the payer's and the payee's wallet, confirmed or in the mempool again
  (never conflicted or gone);
- each wallet agrees with itself: its spendable coins (listunspent 0) add
  up to its trusted plus untrusted-pending balance, and every confirmed coin
  it lists is unspent in the chain's UTXO set (gettxout);
- each wallet has followed the chain to the tip (lastprocessedblock).

Encryption is all or nothing: after a kill during encryptwallet the wallet
either still spends without a passphrase or unlocks with the new one; in
both cases it has the same coins and the same addresses as before.

At the end every committed payment confirms and the payee holds exactly
one payment's amount per committed payment, between the acknowledged count
and the attempted count. --kills=50 is the long form.
"""

import random
import threading
import time

from test_framework import (AssertionFailed, ComputecoinTestFramework, assert_equal,
                            wait_until)

COIN = 100_000_000
MATURITY = 100
PAYMENT = 0.01  # coins per payment
WALLETS = ["-wallet=miner", "-wallet=payee"]


def units(value):
    """Coins (a JSON number) → integer units."""
    return int(round(value * COIN))


class CrashWalletTest(ComputecoinTestFramework):
    def add_options(self, parser):
        parser.add_argument("--kills", type=int, default=6,
                            help="SIGKILLs in all, two thirds while paying, a third while "
                                 "encrypting (default: 6, the suite's)")
        parser.add_argument("--seed", type=int, help="random seed (default: from the clock)")

    def run_test(self):
        seed = self.options.seed if self.options.seed is not None else int(time.time())
        self.rng = random.Random(seed)
        kills = max(self.options.kills, 2)
        encrypting = max(kills // 3, 1)
        paying = kills - encrypting
        self.log(f"seed {seed}: {paying} kills while paying, {encrypting} while encrypting")
        self.acked = []       # txids sendtoaddress returned
        self.attempted = 0    # sendtoaddress calls made
        self.vault_payments = 0  # payments to the payee from the encrypted wallets
        self.kills = 0

        node = self.add_node()
        node.start(["-workers=2"])
        node.rpc("createwallet", "miner")
        node.rpc("createwallet", "payee")
        node.rpc("generate", MATURITY + 3)
        assert node.wallet_rpc("miner", "getbalance") > 1, "the workers' rewards did not mature"
        self.payee_address = node.wallet_rpc("payee", "getnewaddress")

        self.log("kills while the miner pays the payee")
        for _ in range(paying):
            self.kill_during(node, lambda: self.pay_forever(node), self.rng.uniform(0.2, 3.0))
            self.restart_and_check(node)

        self.log("kills while a wallet encrypts itself")
        for i in range(encrypting):
            self.encrypt_and_kill(node, f"vault{i}")

        self.log("every committed payment confirms")
        node.rpc("generate", 1)
        wait_until(lambda: all(
            node.wallet_rpc("miner", "gettransaction", t)["confirmations"] > 0
            for t in self.acked), timeout=60)
        self.check(node)
        received = units(node.wallet_rpc("payee", "getbalance"))
        committed, remainder = divmod(received, units(PAYMENT))
        assert_equal(remainder, 0)
        committed -= self.vault_payments
        assert len(self.acked) <= committed <= self.attempted, \
            f"{committed} payments received, {len(self.acked)} acknowledged, {self.attempted} attempted"
        self.log(f"{self.kills} kills; {self.attempted} payments attempted, {len(self.acked)} "
                 f"acknowledged, {committed} received; none lost")

    # -- actions ----------------------------------------------------------

    def pay_forever(self, node):
        """Pays the payee, with a block every few payments, until the node dies."""
        while True:
            self.attempted += 1
            try:
                self.acked.append(node.wallet_rpc("miner", "sendtoaddress",
                                                  self.payee_address, PAYMENT))
                if self.rng.random() < 0.05:
                    node.rpc("generate", 1)
            except Exception:  # the connection died with the node
                return

    def kill_during(self, node, action, delay):
        """Runs `action` in a thread and SIGKILLs `node` after `delay` seconds."""
        worker = threading.Thread(target=action, daemon=True)
        worker.start()
        time.sleep(delay)
        node.kill()
        self.kills += 1
        worker.join(timeout=60)
        assert not worker.is_alive(), "the RPC client did not notice the kill"

    def encrypt_and_kill(self, node, name):
        """A funded wallet `name` encrypts; the node is killed at a random instant of it."""
        node.rpc("createwallet", name)
        address = node.wallet_rpc(name, "getnewaddress")
        node.wallet_rpc("miner", "sendtoaddress", address, 1)
        node.rpc("generate", 1)
        before = self.wallet_view(node, name, address)

        def encrypt():
            try:
                node.wallet_rpc(name, "encryptwallet", "correct horse")
            except Exception:
                pass  # killed under it

        started = time.monotonic()
        probe = threading.Thread(target=encrypt, daemon=True)
        # The first wallet is timed whole to learn how long encryption takes.
        if not hasattr(self, "encrypt_seconds"):
            probe.start()
            probe.join(timeout=120)
            self.encrypt_seconds = max(time.monotonic() - started, 0.01)
            self.log(f"encryptwallet takes {self.encrypt_seconds:.3f} s")
            node.kill()
            self.kills += 1
        else:
            probe.start()
            time.sleep(self.rng.uniform(0, self.encrypt_seconds * 1.2))
            node.kill()
            self.kills += 1
            probe.join(timeout=60)

        node.start(["-workers=2"] + WALLETS + [f"-wallet={name}"])
        encrypted = "unlocked_until" in node.wallet_rpc(name, "getwalletinfo")
        if encrypted:
            node.wallet_rpc(name, "walletpassphrase", "correct horse", 60)
        after = self.wallet_view(node, name, address)
        assert_equal(after, before)
        # It spends, with the new passphrase or (not encrypted) none.
        node.wallet_rpc(name, "sendtoaddress", self.payee_address, PAYMENT)
        self.vault_payments += 1
        self.log(f"{name}: {'encrypted' if encrypted else 'not encrypted'} after the kill; "
                 "same coins and addresses")
        node.rpc("unloadwallet", name)
        self.check(node)

    # -- checks -----------------------------------------------------------

    @staticmethod
    def wallet_view(node, name, address):
        """What must survive a kill: coins, balance, and the keys behind handed-out addresses."""
        coins = sorted((c["txid"], c["vout"], units(c["amount"]))
                       for c in node.wallet_rpc(name, "listunspent", 0))
        return {"coins": coins,
                "balance": units(node.wallet_rpc(name, "getbalance")),
                "mine": node.wallet_rpc(name, "getaddressinfo", address)["ismine"]}

    def restart_and_check(self, node):
        node.start(["-workers=2"] + WALLETS)
        self.check(node)

    def check(self, node):
        tip = node.rpc("getbestblockhash")
        wait_until(lambda: all(
            node.wallet_rpc(w, "getwalletinfo")["lastprocessedblock"]["hash"] == tip
            for w in ("miner", "payee")), timeout=30)
        for txid in self.acked:
            for wallet in ("miner", "payee"):
                try:
                    tx = node.wallet_rpc(wallet, "gettransaction", txid)
                except Exception as e:
                    raise AssertionFailed(f"acknowledged payment {txid} lost from {wallet}: {e}")
                if tx["confirmations"] == 0:
                    # Unconfirmed: the wallet must have put it back in the mempool.
                    wait_until(lambda: txid in node.rpc("getrawmempool"), timeout=30)
                assert tx["confirmations"] >= 0, f"{txid} is conflicted in {wallet}: {tx}"
        for wallet in ("miner", "payee"):
            balances = node.wallet_rpc(wallet, "getbalances")["mine"]
            coins = node.wallet_rpc(wallet, "listunspent", 0)
            assert_equal(sum(units(c["amount"]) for c in coins),
                         units(balances["trusted"]) + units(balances["untrusted_pending"]))
            for c in coins:
                if c["confirmations"] > 0:
                    out = node.rpc("gettxout", c["txid"], c["vout"], False)
                    assert out is not None, f"{wallet} lists {c['txid']}:{c['vout']}, spent or unknown"
                    assert_equal(units(out["value"]), units(c["amount"]))


if __name__ == "__main__":
    CrashWalletTest().main()
