#!/usr/bin/env python3
"""Labels and received amounts as a script written for Bitcoin Core uses them,
through computecoin-cli with -rpcwallet (the program names changed, nothing
else): setlabel, getaddressesbylabel, listlabels, getreceivedbyaddress,
getreceivedbylabel, listreceivedbyaddress and listreceivedbylabel, with
Bitcoin Core's fields,
confirmations rules and error codes."""

import json

from test_framework import ComputecoinTestFramework, assert_equal

COIN = 100_000_000
MATURITY = 100


def units(value):
    """Coins (a JSON number) → integer units."""
    return int(round(value * COIN))


class WalletLabelsTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start(["-workers=2"])

        def cli(wallet, *args):
            text = node.cli_ok(f"-rpcwallet={wallet}", *args)
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return text  # a bare string result (an address, a txid)

        def cli_error(wallet, *args):
            result = node.cli(f"-rpcwallet={wallet}", *args)
            assert result.returncode != 0, f"{args} succeeded: {result.stdout}"
            return result.stderr.strip()

        self.log("a miner whose rewards mature, and alice with two labelled addresses")
        node.rpc("createwallet", "miner")
        node.rpc("generate", MATURITY + 1)
        node.rpc("createwallet", "alice")
        tabby = cli("alice", "getnewaddress", "tabby")
        savings = cli("alice", "getnewaddress")
        assert_equal(cli("alice", "setlabel", savings, "savings"), "")  # null prints nothing
        unused = cli("alice", "getnewaddress")
        payer = cli("miner", "getnewaddress")

        txid1 = cli("miner", "sendtoaddress", tabby, "1.5")
        txid2 = cli("miner", "sendtoaddress", savings, "0.25")
        self.log("unconfirmed: counted only with minconf 0")
        assert_equal(units(cli("alice", "getreceivedbyaddress", tabby)), 0)
        assert_equal(units(cli("alice", "getreceivedbyaddress", tabby, "0")), 150_000_000)
        assert_equal(cli("alice", "listreceivedbyaddress"), [])

        node.rpc("generate", 1)
        assert_equal(units(cli("alice", "getreceivedbyaddress", tabby)), 150_000_000)
        assert_equal(units(cli("alice", "getreceivedbylabel", "tabby")), 150_000_000)
        assert_equal(units(cli("alice", "getreceivedbylabel", "savings")), 25_000_000)
        assert_equal(units(cli("alice", "getreceivedbylabel", "nobody")), 0)
        assert_equal(units(cli("alice", "getreceivedbyaddress", tabby, "2")), 0)

        received = cli("alice", "listreceivedbyaddress")
        by_address = {r["address"]: r for r in received}
        assert_equal(sorted(by_address), sorted([tabby, savings]))
        assert_equal(by_address[tabby], {"address": tabby, "amount": 1.5, "confirmations": 1,
                                         "label": "tabby", "txids": [txid1]})
        assert_equal(by_address[savings]["label"], "savings")
        assert_equal(by_address[savings]["txids"], [txid2])
        with_empty = cli("alice", "listreceivedbyaddress", "1", "true")
        empty = [r for r in with_empty if r["address"] == unused]
        assert_equal(empty, [{"address": unused, "amount": 0.0, "confirmations": 0,
                              "label": "", "txids": []}])
        assert_equal(cli("alice", "listreceivedbyaddress", "1", "false", "false", savings),
                     [by_address[savings]])
        assert_equal(cli("alice", "listreceivedbylabel"),
                     [{"amount": 0.25, "confirmations": 1, "label": "savings"},
                      {"amount": 1.5, "confirmations": 1, "label": "tabby"}])
        assert_equal(cli("alice", "listreceivedbylabel", "1", "true")[0],
                     {"amount": 0.0, "confirmations": 0, "label": ""})
        self.log("the payer's change is not in its address book, so not listed")
        miner_listed = {r["address"] for r in cli("miner", "listreceivedbyaddress")}
        change = [c["address"] for c in node.wallet_rpc("miner", "listunspent", 0)
                  if c["txid"] in (txid1, txid2)]
        assert change and not set(change) & miner_listed, (change, miner_listed)

        self.log("labels: by label, all of them, by purpose")
        assert_equal(cli("alice", "getaddressesbylabel", "tabby"), {tabby: {"purpose": "receive"}})
        assert_equal(cli("alice", "listlabels"), ["", "savings", "tabby"])
        cli("alice", "setlabel", payer, "miner's")  # an address of another wallet
        assert_equal(cli("alice", "listlabels", "send"), ["miner's"])
        assert_equal(cli("alice", "listlabels", "receive"), ["", "savings", "tabby"])
        assert_equal(cli("alice", "getaddressesbylabel", "miner's"), {payer: {"purpose": "send"}})

        self.log("the miner's coinbase rewards: immature ones only when asked")
        mature = sum(units(r["amount"]) for r in cli("miner", "listreceivedbyaddress"))
        everything = sum(units(r["amount"])
                         for r in cli("miner", "listreceivedbyaddress", "1", "false", "false", "",
                                      "true"))
        balances = node.wallet_rpc("miner", "getbalances")["mine"]
        assert mature > 0, mature
        assert_equal(everything - mature, units(balances["immature"]))

        self.log("errors: Bitcoin Core's codes")
        assert "error code: -4" in cli_error("alice", "getreceivedbyaddress", payer)
        assert "Address not found in wallet" in cli_error("alice", "getreceivedbyaddress", payer)
        assert "error code: -5" in cli_error("alice", "getreceivedbyaddress", "rcc1qnotanaddress")
        assert "error code: -5" in cli_error("alice", "setlabel", "rcc1qnotanaddress", "x")
        message = cli_error("alice", "getaddressesbylabel", "nobody")
        assert "error code: -11" in message and "No addresses with label nobody" in message, message
        assert "error code: -11" in cli_error("alice", "setlabel", tabby, "*")
        assert "error code: -11" in cli_error("alice", "getnewaddress", "*")
        message = cli_error("alice", "listreceivedbyaddress", "1", "false", "false", "bad")
        assert "error code: -4" in message and "address_filter parameter was invalid" in message
        assert "error code: -8" in cli_error("alice", "listlabels", "spend")
        assert "error code: -8" in cli_error("alice", "getreceivedbyaddress", tabby, "-1")
        assert_equal(cli("alice", "getaddressesbylabel", "tabby"), {tabby: {"purpose": "receive"}})


if __name__ == "__main__":
    WalletLabelsTest().main()
