#!/usr/bin/env python3
"""A worker that lies (issue 8): regtest timed production with two honest
worker nodes and one whose outputs are scaled by 1.01 before it commits them
(-perturbwork, regtest only), far beyond the verification tolerance.

- an honest node that receives the liar's records re-executes them, drops
  them, names the liar's key in its log and penalises it (its later records
  are refused without re-execution);
- nothing the liar computed reaches the honest chain: the liar is never paid
  there;
- the honest workers go on training (the liar's units are reassigned after
  the unit timeout), and the honest nodes agree on tip and state root.
How long the liar's units keep a step waiting is the cost of having no
slashing yet (doc/consensus.md).
"""

from test_framework import (ComputecoinTestFramework, assert_equal, assert_in, connect_nodes,
                            sync_blocks, wait_until)


def training(node):
    return node.rpc("gettraininginfo")


class LyingWorkerTest(ComputecoinTestFramework):
    def run_test(self):
        honest = [self.add_node() for _ in range(2)]
        liar = self.add_node()
        honest[0].start(["-worker", "-timedproduction"])
        wait_until(lambda: len(training(honest[0])["workers"]) == 1, 60, "the first worker")
        honest[1].start(["-worker", "-timedproduction"])
        connect_nodes(honest[1], honest[0])
        # The liar first syncs the honest chain without producing (alone, it
        # would start a chain of its own), then lies from that tip on.
        liar.start(["-worker"])
        connect_nodes(liar, honest[0])
        sync_blocks(honest + [liar])
        liar.stop()
        liar.start(["-worker", "-timedproduction", "-perturbwork=0.01"])
        connect_nodes(liar, honest[0])
        connect_nodes(liar, honest[1])
        wait_until(lambda: len(training(honest[0])["workers"]) == 3, 60, "three registrations")
        liar_key = liar.rpc("getworkerinfo")[0]["key"]

        self.log("the honest nodes re-execute the liar's records, drop them and penalise it")
        penalised = lambda n: n.rpc("getworkpoolinfo")["penalised"]  # noqa: E731
        wait_until(lambda: all(penalised(n) for n in honest), 120, "the liar penalised")
        keys = {w["key"] for w in training(honest[0])["workers"]}
        for node in honest:
            assert_equal(len(penalised(node)), 1)
            assert_in(penalised(node)[0], keys)
            assert_in("penalised", node.debug_log())
            assert node.rpc("getworkpoolinfo")["rejected"] >= 1
        bad = penalised(honest[0])[0]
        assert_equal(bad, liar_key)
        assert_equal(penalised(honest[1]), [bad])
        assert_in(f"worker {liar_key}", honest[1].debug_log())
        self.log(f"  worker {bad[:16]}… penalised by both honest nodes")

        self.log("the honest workers go on training; the liar earns nothing on their chain")
        # Penalties are each node's own policy, not consensus (slashing is not
        # built), so the liar's units of every step wait for the unit timeout
        # (60 s on regtest) before they are reassigned to honest workers.
        start = training(honest[0])["step"]
        wait_until(lambda: all(training(n)["step"] >= start + 1 for n in honest), 200,
                   "another step")
        paid = {w["key"]: w["paid"] for w in training(honest[0])["workers"]}
        assert_equal(paid[bad], 0)
        assert all(v > 0 for k, v in paid.items() if k != bad), paid
        wait_until(lambda: honest[0].rpc("getbestblockhash") ==
                   honest[1].rpc("getbestblockhash"), 60, "the honest nodes agree")
        assert_equal(honest[0].rpc("getblockchaininfo")["state_root"],
                     honest[1].rpc("getblockchaininfo")["state_root"])


if __name__ == "__main__":
    LyingWorkerTest().main()
