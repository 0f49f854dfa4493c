#!/usr/bin/env python3
"""Training across processes (regtest timed production, `tiny`):

- three worker nodes, each with its own key, datadir and port, and one node
  that only verifies: the first worker registers itself in a block of its
  own, the others ask for free registrations (regworker);
  then every worker computes the units assigned to it, relays its records
  and tensors through the work pool, and the scheduled producers carry
  them into blocks. After a few steps every node is on the same tip and
  state root, every worker has earned coins, and the verifier re-executed
  records it received;
- a node that joins late syncs the blocks and tensors, reaches the same
  state root, and then computes its share.
"""

from test_framework import (ComputecoinTestFramework, assert_equal, connect_nodes,
                            sync_state_roots, wait_until)

STEPS = 4


def training(node):
    return node.rpc("gettraininginfo")


class TimedTrainingTest(ComputecoinTestFramework):
    def run_test(self):
        workers = [self.add_node() for _ in range(3)]
        verifier = self.add_node()
        self.log("the first worker registers itself in a block of its own")
        workers[0].start(["-worker", "-timedproduction"])
        wait_until(lambda: len(training(workers[0])["workers"]) == 1, 60, "the first worker")
        self.log("the others join and ask for free registrations (regworker)")
        for w in workers[1:]:
            w.start(["-worker", "-timedproduction"])
            connect_nodes(w, workers[0])
        verifier.start()
        connect_nodes(verifier, workers[2])
        connect_nodes(workers[1], workers[2])
        wait_until(lambda: len(training(verifier)["workers"]) == 3, 60, "three registrations")

        self.log("every worker earns: the units of a step go round the three")
        wait_until(lambda: all(w["paid"] > 0 for w in training(verifier)["workers"]), 120,
                   "coins for every worker")
        start = training(verifier)
        self.log(f"train {STEPS} more steps from step {start['step']}")
        wait_until(lambda: all(training(n)["step"] >= start["step"] + STEPS
                               for n in workers + [verifier]), 240, f"{STEPS} more steps")
        sync_state_roots(workers + [verifier])
        info = training(verifier)
        earned = {w["key"]: w["paid"] for w in info["workers"]}
        gained = sorted(earned[w["key"]] - p for w, p in
                        ((w, w["paid"]) for w in start["workers"]))
        self.log(f"height {info['height']}, step {info['step']}, coins earned in those steps "
                 f"per worker {gained}")
        assert all(g > 0 for g in gained), gained
        produced = [w.rpc("getmininginfo")["blocks_produced"] for w in workers]
        self.log(f"blocks produced per worker node: {produced}")
        assert sum(1 for p in produced if p > 0) >= 2, produced
        pool = verifier.rpc("getworkpoolinfo")
        self.log(f"verifier's pool: {pool['verified']} records re-executed on relay")
        assert pool["verified"] > 0
        assert_equal(pool["rejected"], 0)

        self.log("a node that joins late syncs, then computes its share")
        late = self.add_node()
        late.start(["-worker", "-timedproduction"])
        connect_nodes(late, workers[0])
        wait_until(lambda: len(training(late)["workers"]) == 4, 90, "the late worker registered")
        target = training(workers[0])["step"] + 2
        wait_until(lambda: training(late)["step"] >= target, 180, f"step {target} on the late node")
        late_key = late.rpc("getworkerinfo")[0]["key"]
        wait_until(lambda: any(w["key"] == late_key and w["paid"] > 0
                               for w in training(workers[0])["workers"]), 120,
                   "the late worker earns")
        sync_state_roots(workers + [verifier, late])

        for n in workers + [verifier, late]:
            n.stop()


if __name__ == "__main__":
    TimedTrainingTest().main()
