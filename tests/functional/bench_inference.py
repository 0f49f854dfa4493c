#!/usr/bin/env python3
"""Inference figures for doc/benchmarks.md (not run by CTest): greedy decoding
of the regtest model (tiny), with --chain=devnet of the devnet model, or with
--model=gpt2-small of a regtest chain on GPT-2-small's shape, at genesis
weights, routed over loopback P2P through one holder of every section and
through three holders of one section each (routed directly, and through
onion layers: doc/inference.md "Onion routing"), against the
same node's local decoding (completetext: GenerateGreedy, whole window per
token, no cache) in the same run, and bench_compute's in-process KV-cached
reference (BM_ServeDecode). Each figure is the median of --calls calls.
Usage: bench_inference.py --bindir=build/bin [--calls=N] [--chain=regtest|devnet]
                          [--model=tiny|devnet|gpt2-small] (regtest only)"""

import json
import os
import statistics
import subprocess
import sys
import time

from test_framework import ComputecoinTestFramework, connect_nodes, wait_until

CALLS = 20
for arg in list(sys.argv):
    if arg.startswith("--calls="):
        CALLS = int(arg.split("=", 1)[1])
        sys.argv.remove(arg)

TOKENS = 15  # a 1-byte prompt and 15 tokens fill the 16-position context (tiny, devnet)
# Three holders of whole atoms each, per model: (begin, end) sections.
THREE_HOPS = {"tiny": ((0, 1), (1, 2), (2, 3)), "devnet": ((0, 1), (1, 3), (3, 4)),
              "gpt2-small": ((0, 4), (4, 8), (8, 12))}
PRESET = {"tiny": 0, "devnet": 1, "gpt2-small": 2}  # bench_compute's preset index
CHAIN_MODEL = {"regtest": "tiny", "devnet": "devnet"}


def median_seconds(fn):
    times = []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class BenchInference(ComputecoinTestFramework):
    def add_options(self, parser):
        parser.add_argument("--chain", default="regtest", choices=sorted(THREE_HOPS),
                            help="regtest (tiny) or devnet")
        parser.add_argument("--model", choices=sorted(PRESET),
                            help="regtest only: run the chain on this model (-model)")

    def add_node(self):
        node = super().add_node()
        node.chain = self.options.chain
        return node

    def measure(self, client, label, onion=False):
        options = {"stop": [], "onion": onion}
        first = median_seconds(lambda: client.rpc("infer", "1", 1, 1, options))
        total = median_seconds(lambda: client.rpc("infer", "1", TOKENS, 1, options))
        self.log(f"{label}: time to first token {first * 1e3:.2f} ms, "
                 f"{TOKENS / total:.1f} tokens/s ({total * 1e3:.2f} ms for {TOKENS})")
        return TOKENS / total

    def run_test(self):
        model = self.options.model or CHAIN_MODEL[self.options.chain]
        if self.options.model and self.options.chain != "regtest":
            raise SystemExit("--model is for --chain=regtest only")
        args = [f"-model={model}"] if self.options.model else []
        client = self.add_node()
        client.start(args)
        local = median_seconds(lambda: client.rpc("completetext", "1", TOKENS))
        first_local = median_seconds(lambda: client.rpc("completetext", "1", 1))
        self.log(f"local completetext: time to first token {first_local * 1e3:.2f} ms, "
                 f"{TOKENS / local:.1f} tokens/s")

        whole = self.add_node()
        whole.start(args + ["-serve"])
        connect_nodes(client, whole)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 1)
        one = self.measure(client, "1 holder")
        whole.stop()
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 0)

        chain = []
        for begin, end in THREE_HOPS[model]:
            node = self.add_node()
            node.start(args + [f"-serve={begin}:{end}"])
            connect_nodes(client, node)
            if chain:
                connect_nodes(chain[-1], node)  # the onion route's hop-to-hop links
            chain.append(node)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 3)
        wait_until(lambda: len(chain[0].rpc("getinferenceinfo")["holders"]) == 1 and
                   len(chain[1].rpc("getinferenceinfo")["holders"]) == 2)
        three = self.measure(client, "3 holders")
        onion = self.measure(client, "3 holders, onion", onion=True)
        self.log(f"ratios to local completetext: 1 holder {one * local / TOKENS:.2f}x, "
                 f"3 holders {three * local / TOKENS:.2f}x, "
                 f"3 holders onion {onion * local / TOKENS:.2f}x; onion / direct "
                 f"{onion / three:.2f}x")

        bench = os.path.join(self.bindir, "bench_compute")
        if os.access(bench, os.X_OK):
            preset = PRESET[model]
            out = subprocess.run([bench, f"--benchmark_filter=BM_ServeDecode/preset:{preset}/",
                                  "--benchmark_format=json"], capture_output=True, text=True,
                                 env=dict(os.environ, OMP_WAIT_POLICY="passive"))
            report = json.loads(out.stdout[out.stdout.index("{"):])  # after the BLAS line
            for b in report["benchmarks"]:
                self.log(f"in process {b['name']}: {b['cached_tok/s']:.1f} tokens/s cached, "
                         f"{b['monolithic_tok/s']:.1f} monolithic, first token "
                         f"{b['first_token_ms']:.2f} ms")


if __name__ == "__main__":
    BenchInference().main()
