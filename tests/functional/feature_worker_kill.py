#!/usr/bin/env python3
"""A worker killed with SIGKILL mid-training (issue 8 §6), regtest timed
production with a short unit timeout (-unittimeout and -slottimeout, regtest only):

- three worker nodes and one verifier train; one worker is killed while
  steps are in flight;
- its units are reassigned to the next worker after the timeout and the
  step completes on the others (each unit still given to the dead worker
  first costs one timeout);
- a step later it is left out of the unit order (the absence rule,
  doc/consensus.md §3), so no unit waits for it any more;
- restarted from its datadir, it syncs to the same tip and state root,
  produces a block in its slot, is scheduled again and computes its share
  (it is paid for units after the restart).
"""

from test_framework import (ComputecoinTestFramework, assert_equal, connect_nodes,
                            sync_blocks, sync_state_roots, wait_until)

TIMEOUTS = ["-unittimeout=4", "-slottimeout=4"]


def training(node):
    return node.rpc("gettraininginfo")


def entry(node, key):
    return next(w for w in training(node)["workers"] if w["key"] == key)


def paid(node, key):
    return entry(node, key)["paid"]


class WorkerKillTest(ComputecoinTestFramework):
    def run_test(self):
        workers = [self.add_node() for _ in range(3)]
        verifier = self.add_node()
        worker_args = ["-worker", "-timedproduction"] + TIMEOUTS
        workers[0].start(worker_args)
        wait_until(lambda: len(training(workers[0])["workers"]) == 1, 60, "the first worker")
        for w in workers[1:]:
            w.start(worker_args)
            connect_nodes(w, workers[0])
        verifier.start(TIMEOUTS)
        connect_nodes(verifier, workers[2])
        connect_nodes(workers[1], workers[2])
        wait_until(lambda: len(training(verifier)["workers"]) == 3, 60, "three registrations")
        wait_until(lambda: all(w["paid"] > 0 for w in training(verifier)["workers"]), 120,
                   "coins for every worker")

        victim = workers[1]
        key = victim.rpc("getworkerinfo")[0]["key"]
        victim.kill()
        # The pools may run ahead of the chain with records the victim relayed
        # before it died; completing the step the furthest pool is in needs
        # its units done by others.
        survivors = [workers[0], workers[2], verifier]
        step = max(n.rpc("getworkpoolinfo")["step"] for n in survivors)
        self.log(f"SIGKILL worker 2 with the pools at step {step}")
        wait_until(lambda: all(training(n)["step"] > step for n in survivors), 180,
                   "the step completed without the killed worker")
        sync_blocks(survivors)
        self.log(f"the others reached step {training(verifier)['step']} without it")
        wait_until(lambda: not entry(verifier, key)["scheduled"], 180,
                   "the dead worker left out of the unit order")
        self.log(f"step {training(verifier)['step']}: left out as absent "
                 f"(active last in step {entry(verifier, key)['active_step']})")

        self.log("restarted from its datadir, it rejoins")
        victim.start(worker_args)
        connect_nodes(victim, workers[0])
        connect_nodes(victim, workers[2])
        before = paid(verifier, key)
        # records_computed counts from this start: what it computed after rejoining.
        wait_until(lambda: victim.rpc("getmininginfo")["records_computed"] > 0, 180,
                   "the restarted worker computes")
        wait_until(lambda: paid(verifier, key) > before, 180, "the restarted worker is paid again")
        assert entry(verifier, key)["scheduled"]
        sync_state_roots(workers + [verifier])
        self.log(f"step {training(verifier)['step']}: all four on one state root; "
                 f"the restarted worker computed {victim.rpc('getmininginfo')['records_computed']} "
                 f"records and was paid for {paid(verifier, key) - before} more")
        for n in workers + [verifier]:
            n.stop()

        self.log("a bad -unittimeout stops the node at startup")
        for bad, message in (("-unittimeout=0", "-unittimeout must be in [1, 86400] seconds"),
                             ("-unittimeout=x", "-unittimeout")):
            verifier.start([bad], wait_for_rpc=False)
            assert_equal(verifier.wait_for_exit(), 1)
            assert message in verifier.read_stderr(), verifier.read_stderr()


if __name__ == "__main__":
    WorkerKillTest().main()
