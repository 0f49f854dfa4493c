#!/usr/bin/env python3
"""Crash campaign (issue 11): SIGKILL a node at random instants during block
production (generate with -workers=3), during replay of a lost consensus
directory, and during a reorganisation to a peer's heavier branch (half of
these 0-0.5 s after it logs the start of the switch). After each restart:

- no acknowledged block is lost: every hash generate returned is still
  stored (and, before any reorganisation, on the main chain);
- the tip is never lower than the highest acknowledged block;
- consensus agrees with the chain: the training state root and height are
  the tip header's; a tip seen before has the same UTXO set hash;
- verifychain passes (level 3, every block).

At the end, a fresh node that syncs from scratch (validating every block)
and the crashed node restarted with -reindex reach the same tip, state root
and UTXO set. The suite runs a few kills per phase; --kills=100 is the long
form (contrib/crash-campaign.sh; figures in doc/benchmarks.md).
"""

import os
import random
import shutil
import threading
import time

from test_framework import (AssertionFailed, ComputecoinTestFramework, assert_equal,
                            connect_nodes, sync_blocks, wait_until)


class CrashCampaignTest(ComputecoinTestFramework):
    def add_options(self, parser):
        parser.add_argument("--kills", type=int, default=9,
                            help="SIGKILLs in all, split over production, replay and reorg "
                                 "(default: 9, the suite's; the long form is 100)")
        parser.add_argument("--seed", type=int, help="random seed (default: from the clock)")

    def run_test(self):
        seed = self.options.seed if self.options.seed is not None else int(time.time())
        self.rng = random.Random(seed)
        kills = max(self.options.kills, 3)
        production = (kills * 4) // 10
        replay = (kills * 3) // 10
        reorg = kills - production - replay
        self.log(f"seed {seed}: {production} kills in production, {replay} in replay, "
                 f"{reorg} in reorganisation")
        self.acked = []          # hashes generate returned on node a
        self.reorged = False     # acked blocks may have left the main chain
        self.utxo_by_tip = {}    # tip hash -> gettxoutsetinfo hash_serialized
        self.kills = 0
        self.started = time.monotonic()

        a = self.add_node()
        a.start(["-workers=3"])
        self.generate(a, 3)

        self.log("kills during block production")
        for _ in range(production):
            self.kill_during(a, lambda: self.generate_forever(a), self.rng.uniform(0.05, 2.0))
            self.restart_and_check(a)

        self.log("kills during replay of a lost consensus directory")
        replay_seconds = self.measure_replay(a)
        for _ in range(replay):
            a.kill()
            shutil.rmtree(os.path.join(a.network_dir, "consensus"))
            a.start(["-workers=3"], wait_for_rpc=False)
            self.wait_for_log(a, "Replaying blocks")
            time.sleep(self.rng.uniform(0, replay_seconds * 1.2))
            a.kill()
            self.kills += 1
            self.restart_and_check(a)
            self.generate(a, 1)

        self.log("kills during reorganisation to a peer's heavier branch")
        b = self.add_node()
        # The same worker keys, so that both branches carry the same workers.
        os.makedirs(b.network_dir, exist_ok=True)
        shutil.copy(os.path.join(a.network_dir, "workers.dat"),
                    os.path.join(b.network_dir, "workers.dat"))
        b.start(["-workers=3"])
        self.reorged = True
        for i in range(reorg):
            # b builds a heavier branch while a is not connected to it.
            b.rpc("generate", a.rpc("getblockcount") - b.rpc("getblockcount") + 3)
            self.generate(a, 1)
            if i % 2 == 0:  # anywhere in download and switch
                self.kill_during(a, lambda: connect_nodes(a, b), self.rng.uniform(0.1, 6.0))
            else:  # inside the switch: it starts with a log line
                self.kill_after_log(a, lambda: connect_nodes(a, b), "Reorganising from",
                                    self.rng.uniform(0, 0.5))
            self.restart_and_check(a)

        self.log("a reconnects and converges on b's branch")
        connect_nodes(a, b)
        sync_blocks([a, b], timeout=300)
        self.check(a)
        self.assert_same_chain(a, b)

        self.log("a clean replay: a fresh node syncs from a, validating every block")
        c = self.add_node()
        c.start()
        connect_nodes(c, a)
        sync_blocks([a, c], timeout=300)
        self.assert_same_chain(a, c)

        self.log("a restarted with -reindex rebuilds the same chain")
        a.stop()
        # Re-validating every block (re-executing its work) takes a while.
        a.start(["-workers=3", "-reindex"], wait_for_rpc=False)
        a.wait_for_rpc(timeout=900)
        self.assert_same_chain(a, c)
        assert "Reindex: " in a.debug_log()

        elapsed = time.monotonic() - self.started
        lines = a.debug_log().splitlines()
        resumed = sum(1 for line in lines
                      if "Replaying blocks" in line and "Replaying blocks 1 to" not in line)
        finished = sum(1 for line in lines if "Finishing the reorganisation" in line)
        self.log(f"{self.kills} kills, {len(self.acked)} acknowledged blocks, none lost; "
                 f"{resumed} replays started above genesis (resumed, or a lost tip snapshot), {finished} "
                 f"interrupted reorganisations finished at restart; final height "
                 f"{a.rpc('getblockcount')}; {elapsed:.0f} s")

    # -- actions ----------------------------------------------------------

    def generate(self, node, n):
        hashes = node.rpc("generate", n)
        self.acked.extend(hashes)
        return hashes

    def generate_forever(self, node):
        """Generates one block at a time until the node dies under it."""
        while True:
            try:
                self.generate(node, 1)
            except Exception:  # the connection died with the node
                return

    def kill_during(self, node, action, delay):
        """Runs `action` in a thread and SIGKILLs `node` after `delay` seconds."""
        worker = threading.Thread(target=self.swallow, args=(action,), daemon=True)
        worker.start()
        time.sleep(delay)
        node.kill()
        self.kills += 1
        worker.join(timeout=60)
        assert not worker.is_alive(), "the RPC client did not notice the kill"

    def kill_after_log(self, node, action, text, delay):
        """Runs `action` in a thread; SIGKILLs `node` `delay` seconds after it logs `text` anew."""
        before = node.debug_log().count(text)
        worker = threading.Thread(target=self.swallow, args=(action,), daemon=True)
        worker.start()
        deadline = time.monotonic() + 120
        while node.debug_log().count(text) == before:
            if time.monotonic() > deadline:
                raise AssertionFailed(f"'{text}' not logged within 120 s")
            time.sleep(0.005)
        time.sleep(delay)
        node.kill()
        self.kills += 1
        worker.join(timeout=60)

    @staticmethod
    def swallow(action):
        try:
            action()
        except Exception:
            pass  # the node was killed under it: expected

    def wait_for_log(self, node, text):
        """Waits until the log holds `text` once more than self.replays_seen times."""
        deadline = time.monotonic() + 60
        while True:
            count = node.debug_log().count(text)
            if count > self.replays_seen:
                self.replays_seen = count
                return
            if node.process.poll() is not None:
                raise AssertionFailed(f"node exited before '{text}': {node.read_stderr()}")
            if time.monotonic() > deadline:
                raise AssertionFailed(f"'{text}' not logged within 60 s")
            time.sleep(0.005)

    def measure_replay(self, node):
        """Times one full replay (from the log) and returns it in seconds."""
        node.stop()
        shutil.rmtree(os.path.join(node.network_dir, "consensus"))
        before = node.debug_log().count("Replaying blocks")
        node.start(["-workers=3"])
        lines = node.debug_log().splitlines()
        start = [l for l in lines if "Replaying blocks" in l][before]
        end = next(l for l in lines[lines.index(start):] if "Training: step" in l)
        seconds = self.timestamp(end) - self.timestamp(start)
        self.replays_seen = before + 1
        self.log(f"a full replay of {node.rpc('getblockcount')} blocks takes {seconds:.3f} s")
        self.check(node)
        return max(seconds, 0.01)

    @staticmethod
    def timestamp(line):
        stamp = line.split(" ", 1)[0].rstrip("Z")
        date, clock = stamp.split("T")
        h, m, s = clock.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    # -- checks -----------------------------------------------------------

    def restart_and_check(self, node):
        node.start(["-workers=3"])
        self.check(node)

    def check(self, node):
        height = node.rpc("getblockcount")
        for h in self.acked:
            try:
                header = node.rpc("getblockheader", h)
                node.rpc("getblock", h, 0)
            except Exception as e:
                raise AssertionFailed(f"acknowledged block {h} lost: {e}")
            if not self.reorged:
                assert header["confirmations"] > 0, f"acknowledged block {h} left the main chain"
            assert height >= header["height"], \
                f"tip {height} below acknowledged block {h} at {header['height']}"
        info = node.rpc("getblockchaininfo")
        training = node.rpc("gettraininginfo")
        assert_equal(training["height"], height)
        assert_equal(training["state_root"], info["state_root"])
        utxo = node.rpc("gettxoutsetinfo")
        assert_equal(utxo["bestblock"], info["bestblockhash"])
        seen = self.utxo_by_tip.setdefault(utxo["bestblock"], utxo["hash_serialized"])
        assert_equal(utxo["hash_serialized"], seen)
        assert_equal(node.rpc("verifychain", 3, 0), True)

    @staticmethod
    def assert_same_chain(x, y):
        assert_equal(x.rpc("getbestblockhash"), y.rpc("getbestblockhash"))
        assert_equal(x.rpc("gettraininginfo")["state_root"], y.rpc("gettraininginfo")["state_root"])
        assert_equal(x.rpc("gettxoutsetinfo")["hash_serialized"],
                     y.rpc("gettxoutsetinfo")["hash_serialized"])


if __name__ == "__main__":
    CrashCampaignTest().main()
