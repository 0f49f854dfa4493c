// bench_p2p_sync: headers-first sync over loopback through the real P2P stack
// (ConnMan + PeerManager over 127.0.0.1 sockets, ChainManager and LevelDB
// stores in temporary directories), for doc/benchmarks.md.
//
// A source node builds a regtest chain of N blocks without work records in
// process (consensus assembler: no unit is computed, so a block costs its
// assembly and connection only; `generate` would train a step per block),
// then a fresh node connects to it and syncs: the figures are headers/s
// until its best header is N, and blocks/s until its tip is N.
// Usage: bench_p2p_sync [blocks]   (default 10000)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/net_processing/in_process_node.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

using cc::test::InProcessNode;

void Check(const cc::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

std::unique_ptr<InProcessNode> OpenNode(const std::filesystem::path& dir,
                                        std::vector<std::string> connect) {
  InProcessNode::Options options;
  options.connect = std::move(connect);
  options.peer.user_agent = "/bench_p2p_sync/";
  std::unique_ptr<InProcessNode> node;
  Check(InProcessNode::Open(dir, std::move(options), &node), "open node");
  return node;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t blocks =
      argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 10000;
  const char* tmp = std::getenv("TMPDIR");
  const std::filesystem::path root =
      std::filesystem::path(tmp ? tmp : "/tmp") / ("bench_p2p_sync." + std::to_string(getpid()));
  std::filesystem::remove_all(root);

  int rc = 0;
  {
    const std::unique_ptr<InProcessNode> source = OpenNode(root / "source", {});
    const cc::PrivateKey producer = cc::PrivateKey::Generate();
    const int64_t t0 = cc::RegtestParams().genesis_time + 1;
    Clock::time_point start = Clock::now();
    for (uint32_t i = 0; i < blocks; ++i) {
      cc::AssemblyRequest request;
      request.time = t0 + i / 8;  // time must not run ahead of the clock
      request.producers = std::span<const cc::PrivateKey>(&producer, 1);
      cc::Block block;
      Check(source->manager().Assemble(source->manager().Tip().block_hash, request, &block),
                  "assemble");
      cc::ValidationState state;
      if (!source->manager().ProcessNewBlock(block, &state)) {
        std::fprintf(stderr, "block %u: %s\n", i + 1, state.ToString().c_str());
        return 1;
      }
    }
    const double build = Seconds(Clock::now() - start);
    std::printf("built %u blocks without records in %.1f s (%.0f blocks/s)\n", blocks, build,
                blocks / build);

    const std::string target = "127.0.0.1:" + std::to_string(source->connman().GetListenPort());
    // Timed from the connection: opening the node (its engine) is not sync.
    const std::unique_ptr<InProcessNode> sync = OpenNode(root / "sync", {target});
    start = Clock::now();
    Clock::time_point headers_done{}, blocks_done{};
    const Clock::time_point deadline = start + std::chrono::minutes(30);
    while (Clock::now() < deadline) {
      const Clock::time_point now = Clock::now();
      if (headers_done == Clock::time_point{} && sync->peerman().BestHeaderHeight() >= blocks)
        headers_done = now;
      if (sync->manager().Tip().height >= blocks) {
        blocks_done = now;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (blocks_done == Clock::time_point{}) {
      std::fprintf(stderr, "sync did not finish: tip %u, best header %u\n", sync->manager().Tip().height,
                   sync->peerman().BestHeaderHeight());
      rc = 1;
    } else {
      const double h = Seconds(headers_done - start), b = Seconds(blocks_done - start);
      std::printf("header sync: %u headers in %.2f s = %.0f headers/s\n", blocks, h, blocks / h);
      std::printf("block sync:  %u blocks in %.2f s = %.0f blocks/s (headers included)\n", blocks,
                  b, blocks / b);
    }
  }
  std::filesystem::remove_all(root);
  return rc;
}
