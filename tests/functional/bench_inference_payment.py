#!/usr/bin/env python3
"""The cost of paying per step, for doc/benchmarks.md (not run by CTest):
greedy decoding of the regtest model through one holder of every section,
free and then charging (each step then carries a signed channel update the
holder checks and keeps, and a signed receipt comes back), from the same
client in the same run. Each figure is the median of --calls calls.
Usage: bench_inference_payment.py --bindir=build/bin [--calls=N]"""

import statistics
import sys
import time

from test_framework import ComputecoinTestFramework, connect_nodes, sync_blocks, wait_until

CALLS = 20
for arg in list(sys.argv):
    if arg.startswith("--calls="):
        CALLS = int(arg.split("=", 1)[1])
        sys.argv.remove(arg)

TOKENS = 15  # a 1-byte prompt and 15 tokens fill tiny's 16-position context


def median_seconds(fn):
    times = []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class BenchInferencePayment(ComputecoinTestFramework):
    def run_test(self):
        client, holder = self.add_node(), self.add_node()
        client.start()
        client.rpc("createwallet", "alice")
        holder.start()
        holder.rpc("createwallet", "holder")
        holder.stop()

        def serve(*extra):
            holder.start(["-serve", "-wallet=holder", "-workers=2", *extra])
            connect_nodes(client, holder)
            wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 1)

        def mine():
            holder.rpc("generate", 1)
            sync_blocks([client, holder])
            height = client.rpc("getblockcount")
            wait_until(lambda: client.rpc("getbalances")["lastprocessedblock"]["height"] == height)
            root = client.rpc("getblockheader", client.rpc("getbestblockhash"))["state_root"]
            wait_until(lambda: [h["state_root"] for h in client.rpc("getinferenceinfo")["holders"]]
                       == [root])

        serve()
        for _ in range(5):
            holder.rpc("generate", 20)
        mine()
        holder.rpc("sendtoaddress", client.rpc("getnewaddress"), 20)
        mine()
        options = {"stop": []}

        def measure(label):
            total = median_seconds(lambda: client.rpc("infer", "1", TOKENS, 1, options))
            self.log(f"{label}: {TOKENS / total:.0f} tokens/s ({total * 1e3:.2f} ms for "
                     f"{TOKENS} tokens, {total * 1e3 / TOKENS:.3f} ms per step)")
            return total

        free = measure("1 holder, free")
        holder.stop()
        serve("-serveprice=0.00000001")
        try:
            client.rpc("infer", "1", TOKENS, 1, options)
        except Exception as e:  # the channel opens
            self.log(f"first paid call: {e}")
        wait_until(lambda: len(holder.rpc("getrawmempool")) == 1)
        mine()
        paid = measure("1 holder, paid per step")
        self.log(f"payment per step: {(paid - free) * 1e3 / TOKENS:.3f} ms "
                 f"({paid / free:.2f}x the free request)")


if __name__ == "__main__":
    BenchInferencePayment().main()
