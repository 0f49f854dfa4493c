// Returning freed heap memory to the operating system.
//
// libtorch allocates its tensors with malloc, from many threads, in sizes
// that vary unit by unit. glibc's allocator raises its mmap threshold to the
// size of the largest block freed so far, so after the first few steps
// every tensor comes from a heap arena instead of its own mapping; freed
// tensors then leave holes between live allocations that the arenas keep
// (only free memory at an arena's top is given back). A devnet node's
// resident memory grew 4–6 MB a training step this way while its live heap
// stayed flat: trimming a verifier at step 70 took it from 530 MB to 138 MB.
// The daemon therefore trims its heap periodically (init.cpp's main loop).

#ifndef COMPUTECOIN_NODE_MEMORY_H
#define COMPUTECOIN_NODE_MEMORY_H

namespace cc {

/// Gives the free pages inside every malloc arena back to the kernel
/// (glibc's malloc_trim(0)); a no-op where the C library has no such call.
/// Costs one walk over the arenas' free lists, taking each arena's lock in
/// turn, so call it every few seconds, not per allocation.
/// Thread safety: may be called from any thread.
void ReleaseFreeHeap();

}  // namespace cc

#endif  // COMPUTECOIN_NODE_MEMORY_H
