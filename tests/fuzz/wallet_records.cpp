// Fuzz target: the wallet database's record values (wallet/walletdb.h),
// which WalletDatabase::Load decodes from disk. The first byte picks the
// record (version, hdseed, mkey, account, hdindex, label, tx, bestblock,
// channel);
// the rest is its value. Beyond "no crash": a value that decodes is
// canonical (fuzz.h), and the checks Load applies after decoding (record
// versions, CheckKdfParams, the transaction state) run on it. What Load then
// does with a record runs too: an account's key derives its first receive
// key (secp256k1 parsing an arbitrary point), an encrypted seed is decrypted
// under a wrong key (the GCM tag must refuse it, never crash), and a
// transaction's txid is computed, and a channel's amounts are checked.

#include <array>
#include <cstdint>
#include <string>

#include "chain/channel.h"
#include "tests/fuzz/fuzz.h"
#include "wallet/crypter.h"
#include "wallet/hd.h"
#include "wallet/secure.h"
#include "wallet/wallet_tx.h"
#include "wallet/walletdb.h"

namespace {

namespace w = cc::wallet;

void Seed(cc::ByteSpan value) {
  w::SeedRecord rec;
  if (!cc::fuzz::DecodeCanonical(value, &rec) || rec.version != w::kSeedRecordVersion) return;
  if (!rec.encrypted) return;
  const std::array<uint8_t, 32> wrong_key{};
  w::SecureBytes plain;
  const cc::Status s = w::DecryptSecret(wrong_key, rec.secret, cc::ByteSpan(), &plain);
  CC_FUZZ_CHECK(!s.ok() && plain.empty());
}

void MasterKey(cc::ByteSpan value) {
  w::MasterKeyRecord rec;
  if (!cc::fuzz::DecodeCanonical(value, &rec)) return;
  (void)w::CheckKdfParams(rec.kdf);  // DecryptMasterKey would run scrypt: too slow to fuzz
}

void Account(cc::ByteSpan value) {
  w::AccountRecord rec;
  if (!cc::fuzz::DecodeCanonical(value, &rec)) return;
  w::ExtPubKey chain;
  w::ExtPubKey first;
  if (rec.xpub.Derive(w::kReceiveChain, &chain) && chain.Derive(0, &first)) {
    CC_FUZZ_CHECK(first.depth == static_cast<uint8_t>(rec.xpub.depth + 2));
    CC_FUZZ_CHECK(first.parent_fingerprint == chain.GetFingerprint());
  }
}

void Tx(cc::ByteSpan value) {
  w::WalletTx wtx;
  if (!cc::fuzz::DecodeCanonical(value, &wtx)) return;
  if (wtx.state > w::kMaxTxState) return;  // Load: "bad state"
  (void)wtx.tx.Txid();
  (void)wtx.IsActive();
}

void Channel(cc::ByteSpan value) {
  w::ChannelRecord rec;
  if (!cc::fuzz::DecodeCanonical(value, &rec) || rec.version != w::kChannelRecordVersion) return;
  cc::ValidationState state;
  if (cc::CheckChannel(rec.channel, &state)) (void)rec.channel.FundingOutput();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const cc::ByteSpan value(data + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
    case 4: {  // version and hdindex values are both u32
      uint32_t n = 0;
      cc::fuzz::DecodeCanonical(value, &n);
      break;
    }
    case 1:
      Seed(value);
      break;
    case 2:
      MasterKey(value);
      break;
    case 3:
      Account(value);
      break;
    case 5: {
      std::string label;
      cc::fuzz::DecodeCanonical(value, &label);
      break;
    }
    case 6:
      Tx(value);
      break;
    case 7: {
      w::BestBlockRecord rec;
      cc::fuzz::DecodeCanonical(value, &rec);
      break;
    }
    case 8:
      Channel(value);
      break;
  }
  return 0;
}
