// Fuzz target: Transaction decoding (chain/transaction.h), channel spends
// included. Any input that
// decodes must be in canonical form, and the ids and sighashes of what it
// decodes to must be computable.

#include "chain/transaction.h"

#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cc::Transaction tx;
  if (!cc::fuzz::DecodeCanonical(cc::ByteSpan(data, size), &tx)) return 0;
  const cc::Uint256 txid = tx.Txid();
  // A signature (an input's or a channel holder's) never changes the txid;
  // it does change the wtxid.
  cc::Transaction unsigned_tx = tx;
  for (cc::TxIn& in : unsigned_tx.inputs) in.signature = {};
  for (cc::ChannelSpend& spend : unsigned_tx.channel_spends) spend.holder_signature = {};
  CC_FUZZ_CHECK(unsigned_tx.Txid() == txid);
  CC_FUZZ_CHECK((unsigned_tx.Wtxid() == tx.Wtxid()) == (unsigned_tx == tx));
  for (uint32_t i = 0; i < tx.inputs.size() && !tx.outputs.empty(); ++i) {
    CC_FUZZ_CHECK(tx.Sighash(i, tx.outputs[0]) == cc::SighashFromTxid(txid, i, tx.outputs[0]));
  }
  return 0;
}
