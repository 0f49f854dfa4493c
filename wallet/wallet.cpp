#include "wallet/wallet.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>

#include "chain/hash.h"
#include "chain/hex.h"
#include "chain/tx_check.h"
#include "chain/tx_sign.h"
#include "chain/validation.h"
#include "wallet/bech32.h"

namespace cc::wallet {
namespace {

/// Associated data binding the encrypted seed to its record.
constexpr std::string_view kSeedAad = "Computecoin/HdSeed";
/// How many unconfirmed ancestors IsTrusted follows before giving up.
constexpr int kMaxTrustDepth = 100;

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

Status InvalidAddress(const Status& why) {
  return Status::InvalidArgument(std::string(kInvalidAddressError) + ": " + why.message());
}

}  // namespace

// ---------------------------------------------------------------------------
// Creation and loading

Wallet::Wallet(const WalletOptions& options) : options_(options) {
  options_.seed.reset();
  options_.passphrase.clear();
}

Wallet::~Wallet() = default;

Status Wallet::Create(const std::string& path, const WalletOptions& options,
                      std::unique_ptr<Wallet>* out) {
  if (options.hrp.empty()) return Status::InvalidArgument("wallet needs the network's hrp");
  SecureBytes seed;
  if (options.seed) {
    seed = *options.seed;
    if (seed.size() < kMinSeedSize || seed.size() > kMaxSeedSize) {
      return Status::InvalidArgument("seed must be 16 to 64 bytes");
    }
  } else {
    seed.resize(kSeedSize);
    GetStrongRandBytes(seed);
  }
  ExtKey master, account;
  if (!ExtKey::FromSeed(seed, &master) ||
      !master.DerivePath(AccountPath(options.coin_type, 0), &account)) {
    return Status::InvalidArgument("seed gives an invalid key; use another seed");
  }
  std::unique_ptr<WalletDatabase> db;
  Status s = WalletDatabase::Open(path, /*create=*/true, &db);
  if (!s.ok()) return s;

  WalletRecords records;
  records.version = kWalletDbVersion;
  records.seed = SeedRecord{};
  records.seed->plain.assign(seed.begin(), seed.end());
  records.account = AccountRecord{};
  records.account->master_fingerprint = master.Neuter().GetFingerprint();
  records.account->coin_type = options.coin_type;
  records.account->xpub = account.Neuter();
  records.chain_next = {{kReceiveChain, 0}, {kChangeChain, 0}};
  {
    WalletBatch batch(db.get());
    batch.WriteVersion(records.version);
    batch.WriteSeed(*records.seed);
    batch.WriteAccount(*records.account);
    for (const auto& [chain, next] : records.chain_next) batch.WriteChainIndex(chain, next);
    s = batch.Commit();
  }
  Wipe(records.seed->plain.data(), records.seed->plain.size());
  if (!s.ok()) return s;

  std::unique_ptr<Wallet> wallet(new Wallet(options));
  {
    std::lock_guard<std::mutex> lock(wallet->mu_);
    wallet->db_ = std::move(db);
    s = wallet->InitFromRecords(std::move(records));
    if (!s.ok()) return s;
    wallet->seed_ = std::move(seed);
    wallet->account_key_ = account;
  }
  if (!options.passphrase.empty()) {
    s = wallet->EncryptWallet(options.passphrase);
    if (!s.ok()) return s;
  }
  *out = std::move(wallet);
  return Status::OK();
}

Status Wallet::Load(const std::string& path, const WalletOptions& options,
                    std::unique_ptr<Wallet>* out) {
  if (options.hrp.empty()) return Status::InvalidArgument("wallet needs the network's hrp");
  std::unique_ptr<WalletDatabase> db;
  Status s = WalletDatabase::Open(path, /*create=*/false, &db);
  if (!s.ok()) return s;
  WalletRecords records;
  std::string error;
  switch (db->Load(&records, &error)) {
    case DBErrors::kLoadOk:
    case DBErrors::kNoncriticalError:
      break;
    case DBErrors::kTooNew:
      return Status::NotSupported(error);
    case DBErrors::kLoadFail:
    case DBErrors::kCorrupt:
      return Status::Corruption(error);
  }
  std::unique_ptr<Wallet> wallet(new Wallet(options));
  std::lock_guard<std::mutex> lock(wallet->mu_);
  wallet->db_ = std::move(db);
  std::optional<SecureBytes> plain_seed;
  if (!records.seed->encrypted) {
    plain_seed.emplace(records.seed->plain.begin(), records.seed->plain.end());
    Wipe(records.seed->plain.data(), records.seed->plain.size());
  }
  s = wallet->InitFromRecords(std::move(records));
  if (!s.ok()) return s;
  if (plain_seed) {
    ExtKey master, account;
    if (!ExtKey::FromSeed(*plain_seed, &master) ||
        !master.DerivePath(AccountPath(wallet->account_.coin_type, wallet->account_.account),
                           &account) ||
        !(account.Neuter() == wallet->account_.xpub)) {
      return Status::Corruption("wallet seed does not match its account key");
    }
    wallet->seed_ = std::move(plain_seed);
    wallet->account_key_ = account;
  }
  out->reset(wallet.release());
  return Status::OK();
}

Status Wallet::InitFromRecords(WalletRecords&& records) {
  account_ = *records.account;
  seed_record_ = records.seed;
  if (seed_record_) seed_record_->plain.clear();
  master_key_record_ = records.master_key;
  labels_ = std::move(records.labels);
  txs_ = std::move(records.txs);
  best_block_ = records.best_block.value_or(BestBlockRecord{});
  channels_ = std::move(records.channels);
  for (uint32_t chain : {kReceiveChain, kChangeChain}) {
    ExtPubKey xpub;
    if (!account_.xpub.Derive(chain, &xpub)) {
      return Status::Corruption("account key cannot derive chain " + std::to_string(chain));
    }
    chain_xpub_[chain] = xpub;
    next_index_[chain] = records.chain_next.count(static_cast<uint8_t>(chain))
                             ? records.chain_next[static_cast<uint8_t>(chain)]
                             : 0;
    ExtendKeypool(chain);
  }
  spends_.clear();
  for (const auto& [txid, wtx] : txs_) AddSpends(txid, wtx.tx);
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Keys and addresses

void Wallet::ExtendKeypool(uint32_t chain) {
  std::vector<ExtPubKey>& keys = derived_[chain];
  const uint64_t want = uint64_t{next_index_[chain]} + options_.lookahead;
  while (keys.size() < want && keys.size() < kHardened) {
    const uint32_t index = static_cast<uint32_t>(keys.size());
    ExtPubKey key;
    if (!chain_xpub_[chain].Derive(index, &key)) {
      // BIP32 says skip the index; the odds are below 2^-127, so we stop
      // rather than carry index gaps through every table.
      std::fprintf(stderr, "fatal: BIP32 index %u of chain %u is invalid\n", index, chain);
      std::abort();
    }
    const XOnlyPubKeyBytes xonly = key.XOnly();
    by_key_hash_[KeyHash(xonly)] = KeyOrigin{chain, index};
    by_pubkey_[xonly] = KeyOrigin{chain, index};
    keys.push_back(key);
  }
}

void Wallet::MarkUsed(const KeyOrigin& origin, WalletBatch* batch) {
  if (origin.chain == kHotKeyChain) return;
  if (origin.index < next_index_[origin.chain]) return;
  next_index_[origin.chain] = origin.index + 1;
  batch->WriteChainIndex(static_cast<uint8_t>(origin.chain), origin.index + 1);
  ExtendKeypool(origin.chain);
}

std::optional<KeyOrigin> Wallet::OriginOf(const TxOut& out) const {
  switch (out.kind) {
    case OutputKind::kPayToKeyHash: {
      auto it = by_key_hash_.find(out.lock);
      if (it != by_key_hash_.end()) return it->second;
      return std::nullopt;
    }
    case OutputKind::kWorkerBond:
    case OutputKind::kUnbonding: {
      // Ours when we own it, whoever's worker key it bonds.
      auto it = by_key_hash_.find(out.owner);
      if (it != by_key_hash_.end()) return it->second;
      return std::nullopt;
    }
    case OutputKind::kChannel:  // the wallet's channels (channels_) track these
    case OutputKind::kCommitment:
    case OutputKind::kWorkerPayout:  // a commitment, never a coin
      return std::nullopt;
  }
  return std::nullopt;
}

bool Wallet::IsMine(const TxOut& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  return OriginOf(out).has_value();
}

XOnlyPubKeyBytes Wallet::PubKeyOf(const KeyOrigin& origin) const {
  if (origin.chain == kHotKeyChain) return hot_keys_.at(origin.index).PublicKey();
  return derived_.at(origin.chain)[origin.index].XOnly();
}

std::string Wallet::AddressFor(const KeyOrigin& origin) const {
  return EncodeAddress(options_.hrp, KeyHash(PubKeyOf(origin)));
}

bool Wallet::AddHotKey(const PrivateKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  const XOnlyPubKeyBytes pubkey = key.PublicKey();
  if (by_pubkey_.count(pubkey) != 0) return false;
  const KeyOrigin origin{kHotKeyChain, static_cast<uint32_t>(hot_keys_.size())};
  hot_keys_.push_back(key);
  by_key_hash_[KeyHash(pubkey)] = origin;
  by_pubkey_[pubkey] = origin;
  return true;
}

std::vector<XOnlyPubKeyBytes> Wallet::GetHotKeys() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<XOnlyPubKeyBytes> out;
  for (const PrivateKey& key : hot_keys_) out.push_back(key.PublicKey());
  return out;
}

Status Wallet::HandOut(uint32_t chain, std::string* address) {
  const KeyOrigin origin{chain, next_index_[chain]};
  WalletBatch batch(db_.get());
  MarkUsed(origin, &batch);
  Status s = batch.Commit();
  if (!s.ok()) return s;
  *address = AddressFor(origin);
  return Status::OK();
}

Status Wallet::GetNewAddress(const std::string& label, std::string* address) {
  if (label.size() > kMaxLabelSize) return Status::InvalidArgument("label too long");
  std::lock_guard<std::mutex> lock(mu_);
  const KeyOrigin origin{kReceiveChain, next_index_[kReceiveChain]};
  const std::string addr = AddressFor(origin);
  WalletBatch batch(db_.get());
  MarkUsed(origin, &batch);
  batch.WriteLabel(addr, label);
  Status s = batch.Commit();
  if (!s.ok()) return s;
  labels_[addr] = label;
  *address = addr;
  return Status::OK();
}

Status Wallet::GetRawChangeAddress(std::string* address) {
  std::lock_guard<std::mutex> lock(mu_);
  return HandOut(kChangeChain, address);
}

Status Wallet::SetLabel(const std::string& address, const std::string& label) {
  if (label.size() > kMaxLabelSize) return Status::InvalidArgument("label too long");
  Uint256 key_hash;
  Status s = DecodeAddress(options_.hrp, address, &key_hash);
  if (!s.ok()) return InvalidAddress(s);
  std::lock_guard<std::mutex> lock(mu_);
  WalletBatch batch(db_.get());
  batch.WriteLabel(address, label);
  s = batch.Commit();
  if (s.ok()) labels_[address] = label;
  return s;
}

Status Wallet::GetAddressInfo(const std::string& address, AddressInfo* info) const {
  Uint256 key_hash;
  Status s = DecodeAddress(options_.hrp, address, &key_hash);
  if (!s.ok()) return InvalidAddress(s);
  std::lock_guard<std::mutex> lock(mu_);
  AddressInfo result;
  result.address = address;
  auto label = labels_.find(address);
  if (label != labels_.end()) result.label = label->second;
  auto it = by_key_hash_.find(key_hash);
  if (it != by_key_hash_.end()) {
    const KeyOrigin& o = it->second;
    result.is_mine = true;
    result.is_change = o.chain == kChangeChain;
    result.pubkey = PubKeyOf(o);
    if (o.chain != kHotKeyChain) {
      result.hd_path = "m/" + std::to_string(kPurpose) + "'/" + std::to_string(account_.coin_type) +
                     "'/" + std::to_string(account_.account) + "'/" + std::to_string(o.chain) +
                     "/" + std::to_string(o.index);
      result.master_fingerprint = HexStr(account_.master_fingerprint);
    }
  }
  *info = std::move(result);
  return Status::OK();
}

std::map<std::string, std::string> Wallet::GetLabels() const {
  std::lock_guard<std::mutex> lock(mu_);
  return labels_;
}

Status Wallet::GetPubKey(const std::string& address, XOnlyPubKeyBytes* pubkey) const {
  AddressInfo info;
  Status s = GetAddressInfo(address, &info);
  if (!s.ok()) return s;
  if (!info.is_mine) return Status::NotFound("address is not in this wallet");
  *pubkey = info.pubkey;
  return Status::OK();
}

Status Wallet::DeriveKey(const KeyOrigin& origin, std::optional<PrivateKey>* key) const {
  if (!account_key_) return Status::NotSupported(kUnlockNeededError);
  if (origin.chain == kHotKeyChain) {
    key->emplace(hot_keys_.at(origin.index));
    return Status::OK();
  }
  ExtKey chain_key, child;
  if (!account_key_->Derive(origin.chain, &chain_key) || !chain_key.Derive(origin.index, &child)) {
    return Status::Corruption("key derivation failed");
  }
  key->emplace(child.Key());
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Transactions and the chain

const TxOut* Wallet::FindOutput(const OutPoint& outpoint) const {
  auto it = txs_.find(outpoint.txid);
  if (it == txs_.end() || outpoint.index >= it->second.tx.outputs.size()) return nullptr;
  return &it->second.tx.outputs[outpoint.index];
}

bool Wallet::IsRelevant(const Transaction& tx) const {
  for (const TxOut& out : tx.outputs) {
    if (OriginOf(out)) return true;
  }
  for (const TxIn& in : tx.inputs) {
    if (channels_.count(in.prevout) != 0) return true;  // closes one of our channels
    const TxOut* spent = FindOutput(in.prevout);
    if (spent != nullptr && OriginOf(*spent)) return true;
  }
  return false;
}

void Wallet::AddSpends(const Uint256& txid, const Transaction& tx) {
  for (const TxIn& in : tx.inputs) spends_[in.prevout].insert(txid);
}

bool Wallet::IsSpent(const OutPoint& outpoint, const std::optional<Uint256>& ignore) const {
  auto it = spends_.find(outpoint);
  if (it == spends_.end()) return false;
  for (const Uint256& txid : it->second) {
    if (txid == ignore) continue;
    auto tx = txs_.find(txid);
    if (tx != txs_.end() && tx->second.IsActive()) return true;
  }
  return false;
}

int Wallet::Depth(const WalletTx& wtx) const {
  switch (wtx.GetState()) {
    case TxState::kConfirmed:
      return best_block_.height >= wtx.block_height
                 ? static_cast<int>(best_block_.height - wtx.block_height + 1)
                 : 1;
    case TxState::kConflicted:
      return -1;
    case TxState::kUnconfirmed:
    case TxState::kAbandoned:
      return 0;
  }
  return 0;
}

bool Wallet::IsMature(const WalletTx& wtx) const {
  if (!wtx.tx.IsCoinbase()) return true;
  if (!wtx.IsConfirmed()) return false;
  return uint64_t{best_block_.height} + 1 >=
         uint64_t{wtx.block_height} + options_.coinbase_maturity;
}

bool Wallet::IsSelectable(const WalletTx& wtx, const TxOut& out) const {
  if (out.kind == OutputKind::kPayToKeyHash) return true;
  return out.kind == OutputKind::kUnbonding && IsReleased(wtx);
}

bool Wallet::IsReleased(const WalletTx& wtx) const {
  return wtx.IsConfirmed() &&
         uint64_t{best_block_.height} + 1 >= uint64_t{wtx.block_height} + options_.unbonding_delay;
}

bool Wallet::IsTrusted(const WalletTx& wtx) const {
  // Unconfirmed: trusted if every input spends an output of ours from a
  // trusted transaction (our own change), following at most kMaxTrustDepth.
  const WalletTx* cur = &wtx;
  std::vector<const WalletTx*> todo{cur};
  int steps = 0;
  while (!todo.empty()) {
    cur = todo.back();
    todo.pop_back();
    if (cur->IsConfirmed()) continue;
    if (cur->GetState() != TxState::kUnconfirmed || cur->tx.IsCoinbase()) return false;
    if (++steps > kMaxTrustDepth) return false;
    for (const TxIn& in : cur->tx.inputs) {
      auto parent = txs_.find(in.prevout.txid);
      if (parent == txs_.end()) return false;
      const TxOut* spent = FindOutput(in.prevout);
      if (spent == nullptr || !OriginOf(*spent)) return false;
      todo.push_back(&parent->second);
    }
  }
  return true;
}

void Wallet::MarkConflicted(const Uint256& txid, const Uint256& block_hash, uint32_t height,
                            WalletBatch* batch) {
  std::vector<Uint256> todo{txid};
  while (!todo.empty()) {
    const Uint256 id = todo.back();
    todo.pop_back();
    auto it = txs_.find(id);
    if (it == txs_.end() || it->second.IsConfirmed() ||
        it->second.GetState() == TxState::kConflicted) {
      continue;
    }
    WalletTx& wtx = it->second;
    wtx.SetState(TxState::kConflicted);
    wtx.block_hash = block_hash;
    wtx.block_height = height;
    batch->WriteTx(wtx);
    for (uint32_t i = 0; i < wtx.tx.outputs.size(); ++i) {
      auto children = spends_.find(OutPoint{id, i});
      if (children == spends_.end()) continue;
      todo.insert(todo.end(), children->second.begin(), children->second.end());
    }
  }
}

void Wallet::ReviveFromConflict(const Uint256& block_hash, WalletBatch* batch) {
  for (auto& [txid, wtx] : txs_) {
    if (wtx.GetState() == TxState::kConflicted && wtx.block_hash == block_hash) {
      wtx.SetState(TxState::kUnconfirmed);
      wtx.block_hash = Uint256();
      wtx.block_height = 0;
      batch->WriteTx(wtx);
    }
  }
}

Status Wallet::BlockConnected(const Block& block, uint32_t height) {
  std::lock_guard<std::mutex> lock(mu_);
  const Uint256 hash = block.Hash();
  WalletBatch batch(db_.get());
  for (uint32_t pos = 0; pos < block.txs.size(); ++pos) {
    const Transaction& tx = block.txs[pos];
    const Uint256 txid = tx.Txid();
    for (const TxIn& in : tx.inputs) {
      auto it = spends_.find(in.prevout);
      if (it == spends_.end()) continue;
      const std::set<Uint256> others = it->second;
      for (const Uint256& other : others) {
        if (other != txid) MarkConflicted(other, hash, height, &batch);
      }
    }
    auto known = txs_.find(txid);
    if (known == txs_.end() && !IsRelevant(tx)) continue;
    if (known == txs_.end()) {
      WalletTx wtx;
      wtx.tx = tx;
      wtx.time_received = Now();
      known = txs_.emplace(txid, std::move(wtx)).first;
      AddSpends(txid, tx);
    }
    WalletTx& wtx = known->second;
    wtx.tx = tx;  // the block's signatures
    wtx.SetState(TxState::kConfirmed);
    wtx.block_hash = hash;
    wtx.block_height = height;
    wtx.block_index = pos;
    batch.WriteTx(wtx);
    for (const TxOut& out : tx.outputs) {
      if (auto origin = OriginOf(out)) MarkUsed(*origin, &batch);
    }
  }
  best_block_ = BestBlockRecord{1, hash, height};
  batch.WriteBestBlock(best_block_);
  return batch.Commit();
}

Status Wallet::BlockDisconnected(const Block& block, uint32_t height) {
  std::lock_guard<std::mutex> lock(mu_);
  const Uint256 hash = block.Hash();
  WalletBatch batch(db_.get());
  for (const Transaction& tx : block.txs) {
    auto it = txs_.find(tx.Txid());
    if (it == txs_.end() || !it->second.IsConfirmed() || it->second.block_hash != hash) continue;
    WalletTx& wtx = it->second;
    wtx.SetState(TxState::kUnconfirmed);
    wtx.block_hash = Uint256();
    wtx.block_height = 0;
    wtx.block_index = 0;
    batch.WriteTx(wtx);
  }
  ReviveFromConflict(hash, &batch);
  best_block_ = BestBlockRecord{1, block.header.prev, height > 0 ? height - 1 : 0};
  batch.WriteBestBlock(best_block_);
  return batch.Commit();
}

Status Wallet::AddToWallet(const Transaction& tx, bool* added) {
  if (added != nullptr) *added = false;
  if (tx.IsCoinbase()) return Status::InvalidArgument("a coinbase cannot be unconfirmed");
  std::lock_guard<std::mutex> lock(mu_);
  const Uint256 txid = tx.Txid();
  WalletBatch batch(db_.get());
  auto it = txs_.find(txid);
  if (it != txs_.end()) {
    // Seen again in the mempool: an abandoned transaction is live again.
    if (it->second.GetState() != TxState::kAbandoned) return Status::OK();
    it->second.SetState(TxState::kUnconfirmed);
    batch.WriteTx(it->second);
  } else {
    if (!IsRelevant(tx)) return Status::OK();
    WalletTx wtx;
    wtx.tx = tx;
    wtx.time_received = Now();
    batch.WriteTx(wtx);
    txs_.emplace(txid, std::move(wtx));
    AddSpends(txid, tx);
    for (const TxOut& out : tx.outputs) {
      if (auto origin = OriginOf(out)) MarkUsed(*origin, &batch);
    }
  }
  Status s = batch.Commit();
  if (s.ok() && added != nullptr) *added = true;
  return s;
}

Status Wallet::CommitTransaction(const Transaction& tx) {
  if (tx.IsCoinbase()) return Status::InvalidArgument("a coinbase cannot be committed");
  std::lock_guard<std::mutex> lock(mu_);
  WalletBatch batch(db_.get());
  RecordOwnTransaction(tx, &batch);
  return batch.Commit();
}

void Wallet::RecordOwnTransaction(const Transaction& tx, WalletBatch* batch) {
  const Uint256 txid = tx.Txid();
  auto it = txs_.find(txid);
  if (it == txs_.end()) {
    WalletTx wtx;
    wtx.tx = tx;
    wtx.time_received = Now();
    it = txs_.emplace(txid, std::move(wtx)).first;
    AddSpends(txid, tx);
  }
  it->second.from_me = true;
  if (it->second.GetState() == TxState::kAbandoned) it->second.SetState(TxState::kUnconfirmed);
  batch->WriteTx(it->second);
  for (const TxOut& out : tx.outputs) {
    if (auto origin = OriginOf(out)) MarkUsed(*origin, batch);
  }
}

Status Wallet::AbandonTransaction(const Uint256& txid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = txs_.find(txid);
  if (it == txs_.end()) return Status::NotFound("Invalid or non-wallet transaction id");
  if (it->second.GetState() != TxState::kUnconfirmed) {
    return Status::InvalidArgument("Transaction not eligible for abandonment");
  }
  WalletBatch batch(db_.get());
  std::vector<Uint256> todo{txid};
  while (!todo.empty()) {
    const Uint256 id = todo.back();
    todo.pop_back();
    auto t = txs_.find(id);
    if (t == txs_.end() || t->second.GetState() != TxState::kUnconfirmed) continue;
    t->second.SetState(TxState::kAbandoned);
    batch.WriteTx(t->second);
    for (uint32_t i = 0; i < t->second.tx.outputs.size(); ++i) {
      auto children = spends_.find(OutPoint{id, i});
      if (children != spends_.end()) {
        todo.insert(todo.end(), children->second.begin(), children->second.end());
      }
    }
  }
  return batch.Commit();
}

BestBlockRecord Wallet::GetBestBlock() const {
  std::lock_guard<std::mutex> lock(mu_);
  return best_block_;
}

// ---------------------------------------------------------------------------
// Coins and history

Balances Wallet::GetBalances() const {
  std::lock_guard<std::mutex> lock(mu_);
  Balances b;
  for (const auto& [txid, wtx] : txs_) {
    if (!wtx.IsActive()) continue;
    if (wtx.tx.IsCoinbase() && !wtx.IsConfirmed()) continue;  // off the active chain
    const bool trusted = IsTrusted(wtx);
    const bool mature = IsMature(wtx);
    for (uint32_t i = 0; i < wtx.tx.outputs.size(); ++i) {
      const TxOut& out = wtx.tx.outputs[i];
      if (!OriginOf(out) || IsSpent(OutPoint{txid, i})) continue;
      const bool released = out.kind == OutputKind::kUnbonding && IsReleased(wtx);
      if ((out.kind == OutputKind::kWorkerBond || out.kind == OutputKind::kUnbonding) &&
          !released) {
        if (trusted) b.bonded += out.value;
      } else if (!mature) {
        b.immature += out.value;
      } else if (trusted) {
        b.trusted += out.value;
      } else {
        b.untrusted_pending += out.value;
      }
    }
  }
  for (const auto& [funding, record] : channels_) {
    const ChannelState state = MakeChannelInfo(record).state;
    if (state != ChannelState::kOpening && state != ChannelState::kOpen) continue;
    b.in_channels += record.role == ChannelRole::kClient
                         ? record.channel.MaxPaid() - record.best.paid
                         : record.best.paid;
  }
  return b;
}

std::vector<WalletCoin> Wallet::ListUnspent(int min_conf, int max_conf) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WalletCoin> coins;
  for (const auto& [txid, wtx] : txs_) {
    if (!wtx.IsActive() || !IsMature(wtx)) continue;
    const int depth = Depth(wtx);
    if (depth < min_conf || depth > max_conf) continue;
    const bool trusted = IsTrusted(wtx);
    for (uint32_t i = 0; i < wtx.tx.outputs.size(); ++i) {
      const TxOut& out = wtx.tx.outputs[i];
      const OutPoint op{txid, i};
      if (!IsSelectable(wtx, out)) continue;
      auto origin = OriginOf(out);
      if (!origin || IsSpent(op) || locked_coins_.count(op) != 0) continue;
      WalletCoin coin;
      coin.outpoint = op;
      coin.out = out;
      coin.depth = depth;
      coin.address = AddressFor(*origin);
      auto label = labels_.find(coin.address);
      if (label != labels_.end()) coin.label = label->second;
      coin.coinbase = wtx.tx.IsCoinbase();
      coin.trusted = trusted;
      coins.push_back(std::move(coin));
    }
  }
  return coins;
}

std::vector<WalletCoin> Wallet::ListBonds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WalletCoin> bonds;
  for (const auto& [txid, wtx] : txs_) {
    if (!wtx.IsActive() || !IsTrusted(wtx)) continue;
    for (uint32_t i = 0; i < wtx.tx.outputs.size(); ++i) {
      const TxOut& out = wtx.tx.outputs[i];
      if (out.kind != OutputKind::kWorkerBond && out.kind != OutputKind::kUnbonding) continue;
      auto origin = OriginOf(out);
      if (!origin || IsSpent(OutPoint{txid, i})) continue;
      WalletCoin coin;
      coin.outpoint = OutPoint{txid, i};
      coin.out = out;
      coin.depth = Depth(wtx);
      coin.coinbase = wtx.tx.IsCoinbase();
      coin.trusted = true;
      bonds.push_back(std::move(coin));
    }
  }
  return bonds;
}

bool Wallet::LockCoin(const OutPoint& outpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  return locked_coins_.insert(outpoint).second;
}

bool Wallet::UnlockCoin(const OutPoint& outpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  return locked_coins_.erase(outpoint) != 0;
}

void Wallet::UnlockAllCoins() {
  std::lock_guard<std::mutex> lock(mu_);
  locked_coins_.clear();
}

std::vector<OutPoint> Wallet::ListLockedCoins() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {locked_coins_.begin(), locked_coins_.end()};
}

bool Wallet::IsLockedCoin(const OutPoint& outpoint) const {
  std::lock_guard<std::mutex> lock(mu_);
  return locked_coins_.count(outpoint) != 0;
}

WalletTxInfo Wallet::MakeInfo(const Uint256& txid, const WalletTx& wtx) const {
  WalletTxInfo info;
  info.wtx = wtx;
  info.txid = txid;
  info.depth = Depth(wtx);
  info.coinbase = wtx.tx.IsCoinbase();
  info.mature = IsMature(wtx);
  Amount out_total = 0;
  for (const TxOut& out : wtx.tx.outputs) {
    out_total += out.value;
    if (OriginOf(out)) info.credit += out.value;
  }
  bool all_ours = !wtx.tx.inputs.empty();
  Amount in_total = 0;
  for (const TxIn& in : wtx.tx.inputs) {
    const TxOut* spent = FindOutput(in.prevout);
    if (spent != nullptr && OriginOf(*spent)) {
      info.debit += spent->value;
      in_total += spent->value;
    } else {
      all_ours = false;
    }
  }
  if (all_ours) info.fee = in_total - out_total;
  return info;
}

std::vector<WalletTxInfo> Wallet::ListTransactions() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WalletTxInfo> out;
  for (const auto& [txid, wtx] : txs_) out.push_back(MakeInfo(txid, wtx));
  std::stable_sort(out.begin(), out.end(), [](const WalletTxInfo& a, const WalletTxInfo& b) {
    if (a.wtx.time_received != b.wtx.time_received) {
      return a.wtx.time_received < b.wtx.time_received;
    }
    if (a.wtx.block_height != b.wtx.block_height) return a.wtx.block_height < b.wtx.block_height;
    return a.wtx.block_index < b.wtx.block_index;
  });
  return out;
}

Status Wallet::GetTransaction(const Uint256& txid, WalletTxInfo* info) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = txs_.find(txid);
  if (it == txs_.end()) return Status::NotFound("Invalid or non-wallet transaction id");
  *info = MakeInfo(txid, it->second);
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Spending and signing

Status Wallet::CreateTransaction(const std::vector<Recipient>& recipients,
                                 const CoinControl& coin_control, CreatedTransaction* out) {
  if (recipients.empty() && coin_control.extra_outputs.empty())
    return Status::InvalidArgument("Transaction must have at least one recipient");
  const FeeRate rate = coin_control.fee_rate;
  if (rate.per_kb < 0 || rate > kMaxFeeRate) {
    return Status::InvalidArgument("Fee rate is out of range");
  }
  const Amount dust = DustThreshold();
  std::vector<TxOut> outputs;
  Amount sum = 0;
  size_t n_subtract = 0;
  for (const Recipient& r : recipients) {
    Uint256 key_hash;
    Status s = DecodeAddress(options_.hrp, r.address, &key_hash);
    if (!s.ok()) return InvalidAddress(s);
    if (r.amount <= 0 || !MoneyRange(r.amount)) {
      return Status::InvalidArgument("Amount out of range");
    }
    if (r.amount < dust) return Status::InvalidArgument("Transaction amount too small");
    sum += r.amount;
    if (!MoneyRange(sum)) return Status::InvalidArgument("Amount out of range");
    if (r.subtract_fee) ++n_subtract;
    outputs.push_back(TxOut{r.amount, OutputKind::kPayToKeyHash, key_hash});
  }
  // TxSize counts every output as a plain one; a bond's payout (and other
  // kinds with more fields) is longer, so the sizes stay exact.
  size_t extra_bytes = 0;
  for (const TxOut& o : coin_control.extra_outputs) {
    if (o.value < 0 || !MoneyRange(o.value)) return Status::InvalidArgument("Amount out of range");
    sum += o.value;
    if (!MoneyRange(sum)) return Status::InvalidArgument("Amount out of range");
    outputs.push_back(o);
    extra_bytes += Serialize(o).size() - kOutputSize;
  }
  const bool sffo = n_subtract > 0;

  std::lock_guard<std::mutex> lock(mu_);
  if (coin_control.sign && IsLockedNoMutex()) return Status::NotSupported(kUnlockNeededError);
  uint64_t seed = coin_control.seed;
  if (seed == 0) GetStrongRandBytes({reinterpret_cast<uint8_t*>(&seed), sizeof(seed)});
  std::mt19937_64 rng(seed);

  // Coins: preset inputs first, then the pool, strict eligibility first.
  auto make_coin = [&](const OutPoint& op, const TxOut& o) {
    return MakeSelectableCoin(op, o.value, rate, coin_control.long_term_fee_rate);
  };
  std::vector<SelectableCoin> preset;
  std::set<OutPoint> preset_set;
  for (const OutPoint& op : coin_control.preset_inputs) {
    const TxOut* o = FindOutput(op);
    const bool spendable_kind =
        o != nullptr &&
        (o->kind == OutputKind::kWorkerBond || IsSelectable(txs_.at(op.txid), *o));
    if (!spendable_kind || !OriginOf(*o) || IsSpent(op, coin_control.replaces) ||
        !preset_set.insert(op).second) {
      return Status::InvalidArgument("Unable to find UTXO for preset input " + op.txid.ToHex() +
                                     ":" + std::to_string(op.index));
    }
    preset.push_back(make_coin(op, *o));
  }
  std::vector<SelectableCoin> confirmed, unconfirmed;
  for (const auto& [txid, wtx] : txs_) {
    if (!wtx.IsActive() || !IsMature(wtx)) continue;
    const bool is_confirmed = wtx.IsConfirmed();
    if (!is_confirmed && !(coin_control.allow_unconfirmed_change && IsTrusted(wtx))) continue;
    for (uint32_t i = 0; i < wtx.tx.outputs.size(); ++i) {
      const TxOut& o = wtx.tx.outputs[i];
      const OutPoint op{txid, i};
      if (!IsSelectable(wtx, o) || !OriginOf(o) || IsSpent(op) || locked_coins_.count(op) != 0 ||
          preset_set.count(op) != 0) {
        continue;
      }
      (is_confirmed ? confirmed : unconfirmed).push_back(make_coin(op, o));
    }
  }

  CoinSelectionParams params;
  params.effective_feerate = rate;
  params.long_term_feerate = coin_control.long_term_fee_rate;
  params.change_fee = rate.GetFee(kOutputSize);
  params.cost_of_change = params.change_fee + coin_control.long_term_fee_rate.GetFee(kInputSize);
  params.min_change = dust;
  params.subtract_fee_outputs = sffo;
  Amount target = sffo ? sum : sum + rate.GetFee(TxSize(0, outputs.size()) + extra_bytes);
  for (const SelectableCoin& c : preset) target -= sffo ? c.value : c.effective_value();

  std::vector<SelectableCoin> selected = preset;
  SelectionAlgorithm algorithm = SelectionAlgorithm::kLargestFirst;
  if (target > 0 || preset.empty()) {
    SelectionResult result;
    Status s = ChooseSelectionResult(confirmed, target, params, rng(), &result);
    if (!s.ok() && !unconfirmed.empty()) {
      std::vector<SelectableCoin> all = confirmed;
      all.insert(all.end(), unconfirmed.begin(), unconfirmed.end());
      s = ChooseSelectionResult(all, target, params, rng(), &result);
    }
    if (!s.ok()) {
      return s.message() == kInsufficientFunds ? Status::InvalidArgument(kInsufficientFundsError)
                                               : s;
    }
    selected.insert(selected.end(), result.inputs.begin(), result.inputs.end());
    algorithm = result.algorithm;
  }

  // Amounts, fee and change from the exact sizes.
  Amount in_value = 0;
  for (const SelectableCoin& c : selected) in_value += c.value;
  const size_t n_in = selected.size();
  Amount change = 0, fee = 0;
  if (!sffo) {
    const Amount fee_with_change = rate.GetFee(TxSize(n_in, outputs.size() + 1) + extra_bytes);
    change = in_value - sum - fee_with_change;
    if (change >= dust) {
      fee = fee_with_change;
    } else {
      change = 0;
      fee = in_value - sum;
      if (fee < rate.GetFee(TxSize(n_in, outputs.size()) + extra_bytes)) {
        return Status::InvalidArgument(kInsufficientFundsError);
      }
    }
  } else {
    const Amount leftover = in_value - sum;
    Amount to_reduce;
    if (leftover >= dust) {
      change = leftover;
      fee = rate.GetFee(TxSize(n_in, outputs.size() + 1) + extra_bytes);
      to_reduce = fee;
    } else {
      fee = rate.GetFee(TxSize(n_in, outputs.size()) + extra_bytes);
      to_reduce = fee - leftover;  // negative: the leftover goes to the recipients
      fee = in_value - sum + to_reduce;
    }
    // Split among the paying recipients; the first takes the remainder.
    const Amount share = to_reduce / static_cast<Amount>(n_subtract);
    Amount remainder = to_reduce - share * static_cast<Amount>(n_subtract);
    for (size_t i = 0; i < recipients.size(); ++i) {
      if (!recipients[i].subtract_fee) continue;
      outputs[i].value -= share + remainder;
      remainder = 0;
      if (outputs[i].value < dust) {
        return Status::InvalidArgument("The transaction amount is too small to pay the fee");
      }
    }
  }

  CreatedTransaction created;
  created.algorithm = algorithm;
  created.fee = fee;
  Transaction& tx = created.tx;
  tx.outputs = outputs;
  if (change > 0) {
    const KeyOrigin origin{kChangeChain, next_index_[kChangeChain]};
    WalletBatch batch(db_.get());
    MarkUsed(origin, &batch);
    Status s = batch.Commit();
    if (!s.ok()) return s;
    // Among the payments only: the extra outputs stay in order after them.
    const int pos = static_cast<int>(rng() % (recipients.size() + 1));
    tx.outputs.insert(tx.outputs.begin() + pos,
                      TxOut{change, OutputKind::kPayToKeyHash,
                            KeyHash(PubKeyOf(origin))});
    created.change_pos = pos;
  }
  // Inputs in random order (their order would otherwise tell the algorithm).
  for (size_t i = selected.size(); i > 1; --i) std::swap(selected[i - 1], selected[rng() % i]);
  for (const SelectableCoin& c : selected) {
    const TxOut& spent = *FindOutput(c.outpoint);
    const KeyOrigin origin = *OriginOf(spent);
    tx.inputs.push_back(TxIn{c.outpoint, PubKeyOf(origin), {}});
    created.spent.push_back(spent);
  }
  if (coin_control.sign) {
    for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
      std::optional<PrivateKey> key;
      Status s = DeriveKey(*OriginOf(created.spent[i]), &key);
      if (!s.ok()) return s;
      s = SignInput(&tx, i, created.spent[i], *key);
      if (!s.ok()) return s;
    }
  }
  ValidationState state;
  if (!CheckTransaction(tx, &state)) {
    return Status::InvalidArgument("created transaction is invalid: " + state.ToString());
  }
  *out = std::move(created);
  return Status::OK();
}

Status Wallet::CreateBumpTransaction(const Uint256& txid, FeeRate fee_rate, CreatedTransaction* out,
                                     Amount* old_fee) {
  std::vector<Recipient> recipients;
  CoinControl control;
  control.fee_rate = fee_rate;
  control.replaces = txid;
  // New inputs must be confirmed: BIP125 refuses a replacement with new
  // unconfirmed inputs, and the original's own change would be evicted
  // with it.
  control.allow_unconfirmed_change = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = txs_.find(txid);
    if (it == txs_.end()) return Status::NotFound("Invalid or non-wallet transaction id");
    const WalletTx& wtx = it->second;
    if (wtx.GetState() != TxState::kUnconfirmed) {
      return Status::InvalidArgument(
          "Transaction has been mined, or is conflicted with a mined transaction");
    }
    const WalletTxInfo info = MakeInfo(txid, wtx);
    for (const TxIn& in : wtx.tx.inputs) {
      const TxOut* spent = FindOutput(in.prevout);
      if (spent == nullptr || !OriginOf(*spent)) {
        return Status::InvalidArgument(
            "Transaction contains inputs that don't belong to this wallet");
      }
      control.preset_inputs.push_back(in.prevout);
    }
    for (uint32_t i = 0; i < wtx.tx.outputs.size(); ++i) {
      if (IsSpent(OutPoint{txid, i})) {
        return Status::InvalidArgument("Transaction has descendants in the wallet");
      }
      const TxOut& o = wtx.tx.outputs[i];
      if (o.kind != OutputKind::kPayToKeyHash) {
        return Status::InvalidArgument("Transaction has a worker bond output");
      }
      const std::optional<KeyOrigin> origin = OriginOf(o);
      if (origin && origin->chain == kChangeChain) continue;
      recipients.push_back({EncodeAddress(options_.hrp, o.lock), o.value, false});
    }
    *old_fee = info.fee;
  }
  if (recipients.empty()) {
    return Status::InvalidArgument("Transaction pays only our change: nothing to bump");
  }
  return CreateTransaction(recipients, control, out);
}

Status Wallet::SignTransaction(Transaction* tx, const std::map<OutPoint, TxOut>& prevouts,
                               std::vector<InputSignError>* errors, bool* complete) const {
  errors->clear();
  if (complete != nullptr) *complete = false;
  std::lock_guard<std::mutex> lock(mu_);
  if (IsLockedNoMutex()) return Status::NotSupported(kUnlockNeededError);
  std::vector<std::optional<TxOut>> spent(tx->inputs.size());
  std::vector<std::optional<KeyOrigin>> origins(tx->inputs.size());
  // Pubkeys first: each is part of every input's sighash (chain/tx_sign.h).
  for (uint32_t i = 0; i < tx->inputs.size(); ++i) {
    TxIn& in = tx->inputs[i];
    auto given = prevouts.find(in.prevout);
    if (given != prevouts.end()) {
      spent[i] = given->second;
    } else if (const TxOut* o = FindOutput(in.prevout)) {
      spent[i] = *o;
    } else {
      errors->push_back({i, "Input not found or already spent"});
      continue;
    }
    origins[i] = OriginOf(*spent[i]);
    if (!origins[i]) {
      errors->push_back({i, "Unable to sign input, key not in this wallet"});
      continue;
    }
    in.pubkey = PubKeyOf(*origins[i]);
  }
  const Uint256 txid = tx->Txid();
  for (uint32_t i = 0; i < tx->inputs.size(); ++i) {
    if (!origins[i]) continue;
    std::optional<PrivateKey> key;
    Status s = DeriveKey(*origins[i], &key);
    if (!s.ok()) return s;
    tx->inputs[i].signature = key->Sign(SighashFromTxid(txid, i, *spent[i]));
  }
  if (complete != nullptr && errors->empty()) {
    std::vector<TxOut> all;
    for (const auto& o : spent) all.push_back(*o);
    ValidationState state;
    *complete = CheckInputSignatures(*tx, all, &state);
  }
  return Status::OK();
}

Status Wallet::SignHash(const XOnlyPubKeyBytes& pubkey, const Uint256& msg32,
                        SchnorrSigBytes* sig64) const {
  std::lock_guard<std::mutex> lock(mu_);
  return SignWithKey(pubkey, msg32, sig64);
}

Status Wallet::SignWithKey(const XOnlyPubKeyBytes& pubkey, const Uint256& msg32,
                           SchnorrSigBytes* sig64) const {
  auto it = by_pubkey_.find(pubkey);
  if (it == by_pubkey_.end()) return Status::NotFound("key is not in this wallet");
  std::optional<PrivateKey> key;
  Status s = DeriveKey(it->second, &key);
  if (!s.ok()) return s;
  *sig64 = key->Sign(msg32);
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Encryption and backup

Status Wallet::EncryptWallet(const std::string& passphrase) {
  if (passphrase.empty()) return Status::InvalidArgument("passphrase must not be empty");
  std::lock_guard<std::mutex> lock(mu_);
  if (master_key_record_) return Status::NotSupported(kAlreadyEncryptedError);
  if (!seed_) return Status::NotSupported(kUnlockNeededError);
  SecureBytes master_key;
  MasterKeyRecord mkey;
  Status s = NewMasterKey(passphrase, NewKdfParams(options_.kdf_target, options_.kdf_min_log2_n),
                          &master_key, &mkey);
  if (!s.ok()) return s;
  SeedRecord seed_record;
  seed_record.encrypted = true;
  s = EncryptSecret(master_key, *seed_, AsBytes(kSeedAad), &seed_record.secret);
  if (!s.ok()) return s;
  WalletBatch batch(db_.get());
  batch.WriteMasterKey(mkey);
  batch.WriteSeed(seed_record);
  s = batch.Commit();
  if (!s.ok()) return s;
  // Rewrite the files so the superseded plain seed leaves the live store.
  db_->Compact();
  master_key_record_ = mkey;
  seed_record_ = seed_record;
  seed_.reset();
  account_key_.reset();
  return Status::OK();
}

Status Wallet::UnlockWithMasterKey(const SecureBytes& master_key) {
  SecureBytes seed;
  Status s = DecryptSecret(master_key, seed_record_->secret, AsBytes(kSeedAad), &seed);
  if (!s.ok()) return Status::Corruption("encrypted seed does not decrypt under the master key");
  ExtKey master, account;
  if (!ExtKey::FromSeed(seed, &master) ||
      !master.DerivePath(AccountPath(account_.coin_type, account_.account), &account) ||
      !(account.Neuter() == account_.xpub)) {
    return Status::Corruption("wallet seed does not match its account key");
  }
  seed_ = std::move(seed);
  account_key_ = account;
  return Status::OK();
}

Status Wallet::Unlock(const std::string& passphrase) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!master_key_record_) return Status::NotSupported(kNotEncryptedError);
  SecureBytes master_key;
  Status s = DecryptMasterKey(*master_key_record_, passphrase, &master_key);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(kWrongPassphraseError);
  if (!s.ok()) return s;
  return UnlockWithMasterKey(master_key);
}

Status Wallet::Lock() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!master_key_record_) return Status::NotSupported(kNotEncryptedError);
  seed_.reset();
  account_key_.reset();
  return Status::OK();
}

Status Wallet::ChangePassphrase(const std::string& old_passphrase,
                                const std::string& new_passphrase) {
  if (new_passphrase.empty()) return Status::InvalidArgument("passphrase must not be empty");
  std::lock_guard<std::mutex> lock(mu_);
  if (!master_key_record_) return Status::NotSupported(kNotEncryptedError);
  SecureBytes master_key;
  Status s = DecryptMasterKey(*master_key_record_, old_passphrase, &master_key);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(kWrongPassphraseError);
  if (!s.ok()) return s;
  MasterKeyRecord mkey;
  s = EncryptMasterKey(master_key, new_passphrase,
                       NewKdfParams(options_.kdf_target, options_.kdf_min_log2_n), &mkey);
  if (!s.ok()) return s;
  WalletBatch batch(db_.get());
  batch.WriteMasterKey(mkey);
  s = batch.Commit();
  if (s.ok()) master_key_record_ = mkey;
  return s;
}

bool Wallet::IsCrypted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return master_key_record_.has_value();
}

bool Wallet::IsLocked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return IsLockedNoMutex();
}

Status Wallet::Backup(const std::string& dest) const {
  std::lock_guard<std::mutex> lock(mu_);
  return db_->Backup(dest);
}

Status Wallet::GetSeed(SecureBytes* seed) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!seed_) return Status::NotSupported(kUnlockNeededError);
  *seed = *seed_;
  return Status::OK();
}

}  // namespace cc::wallet
