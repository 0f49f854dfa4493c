// The Wallet over a real database: addresses and the keypool, blocks
// connected and disconnected, maturity, conflicts, spending with change and
// with the fee subtracted, signing, encryption, reopening, backup, restore.

#include "wallet/wallet.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "chain/hash.h"
#include "chain/tx_check.h"
#include "chain/validation.h"
#include "wallet/bech32.h"
#include "tests/util/test_util.h"

namespace cc::wallet {
namespace {

constexpr uint32_t kTestMaturity = 10;
constexpr uint32_t kTestLookahead = 20;

class WalletTest : public ::testing::Test {
 protected:
  WalletTest() {
    options_.hrp = "rcc";
    options_.lookahead = kTestLookahead;
    options_.coinbase_maturity = kTestMaturity;
    options_.kdf_target = std::chrono::milliseconds(0);
    options_.kdf_min_log2_n = kMinLog2ScryptN;
    alice_ = Make("alice");
    bob_ = Make("bob");
  }
  ~WalletTest() override {
    alice_.reset();
    bob_.reset();
  }

  std::unique_ptr<Wallet> Make(const std::string& name, const WalletOptions* opts = nullptr) {
    std::unique_ptr<Wallet> w;
    const Status s = Wallet::Create(dir_ + "/" + name, opts ? *opts : options_, &w);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return w;
  }
  std::unique_ptr<Wallet> Reload(const std::string& name) {
    std::unique_ptr<Wallet> w;
    const Status s = Wallet::Load(dir_ + "/" + name, options_, &w);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return w;
  }

  static Uint256 LockOf(const std::string& address) {
    Uint256 h;
    EXPECT_TRUE(DecodeAddress("rcc", address, &h).ok()) << address;
    return h;
  }
  static std::string NewAddress(Wallet& w) {
    std::string a;
    EXPECT_TRUE(w.GetNewAddress("", &a).ok());
    return a;
  }

  // Builds the next block on chain_ with a coinbase paying `coinbase_to`
  // (none if empty) and `txs`, and connects it to every wallet given.
  Block Mine(const std::vector<Transaction>& txs, const std::string& coinbase_to,
             std::vector<Wallet*> wallets, Amount reward = 50 * kCoin) {
    Block b;
    b.header.height = static_cast<uint32_t>(chain_.size()) + 1;
    b.header.prev = chain_.empty() ? Uint256() : chain_.back().Hash();
    b.header.time = 1'700'000'000 + b.header.height;
    Transaction cb;
    cb.lock_height = b.header.height;
    if (!coinbase_to.empty()) {
      cb.outputs.push_back(TxOut{reward, OutputKind::kPayToKeyHash, LockOf(coinbase_to)});
    } else {
      cb.outputs.push_back(TxOut{reward, OutputKind::kPayToKeyHash, Uint256()});
    }
    b.txs.push_back(cb);
    b.txs.insert(b.txs.end(), txs.begin(), txs.end());
    chain_.push_back(b);
    for (Wallet* w : wallets) {
      EXPECT_TRUE(w->BlockConnected(b, b.header.height).ok());
    }
    return b;
  }
  void Disconnect(std::vector<Wallet*> wallets) {
    const Block b = chain_.back();
    chain_.pop_back();
    for (Wallet* w : wallets) {
      EXPECT_TRUE(w->BlockDisconnected(b, b.header.height).ok());
    }
  }
  // Mines empty blocks until a coinbase at height 1 is mature for `w`.
  void MineToMaturity(std::vector<Wallet*> wallets) {
    while (chain_.size() < kTestMaturity) Mine({}, "", wallets);
  }
  // Gives alice a mature 50-coin coinbase.
  void FundAlice() {
    Mine({}, NewAddress(*alice_), {alice_.get(), bob_.get()});
    MineToMaturity({alice_.get(), bob_.get()});
    ASSERT_EQ(alice_->GetBalances().trusted, 50 * kCoin);
  }
  CreatedTransaction Send(Wallet& from, const std::string& to, Amount amount,
                          bool subtract_fee = false, FeeRate rate = FeeRate{1000}) {
    CoinControl cc;
    cc.fee_rate = rate;
    cc.seed = 42;
    CreatedTransaction created;
    const Status s = from.CreateTransaction({{to, amount, subtract_fee}}, cc, &created);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return created;
  }

  test::TempDir tmp_;
  const std::string dir_ = tmp_.path();
  WalletOptions options_;
  std::unique_ptr<Wallet> alice_, bob_;
  std::vector<Block> chain_;
};

// -- Addresses ----------------------------------------------------------------

TEST_F(WalletTest, NewAddressesAreOursAndDistinct) {
  const std::string a = NewAddress(*alice_), b = NewAddress(*alice_);
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("rcc1p"));
  AddressInfo info;
  ASSERT_TRUE(alice_->GetAddressInfo(b, &info).ok());
  EXPECT_TRUE(info.is_mine);
  EXPECT_FALSE(info.is_change);
  EXPECT_EQ(info.hd_path, "m/86'/1'/0'/0/1");
  ASSERT_TRUE(bob_->GetAddressInfo(b, &info).ok());
  EXPECT_FALSE(info.is_mine);
  std::string change;
  ASSERT_TRUE(alice_->GetRawChangeAddress(&change).ok());
  ASSERT_TRUE(alice_->GetAddressInfo(change, &info).ok());
  EXPECT_TRUE(info.is_change);
  EXPECT_EQ(info.hd_path, "m/86'/1'/0'/1/0");
  EXPECT_TRUE(alice_->IsMine(TxOut{1, OutputKind::kPayToKeyHash, LockOf(a)}));
  EXPECT_FALSE(bob_->IsMine(TxOut{1, OutputKind::kPayToKeyHash, LockOf(a)}));
}

TEST_F(WalletTest, LabelsAndBadAddresses) {
  std::string a;
  ASSERT_TRUE(alice_->GetNewAddress("rent", &a).ok());
  EXPECT_EQ(alice_->GetLabels()[a], "rent");
  AddressInfo info;
  const Status other = alice_->GetAddressInfo(EncodeAddress("cc", LockOf(a)), &info);
  EXPECT_EQ(other.message(), "Invalid address: address is for another network (hrp 'cc')");
  EXPECT_TRUE(alice_->SetLabel("rcc1nonsense", "x").IsInvalidArgument());
  ASSERT_TRUE(alice_->SetLabel(a, "food").ok());
}

TEST_F(WalletTest, SecondOpenerRefused) {
  std::unique_ptr<Wallet> w;
  const Status s = Wallet::Load(dir_ + "/alice", options_, &w);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("already in use"), std::string::npos);
}

// -- Blocks, maturity, balances -------------------------------------------------

TEST_F(WalletTest, CoinbaseImmatureUntilMaturity) {
  Mine({}, NewAddress(*alice_), {alice_.get()});
  EXPECT_EQ(alice_->GetBalances(), (Balances{0, 0, 50 * kCoin, 0}));
  EXPECT_TRUE(alice_->ListUnspent(0).empty());
  // Coinbase at height 1: spendable in block 1 + maturity, i.e. once the tip is at maturity.
  while (chain_.size() < kTestMaturity - 1) Mine({}, "", {alice_.get()});
  EXPECT_EQ(alice_->GetBalances().immature, 50 * kCoin);
  Mine({}, "", {alice_.get()});
  EXPECT_EQ(alice_->GetBalances(), (Balances{50 * kCoin, 0, 0, 0}));
  const auto coins = alice_->ListUnspent();
  ASSERT_EQ(coins.size(), 1u);
  EXPECT_TRUE(coins[0].coinbase);
  EXPECT_EQ(coins[0].depth, static_cast<int>(kTestMaturity));
}

TEST_F(WalletTest, PaymentPendingThenConfirmedThenReorged) {
  FundAlice();
  const CreatedTransaction sent = Send(*alice_, NewAddress(*bob_), 10 * kCoin);
  ASSERT_TRUE(alice_->CommitTransaction(sent.tx).ok());
  bool added = false;
  ASSERT_TRUE(bob_->AddToWallet(sent.tx, &added).ok());
  EXPECT_TRUE(added);
  // Alice's change is hers and trusted; bob's receipt is pending.
  EXPECT_EQ(alice_->GetBalances().trusted, 40 * kCoin - sent.fee);
  EXPECT_EQ(bob_->GetBalances(), (Balances{0, 10 * kCoin, 0, 0}));

  Mine({sent.tx}, "", {alice_.get(), bob_.get()});
  EXPECT_EQ(bob_->GetBalances(), (Balances{10 * kCoin, 0, 0, 0}));
  EXPECT_EQ(alice_->GetBalances(), (Balances{40 * kCoin - sent.fee, 0, 0, 0}));
  WalletTxInfo info;
  ASSERT_TRUE(alice_->GetTransaction(sent.tx.Txid(), &info).ok());
  EXPECT_EQ(info.depth, 1);
  EXPECT_EQ(info.fee, sent.fee);

  // The block goes away: the payment is unconfirmed again, balances follow.
  Disconnect({alice_.get(), bob_.get()});
  EXPECT_EQ(bob_->GetBalances(), (Balances{0, 10 * kCoin, 0, 0}));
  EXPECT_EQ(alice_->GetBalances().trusted, 40 * kCoin - sent.fee);
  ASSERT_TRUE(alice_->GetTransaction(sent.tx.Txid(), &info).ok());
  EXPECT_EQ(info.depth, 0);
}

TEST_F(WalletTest, DisconnectedCoinbaseLeavesBalances) {
  Mine({}, NewAddress(*alice_), {alice_.get()});
  EXPECT_EQ(alice_->GetBalances().immature, 50 * kCoin);
  Disconnect({alice_.get()});
  EXPECT_EQ(alice_->GetBalances(), Balances{});
  EXPECT_EQ(alice_->GetBestBlock().height, 0u);
}

TEST_F(WalletTest, DoubleSpendInBlockConflictsOurTx) {
  FundAlice();
  const CreatedTransaction first = Send(*alice_, NewAddress(*bob_), 10 * kCoin);
  ASSERT_TRUE(alice_->CommitTransaction(first.tx).ok());
  // Another transaction spending the same coin (built by a restored copy, say).
  Transaction rival = first.tx;
  rival.outputs.resize(1);
  rival.outputs[0] = TxOut{49 * kCoin, OutputKind::kPayToKeyHash, LockOf(NewAddress(*bob_))};
  std::vector<InputSignError> errors;
  ASSERT_TRUE(alice_->SignTransaction(&rival, {}, &errors).ok());
  ASSERT_TRUE(errors.empty());
  Mine({rival}, "", {alice_.get(), bob_.get()});
  WalletTxInfo info;
  ASSERT_TRUE(alice_->GetTransaction(first.tx.Txid(), &info).ok());
  EXPECT_EQ(info.wtx.GetState(), TxState::kConflicted);
  EXPECT_EQ(info.depth, -1);
  EXPECT_EQ(alice_->GetBalances(), Balances{});  // everything went to bob
  EXPECT_EQ(bob_->GetBalances().trusted, 49 * kCoin);
  // Disconnecting the conflicting block revives our transaction.
  Disconnect({alice_.get(), bob_.get()});
  ASSERT_TRUE(alice_->GetTransaction(first.tx.Txid(), &info).ok());
  EXPECT_EQ(info.wtx.GetState(), TxState::kUnconfirmed);
}

TEST_F(WalletTest, AbandonFreesInputs) {
  FundAlice();
  const CreatedTransaction sent = Send(*alice_, NewAddress(*bob_), 10 * kCoin);
  ASSERT_TRUE(alice_->CommitTransaction(sent.tx).ok());
  EXPECT_LT(alice_->GetBalances().trusted, 50 * kCoin);
  ASSERT_TRUE(alice_->AbandonTransaction(sent.tx.Txid()).ok());
  EXPECT_EQ(alice_->GetBalances().trusted, 50 * kCoin);
  EXPECT_EQ(alice_->AbandonTransaction(sent.tx.Txid()).message(),
            "Transaction not eligible for abandonment");
  EXPECT_TRUE(alice_->AbandonTransaction(Uint256()).IsNotFound());
}

// -- Spending -----------------------------------------------------------------

TEST_F(WalletTest, CreateTransactionPaysFeeAndChange) {
  FundAlice();
  const CreatedTransaction c = Send(*alice_, NewAddress(*bob_), 10 * kCoin);
  ASSERT_EQ(c.tx.outputs.size(), 2u);
  ASSERT_GE(c.change_pos, 0);
  EXPECT_EQ(c.fee, FeeRate{1000}.GetFee(Serialize(c.tx).size()));
  EXPECT_EQ(c.tx.outputs[c.change_pos].value, 40 * kCoin - c.fee);
  EXPECT_TRUE(alice_->IsMine(c.tx.outputs[c.change_pos]));
  ValidationState state;
  EXPECT_TRUE(CheckTransaction(c.tx, &state));
  EXPECT_TRUE(CheckInputSignatures(c.tx, c.spent, &state)) << state.ToString();
}

TEST_F(WalletTest, SubtractFeeSendsEverything) {
  FundAlice();
  const CreatedTransaction c = Send(*alice_, NewAddress(*bob_), 50 * kCoin, /*subtract_fee=*/true);
  ASSERT_EQ(c.tx.outputs.size(), 1u);
  EXPECT_EQ(c.change_pos, -1);
  EXPECT_EQ(c.tx.outputs[0].value + c.fee, 50 * kCoin);
  EXPECT_EQ(c.fee, FeeRate{1000}.GetFee(Serialize(c.tx).size()));
}

TEST_F(WalletTest, InsufficientFundsAndBadRecipients) {
  FundAlice();
  CoinControl cc;
  CreatedTransaction c;
  EXPECT_EQ(alice_->CreateTransaction({{NewAddress(*bob_), 51 * kCoin}}, cc, &c).ToString(),
            "InvalidArgument: Insufficient funds");
  EXPECT_EQ(
      alice_->CreateTransaction({{"tc1qqqq", kCoin}}, cc, &c).message().rfind("Invalid address", 0),
      0u);
  EXPECT_EQ(alice_->CreateTransaction({{NewAddress(*bob_), 100}}, cc, &c).message(),
            "Transaction amount too small");
  EXPECT_EQ(alice_->CreateTransaction({{NewAddress(*bob_), -5}}, cc, &c).message(),
            "Amount out of range");
}

TEST_F(WalletTest, LockedCoinsAreNotSpent) {
  FundAlice();
  const auto coins = alice_->ListUnspent();
  ASSERT_EQ(coins.size(), 1u);
  EXPECT_TRUE(alice_->LockCoin(coins[0].outpoint));
  EXPECT_FALSE(alice_->LockCoin(coins[0].outpoint));
  EXPECT_TRUE(alice_->ListUnspent().empty());
  EXPECT_EQ(alice_->ListLockedCoins().size(), 1u);
  CoinControl cc;
  CreatedTransaction c;
  EXPECT_EQ(alice_->CreateTransaction({{NewAddress(*bob_), kCoin}}, cc, &c).message(),
            "Insufficient funds");
  EXPECT_TRUE(alice_->UnlockCoin(coins[0].outpoint));
  EXPECT_TRUE(alice_->CreateTransaction({{NewAddress(*bob_), kCoin}}, cc, &c).ok());
  // Locks live in memory only.
  alice_->LockCoin(coins[0].outpoint);
  alice_.reset();
  alice_ = Reload("alice");
  EXPECT_TRUE(alice_->ListLockedCoins().empty());
}

// -- Bumping the fee (replace-by-fee) ------------------------------------------

TEST_F(WalletTest, BumpKeepsInputsAndPaymentsAndShrinksChange) {
  FundAlice();
  const std::string to_bob = NewAddress(*bob_);
  const CreatedTransaction sent = Send(*alice_, to_bob, 10 * kCoin);
  ASSERT_TRUE(alice_->CommitTransaction(sent.tx).ok());
  CreatedTransaction bumped;
  Amount old_fee = 0;
  ASSERT_TRUE(
      alice_->CreateBumpTransaction(sent.tx.Txid(), FeeRate{20'000}, &bumped, &old_fee).ok());
  EXPECT_EQ(old_fee, sent.fee);
  EXPECT_EQ(bumped.tx.inputs.size(), 1u);
  EXPECT_EQ(bumped.tx.inputs[0].prevout, sent.tx.inputs[0].prevout);
  EXPECT_EQ(bumped.fee, FeeRate{20'000}.GetFee(Serialize(bumped.tx).size()));
  ASSERT_GE(bumped.change_pos, 0);
  EXPECT_EQ(bumped.tx.outputs[bumped.change_pos].value, 40 * kCoin - bumped.fee);
  EXPECT_EQ(bumped.tx.outputs[1 - bumped.change_pos],
            (TxOut{10 * kCoin, OutputKind::kPayToKeyHash, LockOf(to_bob)}));
  ValidationState state;
  EXPECT_TRUE(CheckInputSignatures(bumped.tx, bumped.spent, &state)) << state.ToString();

  // Committed, with the original abandoned: spent once, at the new fee.
  ASSERT_TRUE(alice_->CommitTransaction(bumped.tx).ok());
  ASSERT_TRUE(alice_->AbandonTransaction(sent.tx.Txid()).ok());
  EXPECT_EQ(alice_->GetBalances().trusted, 40 * kCoin - bumped.fee);
}

TEST_F(WalletTest, BumpRefusals) {
  FundAlice();
  const CreatedTransaction sent = Send(*alice_, NewAddress(*bob_), 10 * kCoin);
  ASSERT_TRUE(alice_->CommitTransaction(sent.tx).ok());
  ASSERT_TRUE(bob_->AddToWallet(sent.tx).ok());
  CreatedTransaction out;
  Amount fee = 0;
  EXPECT_TRUE(alice_->CreateBumpTransaction(Uint256(), FeeRate{5000}, &out, &fee).IsNotFound());
  EXPECT_EQ(bob_->CreateBumpTransaction(sent.tx.Txid(), FeeRate{5000}, &out, &fee).message(),
            "Transaction contains inputs that don't belong to this wallet");
  // A child spending its change in the wallet: bumping would evict it.
  const CreatedTransaction child = Send(*alice_, NewAddress(*bob_), 35 * kCoin);
  ASSERT_TRUE(alice_->CommitTransaction(child.tx).ok());
  EXPECT_EQ(alice_->CreateBumpTransaction(sent.tx.Txid(), FeeRate{5000}, &out, &fee).message(),
            "Transaction has descendants in the wallet");
  Mine({sent.tx, child.tx}, "", {alice_.get(), bob_.get()});
  EXPECT_EQ(alice_->CreateBumpTransaction(sent.tx.Txid(), FeeRate{5000}, &out, &fee).message(),
            "Transaction has been mined, or is conflicted with a mined transaction");
}

TEST_F(WalletTest, SpendsUnconfirmedChange) {
  FundAlice();
  const CreatedTransaction first = Send(*alice_, NewAddress(*bob_), 10 * kCoin);
  ASSERT_TRUE(alice_->CommitTransaction(first.tx).ok());
  const CreatedTransaction second = Send(*alice_, NewAddress(*bob_), 20 * kCoin);
  ASSERT_TRUE(alice_->CommitTransaction(second.tx).ok());
  EXPECT_EQ(alice_->GetBalances().trusted, 20 * kCoin - first.fee - second.fee);
}

TEST_F(WalletTest, SignRawTransactionAndTaggedHash) {
  FundAlice();
  const auto coin = alice_->ListUnspent()[0];
  Transaction raw;
  raw.inputs.push_back(TxIn{coin.outpoint, {}, {}});
  raw.outputs.push_back(TxOut{49 * kCoin, OutputKind::kPayToKeyHash, LockOf(NewAddress(*bob_))});
  std::vector<InputSignError> errors;
  bool complete = false;
  ASSERT_TRUE(alice_->SignTransaction(&raw, {}, &errors, &complete).ok());
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(complete);
  // Bob cannot sign it.
  Transaction copy = raw;
  ASSERT_TRUE(bob_->SignTransaction(&copy, {{coin.outpoint, coin.out}}, &errors, &complete).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_FALSE(complete);

  XOnlyPubKeyBytes pk;
  const std::string addr = NewAddress(*alice_);
  ASSERT_TRUE(alice_->GetPubKey(addr, &pk).ok());
  const Uint256 msg = TaggedHash("Computecoin/ChannelTest", AsBytes("state 7"));
  SchnorrSigBytes sig;
  ASSERT_TRUE(alice_->SignHash(pk, msg, &sig).ok());
  EXPECT_TRUE(VerifySchnorr(pk, msg, sig));
  EXPECT_TRUE(bob_->SignHash(pk, msg, &sig).IsNotFound());
}

// Ours is a bond we own (its owner is one of our key hashes), whoever's
// worker key it bonds; a bond to our key owned by somebody else is not.
TEST_F(WalletTest, BondsWeOwnAreMineButNotSpendable) {
  XOnlyPubKeyBytes pk;
  ASSERT_TRUE(alice_->GetPubKey(NewAddress(*alice_), &pk).ok());
  const XOnlyPubKeyBytes worker = PrivateKey::Generate().PublicKey();
  EXPECT_FALSE(alice_->IsMine(TxOut{.value = kCoin,
                                    .kind = OutputKind::kWorkerBond,
                                    .lock = Uint256(pk),
                                    .owner = KeyHash(worker)}));
  Block b = Mine({}, "", {});
  chain_.pop_back();
  b.txs[0].outputs.push_back(TxOut{.value = 5 * kCoin,
                                   .kind = OutputKind::kWorkerBond,
                                   .lock = Uint256(worker),
                                   .owner = KeyHash(pk)});
  chain_.push_back(b);
  ASSERT_TRUE(alice_->BlockConnected(b, b.header.height).ok());
  EXPECT_TRUE(alice_->IsMine(b.txs[0].outputs[1]));
  EXPECT_EQ(alice_->GetBalances().bonded, 5 * kCoin);
  MineToMaturity({alice_.get()});
  EXPECT_EQ(alice_->GetBalances(), (Balances{0, 0, 0, 5 * kCoin}));
  EXPECT_TRUE(alice_->ListUnspent().empty());
}

// -- Encryption -----------------------------------------------------------------

TEST_F(WalletTest, EncryptLockUnlock) {
  FundAlice();
  ASSERT_TRUE(alice_->EncryptWallet("hunter2").ok());
  EXPECT_TRUE(alice_->IsCrypted());
  EXPECT_TRUE(alice_->IsLocked());
  EXPECT_EQ(alice_->EncryptWallet("again").message(), kAlreadyEncryptedError);
  // Locked: addresses still come (public derivation), signing does not.
  const std::string to = NewAddress(*bob_);
  EXPECT_FALSE(NewAddress(*alice_).empty());
  CoinControl cc;
  CreatedTransaction c;
  Status s = alice_->CreateTransaction({{to, kCoin}}, cc, &c);
  EXPECT_TRUE(s.IsNotSupported());
  EXPECT_EQ(s.message(), kUnlockNeededError);
  SecureBytes seed;
  EXPECT_EQ(alice_->GetSeed(&seed).message(), kUnlockNeededError);
  EXPECT_EQ(alice_->Unlock("hunter3").message(), kWrongPassphraseError);
  ASSERT_TRUE(alice_->Unlock("hunter2").ok());
  EXPECT_TRUE(alice_->CreateTransaction({{to, kCoin}}, cc, &c).ok());
  ASSERT_TRUE(alice_->Lock().ok());
  EXPECT_TRUE(alice_->CreateTransaction({{to, kCoin}}, cc, &c).IsNotSupported());
  // The passphrase changes; the old one stops working.
  ASSERT_TRUE(alice_->ChangePassphrase("hunter2", "correct horse").ok());
  EXPECT_EQ(alice_->Unlock("hunter2").message(), kWrongPassphraseError);
  // Reopened from disk: encrypted and locked, the new passphrase unlocks it.
  alice_.reset();
  alice_ = Reload("alice");
  ASSERT_NE(alice_, nullptr);
  EXPECT_TRUE(alice_->IsLocked());
  ASSERT_TRUE(alice_->Unlock("correct horse").ok());
  EXPECT_TRUE(alice_->CreateTransaction({{to, kCoin}}, cc, &c).ok());
  EXPECT_EQ(bob_->Lock().message(), kNotEncryptedError);
}

TEST_F(WalletTest, EncryptedOnCreateNeverStoresPlainSeed) {
  WalletOptions opts = options_;
  opts.passphrase = "pw";
  auto w = Make("carol", &opts);
  EXPECT_TRUE(w->IsLocked());
  w.reset();
  std::unique_ptr<WalletDatabase> db;
  ASSERT_TRUE(WalletDatabase::Open(dir_ + "/carol", false, &db).ok());
  WalletRecords rec;
  std::string error;
  ASSERT_EQ(db->Load(&rec, &error), DBErrors::kLoadOk) << error;
  EXPECT_TRUE(rec.seed->encrypted);
  EXPECT_TRUE(rec.seed->plain.empty());
  EXPECT_TRUE(rec.master_key.has_value());
}

// -- Persistence, backup, restore -----------------------------------------------

TEST_F(WalletTest, ReopenKeepsEverything) {
  FundAlice();
  std::string labelled;
  ASSERT_TRUE(alice_->GetNewAddress("kept", &labelled).ok());
  const Balances before = alice_->GetBalances();
  const BestBlockRecord best = alice_->GetBestBlock();
  alice_.reset();
  alice_ = Reload("alice");
  EXPECT_EQ(alice_->GetBalances(), before);
  EXPECT_EQ(alice_->GetBestBlock(), best);
  EXPECT_EQ(alice_->GetLabels()[labelled], "kept");
  AddressInfo info;
  ASSERT_TRUE(alice_->GetAddressInfo(NewAddress(*alice_), &info).ok());
  EXPECT_EQ(info.hd_path, "m/86'/1'/0'/0/2");  // the coinbase address and "kept" came first
}

TEST_F(WalletTest, BackupRestoresBalanceAndNextAddress) {
  FundAlice();
  ASSERT_TRUE(alice_->Backup(dir_ + "/alice.bak").ok());
  const Balances balances = alice_->GetBalances();
  const std::string next = NewAddress(*alice_);
  alice_.reset();
  std::filesystem::remove_all(dir_ + "/alice");
  auto restored = Reload("alice.bak");
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(restored->GetBalances(), balances);
  EXPECT_EQ(NewAddress(*restored), next);
}

TEST_F(WalletTest, RestoredFromSeedFindsCoinsBeyondHandedOut) {
  SecureBytes seed;
  ASSERT_TRUE(alice_->GetSeed(&seed).ok());
  std::string far;
  for (uint32_t i = 0; i < kTestLookahead - 5; ++i) far = NewAddress(*alice_);
  Mine({}, far, {alice_.get()});
  MineToMaturity({alice_.get()});

  WalletOptions opts = options_;
  opts.seed = seed;
  auto restored = Make("restored", &opts);
  // Replay the chain into the restored wallet: it has handed out nothing.
  for (const Block& b : chain_) ASSERT_TRUE(restored->BlockConnected(b, b.header.height).ok());
  EXPECT_EQ(restored->GetBalances().trusted, 50 * kCoin);
  // The keypool moved past the used key, so the next address is alice's next too.
  EXPECT_EQ(NewAddress(*restored), NewAddress(*alice_));
}

TEST_F(WalletTest, CorruptedWalletRefusedAtLoad) {
  alice_.reset();
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/alice")) {
    if (entry.path().extension() == ".log") std::filesystem::resize_file(entry.path(), 0);
  }
  std::unique_ptr<Wallet> w;
  const Status s = Wallet::Load(dir_ + "/alice", options_, &w);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

}  // namespace
}  // namespace cc::wallet

// -- Hot keys (worker signing keys the wallet watches) ------------------------

namespace cc::wallet {
namespace {

TEST_F(WalletTest, HotKeyRewardsMatureAndSpendButAreNotPersisted) {
  const PrivateKey worker = PrivateKey::Generate();
  const std::string worker_address = EncodeAddress("rcc", KeyHash(worker.PublicKey()));
  EXPECT_TRUE(alice_->AddHotKey(worker));
  EXPECT_FALSE(alice_->AddHotKey(worker));
  EXPECT_EQ(alice_->GetHotKeys(), std::vector<XOnlyPubKeyBytes>{worker.PublicKey()});
  AddressInfo info;
  ASSERT_TRUE(alice_->GetAddressInfo(worker_address, &info).ok());
  EXPECT_TRUE(info.is_mine);
  EXPECT_TRUE(info.hd_path.empty());

  Mine({}, worker_address, {alice_.get()});
  EXPECT_EQ(alice_->GetBalances(), (Balances{0, 0, 50 * kCoin, 0}));
  MineToMaturity({alice_.get()});
  EXPECT_EQ(alice_->GetBalances().trusted, 50 * kCoin);
  // Spent with the hot key; the handed-out HD indexes do not move.
  const CreatedTransaction sent = Send(*alice_, NewAddress(*bob_), 10 * kCoin);
  ASSERT_EQ(sent.tx.inputs.size(), 1u);
  EXPECT_EQ(sent.tx.inputs[0].pubkey, worker.PublicKey());
  ASSERT_TRUE(alice_->CommitTransaction(sent.tx).ok());

  // Not in the database: after a reload the rewards are not ours until added again.
  alice_.reset();
  alice_ = Reload("alice");
  EXPECT_TRUE(alice_->GetHotKeys().empty());
  // The change spends an output that is no longer ours, so it is not trusted.
  EXPECT_EQ(alice_->GetBalances(), (Balances{0, 40 * kCoin - sent.fee, 0, 0}));
  EXPECT_TRUE(alice_->AddHotKey(worker));
  EXPECT_EQ(alice_->GetBalances().trusted, 40 * kCoin - sent.fee);  // the reward is spent
}

// A worker's bond from the wallet's coins (registerworker), back through
// the unbonding output (deregisterworker), which coin selection picks only
// once the delay has passed.
TEST_F(WalletTest, BondsLeaveThroughUnbondingAndSpendOnceReleased) {
  WalletOptions options = options_;
  options.unbonding_delay = 5;
  std::unique_ptr<Wallet> carol = Make("carol", &options);
  Mine({}, NewAddress(*carol), {carol.get()});
  MineToMaturity({carol.get()});
  const PrivateKey worker = PrivateKey::Generate();
  ASSERT_TRUE(carol->AddHotKey(worker));
  const Uint256 key(worker.PublicKey());
  const Uint256 payout = LockOf(NewAddress(*carol));

  CoinControl control;
  control.fee_rate = FeeRate{1000};
  CreatedTransaction created;
  EXPECT_EQ(carol->CreateTransaction({}, control, &created).message(),
            "Transaction must have at least one recipient");
  control.extra_outputs = {
      TxOut{.value = 5 * kCoin, .kind = OutputKind::kWorkerBond, .lock = key, .owner = payout},
      TxOut{0, OutputKind::kWorkerPayout, payout}};
  ASSERT_TRUE(carol->CreateTransaction({}, control, &created).ok());
  const std::vector<TxOut>& outs = created.tx.outputs;
  ASSERT_EQ(outs.size(), 3u);  // change, then the bond and its payout, in order
  EXPECT_EQ(std::vector<TxOut>(outs.begin() + 1, outs.end()), control.extra_outputs);
  // The fee is for the exact size: the payout carries a 64-byte signature.
  EXPECT_EQ(created.fee, control.fee_rate.GetFee(Serialize(created.tx).size()));
  ASSERT_TRUE(carol->CommitTransaction(created.tx).ok());
  Mine({created.tx}, "", {carol.get()});
  EXPECT_EQ(carol->GetBalances().bonded, 5 * kCoin);
  EXPECT_EQ(carol->GetBalances().trusted, 45 * kCoin - created.fee);

  const std::vector<WalletCoin> bonds = carol->ListBonds();
  ASSERT_EQ(bonds.size(), 1u);
  EXPECT_EQ(bonds[0].outpoint, (OutPoint{created.tx.Txid(), 1}));
  CoinControl unbond;
  unbond.fee_rate = FeeRate{1000};
  unbond.preset_inputs = {bonds[0].outpoint};
  unbond.extra_outputs = {
      TxOut{.value = 5 * kCoin, .kind = OutputKind::kUnbonding, .lock = key, .owner = payout}};
  CreatedTransaction leaving;
  ASSERT_TRUE(carol->CreateTransaction({}, unbond, &leaving).ok());
  ValidationState state;
  EXPECT_TRUE(CheckInputSignatures(leaving.tx, leaving.spent, &state)) << state.ToString();
  EXPECT_EQ(leaving.tx.outputs.back(), unbond.extra_outputs[0]);
  ASSERT_TRUE(carol->CommitTransaction(leaving.tx).ok());
  Mine({leaving.tx}, "", {carol.get()});
  const Amount trusted = carol->GetBalances().trusted;
  EXPECT_EQ(carol->GetBalances().bonded, 5 * kCoin);

  // Released at the unbonding block's height + 5: until the next block may
  // spend it, it is bonded and selection leaves it alone.
  for (int i = 0; i < 3; ++i) Mine({}, "", {carol.get()});
  EXPECT_EQ(carol->GetBalances().bonded, 5 * kCoin);
  EXPECT_EQ(carol->CreateTransaction({{NewAddress(*bob_), trusted + kCoin, true}}, control,
                                     &created)
                .message(),
            kInsufficientFundsError);
  Mine({}, "", {carol.get()});
  EXPECT_EQ(carol->GetBalances(), (Balances{trusted + 5 * kCoin, 0, 0, 0}));
  const CreatedTransaction all = Send(*carol, NewAddress(*bob_), trusted + 5 * kCoin, true);
  bool spends_unbonding = false;
  for (size_t i = 0; i < all.tx.inputs.size(); ++i)
    spends_unbonding = spends_unbonding || (all.spent[i].kind == OutputKind::kUnbonding &&
                                            KeyHash(all.tx.inputs[i].pubkey) == payout);
  EXPECT_TRUE(spends_unbonding);
}

}  // namespace
}  // namespace cc::wallet

// -- Payment channels -----------------------------------------------------------

namespace cc::wallet {
namespace {

class WalletChannelTest : public WalletTest {
 protected:
  static constexpr uint32_t kTimeoutBlocks = 30;

  /// Funds alice, then builds and commits a 10-coin channel from alice to a
  /// fresh key of bob's, mined in the next block.
  /** Alice opens a 10-coin channel to bob, or to a key of her own. */
  void Open(bool to_own_key = false) {
    FundAlice();
    Wallet& holder = to_own_key ? *alice_ : *bob_;
    ASSERT_TRUE(holder.GetPubKey(NewAddress(holder), &bob_pk_).ok());
    CoinControl cc;
    cc.fee_rate = FeeRate{1000};
    const uint32_t timeout = static_cast<uint32_t>(chain_.size()) + kTimeoutBlocks;
    ASSERT_TRUE(
        alice_->CreateChannelFunding(bob_pk_, 10 * kCoin, timeout, cc, &funding_, &channel_).ok());
    ASSERT_TRUE(alice_->CommitChannelOpen(funding_.tx, channel_).ok());
    EXPECT_EQ(State(*alice_), ChannelState::kOpening);
    Mine({funding_.tx}, "", {alice_.get(), bob_.get()});
  }

  ChannelState State(const Wallet& w) const {
    ChannelInfo info;
    EXPECT_TRUE(w.GetChannel(channel_.funding, &info).ok());
    return info.state;
  }

  ChannelUpdate Pay(Amount paid) {
    ChannelUpdate update;
    const Status s = alice_->SignChannelUpdate(channel_.funding, paid, Uint256(), &update);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return update;
  }

  XOnlyPubKeyBytes bob_pk_{};
  CreatedTransaction funding_;
  Channel channel_;
};

TEST_F(WalletChannelTest, FundingIsSignedAndLocksTheCapacity) {
  Open();
  EXPECT_EQ(funding_.tx.outputs[channel_.funding.index], channel_.FundingOutput());
  EXPECT_EQ(channel_.terms.holder, bob_pk_);
  EXPECT_TRUE(alice_->IsMine(
      TxOut{1, OutputKind::kPayToKeyHash, KeyHash(channel_.terms.client)}));  // its own key
  ValidationState state;
  EXPECT_TRUE(CheckInputSignatures(funding_.tx, funding_.spent, &state)) << state.ToString();
  EXPECT_EQ(State(*alice_), ChannelState::kOpen);
  EXPECT_GT(channel_.close_fee, 0);
  const Balances b = alice_->GetBalances();
  EXPECT_EQ(b.trusted, 40 * kCoin - funding_.fee);
  EXPECT_EQ(b.in_channels, channel_.MaxPaid());
}

TEST_F(WalletChannelTest, UpdatesAreKeptAcrossReloadsAndOnlyIncrease) {
  Open();
  ASSERT_TRUE(bob_->AcceptChannelUpdate(channel_, Pay(kCoin)).ok());
  const ChannelUpdate second = Pay(2 * kCoin);
  ASSERT_TRUE(bob_->AcceptChannelUpdate(channel_, second).ok());

  alice_.reset();
  bob_.reset();
  alice_ = Reload("alice");
  bob_ = Reload("bob");
  ChannelUpdate update;
  EXPECT_EQ(alice_->SignChannelUpdate(channel_.funding, 2 * kCoin, Uint256(), &update).message(),
            "channel-update-not-increasing");
  EXPECT_EQ(bob_->AcceptChannelUpdate(channel_, second).message(), "channel-update-not-increasing");
  EXPECT_EQ(alice_->GetBalances().in_channels, channel_.MaxPaid() - 2 * kCoin);
  EXPECT_EQ(bob_->GetBalances().in_channels, 2 * kCoin);
  EXPECT_EQ(alice_->SignChannelUpdate(channel_.funding, channel_.MaxPaid() + 1, Uint256(), &update)
                .message(),
            "channel-update-over-capacity");
}

TEST_F(WalletChannelTest, HolderSettlesWithItsBestUpdate) {
  Open();
  ASSERT_TRUE(bob_->AcceptChannelUpdate(channel_, Pay(3 * kCoin)).ok());
  Pay(4 * kCoin);  // signed, never given to bob
  Transaction close;
  ASSERT_TRUE(bob_->CreateChannelClose(channel_.funding, &close).ok());
  ValidationState state;
  EXPECT_TRUE(CheckInputSignatures(close, std::vector<TxOut>{channel_.FundingOutput()}, &state))
      << state.ToString();
  ASSERT_TRUE(bob_->CommitTransaction(close).ok());
  EXPECT_EQ(State(*bob_), ChannelState::kClosing);
  Mine({close}, "", {alice_.get(), bob_.get()});
  EXPECT_EQ(State(*alice_), ChannelState::kClosed);
  EXPECT_EQ(State(*bob_), ChannelState::kClosed);
  EXPECT_EQ(bob_->GetBalances(), (Balances{3 * kCoin, 0, 0, 0, 0}));
  EXPECT_EQ(alice_->GetBalances().trusted,
            50 * kCoin - funding_.fee - 3 * kCoin - channel_.close_fee);
  EXPECT_EQ(bob_->CreateChannelClose(channel_.funding, &close).message(), "channel-closed");
}

TEST_F(WalletChannelTest, ClientRefundsFromTheTimeoutOnly) {
  Open();
  ASSERT_TRUE(bob_->AcceptChannelUpdate(channel_, Pay(kCoin)).ok());
  Transaction refund;
  while (chain_.size() + 1 < channel_.terms.timeout_height) {
    EXPECT_EQ(alice_->CreateChannelClose(channel_.funding, &refund).message(),
              "channel-refund-premature");
    if (chain_.size() + kChannelExpiryMargin >= channel_.terms.timeout_height) {
      EXPECT_EQ(bob_->AcceptChannelUpdate(channel_, Pay(kCoin + chain_.size())).message(),
                "channel-update-expiring");
    }
    Mine({}, "", {alice_.get(), bob_.get()});
  }
  ASSERT_TRUE(alice_->CreateChannelClose(channel_.funding, &refund).ok());
  ValidationState state;
  EXPECT_TRUE(CheckInputSignatures(refund, std::vector<TxOut>{channel_.FundingOutput()}, &state))
      << state.ToString();
  ASSERT_TRUE(alice_->CommitTransaction(refund).ok());
  Mine({refund}, "", {alice_.get(), bob_.get()});
  EXPECT_EQ(State(*bob_), ChannelState::kClosed);  // bob sees the refund spend his channel
  EXPECT_EQ(alice_->GetBalances().trusted, 50 * kCoin - funding_.fee - channel_.close_fee);
  EXPECT_EQ(bob_->GetBalances().in_channels, 0);
}

// A wallet holds one record per funding outpoint: one that opened a
// channel to a key of its own is its client and cannot accept its updates.
// The reason said "wrong-channel", which sent a second implementation's
// author looking for other terms.
TEST_F(WalletChannelTest, AWalletCannotBeTheHolderOfItsOwnChannel) {
  Open(/*to_own_key=*/true);
  EXPECT_EQ(alice_->AcceptChannelUpdate(channel_, Pay(kCoin)).message(),
            "channel-update-own-channel");
}

TEST_F(WalletChannelTest, HolderRefusesChannelsToOtherKeys) {
  Open();
  Channel other = channel_;
  other.terms.holder = channel_.terms.client;
  EXPECT_EQ(bob_->AcceptChannelUpdate(other, Pay(kCoin)).message(), "channel-not-ours");
  ASSERT_TRUE(bob_->AcceptChannelUpdate(channel_, Pay(2 * kCoin)).ok());
  Channel changed = channel_;
  changed.close_fee = 0;  // the same outpoint with other terms
  EXPECT_EQ(bob_->AcceptChannelUpdate(changed, Pay(3 * kCoin)).message(),
            "channel-update-wrong-channel");
  ChannelUpdate update;
  EXPECT_EQ(bob_->SignChannelUpdate(channel_.funding, 5 * kCoin, Uint256(), &update).message(),
            "channel-unknown");  // bob is not its client
}

TEST_F(WalletChannelTest, AbandonedFundingClosesTheChannel) {
  FundAlice();
  ASSERT_TRUE(bob_->GetPubKey(NewAddress(*bob_), &bob_pk_).ok());
  CoinControl cc;
  ASSERT_TRUE(alice_->CreateChannelFunding(bob_pk_, 5 * kCoin, 100, cc, &funding_, &channel_).ok());
  ASSERT_TRUE(alice_->CommitChannelOpen(funding_.tx, channel_).ok());
  ASSERT_TRUE(alice_->AbandonTransaction(funding_.tx.Txid()).ok());
  EXPECT_EQ(State(*alice_), ChannelState::kAbandoned);
  EXPECT_EQ(alice_->GetBalances().in_channels, 0);
  EXPECT_EQ(alice_->GetBalances().trusted, 50 * kCoin);
  ChannelUpdate update;
  EXPECT_EQ(alice_->SignChannelUpdate(channel_.funding, kCoin, Uint256(), &update).message(),
            "channel-closed");
}

}  // namespace
}  // namespace cc::wallet
