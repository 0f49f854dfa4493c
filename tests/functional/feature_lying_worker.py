#!/usr/bin/env python3
"""A worker that lies (issue 8): regtest timed production with two honest
worker nodes and one whose outputs are scaled by 1.01 before it commits them
(-perturbwork, regtest only), far beyond the verification tolerance.

- an honest node that receives the liar's records re-executes them, drops
  them, names the liar's key in its log and penalises it (its later records
  are refused without re-execution); one that first receives the liar's own
  block with those records refuses it and names the liar's key (the peer
  that relayed the block is not punished: it may not have re-executed it);
- nothing the liar computed reaches the honest chain: the liar is never paid
  there;
- the honest nodes agree on tip and state root. (Until the honest nodes'
  slashing transaction is mined, the liar's units of each step wait for the
  unit timeout, 60 s on regtest, before honest workers take them; the
  slashing itself is feature_slashing.py's.)
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
        # The liar first syncs the honest chain as a plain node (alone, a
        # producing worker would start a chain of its own; an honest worker
        # here could compute a record before it starts lying, and a record
        # made in its turn stays valid — consensus.md §3), then lies from
        # that tip on, registering only then.
        liar.start([])
        connect_nodes(liar, honest[0])
        sync_blocks(honest + [liar])
        liar.stop()
        liar.start(["-worker", "-timedproduction", "-perturbwork=0.01"])
        connect_nodes(liar, honest[0])
        connect_nodes(liar, honest[1])
        wait_until(lambda: len(training(honest[0])["workers"]) == 3, 60, "three registrations")
        liar_key = liar.rpc("getworkerinfo")[0]["key"]

        self.log("the honest nodes re-execute what the liar sends and refuse it")
        # Its records (relayed to the work pool: dropped, and the worker named
        # and penalised) or its own block carrying them (refused and the
        # worker named; the peer is not punished, as it may have relayed the
        # block without re-executing it), whichever arrives first.
        penalised = lambda n: n.rpc("getworkpoolinfo")["penalised"]  # noqa: E731
        caught = lambda n: penalised(n) or \
            "refused: bad-work-output-mismatch" in n.debug_log()  # noqa: E731
        wait_until(lambda: all(caught(n) for n in honest), 120, "the liar caught")
        for node in honest:
            if penalised(node):
                assert_equal(penalised(node), [liar_key])
                assert_in(f"WorkPool: worker {liar_key} penalised", node.debug_log())
                assert node.rpc("getworkpoolinfo")["rejected"] >= 1
            else:
                assert_in(f"Worker {liar_key} signed a wrong", node.debug_log())
        self.log(f"  worker {liar_key[:16]}… caught by both honest nodes")
        bad = liar_key

        self.log("the liar earns nothing on the honest chain; the honest nodes agree")
        paid = lambda: {w["key"]: w["paid"] for w in training(honest[0])["workers"]}  # noqa: E731
        wait_until(lambda: all(v > 0 for k, v in paid().items() if k != bad), 120,
                   "both honest workers paid")
        assert_equal(paid().get(bad, 0), 0)  # absent once slashed (feature_slashing.py)
        wait_until(lambda: honest[0].rpc("getbestblockhash") ==
                   honest[1].rpc("getbestblockhash"), 60, "the honest nodes agree")
        assert_equal(honest[0].rpc("getblockchaininfo")["state_root"],
                     honest[1].rpc("getblockchaininfo")["state_root"])


if __name__ == "__main__":
    LyingWorkerTest().main()
