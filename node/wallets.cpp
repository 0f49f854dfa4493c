#include "node/wallets.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <system_error>

#include "chain/hex.h"
#include "chain/logging.h"
#include "node/context.h"
#include "node/transaction.h"
#include "wallet/bech32.h"
#include "wallet/hd.h"

namespace cc {

using wallet::Wallet;

WalletManager::WalletManager(NodeContext& node) : node_(node) {
  relock_thread_ = std::thread([this] { RelockLoop(); });
}

WalletManager::~WalletManager() {
  {
    std::lock_guard<std::mutex> lock(relock_mu_);
    stopping_ = true;
  }
  relock_cv_.notify_all();
  relock_thread_.join();
}

void WalletManager::SetWorkerWallet(const std::string& name) {
  std::lock_guard<std::mutex> lock(sync_mu_);
  worker_wallet_ = name;
  worker_wallet_set_ = !name.empty();
}

bool WalletManager::WorkerPayout(const XOnlyPubKeyBytes& key, Uint256* payout) {
  std::lock_guard<std::mutex> lock(sync_mu_);
  if (auto it = payouts_.find(key); it != payouts_.end()) {
    *payout = it->second;
    return true;
  }
  for (const Entry& e : wallets_) {
    if (e.name != worker_wallet_) continue;
    std::string address;
    Status s = e.wallet->GetNewAddress("worker " + HexStr(key), &address);
    if (s.ok()) s = wallet::DecodeAddress(e.wallet->hrp(), address, payout);
    if (!s.ok()) {
      LogPrintf("Wallet \"" + e.name + "\" has no payout address for worker " + HexStr(key) +
                ": " + s.ToString());
      return false;
    }
    payouts_[key] = *payout;
    LogPrintf("Worker " + HexStr(key) + " is paid to " + address + " of wallet \"" + e.name +
              "\"");
    return true;
  }
  return false;
}

Uint256 WorkerPayout(NodeContext& node, const XOnlyPubKeyBytes& key) {
  Uint256 payout;
  if (node.wallets && node.wallets->WorkerPayout(key, &payout)) return payout;
  return KeyHash(key);
}

bool WalletManager::IsValidName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

std::filesystem::path WalletManager::WalletDir(const std::string& name) const {
  return node_.datadir / "wallets" / name;
}

wallet::WalletOptions WalletManager::Options() const {
  wallet::WalletOptions options;
  options.hrp = node_.params->bech32_hrp;
  options.coin_type =
      node_.params->network == Network::kMain ? wallet::kCoinTypeMain : wallet::kCoinTypeTest;
  options.unbonding_delay = node_.params->unbonding_delay;
  return options;
}

Status WalletManager::Create(const std::string& name, const std::string& passphrase,
                             std::shared_ptr<Wallet>* out) {
  if (!IsValidName(name)) return Status::InvalidArgument("Invalid wallet name");
  const std::filesystem::path dir = WalletDir(name);
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return Status::InvalidArgument(
        "Wallet file verification failed. Failed to create database "
        "path '" +
        dir.string() + "'. Database already exists.");
  }
  std::filesystem::create_directories(dir.parent_path(), ec);
  wallet::WalletOptions options = Options();
  options.passphrase = passphrase;
  std::unique_ptr<Wallet> created;
  Status s = Wallet::Create(dir.string(), options, &created);
  if (!s.ok()) return s;
  std::shared_ptr<Wallet> w(std::move(created));
  s = Add(name, w);
  if (s.ok() && out != nullptr) *out = w;
  return s;
}

Status WalletManager::Load(const std::string& name, std::shared_ptr<Wallet>* out) {
  if (!IsValidName(name)) return Status::InvalidArgument("Invalid wallet name");
  if (IsLoaded(name)) return Status::InvalidArgument("Wallet \"" + name + "\" is already loaded.");
  const std::filesystem::path dir = WalletDir(name);
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return Status::NotFound("Wallet file verification failed. Failed to load database path '" +
                            dir.string() + "'. Path does not exist.");
  }
  std::unique_ptr<Wallet> loaded;
  Status s = Wallet::Load(dir.string(), Options(), &loaded);
  if (!s.ok()) return s;
  std::shared_ptr<Wallet> w(std::move(loaded));
  s = Add(name, w);
  if (!s.ok()) return s;
  ResubmitTransactions(*w);
  if (out != nullptr) *out = w;
  return s;
}

Status WalletManager::Restore(const std::string& name, const std::filesystem::path& backup,
                              std::shared_ptr<Wallet>* out) {
  if (!IsValidName(name)) return Status::InvalidArgument("Invalid wallet name");
  std::error_code ec;
  if (!std::filesystem::is_directory(backup, ec)) {
    return Status::NotFound("Backup file does not exist");
  }
  const std::filesystem::path dir = WalletDir(name);
  if (std::filesystem::exists(dir, ec)) {
    return Status::InvalidArgument(
        "Wallet file verification failed. Failed to create database "
        "path '" +
        dir.string() + "'. Database already exists.");
  }
  std::filesystem::create_directories(dir.parent_path(), ec);
  std::filesystem::copy(backup, dir, std::filesystem::copy_options::recursive, ec);
  if (ec) {
    std::filesystem::remove_all(dir, ec);
    return Status::IOError("cannot copy the backup to " + dir.string() + ": " + ec.message());
  }
  std::filesystem::remove(dir / "LOCK", ec);  // a backup copied while open
  Status s = Load(name, out);
  if (!s.ok() && !IsLoaded(name)) std::filesystem::remove_all(dir, ec);
  return s;
}

Status WalletManager::Add(const std::string& name, std::shared_ptr<Wallet> w) {
  std::lock_guard<std::mutex> lock(sync_mu_);
  for (const Entry& e : wallets_) {
    if (e.name == name)
      return Status::InvalidArgument("Wallet \"" + name + "\" is already loaded.");
  }
  if (!worker_wallet_set_) {
    worker_wallet_ = name;
    worker_wallet_set_ = true;
  }
  if (name == worker_wallet_ && !node_.workers.empty()) {
    for (const PrivateKey& key : node_.workers) w->AddHotKey(key);
    LogPrintf("Wallet \"" + name + "\" watches the rewards of " +
              std::to_string(node_.workers.size()) + " worker key(s)");
  }
  Status s = CatchUp(w.get());
  if (!s.ok()) return s;
  wallets_.push_back(Entry{name, std::move(w)});
  const wallet::BestBlockRecord best = wallets_.back().wallet->GetBestBlock();
  LogPrintf("Loaded wallet \"" + name + "\" at height " + std::to_string(best.height));
  return Status::OK();
}

Status WalletManager::CatchUp(Wallet* w) {
  Uint256 tip;
  uint32_t tip_height = 0;
  Status s = node_.chain->GetTip(&tip, &tip_height);
  if (!s.ok()) return s;
  // Take off the wallet's blocks that left the main chain, newest first.
  uint32_t next = 0;
  for (;;) {
    const wallet::BestBlockRecord best = w->GetBestBlock();
    if (best.hash.IsZero()) break;  // a new wallet: start at genesis
    Uint256 at;
    if (best.height <= tip_height && node_.chain->GetBlockHashAtHeight(best.height, &at).ok() &&
        at == best.hash) {
      next = best.height + 1;
      break;
    }
    Block block;
    s = node_.chain->ReadBlock(best.hash, &block);
    if (!s.ok()) {
      return Status::Corruption("the wallet's best block " + best.hash.ToHex() +
                                " is not in this chain (" + s.message() + ")");
    }
    s = w->BlockDisconnected(block, best.height);
    if (!s.ok()) return s;
  }
  for (uint32_t height = next; height <= tip_height; ++height) {
    Uint256 hash;
    Block block;
    s = node_.chain->GetBlockHashAtHeight(height, &hash);
    if (s.ok()) s = node_.chain->ReadBlock(hash, &block);
    if (s.ok()) s = w->BlockConnected(block, height);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

bool WalletManager::Unload(const std::string& name) {
  std::shared_ptr<Wallet> removed;
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    auto it = std::find_if(wallets_.begin(), wallets_.end(),
                           [&](const Entry& e) { return e.name == name; });
    if (it == wallets_.end()) return false;
    removed = std::move(it->wallet);
    wallets_.erase(it);
  }
  CancelRelock(removed.get());
  LogPrintf("Unloaded wallet \"" + name + "\"");
  return true;
}

void WalletManager::UnloadAll() {
  for (const std::string& name : List()) Unload(name);
}

bool WalletManager::IsLoaded(const std::string& name) const { return Get(name) != nullptr; }

std::vector<std::string> WalletManager::List() const {
  std::lock_guard<std::mutex> lock(sync_mu_);
  std::vector<std::string> names;
  for (const Entry& e : wallets_) names.push_back(e.name);
  return names;
}

std::shared_ptr<Wallet> WalletManager::Get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(sync_mu_);
  for (const Entry& e : wallets_) {
    if (e.name == name) return e.wallet;
  }
  return nullptr;
}

std::vector<std::shared_ptr<Wallet>> WalletManager::All() const {
  std::lock_guard<std::mutex> lock(sync_mu_);
  std::vector<std::shared_ptr<Wallet>> out;
  for (const Entry& e : wallets_) out.push_back(e.wallet);
  return out;
}

void WalletManager::TransactionAddedToMempool(const Transaction& tx) {
  for (const std::shared_ptr<Wallet>& w : All()) {
    Status s = w->AddToWallet(tx);
    if (!s.ok()) LogPrintf("Wallet: cannot add a mempool transaction: " + s.ToString());
  }
}

size_t WalletManager::ResubmitTransactions(const wallet::Wallet& w) {
  std::vector<Transaction> pending;
  for (const wallet::WalletTxInfo& info : w.ListTransactions()) {
    if (info.wtx.GetState() == wallet::TxState::kUnconfirmed && !info.coinbase)
      pending.push_back(info.wtx.tx);
  }
  // A child fails while its parent is not in yet: retry until a pass adds none.
  size_t accepted = 0;
  std::vector<std::string> refusals;
  for (bool progress = true; progress && !pending.empty();) {
    progress = false;
    refusals.clear();
    std::vector<Transaction> left;
    for (const Transaction& tx : pending) {
      ValidationState state;
      if (node_.mempool->Contains(tx.Txid())) {
        // In already (loaded before the network started): announce it now.
        if (node_.peerman) node_.peerman->RelayTransaction(tx.Txid());
        ++accepted;
        progress = true;
      } else if (AcceptToMempool(node_, tx, false, &state)) {
        ++accepted;
        progress = true;
      } else {
        left.push_back(tx);
        refusals.push_back(tx.Txid().ToHex() + ": " + state.ToString());
      }
    }
    pending = std::move(left);
  }
  for (const std::string& refusal : refusals)
    LogPrintf("Wallet: cannot resubmit " + refusal);
  if (accepted > 0)
    LogPrintf("Wallet: resubmitted " + std::to_string(accepted) + " unconfirmed transaction(s)");
  return accepted;
}

void WalletManager::BlockConnected(const Block& block, uint32_t height) {
  std::lock_guard<std::mutex> lock(sync_mu_);
  for (const Entry& e : wallets_) {
    const wallet::BestBlockRecord best = e.wallet->GetBestBlock();
    const bool extends = best.hash.IsZero() ? height == 0 : best.hash == block.header.prev;
    if (!extends) continue;  // already seen while catching up
    Status s = e.wallet->BlockConnected(block, height);
    if (!s.ok()) LogPrintf("Wallet \"" + e.name + "\": BlockConnected failed: " + s.ToString());
  }
}

void WalletManager::BlockDisconnected(const Block& block, uint32_t height) {
  std::lock_guard<std::mutex> lock(sync_mu_);
  const Uint256 hash = block.Hash();
  for (const Entry& e : wallets_) {
    if (e.wallet->GetBestBlock().hash != hash) continue;
    Status s = e.wallet->BlockDisconnected(block, height);
    if (!s.ok()) LogPrintf("Wallet \"" + e.name + "\": BlockDisconnected failed: " + s.ToString());
  }
}

void WalletManager::ScheduleRelock(const std::shared_ptr<Wallet>& w, int64_t seconds) {
  {
    std::lock_guard<std::mutex> lock(relock_mu_);
    relocks_[w.get()] = Relock{w, std::chrono::steady_clock::now() + std::chrono::seconds(seconds),
                               static_cast<int64_t>(std::time(nullptr)) + seconds};
  }
  relock_cv_.notify_all();
}

void WalletManager::CancelRelock(const Wallet* w) {
  std::lock_guard<std::mutex> lock(relock_mu_);
  relocks_.erase(w);
}

int64_t WalletManager::UnlockedUntil(const Wallet* w) const {
  std::lock_guard<std::mutex> lock(relock_mu_);
  auto it = relocks_.find(w);
  return it == relocks_.end() ? 0 : it->second.unix_time;
}

void WalletManager::RelockLoop() {
  std::unique_lock<std::mutex> lock(relock_mu_);
  while (!stopping_) {
    auto next = std::chrono::steady_clock::time_point::max();
    const auto now = std::chrono::steady_clock::now();
    for (auto it = relocks_.begin(); it != relocks_.end();) {
      if (it->second.at <= now) {
        if (std::shared_ptr<Wallet> w = it->second.wallet.lock()) (void)w->Lock();
        it = relocks_.erase(it);
      } else {
        next = std::min(next, it->second.at);
        ++it;
      }
    }
    if (next == std::chrono::steady_clock::time_point::max()) {
      relock_cv_.wait(lock);
    } else {
      relock_cv_.wait_until(lock, next);
    }
  }
}

void AddWalletArgs(Config* c) {
  constexpr const char* kWallet = "Wallet options";
  c->AddArg("-wallet=<name>",
            "Load the wallet <name> (in <datadir>/<network>/wallets/<name>) at start-up; may be "
            "given more than once. Create one with the createwallet RPC",
            Config::kString, Config::kMulti | Config::kNetworkOnly, kWallet);
  c->AddArg("-workerwallet=<name>",
            "The wallet that watches the in-process workers' rewards (default: the first "
            "-wallet, else the first wallet loaded or created)",
            Config::kString, Config::kNetworkOnly, kWallet);
  c->AddArg("-disablewallet", "Do not load the wallet and disable wallet RPC calls (default: 0)",
            Config::kBool, Config::kNone, kWallet);
}

Status StartWallets(const Config& config, NodeContext* node) {
  if (config.GetBoolArg("disablewallet", false)) return Status::OK();
  node->wallets = std::make_shared<WalletManager>(*node);
  node->chainman->AddListener(node->wallets.get());
  const std::vector<std::string> names = config.GetArgs("wallet");
  const std::string worker_wallet =
      config.GetArg("workerwallet", names.empty() ? std::string() : names.front());
  node->wallets->SetWorkerWallet(worker_wallet);
  for (const std::string& name : names) {
    Status s = node->wallets->Load(name, nullptr);
    if (!s.ok()) return Status::InvalidArgument("Wallet \"" + name + "\": " + s.message());
  }
  return Status::OK();
}

void StopWallets(NodeContext* node) {
  if (!node->wallets) return;
  if (node->chainman) node->chainman->RemoveListener(node->wallets.get());
  node->wallets->UnloadAll();
  node->wallets.reset();
}

}  // namespace cc
