// Wallet: HD keys, addresses, the wallet's transactions and coins, spending,
// encryption and backup, over one WalletDatabase.
//
// Keys: one seed (hd.h paths m/86'/coin'/0'/chain/index). The account's
// extended public key is stored in clear, so the wallet derives public keys,
// recognises its outputs and hands out addresses while locked; private keys
// are derived from the seed only to sign, and only while unlocked.
//
// Keypool: on each chain the wallet watches the `lookahead` keys after the
// last one handed out or seen used. A restored backup or a wallet re-created
// from its seed thus finds coins paid to addresses it never handed out; a
// payment to a watched key moves the handed-out mark past it and extends
// the window.
//
// Ownership (IsMine): a kPayToKeyHash output whose lock is KeyHash of a
// watched key, or a kWorkerBond or kUnbonding output whose owner is (the
// worker key in its lock does not matter: a stolen signing key cannot spend
// a bond, doc/consensus.md §2.1). Bonds are the worker's
// registration, so coin selection never picks them (only a preset input may
// spend one, into unbonding: deregisterworker) and they are reported apart
// (Balances::bonded); an unbonding output joins the ordinary coins once
// released: tip + 1 >= its height + unbonding_delay.
//
// Chain: the node calls BlockConnected/BlockDisconnected in chain order
// (each block once, disconnects newest first) and AddToWallet for mempool
// transactions. Disconnected blocks' transactions go back to unconfirmed
// (their coinbases drop out of every balance until confirmed again);
// transactions spending an outpoint a confirmed transaction also spends
// become conflicted, with their descendants. Each call is one database batch.
//
// Maturity: a coinbase output confirmed at height h counts as immature until
// the next block, at tip + 1, may spend it: tip + 1 >= h + coinbase_maturity
// (chain/coins.h kCoinbaseMaturity by default).
//
// Balances (Bitcoin Core's getbalances), over unspent outputs we own:
//   trusted            confirmed (and mature), or unconfirmed and made by us
//   untrusted_pending  unconfirmed and not made by us
//   immature           confirmed coinbase outputs not yet mature
//   bonded             worker bonds and unreleased unbonding outputs (not in
//                      the others)
//   in_channels        our side of payment channels not yet closing: as a
//                      client, capacity − close_fee − paid; as a holder, paid
// An output is spent when a confirmed or unconfirmed wallet transaction
// spends it (conflicted and abandoned spends do not count).
//
// Payment channels (chain/channel.h, doc/channels.md): the wallet funds
// channels from its coins with a fresh key of its own as the client key,
// signs each payment (client), or checks and keeps the best payment made to
// one of its keys (holder), and closes: the holder with its best update,
// the client by refund from the timeout height. A channel's record holds its
// terms and the best update; whether it is opening, open, closing or
// closed is read from the wallet's transactions (what spends the funding
// outpoint, and at what depth), so there is no second state to keep in step
// with the chain. Every record change is one batch: the funding transaction
// and its channel together, and an update before it is handed out
// (client) or reported accepted (holder).
//
// Errors: wallet failures keep the Status codes of chain/status.h; messages
// the RPC layer maps to Bitcoin Core's codes are the k*Error constants below
// (compare Status::message()).
//
// Thread safety: every public method may be called from any thread; one
// mutex (mu_) guards all state, and database writes happen under it.

#ifndef COMPUTECOIN_WALLET_WALLET_H
#define COMPUTECOIN_WALLET_WALLET_H

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "chain/block.h"
#include "chain/coins.h"
#include "chain/key.h"
#include "chain/status.h"
#include "chain/transaction.h"
#include "wallet/coinselection.h"
#include "wallet/crypter.h"
#include "wallet/fees.h"
#include "wallet/hd.h"
#include "wallet/secure.h"
#include "wallet/wallet_tx.h"
#include "wallet/walletdb.h"

namespace cc::wallet {

/// Keys watched past the last used one on each chain (Bitcoin Core: -keypool=1000).
inline constexpr uint32_t kDefaultLookahead = 100;
/// The fee rate at which we expect to spend coins later, for waste (Core's consolidatefeerate).
inline constexpr FeeRate kDefaultLongTermFeeRate{10'000};
/// Longest label kept.
inline constexpr size_t kMaxLabelSize = 1024;

// Messages that map to Bitcoin Core RPC codes (the RPC layer compares them).
/// RPC_WALLET_UNLOCK_NEEDED (-13); Status::NotSupported.
inline constexpr char kUnlockNeededError[] =
    "Error: Please enter the wallet passphrase with walletpassphrase first.";
/// RPC_WALLET_PASSPHRASE_INCORRECT (-14); Status::InvalidArgument.
inline constexpr char kWrongPassphraseError[] =
    "Error: The wallet passphrase entered was incorrect.";
/// RPC_WALLET_WRONG_ENC_STATE (-15); Status::NotSupported.
inline constexpr char kNotEncryptedError[] =
    "Error: running with an unencrypted wallet, but this call needs an encrypted one.";
inline constexpr char kAlreadyEncryptedError[] =
    "Error: running with an encrypted wallet, but encryptwallet was called.";
/// RPC_WALLET_INSUFFICIENT_FUNDS (-6); Status::InvalidArgument.
inline constexpr char kInsufficientFundsError[] = "Insufficient funds";
/// RPC_INVALID_ADDRESS_OR_KEY (-5); Status::InvalidArgument, with the reason appended.
inline constexpr char kInvalidAddressError[] = "Invalid address";

struct WalletOptions {
  std::string hrp;  //!< the network's address prefix, e.g. "rcc"
  uint32_t coin_type = kCoinTypeTest;
  uint32_t lookahead = kDefaultLookahead;
  uint32_t coinbase_maturity = kCoinbaseMaturity;
  /// Blocks before a kUnbonding output of ours may be spent (the network's
  /// ChainParams::unbonding_delay; main's by default).
  uint32_t unbonding_delay = 1000;
  /// Create only: restore from this seed instead of drawing one.
  std::optional<SecureBytes> seed;
  /// Create only: encrypt at once with this passphrase (empty: unencrypted).
  std::string passphrase;
  /// KDF calibration (tests lower them to run fast).
  std::chrono::milliseconds kdf_target = kKdfTarget;
  uint8_t kdf_min_log2_n = kDefaultMinLog2ScryptN;
};

struct Balances {
  Amount trusted = 0;
  Amount untrusted_pending = 0;
  Amount immature = 0;
  Amount bonded = 0;
  Amount in_channels = 0;
  bool operator==(const Balances&) const = default;
};

/// An unspent output of ours, as listunspent shows it.
struct WalletCoin {
  OutPoint outpoint;
  TxOut out;
  int depth = 0;  //!< confirmations; 0 unconfirmed
  std::string address;
  std::string label;
  bool coinbase = false;
  bool trusted = false;  //!< confirmed, or unconfirmed and ours (safe to spend)
};

/// The chain number of hot keys (AddHotKey): not a BIP32 chain, never derived.
inline constexpr uint32_t kHotKeyChain = 0xFFFFFFFF;

/// Where a key of ours sits in the tree (or, on kHotKeyChain, which hot key).
struct KeyOrigin {
  uint32_t chain = 0;
  uint32_t index = 0;
};

struct AddressInfo {
  std::string address;
  bool is_mine = false;
  bool is_change = false;
  std::string label;
  XOnlyPubKeyBytes pubkey{};  //!< when is_mine
  std::string hd_path;        //!< e.g. "m/86'/1'/0'/0/4", when is_mine
  std::string master_fingerprint;
};

struct Recipient {
  std::string address;
  Amount amount = 0;
  bool subtract_fee = false;  //!< this recipient pays (its share of) the fee
};

struct CoinControl {
  FeeRate fee_rate = kDefaultMinFeeRate;  //!< from FeeEstimator or the user
  FeeRate long_term_fee_rate = kDefaultLongTermFeeRate;
  /// Inputs the transaction must spend (fundrawtransaction); more are added if needed.
  std::vector<OutPoint> preset_inputs;
  /// Spend unconfirmed outputs of our own transactions when confirmed ones fall short.
  bool allow_unconfirmed_change = true;
  /// Seeds coin selection and the change position; 0 draws one at random.
  uint64_t seed = 0;
  /// Sign the result (false: fundrawtransaction leaves inputs unsigned).
  bool sign = true;
  /// The wallet transaction this one replaces (bumpfee): its spends do not
  /// make the preset inputs count as spent.
  std::optional<Uint256> replaces;
  /// Outputs besides the payments (a worker bond and its payout, an
  /// unbonding output), funded like payments and written after them, in
  /// this order; the change never goes among them.
  std::vector<TxOut> extra_outputs;
};

struct CreatedTransaction {
  Transaction tx;
  Amount fee = 0;
  int change_pos = -1;        //!< index of the change output, -1 if none
  std::vector<TxOut> spent;   //!< the outputs the inputs spend, in input order
  SelectionAlgorithm algorithm = SelectionAlgorithm::kLargestFirst;
};

/// A wallet transaction with figures computed at the current tip.
struct WalletTxInfo {
  WalletTx wtx;
  Uint256 txid;
  int depth = 0;       //!< confirmations; 0 unconfirmed; -1 conflicted
  Amount credit = 0;   //!< our outputs
  Amount debit = 0;    //!< our inputs' spent values (known ones)
  Amount fee = 0;      //!< when all inputs are ours: inputs − outputs; else 0
  bool coinbase = false;
  bool mature = true;
};

/// Where a channel stands, read from the wallet's transactions.
enum class ChannelState {
  kOpening,  //!< the funding transaction is unconfirmed (client only)
  kOpen,     //!< funded; nothing of ours spends it
  kClosing,  //!< an unconfirmed wallet transaction spends it
  kClosed,   //!< a confirmed one does
  kAbandoned,  //!< the funding transaction was abandoned or conflicted (client only)
};

/// "opening", "open", "closing", "closed", "abandoned".
const char* ChannelStateName(ChannelState state);

struct ChannelInfo {
  ChannelRecord record;
  ChannelState state = ChannelState::kOpen;
  Uint256 close_txid;  //!< the spending transaction when closing or closed
};

/// Blocks before its timeout from which a holder stops accepting a channel's
/// updates: it must be able to settle before the client may refund.
inline constexpr uint32_t kChannelExpiryMargin = 6;

struct InputSignError {
  uint32_t index = 0;
  std::string error;
};

class Wallet {
 public:
  /** Creates a new wallet in directory `path` (must not hold one).
   *
   *  Returns: OK with *out; InvalidArgument for an empty hrp, a bad seed
   *           length, or an existing database; IOError from the store.
   *  Out:     out: REQUIRES: not null.
   */
  static Status Create(const std::string& path, const WalletOptions& options,
                       std::unique_ptr<Wallet>* out);

  /** Opens the wallet in `path` (locked if encrypted).
   *
   *  Returns: OK with *out; NotFound if there is none; IOError if it is in
   *           use; Corruption with the reason if it does not load cleanly
   *           (never rebuilt); NotSupported if written by a newer version.
   *  Out:     out: REQUIRES: not null.
   *  In:      options: hrp, coin_type, lookahead, maturity (seed and
   *                    passphrase are ignored).
   */
  static Status Load(const std::string& path, const WalletOptions& options,
                     std::unique_ptr<Wallet>* out);

  ~Wallet();
  Wallet(const Wallet&) = delete;
  Wallet& operator=(const Wallet&) = delete;

  // -- Addresses --------------------------------------------------------------

  /** Hands out the next receive address and stores its label.
   *  Returns: OK with *address; InvalidArgument for a label over kMaxLabelSize.
   */
  Status GetNewAddress(const std::string& label, std::string* address);
  /// Hands out the next change address.
  Status GetRawChangeAddress(std::string* address);
  /** Sets (or with an empty label keeps, as Core) an address's label.
   *  Returns: OK; InvalidArgument (kInvalidAddressError) for an address that does not decode.
   */
  Status SetLabel(const std::string& address, const std::string& label);
  /// Describes an address (ours or not). InvalidArgument if it does not decode.
  Status GetAddressInfo(const std::string& address, AddressInfo* info) const;
  /// Every labelled address and its label.
  std::map<std::string, std::string> GetLabels() const;
  /// The x-only public key of one of our addresses; NotFound if not ours.
  Status GetPubKey(const std::string& address, XOnlyPubKeyBytes* pubkey) const;

  [[nodiscard]] bool IsMine(const TxOut& out) const;

  /** Adds a key the wallet does not own but may watch and spend with: a
   *  worker's signing key, whose coinbase rewards consensus pays to
   *  KeyHash(worker). Hot keys live in memory only (never written to the
   *  database, never in a backup); the node adds them again at each load.
   *  Their outputs count as ours while the key is added; they are spent
   *  only while the wallet is unlocked, like the HD keys. Transactions
   *  already recorded are re-evaluated; blocks before the wallet's best block
   *  must be replayed by the caller (a rescan) to find older rewards.
   *  Returns: true if added, false if already present.
   */
  bool AddHotKey(const PrivateKey& key);
  /// The x-only public keys of the hot keys, in the order added.
  std::vector<XOnlyPubKeyBytes> GetHotKeys() const;

  // -- Chain ------------------------------------------------------------------

  /** Adds the block's transactions that concern us, confirms them, marks
   *  conflicts, and advances the best block. REQUIRES: called in chain order.
   *  Returns: OK, or the database's IOError (memory state then still
   *           updated; the node should stop).
   */
  Status BlockConnected(const Block& block, uint32_t height);
  /** Undoes BlockConnected for the tip block (see file comment).
   *  REQUIRES: block is the wallet's best block, at `height`.
   */
  Status BlockDisconnected(const Block& block, uint32_t height);
  /** Adds an unconfirmed transaction (from the mempool) if it concerns us.
   *  Returns: OK with *added (false if not ours or already known).
   *  Out:     added: may be null.
   */
  Status AddToWallet(const Transaction& tx, bool* added = nullptr);
  /** Records a transaction this wallet made (from CreateTransaction) as
   *  unconfirmed and ours; the caller relays it.
   */
  Status CommitTransaction(const Transaction& tx);
  /** Marks an unconfirmed transaction, and its descendants, abandoned.
   *  Returns: OK; NotFound("Invalid or non-wallet transaction id");
   *           InvalidArgument("Transaction not eligible for abandonment")
   *           if it is confirmed, conflicted or already abandoned. The
   *           caller must first check the mempool does not hold it.
   */
  Status AbandonTransaction(const Uint256& txid);
  /// The block the wallet is synced to (height 0 and a zero hash before any).
  BestBlockRecord GetBestBlock() const;

  // -- Coins and history ------------------------------------------------------

  Balances GetBalances() const;
  /** Spendable coins (mature, not locked, not bonds; released unbonding
   *  outputs count) with depth in [min_conf, max_conf]; unconfirmed ones
   *  only if trusted.
   */
  std::vector<WalletCoin> ListUnspent(int min_conf = 1, int max_conf = 9'999'999) const;
  /// Our unspent kWorkerBond and kUnbonding outputs (owned by our keys),
  /// confirmed or trusted, mature or not, locked or not.
  std::vector<WalletCoin> ListBonds() const;
  /// Locks a coin against selection (memory only). False if already locked.
  bool LockCoin(const OutPoint& outpoint);
  bool UnlockCoin(const OutPoint& outpoint);
  void UnlockAllCoins();
  std::vector<OutPoint> ListLockedCoins() const;
  bool IsLockedCoin(const OutPoint& outpoint) const;

  /// Every wallet transaction, oldest received first.
  std::vector<WalletTxInfo> ListTransactions() const;
  /// NotFound if the wallet does not know txid.
  Status GetTransaction(const Uint256& txid, WalletTxInfo* info) const;

  // -- Spending and signing ---------------------------------------------------

  /** Selects coins, adds change above dust (less goes to the fee), and
   *  signs (coin_control.sign). Coins are our mature pay-to-key-hash outputs
   *  and our kUnbonding outputs once released (their creation height +
   *  unbonding_delay is at most the next block's); a preset input may also
   *  be one of our worker bonds (deregistration moves it to
   *  coin_control.extra_outputs' unbonding output). `recipients` may be
   *  empty when coin_control.extra_outputs is not.
   *
   *  Returns: OK with *out; InvalidArgument(kInvalidAddressError + reason)
   *           for a bad recipient address, InvalidArgument for amounts out
   *           of range or below dust ("Transaction amount too small"), for
   *           a fee rate over kMaxFeeRate, or kInsufficientFundsError;
   *           NotSupported(kUnlockNeededError) when signing a locked wallet.
   *           Nothing is stored; the change key is handed out.
   *  Out:     out: REQUIRES: not null.
   */
  Status CreateTransaction(const std::vector<Recipient>& recipients,
                           const CoinControl& coin_control, CreatedTransaction* out);

  /** Builds a replacement of our unconfirmed transaction `txid` that pays
   *  `fee_rate` (bumpfee, doc/wallet.md "Stuck payments"): the same inputs
   *  and the same payments; the change output (one to our change chain) is
   *  recomputed, and confirmed coins are added if the inputs fall short. The
   *  result is signed; nothing is stored (CommitTransaction it, then
   *  AbandonTransaction the original, once the mempool took it).
   *
   *  Returns: OK with *out and *old_fee; NotFound("Invalid or non-wallet
   *           transaction id"); InvalidArgument when the transaction is not
   *           unconfirmed ("Transaction has been mined, or is conflicted with
   *           a mined transaction"; abandoned ones too), has an input that is
   *           not ours, a worker bond output, or an unconfirmed descendant in
   *           the wallet; CreateTransaction's errors.
   *  Out:     out, old_fee: REQUIRES: not null.
   */
  Status CreateBumpTransaction(const Uint256& txid, FeeRate fee_rate, CreatedTransaction* out,
                               Amount* old_fee);

  /** Signs every input of *tx that spends an output of ours
   *  (signrawtransactionwithwallet): sets its pubkey first, then signs all.
   *
   *  Returns: OK (*errors lists inputs left unsigned: unknown prevout, not
   *           ours); NotSupported(kUnlockNeededError) if locked.
   *  In/Out:  tx: REQUIRES: not null.
   *  In:      prevouts: outputs spent by inputs the wallet does not know.
   *  Out:     errors: REQUIRES: not null.
   *           complete: may be null; true if every input's signature verifies.
   */
  Status SignTransaction(Transaction* tx, const std::map<OutPoint, TxOut>& prevouts,
                         std::vector<InputSignError>* errors, bool* complete = nullptr) const;

  /** Signs a 32-byte tagged hash with the key of `pubkey` (for protocols
   *  such as payment channels). The caller must hash under its own tag so
   *  the signature cannot be replayed as a transaction signature.
   *
   *  Returns: OK with *sig64; NotFound if the key is not ours;
   *           NotSupported(kUnlockNeededError) if locked.
   */
  Status SignHash(const XOnlyPubKeyBytes& pubkey, const Uint256& msg32,
                  SchnorrSigBytes* sig64) const;

  // -- Payment channels -------------------------------------------------------

  /** Builds the signed funding transaction of a new channel paying `holder`:
   *  a kChannel output of `capacity` (client key: a fresh receive key of
   *  ours), funded and changed as CreateTransaction does. The settlement's
   *  fee, close_fee, is coin_control.fee_rate on the settlement's size.
   *  Nothing is stored but the client key's use: CommitChannelOpen it.
   *
   *  Returns: OK with *out and *channel; InvalidArgument for an invalid
   *           holder key, a capacity not above close_fee plus dust, or a
   *           timeout height not above the best block; CreateTransaction's
   *           errors.
   *  Out:     out, channel: REQUIRES: not null.
   */
  Status CreateChannelFunding(const XOnlyPubKeyBytes& holder, Amount capacity,
                              uint32_t timeout_height, const CoinControl& coin_control,
                              CreatedTransaction* out, Channel* channel);

  /** Records the funding transaction as CommitTransaction does and the
   *  channel (client role), in one batch, before it is relayed (as Bitcoin
   *  Core commits before broadcasting): a crash can then never leave coins
   *  in a channel the wallet does not know. If the mempool refuses it,
   *  AbandonTransaction it (the channel then reads kAbandoned).
   *  Returns: OK; InvalidArgument if `funding` does not create the channel's
   *           output at channel.funding; IOError from the store.
   */
  Status CommitChannelOpen(const Transaction& funding, const Channel& channel);

  /** Client: signs the update that raises the payment over the channel
   *  funded at `funding` to `paid` in total, committing `receipts_root`,
   *  and keeps it as the channel's best before handing it out.
   *
   *  Returns: OK with *out; NotFound("channel-unknown") if we are not its
   *           client; InvalidArgument("channel-update-not-increasing") if
   *           paid does not exceed the last update signed,
   *           ("channel-update-over-capacity"), or ("channel-closed") once
   *           something spends it; NotSupported(kUnlockNeededError) if locked.
   *  Out:     out: REQUIRES: not null.
   */
  Status SignChannelUpdate(const OutPoint& funding, Amount paid, const Uint256& receipts_root,
                           ChannelUpdate* out);

  /** Holder: checks an update (chain/channel.h CheckUpdate against the best
   *  one kept) and keeps it. The caller has checked that the funding output
   *  exists (unspent, in the chain or the mempool) when the channel is new.
   *
   *  Returns: OK; InvalidArgument with the reason: CheckChannel's and
   *           CheckUpdate's, "channel-not-ours" (the holder key is not ours),
   *           "channel-update-wrong-channel" (other terms than the channel
   *           kept for that outpoint), "channel-update-own-channel" (this
   *           wallet opened it: one record per outpoint, and it is the
   *           client's), "channel-closed", or
   *           "channel-update-expiring" (within kChannelExpiryMargin blocks
   *           of the timeout); IOError from the store.
   */
  Status AcceptChannelUpdate(const Channel& channel, const ChannelUpdate& update);

  /** Builds the signed transaction that closes the channel at `funding`:
   *  the holder's settlement with its best update, or the client's refund
   *  (fee: close_fee) once the next block is at the timeout height. Nothing
   *  is stored: CommitTransaction after the mempool took it.
   *
   *  Returns: OK with *out; NotFound("channel-unknown"); InvalidArgument
   *           "channel-closed", "channel-no-payment" (holder before any
   *           update), or "channel-refund-premature" (client before the
   *           timeout); NotSupported(kUnlockNeededError) if locked.
   *  Out:     out: REQUIRES: not null.
   */
  Status CreateChannelClose(const OutPoint& funding, Transaction* out) const;

  /// Every channel, by funding outpoint.
  std::vector<ChannelInfo> ListChannels() const;
  /// NotFound("channel-unknown") if the wallet has no channel at `funding`.
  Status GetChannel(const OutPoint& funding, ChannelInfo* info) const;

  // -- Encryption and backup --------------------------------------------------

  /** Encrypts the seed under a new master key and leaves the wallet locked.
   *  Returns: OK; NotSupported(kAlreadyEncryptedError); InvalidArgument for
   *           an empty passphrase; IOError from the store.
   */
  Status EncryptWallet(const std::string& passphrase);
  /** Decrypts the seed into memory (the caller handles the timeout and calls Lock).
   *  Returns: OK; InvalidArgument(kWrongPassphraseError);
   *           NotSupported(kNotEncryptedError).
   */
  Status Unlock(const std::string& passphrase);
  /// Wipes the seed and keys from memory. NotSupported(kNotEncryptedError) if unencrypted.
  Status Lock();
  /// Re-encrypts the master key; the lock state is unchanged. Errors as Unlock.
  Status ChangePassphrase(const std::string& old_passphrase, const std::string& new_passphrase);
  bool IsCrypted() const;
  bool IsLocked() const;

  /** Writes a consistent copy of the database to a new directory `dest`.
   *  Returns: OK; InvalidArgument if dest exists; IOError.
   */
  Status Backup(const std::string& dest) const;

  /** The HD seed (dumpwallet-style export).
   *  Returns: OK with *seed; NotSupported(kUnlockNeededError) while locked.
   */
  Status GetSeed(SecureBytes* seed) const;

  const std::string& hrp() const { return options_.hrp; }

 private:
  explicit Wallet(const WalletOptions& options);

  // All REQUIRES: mu_ held.
  Status InitFromRecords(WalletRecords&& records);
  void ExtendKeypool(uint32_t chain);
  void MarkUsed(const KeyOrigin& origin, WalletBatch* batch);
  std::optional<KeyOrigin> OriginOf(const TxOut& out) const;
  std::string AddressFor(const KeyOrigin& origin) const;
  Status HandOut(uint32_t chain, std::string* address);
  Status DeriveKey(const KeyOrigin& origin, std::optional<PrivateKey>* key) const;
  bool IsRelevant(const Transaction& tx) const;
  void AddSpends(const Uint256& txid, const Transaction& tx);
  const TxOut* FindOutput(const OutPoint& outpoint) const;
  /// True if an active wallet transaction other than `ignore` spends outpoint.
  bool IsSpent(const OutPoint& outpoint, const std::optional<Uint256>& ignore = {}) const;
  int Depth(const WalletTx& wtx) const;
  bool IsMature(const WalletTx& wtx) const;
  bool IsTrusted(const WalletTx& wtx) const;
  // Whether coin selection may pick `out` of `wtx` (maturity aside): a
  // pay-to-key-hash output, or a released kUnbonding one.
  bool IsSelectable(const WalletTx& wtx, const TxOut& out) const;
  // Whether the outputs of confirmed `wtx` are past the unbonding delay at
  // the next block.
  bool IsReleased(const WalletTx& wtx) const;
  void MarkConflicted(const Uint256& txid, const Uint256& block_hash, uint32_t height,
                      WalletBatch* batch);
  void ReviveFromConflict(const Uint256& block_hash, WalletBatch* batch);
  WalletTxInfo MakeInfo(const Uint256& txid, const WalletTx& wtx) const;
  bool IsLockedNoMutex() const { return !seed_.has_value(); }
  XOnlyPubKeyBytes PubKeyOf(const KeyOrigin& origin) const;
  Status UnlockWithMasterKey(const SecureBytes& master_key);
  /// CommitTransaction's writes, into *batch.
  void RecordOwnTransaction(const Transaction& tx, WalletBatch* batch);
  ChannelInfo MakeChannelInfo(const ChannelRecord& record) const;
  Status SignWithKey(const XOnlyPubKeyBytes& pubkey, const Uint256& msg32,
                     SchnorrSigBytes* sig64) const;

  WalletOptions options_;
  mutable std::mutex mu_;
  std::unique_ptr<WalletDatabase> db_;                        // GUARDED_BY(mu_)
  AccountRecord account_;                                      // GUARDED_BY(mu_)
  std::optional<SeedRecord> seed_record_;                      // GUARDED_BY(mu_)
  std::optional<MasterKeyRecord> master_key_record_;           // GUARDED_BY(mu_)
  std::optional<SecureBytes> seed_;  // GUARDED_BY(mu_); absent while locked
  std::optional<ExtKey> account_key_;  // GUARDED_BY(mu_); absent while locked
  // Per chain: keys handed out, and the public keys derived (>= handed out + lookahead).
  std::map<uint32_t, uint32_t> next_index_;                   // GUARDED_BY(mu_)
  std::map<uint32_t, std::vector<ExtPubKey>> derived_;        // GUARDED_BY(mu_)
  std::map<uint32_t, ExtPubKey> chain_xpub_;                  // GUARDED_BY(mu_)
  std::unordered_map<Uint256, KeyOrigin, Uint256Hasher> by_key_hash_;  // GUARDED_BY(mu_)
  std::map<XOnlyPubKeyBytes, KeyOrigin> by_pubkey_;           // GUARDED_BY(mu_)
  std::map<std::string, std::string> labels_;                 // GUARDED_BY(mu_)
  std::map<Uint256, WalletTx> txs_;                           // GUARDED_BY(mu_)
  std::map<OutPoint, std::set<Uint256>> spends_;              // GUARDED_BY(mu_)
  std::set<OutPoint> locked_coins_;                           // GUARDED_BY(mu_)
  std::vector<PrivateKey> hot_keys_;                          // GUARDED_BY(mu_); memory only
  BestBlockRecord best_block_;                                // GUARDED_BY(mu_)
  std::map<OutPoint, ChannelRecord> channels_;  // GUARDED_BY(mu_)
};

}  // namespace cc::wallet

#endif  // COMPUTECOIN_WALLET_WALLET_H
