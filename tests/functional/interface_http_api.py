#!/usr/bin/env python3
"""The inference API (issue 10 §6) on a real node, spoken to with plain HTTP:

- a client node with -apiport routes through a holder (-serve) found over
  P2P; POST /v1/completions answers exactly what `infer` answers, whole and
  as server-sent events, with the usual fields, and the key is charged what
  the completion cost, which the client's wallet paid the holder over a
  payment channel (the holder mines: the client is paid coins first);
- a missing or wrong key gets 401 and nothing runs; a request whose most
  possible cost is over the key's cap gets 429 before any step is sent; the
  JSON-RPC methods are not reachable through this port;
- a streamed completion whose reader leaves stops at the next token;
- API keys are kept as digests, survive a restart, and can be revoked.
"""

import http.client
import json
import signal
import urllib.error
import urllib.request

from test_framework import (ComputecoinTestFramework, assert_equal, assert_in,
                            assert_raises_rpc_error, connect_nodes, free_port, sync_blocks,
                            wait_until)

PRICE = "0.0001"  # coins per token
PROMPT = "123+456="


class HttpApiTest(ComputecoinTestFramework):
    def call(self, method, path, body=None, key=None, raw=False):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode())
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                data = reply.read().decode()
                return reply.status, (data if raw else json.loads(data))
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode())

    def run_test(self):
        holder, client = self.add_node(), self.add_node()
        holder.start()
        holder.rpc("createwallet", "holder")
        holder.stop()
        holder.start(["-serve", f"-serveprice={PRICE}", "-wallet=holder", "-workers=2"])
        self.port = free_port()
        client.start([f"-apiport={self.port}"])
        client.rpc("createwallet", "alice")
        connect_nodes(client, holder)

        def mine():
            holder.rpc("generate", 1)
            sync_blocks([holder, client])
            height = client.rpc("getblockcount")
            wait_until(lambda: client.rpc("getbalances")["lastprocessedblock"]["height"] == height,
                       30, "the client's wallet at the tip")
            root = client.rpc("getblockheader", client.rpc("getbestblockhash"))["state_root"]
            wait_until(lambda: [h["state_root"] for h in client.rpc("getinferenceinfo")["holders"]]
                       == [root], 30, "the holder serving the tip")

        for _ in range(5):
            holder.rpc("generate", 20)
        mine()
        holder.rpc("sendtoaddress", client.rpc("getnewaddress"), 1)
        mine()
        assert_raises_rpc_error(-1, "channel opening", client.rpc, "infer", PROMPT, 8, 1)
        [channel] = client.rpc("listchannels")
        wait_until(lambda: channel["funding"][:64] in holder.rpc("getrawmempool"), 30,
                   "the funding relayed")
        mine()
        wait_until(lambda: client.rpc("listchannels")[0]["state"] == "open", 30, "an open channel")
        key = client.rpc("createapikey", "alice", 1)["key"]
        assert key.startswith("ccapi-") and len(key) == 6 + 64

        self.log("a greedy completion equals infer's, with the usual fields, and is charged")
        want = client.rpc("infer", PROMPT, 8, 1)
        status, body = self.call("POST", "/v1/completions",
                                 {"model": "x", "prompt": PROMPT, "max_tokens": 8, "stop": "\n",
                                  "temperature": 0},
                                 key)
        assert_equal(status, 200)
        assert_equal(body["object"], "text_completion")
        assert_equal(body["choices"][0]["text"], want["completion"])
        assert_equal(body["choices"][0]["finish_reason"], "stop" if want["stopped"] else "length")
        assert_equal(body["usage"]["prompt_tokens"], len(PROMPT))
        assert_equal(body["usage"]["completion_tokens"], len(want["tokens"]))
        assert_equal(body["cost"], want["cost"])
        assert want["cost"] > 0
        assert_equal(client.rpc("listapikeys")[0]["spent"], want["cost"])
        assert_equal(client.rpc("listchannels")[0]["paid"], 2 * want["cost"])

        self.log("streamed as server-sent events: the same text, then [DONE]")
        status, text = self.call("POST", "/v1/completions",
                                 {"prompt": PROMPT, "max_tokens": 8, "stop": ["\n"],
                                  "temperature": 0, "stream": True}, key, raw=True)
        assert_equal(status, 200)
        events = [line[len("data: "):] for line in text.split("\n\n") if line]
        assert_equal(events[-1], "[DONE]")
        pieces = [json.loads(e)["choices"][0] for e in events[:-1]]
        assert_equal("".join(p["text"] for p in pieces), want["completion"])
        assert_equal(pieces[-1]["finish_reason"], body["choices"][0]["finish_reason"])

        self.log("a streaming reader that leaves stops the route at the next token")
        # The holder is stopped first, so the reader is gone before any token
        # is computed; before, the route ran on to max_tokens, charged.
        generated = client.rpc("getinferenceinfo")["tokens_generated"]
        holder.signal(signal.SIGSTOP)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request("POST", "/v1/completions",
                               body=json.dumps({"prompt": PROMPT, "max_tokens": 8, "stop": [],
                                                "temperature": 0, "stream": True}),
                               headers={"Authorization": f"Bearer {key}",
                                        "Content-Type": "application/json"})
            response = connection.getresponse()  # the stream's headers: it has started
            assert_equal(response.status, 200)
            response.close()  # the response's file holds the socket open too
            connection.close()
        finally:
            holder.signal(signal.SIGCONT)
        wait_until(lambda: "infer: the reader left after" in client.debug_log(), 60,
                   "the route to stop")
        wait_until(lambda: client.rpc("getinferenceinfo")["tokens_generated"] > generated, 30,
                   "the request to end")
        made = client.rpc("getinferenceinfo")["tokens_generated"] - generated
        assert 0 < made <= 2, made  # the first write after the close may still be taken

        self.log("GET /v1/models names the model")
        status, models = self.call("GET", "/v1/models", key=key)
        assert_equal((status, models["data"][0]["id"]), (200, "computecoin-tiny"))

        self.log("no key, a wrong key, the RPC through this port: refused before anything runs")
        served = holder.rpc("getinferenceinfo")["steps_served"]
        for bad in (None, "ccapi-" + "0" * 64, key + "0"):
            status, error = self.call("POST", "/v1/completions", {"prompt": PROMPT}, bad)
            assert_equal((status, error["error"]["code"]), (401, "invalid_api_key"))
        status, _ = self.call("POST", "/", {"method": "getbalance", "params": []}, key)
        assert_equal(status, 404)

        self.log("over the cap: 429 before any step is sent")
        tight = client.rpc("createapikey", "bob", 0.0001)["key"]
        status, error = self.call("POST", "/v1/completions", {"prompt": PROMPT, "max_tokens": 8},
                                  tight)
        assert_equal((status, error["error"]["code"]), (429, "insufficient_quota"))
        assert_in("spending cap of 0.00010000 reached", error["error"]["message"])
        assert_equal(holder.rpc("getinferenceinfo")["steps_served"], served)
        bob = [k for k in client.rpc("listapikeys") if k["label"] == "bob"][0]
        assert_equal((bob["spent"], bob["reserved"]), (0, 0))

        self.log("keys survive a restart as digests; a revoked key is refused")
        client.stop()
        with open(f"{client.network_dir}/apikeys.json") as f:
            assert key[6:] not in f.read()
        client.start([f"-apiport={self.port}"])
        assert_equal(len(client.rpc("listapikeys")), 2)
        client.rpc("revokeapikey", "alice")
        status, _ = self.call("GET", "/v1/models", key=key)
        assert_equal(status, 401)


if __name__ == "__main__":
    HttpApiTest().main()
