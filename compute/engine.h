// compute::Engine: the only face of the model that consensus sees.
//
// An engine knows the model configuration, its partition into sections and
// the plan of every training step (compute/plan.h). It executes units, and
// verifies other workers' claimed units by executing them again. Units are
// pure functions of their input tensors: Execute and Verify read nothing
// else (not even the engine's own state), so a node can check a unit of any
// step, on any branch, as long as it has the committed tensors.
//
// The engine also holds one model state — each section's weights and
// optimizer state — which the caller advances by importing the outputs of a
// step's UPDATE units. StateRoot() commits to it:
//   leaf_s    = TaggedHash(tags::kStateLeaf, s:u32le || H(W_s) || H(opt_s))
//   StateRoot = MerkleRoot([leaf_0, …, leaf_{k−1}])   (chain/merkle.h)
// where H is EncodedTensor::Hash. The initial state is InitialParams(config)
// with zero optimizer state.
//
// Verification. Floating point sums in a different order on another thread
// count or processor, so honest re-execution differs in the last bits
// (DESIGN §3). A claimed output y is within tolerance of an execution ŷ when
//   d(y, ŷ) = ‖y − ŷ‖₂ / max(‖y‖₂, ‖ŷ‖₂) ≤ ε     (ε = config.tolerance)
// and the loss likewise (|a − b| / max(|a|, |b|)). Judged against each
// node's own ŷ, a claim at d ≈ ε would be accepted by one honest node and
// refused by another (a chain split), so the rule is, with δ the arbiter
// band (EngineOptions::arbiter_band) and d the distances of every output
// and of the loss to the verifier's own re-execution ŷ:
//   some d > ε(1 + δ)     refused
//   every d ≤ ε(1 − δ)    accepted
//   otherwise             judged by d(y, ŷ_ref) ≤ ε for every output and
//                         the loss, ŷ_ref from ReferenceBackend
//                         (compute/reference_backend.h): the same bytes on
//                         every node
// UPDATE units are bit-exact already (their own ŷ is ŷ_ref), so an
// UPDATE's outputs must equal ŷ byte for byte: within ε, a worker could move
// the weights by ε·‖w‖ every step. Honest nodes'
// ŷ lie within s of one another and of ŷ_ref; as long as s < δε, a node
// that decides without the arbiter decides as the arbiter would, so every
// honest node reaches the verdict d(y, ŷ_ref) ≤ ε (doc/compute.md,
// "Arbiter"). δ is local, not committed: nodes with different bands agree as
// long as each band is wider than s. Downstream units always read the
// committed y, so nodes never diverge. Rejection reasons, in the order
// they are checked:
//   bad-work-unit              the unit is not in its step's plan
//   bad-work-input-count       wrong number of inputs or input hashes
//   bad-work-output-count      wrong number of outputs or output hashes
//   bad-work-loss              a loss on a unit without one, or non-finite
//   bad-work-weights           a weights/optimizer-state input is not the
//                              committed state of the section
//   bad-work-batch             a batch input is not the batch of (step, lane)
//   bad-work-input-hash        an input is not the committed upstream output,
//                              or its bytes do not hash to the committed id
//   bad-work-malformed-tensor  a tensor does not decode, or has the wrong
//                              codec or shape for its place in the unit
//   bad-work-output-hash       a claimed output does not hash to its id
//                              (these two hash checks are skipped when the
//                              claim says its tensors' hashes were checked)
//   bad-work-output-mismatch   an output is farther than ε(1 + δ) from our
//                              re-execution, or, judged by the arbiter,
//                              farther than ε from ŷ_ref
//   bad-work-loss-mismatch     the loss, likewise
//
// Thread safety: Execute (both forms) may run on several threads at once —
// LocalStep runs independent units side by side that way; everything else
// one call at a time, and not beside Execute. libtorch's default thread
// count is process-wide; SetCallerThreads sets it for one calling thread.

#ifndef COMPUTECOIN_COMPUTE_ENGINE_H
#define COMPUTECOIN_COMPUTE_ENGINE_H

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chain/status.h"
#include "chain/uint256.h"
#include "chain/validation.h"
#include "chain/work.h"
#include "compute/model_config.h"
#include "compute/params.h"
#include "compute/partition.h"
#include "compute/plan.h"
#include "compute/serve.h"
#include "compute/tensor.h"

namespace cc::compute {

/// How this node runs the model. Not committed: nodes with different options
/// compute the same units within ε.
struct EngineOptions {
  /// "cpu", "cuda", "cuda:N" or "auto" (compute/torch/torch_engine.h:
  /// ResolveTorchDevice); a GPU needs a libtorch built with CUDA.
  std::string device = "cpu";
  int threads = 0;                 //!< libtorch intra-op threads (process-wide); 0 = leave as is
  bool keep_forward_state = true;  //!< a worker keeps FORWARD's graph for its BACKWARD
  /// Verify hashes a claim's tensors (when it must: WorkClaim::hashes_checked
  /// unset) on a second thread while it re-executes the unit, for claims of
  /// at least this many tensor bytes; 0: never. Pays on a machine with a
  /// core to spare (e.g. 256 KiB); on a loaded one the hand-off costs more.
  size_t verify_hash_beside_bytes = 0;
  /// For tests of what verifiers do with a lying worker (-perturbwork, regtest
  /// only): Execute scales every float output and the loss by (1 + this)
  /// before they are encoded and hashed, as a worker that cheats would
  /// commit, so that it lies on every unit but UPDATE. Every node recomputes
  /// UPDATE whatever its -verify policy (consensus/connect.h:
  /// OutputsAreRecomputed), so a lie there is refused at once by all and
  /// tests nothing of sampling or fraud proofs; an honest UPDATE on the
  /// liar's gradients is right. Verify is unaffected. 0: honest.
  double perturb_outputs = 0.0;
  /// A steered liar, for measuring what a worker can do within ε
  /// (-perturbwork=ascent:<a> or bias:<a>, regtest only; tests/bench
  /// bench_compute --adversary; doc/security.md, "What ε lets a worker do").
  /// Execute moves each float output y of relative L2 norm a·ε (a =
  /// adversary_share, in (0, 1)) from its honest value, to y + a·ε·‖y‖·u:
  ///   kAscent  u raises the loss as much as a step of that norm can, to
  ///            first order, from what the unit itself holds: for gradients
  ///            (BACKWARD's outputs) u = −y/‖y‖, shrinking the descent step;
  ///            FORWARD and ATTENTION outputs, whose effect on the loss a
  ///            unit cannot see, get a fixed pseudo-random sign pattern per
  ///            output slot.
  ///   kBias    u is a fixed pseudo-random unit sign vector per output slot
  ///            (the same every step), for gradients, so the lie accumulates
  ///            in the weights along one direction; FORWARD and ATTENTION
  ///            outputs are left honest.
  /// The loss and UPDATE stay honest: UPDATE is judged bit-exact (Verify),
  /// so no lie fits there. Verify is unaffected.
  enum class Adversary : uint8_t { kNone, kAscent, kBias };
  Adversary adversary = Adversary::kNone;
  double adversary_share = 0.0;
  /// δ, the arbiter band (file comment, "Verification"): claims whose
  /// distance to this node's own re-execution lies in (ε(1 − δ), ε(1 + δ)]
  /// are judged by the reference execution. It must exceed the honest spread
  /// s/ε (doc/security.md, "ε and δ"); 0: no arbiter, d ≤ ε against our own
  /// ŷ only (for tests that show what the arbiter prevents).
  double arbiter_band = 0.1;
};

/// What a worker claims about one unit, with the tensors a verifier fetched.
struct WorkClaim {
  UnitId unit;
  std::vector<Uint256> input_hashes;   //!< as in the work record
  std::vector<EncodedTensor> inputs;   //!< the tensors behind input_hashes
  std::vector<Uint256> output_hashes;  //!< as in the work record
  std::vector<EncodedTensor> outputs;  //!< the tensors behind output_hashes
  float loss = 0.0f;
  /// The caller has already checked that inputs[i] hashes to input_hashes[i]
  /// and outputs[i] to output_hashes[i], and that each is well formed
  /// (CheckEncoding, values included) — e.g. it read them from a
  /// TensorStore, whose Get checks both — so Verify need neither hash nor
  /// scan them again, only check their layout. Only set it when that is so.
  bool hashes_checked = false;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual const ModelConfig& config() const = 0;
  virtual const Partition& partition() const = 0;

  /// The units of `step` with their inputs, outputs and dependencies.
  virtual StepPlan Plan(uint64_t step) const = 0;

  /// Computes `unit` from `inputs` (in the plan's input order) into *out.
  /// input_hashes: empty, or ids of `inputs` — their hashes, or any ids a
  /// caller holding the tensors assigns, as long as equal ids mean equal
  /// bytes; given, a FORWARD keeps its autograd state and the matching
  /// BACKWARD, whose leading inputs carry the same ids, reuses it
  /// (EngineOptions).
  /// Returns InvalidArgument if the unit is not in its step's plan or an input
  /// is malformed or misshapen, or if the result is not finite; IOError if
  /// libtorch fails.
  Status Execute(const UnitId& unit, std::span<const EncodedTensor> inputs,
                 std::span<const Uint256> input_hashes, UnitResult* out);
  /// As above, with the inputs by pointer: tensors that stay where they are
  /// stored, possibly read by other units at the same time.
  virtual Status Execute(const UnitId& unit, std::span<const EncodedTensor* const> inputs,
                         std::span<const Uint256> input_hashes, UnitResult* out) = 0;

  /// The backend's intra-op threads for units the calling thread executes
  /// (libtorch with OpenMP: this thread's team size; other threads keep
  /// theirs). A thread running units beside others sets 1, so that they do
  /// not oversubscribe the cores. REQUIRES: n ≥ 1.
  virtual void SetCallerThreads(int n) = 0;

  /// Checks `claim` by re-executing its unit. expected_inputs are the hashes
  /// the chain says the unit must read (resolved from the plan's sources).
  /// Returns OK with *verdict valid if the claim is accepted, or Invalid
  /// (kConsensus, a reason from the file comment, a detail for logs such as
  /// "output 0: relative L2 3.1e-02 > 1.0e-04"); returns a non-OK Status only
  /// for our own failures (the backend's IOError, or expected_inputs of the
  /// wrong length: InvalidArgument), with *verdict unspecified.
  virtual Status Verify(const WorkClaim& claim, std::span<const Uint256> expected_inputs,
                        ValidationState* verdict) = 0;

  /// Checks an UPDATE claim by recomputing its outputs, without fetching
  /// them: UPDATE is bit-exact on every machine (compute/update.h), so its
  /// outputs are right exactly when the recomputed ones hash to
  /// claim.output_hashes. claim.outputs are not read (leave them empty).
  /// The verdict is Verify's, with its reasons in its order up to
  /// bad-work-input-hash (inputs' encoding and hashes checked unless
  /// claim.hashes_checked), then "bad-work-output-mismatch" when an output
  /// does not hash to its id ("output i: UPDATE is bit-exact, and this
  /// recomputes to <hash>") or when the committed inputs lead to non-finite
  /// values. On a valid verdict *out holds the outputs, so that the caller
  /// can store them (a holder brings its copy of the section up to date this
  /// way, doc/consensus.md §7); otherwise *out is unspecified. Returns
  /// InvalidArgument for a unit that is not an UPDATE or expected_inputs of
  /// the wrong length.
  virtual Status Recompute(const WorkClaim& claim, std::span<const Uint256> expected_inputs,
                           ValidationState* verdict, UnitResult* out) = 0;

  /// How many claims Verify has judged by the reference execution (their
  /// distance to this node's own ŷ in the arbiter band) since the engine
  /// was made. Honest claims land there only if the honest spread reaches
  /// the band.
  virtual uint64_t ArbiterRuns() const = 0;

  /// Merkle root over the sections' weights and optimizer states (file comment).
  virtual Uint256 StateRoot() const = 0;
  /// Section s's weights (P_s) and optimizer state (AdamW (2, P_s); SGD (0)).
  /// Returns InvalidArgument if s is out of range.
  virtual Status ExportSection(uint32_t section, EncodedTensor* weights,
                               EncodedTensor* optimizer_state) const = 0;
  /// Replaces section s's weights and optimizer state, e.g. with the outputs
  /// of its UPDATE unit. Returns InvalidArgument if s is out of range or a
  /// tensor is malformed or misshapen, with the state unchanged.
  virtual Status ImportSection(uint32_t section, const EncodedTensor& weights,
                               const EncodedTensor& optimizer_state) = 0;

  /// Section s's state in place, without copying: *weights and
  /// *optimizer_state point at the engine's tensors (valid until s is next
  /// imported), *hashes get {H(weights), H(optimizer state)}, hashed once per
  /// import and kept. Returns InvalidArgument if s is out of range.
  virtual Status ViewSection(uint32_t section, const EncodedTensor** weights,
                             const EncodedTensor** optimizer_state, Uint256 hashes[2]) const = 0;
  /// As ImportSection, moving the tensors in, with their hashes known to the
  /// caller (who hashed them to commit them), so neither is copied or hashed
  /// again. REQUIRES: hashes = {weights.Hash(), optimizer_state.Hash()}.
  virtual Status ImportSectionHashed(uint32_t section, EncodedTensor&& weights,
                                     EncodedTensor&& optimizer_state,
                                     const Uint256 hashes[2]) = 0;

  /// Every parameter of the current weights, in ModelParams order (each
  /// section's weights scattered back into whole-model tensors), e.g. to
  /// export the model. Returns Corruption if a section's weights do not decode.
  virtual Status ExportParams(ParamValues* out) const = 0;

  /// Greedy completion of each prompt by the current weights (GenerateGreedy).
  virtual Status Generate(std::span<const std::string> prompts, uint32_t max_tokens,
                          std::vector<std::string>* out) = 0;

  /// A server of sections [begin, end) (compute/serve.h) holding a copy of
  /// the current weights: the caller owns it, and it outlives imports.
  /// Returns CheckServeRange's InvalidArgument for a range that is not whole
  /// atoms of the partition, with *out unchanged.
  virtual Status MakeSectionServer(uint32_t begin, uint32_t end, const ServeLimits& limits,
                                   std::unique_ptr<SectionServer>* out) = 0;

  /// Judges a holder's answer (evidence of a wrong inference output,
  /// consensus/evidence.h): *wrong is set when `answer` (a payload) is not
  /// what an honest holder of sections [begin, end) with weights `weights`
  /// (section begin + i's flat fp32 vector (P_s), as ExportSection gives)
  /// returns at the last step, of `rows` rows, of a session whose inputs at
  /// positions [0, P) are `input` (compute/serve.h's hop input for P
  /// positions): its relative L2 distance to the honest answer is above the
  /// model's ε (or NaN), or it has another size. Decided as Verify decides
  /// claims: against this engine's backend, and within ε(1 ± δ) of it
  /// against the reference arithmetic (ReferenceBackend::Serve, counted in
  /// ArbiterRuns), so that every node reaches the same verdict. Uses none of
  /// the engine's own weights. *distance gets the distance decided on.
  /// Returns InvalidArgument for a range that is not whole atoms, weights of
  /// the wrong count, codec or length, an input of the wrong codec or shape,
  /// P outside [1, T], rows outside [1, P], or a non-finite honest answer;
  /// IOError for the backend's failure. Outputs unspecified unless OK.
  virtual Status JudgeAnswer(uint32_t begin, uint32_t end, std::span<const EncodedTensor> weights,
                             const EncodedTensor& input, uint32_t rows,
                             std::span<const uint8_t> answer, bool* wrong, double* distance) = 0;
};

/// The leaf of section s in the state root (file comment).
Uint256 StateLeaf(uint32_t section, const Uint256& weights_hash,
                  const Uint256& optimizer_state_hash);

/// The arithmetic under an engine: runs FORWARD, BACKWARD and ATTENTION
/// units and greedy generation. The engine itself checks plans, layouts and
/// claims, runs UPDATE units (compute/update.h, bit-exact on every machine)
/// and holds the model state, so a backend holds no consensus logic.
/// compute/torch/torch_engine.h has the libtorch backend.
class Backend {
 public:
  virtual ~Backend() = default;

  /// Computes `unit` on `inputs` into *out. forward_digest: null, or a hash
  /// of the FORWARD inputs under which the backend may keep autograd state
  /// for the matching BACKWARD. Returns InvalidArgument if an output is not
  /// finite, IOError for the backend's own failures.
  /// REQUIRES: unit is not an UPDATE; inputs match unit.inputs' slots.
  /// May run on several threads at once.
  virtual Status Run(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
                     const Uint256* forward_digest, UnitResult* out) = 0;

  /// Engine::SetCallerThreads.
  virtual void SetCallerThreads(int n) = 0;

  /// Greedy completion of each prompt by the model with weights `params`.
  /// REQUIRES: params shaped as ModelParams(config).
  virtual Status Generate(const ParamValues& params, std::span<const std::string> prompts,
                          uint32_t max_tokens, std::vector<std::string>* out) = 0;

  /// A server of sections [begin, end) with weights `params` (copied).
  /// REQUIRES: params shaped as ModelParams(config); CheckServeRange is OK.
  virtual std::unique_ptr<SectionServer> MakeSectionServer(const ParamValues& params,
                                                           uint32_t begin, uint32_t end,
                                                           const ServeLimits& limits) = 0;
};

/// An engine over `backend`, starting from the initial state.
/// Returns InvalidArgument if the config does not validate or cannot be cut
/// into config.sections. REQUIRES: backend was made for `config`.
Status MakeEngine(const ModelConfig& config, std::unique_ptr<Backend> backend,
                  std::unique_ptr<Engine>* out);
/// As above, with the options the engine itself uses (verify_hash_beside_bytes).
Status MakeEngine(const ModelConfig& config, const EngineOptions& options,
                  std::unique_ptr<Backend> backend, std::unique_ptr<Engine>* out);

/// Builds an engine for a configuration: compute::MakeTorchEngine in the
/// daemon; layers below it take one of these so they never link a backend.
using EngineFactory = std::function<Status(const ModelConfig& config, const EngineOptions& options,
                                           std::unique_ptr<Engine>* out)>;

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_ENGINE_H
