#!/usr/bin/env python3
"""Training across processes, measured (issue 8's benchmarks; figures for
doc/benchmarks.md, not run by CTest): the devnet of contrib/devnet.sh —
three worker nodes (-verify=sample=0.25) and one node that verifies every
record — trains --steps steps on loopback, then bench_compute trains the
same preset for the same number of steps in one process, in the same run.

Reported: ms/step of each; per node and step, CPU seconds (from /proc) split
into computing units (getmininginfo compute_seconds), checking records on
entry (getworkpoolinfo check_seconds, re-execution under -verify) and the
rest (transfer, hashing and storing tensors, blocks, scheduling, RPC); bytes
sent and received per step (getnetworkinfo); worker utilisation (compute
time / wall time). Usage:
  bench_training_network.py --bindir=build/bin [--steps=10] [--chain=devnet]
                            [--stream-codec=fp32|bf16|int8]"""

import os
import re
import subprocess
import time

from test_framework import ComputecoinTestFramework, connect_nodes, wait_until


def sample(node):
    net = node.rpc("getnetworkinfo")
    return {"cpu": node.cpu_seconds(),
            "compute": node.rpc("getmininginfo")["compute_seconds"],
            "check": node.rpc("getworkpoolinfo")["check_seconds"],
            "sent": net["totalbytessent"], "recv": net["totalbytesrecv"]}


class BenchTrainingNetwork(ComputecoinTestFramework):
    def add_options(self, parser):
        parser.add_argument("--steps", type=int, default=10, help="steps to measure")
        parser.add_argument("--chain", default="devnet", help="devnet (as devnet.sh) or regtest (tiny)")
        parser.add_argument("--stream-codec", default="fp32",
                            help="fp32, bf16 or int8: the model's stream codec (-streamcodec)")

    def run_test(self):
        steps = self.options.steps
        nodes = [self.add_node() for _ in range(4)]
        for n in nodes:
            n.chain = self.options.chain
        workers, verifier = nodes[:3], nodes[3]
        timed = ["-timedproduction"] if self.options.chain == "regtest" else []
        timed.append(f"-streamcodec={self.options.stream_codec}")
        workers[0].start(["-worker", "-verify=sample=0.25"] + timed)
        wait_until(lambda: len(workers[0].rpc("gettraininginfo")["workers"]) == 1, 120, "first worker")
        for w in workers[1:]:
            w.start(["-worker", "-verify=sample=0.25"] + timed)
            connect_nodes(w, workers[0])
        verifier.start(["-verify=all", f"-streamcodec={self.options.stream_codec}"])
        connect_nodes(verifier, workers[0])
        connect_nodes(verifier, workers[2])
        connect_nodes(workers[1], workers[2])
        wait_until(lambda: len(verifier.rpc("gettraininginfo")["workers"]) == 3, 120, "three workers")
        warm = verifier.rpc("gettraininginfo")["step"] + 1
        wait_until(lambda: verifier.rpc("gettraininginfo")["step"] >= warm, 300, "a warm-up step")

        self.log(f"measuring {steps} steps from step {warm} on {self.options.chain}")
        before = [sample(n) for n in nodes]
        worker_step0 = workers[0].rpc("gettraininginfo")["step"]
        t0 = time.monotonic()
        wait_until(lambda: verifier.rpc("gettraininginfo")["step"] >= warm + steps,
                   60 + 120 * steps, f"{steps} steps")
        wall = time.monotonic() - t0
        # The pace is the verifier's (it re-executes every unit); the workers
        # may be ahead of it: how far they went in the same time.
        worker_steps = workers[0].rpc("gettraininginfo")["step"] - worker_step0
        after = [sample(n) for n in nodes]
        disk = sum(int(subprocess.run(["du", "-sb", n.datadir], capture_output=True, text=True)
                       .stdout.split()[0]) for n in nodes)
        for n in nodes:
            n.stop()

        preset = "devnet" if self.options.chain == "devnet" else "tiny"
        run = subprocess.run([os.path.join(self.bindir, "bench_compute"), f"--train={preset}",
                              "--threads=2", f"--max-steps={warm + steps}", f"--eval-every={10**6}",
                              f"--stream-codec={self.options.stream_codec}"],
                             capture_output=True, text=True, timeout=3600,
                             env=dict(os.environ, OMP_WAIT_POLICY="passive"))
        m = re.search(r"([\d.]+) ms/step", run.stdout)
        single_ms = float(m.group(1)) if m else float("nan")

        network_ms = 1000 * wall / steps
        print(f"\n{self.options.chain}: {steps} steps, 3 workers + 1 verifier on loopback: "
              f"{network_ms:.0f} ms/step; one process (bench_compute --train={preset} --threads=2): "
              f"{single_ms:.1f} ms/step; ratio {network_ms / single_ms:.1f}x")
        print(f"worker1's tip went {worker_steps} steps in the same time "
              f"({1000 * wall / max(worker_steps, 1):.0f} ms/step)")
        print("| node | CPU s/step | compute | checking records | rest | rest share | "
              "sent kB/step | recv kB/step | utilisation |")
        print("|---|---|---|---|---|---|---|---|---|")
        names = ["worker1", "worker2", "worker3", "verifier"]
        for name, b, a in zip(names, before, after):
            cpu = (a["cpu"] - b["cpu"]) / steps
            compute = (a["compute"] - b["compute"]) / steps
            check = (a["check"] - b["check"]) / steps
            rest = max(0.0, cpu - compute - check)
            print(f"| {name} | {cpu:.2f} | {compute:.2f} | {check:.2f} | {rest:.2f} | "
                  f"{100 * rest / cpu if cpu else 0:.0f}% | {(a['sent'] - b['sent']) / steps / 1e3:.0f} | "
                  f"{(a['recv'] - b['recv']) / steps / 1e3:.0f} | "
                  f"{100 * (a['compute'] - b['compute']) / wall:.0f}% |")
        print(f"disk used by the four datadirs: {disk / 1e6:.0f} MB after {warm + steps} steps")


if __name__ == "__main__":
    BenchTrainingNetwork().main()
