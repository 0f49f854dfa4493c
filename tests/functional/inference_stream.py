#!/usr/bin/env python3
"""computecoin-cli infer streams its completion (doc/rpc.md, Streamed calls).

A client and one holder of every section. `computecoin-cli -stream infer`
prints the completion while it is generated: the test reads the first bytes,
then stops the holder (SIGSTOP), so that no more tokens can come, and sees
the cli still running with only part of the completion printed; once the
holder resumes, the rest arrives and the whole output is exactly the
tokens `infer` returns as JSON (the default when stdout is not a
terminal), byte for byte, then a newline. A JSON-RPC request with
"Accept: text/event-stream" gets the same text as server-sent events before
its usual reply; another method asked so, and an infer that fails before its
first token, get their usual replies; a streamed infer that fails prints the
error as any call does. A reader that closes the stream mid-way stops the
generation at the next token instead of leaving it to run to maxtokens."""

import base64
import http.client
import json
import os
import select
import signal
import subprocess
import time

from test_framework import (ComputecoinTestFramework, assert_equal, assert_in, connect_nodes,
                            wait_until)

PROMPT = "12+34="
TOKENS = 1024  # long enough that stopping the holder catches it mid-way
OPTIONS = json.dumps({"stop": []})


def post_for_events(node, body):
    """POSTs a JSON-RPC body asking for an event stream: (status, content type, text)."""
    user, password = node.credentials()
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", node.rpc_port, timeout=120)
    try:
        connection.request("POST", "/", body=body,
                           headers={"Authorization": f"Basic {token}",
                                    "Content-Type": "application/json",
                                    "Accept": "text/event-stream"})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


class InferenceStreamTest(ComputecoinTestFramework):
    def cli_process(self, node, *args):
        return subprocess.Popen(
            [os.path.join(node.bindir, "computecoin-cli")] + node.base_args() + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def run_test(self):
        client = self.add_node()
        client.start()

        self.log("a streamed infer that fails first prints the error as any call")
        result = client.cli("-stream", "infer", PROMPT, "4")
        assert_equal(result.returncode, 1)
        assert_equal(result.stdout, "")
        assert_in("no route", result.stderr)

        holder = self.add_node()
        holder.start(["-serve"])
        connect_nodes(client, holder)
        wait_until(lambda: len(client.rpc("getinferenceinfo")["holders"]) == 1, 30, "the holder")

        self.log("piped, infer prints its JSON reply")
        reply = json.loads(client.cli_ok("infer", PROMPT, str(TOKENS), "0", OPTIONS))
        # The model's bytes need not be UTF-8: the JSON text replaces what is
        # not, the tokens (and what -stream prints) are the bytes themselves.
        generated = bytes(reply["tokens"])
        assert_equal(len(generated), TOKENS)

        self.log("-stream prints tokens as they come: the first before the last")
        cli = self.cli_process(client, "-stream", "infer", PROMPT, str(TOKENS), "0", OPTIONS)
        first = os.read(cli.stdout.fileno(), 65536)
        assert len(first) > 0
        holder.signal(signal.SIGSTOP)
        try:
            # What was already on its way still comes; then nothing.
            out = first
            deadline = time.time() + 2
            while time.time() < deadline:
                ready, _, _ = select.select([cli.stdout], [], [], 0.2)
                if ready:
                    chunk = os.read(cli.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    out += chunk
            assert cli.poll() is None, "the cli ended while the holder was stopped"
            assert len(out) < len(generated), (len(out), len(generated))
            assert_equal(out, generated[:len(out)])
            self.log(f"{len(out)} of {len(generated)} bytes printed while the holder was stopped")
        finally:
            holder.signal(signal.SIGCONT)
        rest, err = cli.communicate(timeout=120)
        assert_equal(cli.returncode, 0)
        assert_equal(err, b"")
        assert_equal(out + rest, generated + b"\n")

        self.log("the JSON-RPC server streams as server-sent events when asked")
        body = json.dumps({"jsonrpc": "1.0", "id": 7, "method": "infer",
                           "params": [PROMPT, 40, 0, {"stop": []}]})
        status, content_type, text = post_for_events(client, body)
        assert_equal(status, 200)
        assert_in("text/event-stream", content_type)
        events = [e for e in text.split("\n\n") if e]
        assert events[-1].startswith("event: result\ndata: "), events[-1]
        final = json.loads(events[-1].split("data: ", 1)[1])
        assert_equal(final["id"], 7)
        assert_equal(final["error"], None)
        pieces = [json.loads(e[len("data: "):]) for e in events[:-1]]
        assert len(pieces) > 1, pieces
        assert_equal(sum((p["tokens"] for p in pieces), []), final["result"]["tokens"])
        assert_equal(bytes(final["result"]["tokens"]), generated[:40])

        self.log("a reader that leaves mid-stream stops the generation")
        # Before, the route ran on to maxtokens for nobody, paid as served.
        before = client.rpc("getinferenceinfo")["tokens_generated"]
        user, password = client.credentials()
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        connection = http.client.HTTPConnection("127.0.0.1", client.rpc_port, timeout=120)
        body = json.dumps({"jsonrpc": "1.0", "id": 8, "method": "infer",
                           "params": [PROMPT, TOKENS, 0, {"stop": []}]})
        connection.request("POST", "/", body=body,
                           headers={"Authorization": f"Basic {token}",
                                    "Content-Type": "application/json",
                                    "Accept": "text/event-stream"})
        response = connection.getresponse()
        assert_in("text/event-stream", response.getheader("Content-Type", ""))
        assert response.read1(65536), "no first event"
        holder.signal(signal.SIGSTOP)  # no token comes while the reader leaves
        response.close()  # the response's file holds the socket open too
        connection.close()
        holder.signal(signal.SIGCONT)
        wait_until(lambda: "infer: the reader left after" in client.debug_log(), 60,
                   "the generation to stop")
        wait_until(lambda: client.rpc("getinferenceinfo")["tokens_generated"] > before, 30,
                   "the call to end")
        made = client.rpc("getinferenceinfo")["tokens_generated"] - before
        assert 0 < made < TOKENS, made
        self.log(f"{made} of {TOKENS} tokens made before the reader was found gone")

        self.log("other methods, and a call refused before its first token, are not streamed")
        for params, method in (([], "getblockcount"), ([PROMPT, 0], "infer")):
            body = json.dumps({"jsonrpc": "1.0", "id": 1, "method": method, "params": params})
            status, content_type, text = post_for_events(client, body)
            assert_in("application/json", content_type)
            json.loads(text)


if __name__ == "__main__":
    InferenceStreamTest().main()
