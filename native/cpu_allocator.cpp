// Small tensors' data. libtorch's default CPU allocator takes every tensor's data from
// posix_memalign, which glibc serves from its general heap. Python frees each result the
// moment its last reference goes; a garbage collector frees them in batches of thousands (a
// young collection), and glibc's per-thread cache keeps only 7 blocks per size, so the rest
// go through its bins, which merge them and split them again (malloc_consolidate,
// unlink_chunk): 0.1-0.2 µs per small tensor that Python does not pay. Here, data of up to
// 1 KiB comes instead from 64 KiB slabs carved into blocks of one size each (a multiple of
// 64 bytes, c10's alignment), and a freed block goes straight back onto its size's free list,
// however many are freed at once. Larger data goes to libtorch's own allocator as before.
//
// The slabs lie in one reserved address range, so that a pointer tells by its address which
// allocator it came from (the raw deleter frees both kinds). Slabs are never given back: the
// cache holds as much as the most small tensors that were ever alive at once, and past
// kRegionBytes small data comes from libtorch's allocator too. smallBlockStats() shows it.
// TORCH_NODE_SMALL_BLOCK_CACHE=0 leaves libtorch's allocator alone.
#include "common.h"

#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define TORCH_NODE_HAS_MMAP 1
#endif

namespace torch_node {

namespace {

class SmallBlockPool {
 public:
  static constexpr size_t kBlockStep = 64;  // c10's alignment for CPU data, and the size step
  static constexpr size_t kClassCount = 16;
  static constexpr size_t kMaxBytes = kClassCount * kBlockStep;
  static constexpr size_t kSlabBytes = 64 * 1024;
  static constexpr size_t kRegionBytes = size_t(1) << 30;

  // Reserves the address range (no memory yet); false where it cannot.
  bool reserve() {
#if TORCH_NODE_HAS_MMAP
    void* region = mmap(nullptr, kRegionBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return false;
    base_ = static_cast<char*>(region);
    return true;
#else
    return false;
#endif
  }

  bool owns(const void* pointer) const {
    auto address = reinterpret_cast<uintptr_t>(pointer), base = reinterpret_cast<uintptr_t>(base_);
    return address - base < kRegionBytes;  // wraps below base
  }

  // A 64-byte-aligned block of at least `nbytes` (1..kMaxBytes), or null once the region is full.
  void* take(size_t nbytes) {
    size_t sizeClass = (nbytes - 1) / kBlockStep, blockBytes = (sizeClass + 1) * kBlockStep;
    std::lock_guard<std::mutex> lock(mutex_);
    SizeClass& free = classes_[sizeClass];
    void* block;
    if (free.head != nullptr) {
      block = free.head;
      free.head = free.head->next;
    } else {
      if (free.carved == free.carvedEnd && !newSlab(sizeClass)) return nullptr;
      block = free.carved;
      free.carved += blockBytes;
    }
    allocatedBytes_ += blockBytes;
    return block;
  }

  void give(void* block) {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t sizeClass = slabClass_[(static_cast<char*>(block) - base_) / kSlabBytes];
    auto* freed = static_cast<FreeBlock*>(block);
    freed->next = classes_[sizeClass].head;
    classes_[sizeClass].head = freed;
    allocatedBytes_ -= (sizeClass + 1) * kBlockStep;
  }

  // [bytes in blocks handed out, bytes of slabs made]
  std::pair<size_t, size_t> stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {allocatedBytes_, committedBytes_};
  }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  struct SizeClass {
    FreeBlock* head = nullptr;
    char* carved = nullptr;  // the current slab's blocks from here to carvedEnd are not yet used
    char* carvedEnd = nullptr;
  };

  bool newSlab(size_t sizeClass) {
#if TORCH_NODE_HAS_MMAP
    if (committedBytes_ + kSlabBytes > kRegionBytes) return false;
    char* slab = base_ + committedBytes_;
    if (mprotect(slab, kSlabBytes, PROT_READ | PROT_WRITE) != 0) return false;
    slabClass_[committedBytes_ / kSlabBytes] = static_cast<uint8_t>(sizeClass);
    committedBytes_ += kSlabBytes;
    size_t blockBytes = (sizeClass + 1) * kBlockStep;
    classes_[sizeClass].carved = slab;
    classes_[sizeClass].carvedEnd = slab + kSlabBytes / blockBytes * blockBytes;
    return true;
#else
    return false;
#endif
  }

  std::mutex mutex_;
  char* base_ = nullptr;
  size_t committedBytes_ = 0;
  size_t allocatedBytes_ = 0;
  SizeClass classes_[kClassCount];
  uint8_t slabClass_[kRegionBytes / kSlabBytes] = {};
};

// Both live as long as the process: tensors can be freed during static destruction.
SmallBlockPool* pool = nullptr;
c10::Allocator* fallback = nullptr;
c10::DeleterFnPtr fallbackRawDeleter = nullptr;

void deleteBlock(void* data) {
  if (pool->owns(data)) return pool->give(data);
  fallbackRawDeleter(data);  // only raw_deallocate brings a pointer from `fallback` here
}

class SmallBlockCpuAllocator final : public c10::Allocator {
 public:
  // libtorch 1.13 declares allocate() const, later 2.x releases do not: defining both overrides
  // whichever this libtorch has. (Hence no `override` in this class.)
  c10::DataPtr allocate(size_t nbytes) const { return allocateData(nbytes); }
  c10::DataPtr allocate(size_t nbytes) { return allocateData(nbytes); }

  // raw_allocate() may hand out either kind of pointer; deleteBlock frees both.
  c10::DeleterFnPtr raw_deleter() const { return fallbackRawDeleter != nullptr ? &deleteBlock : nullptr; }

  // Pure virtual in later 2.x releases, for Allocator::clone; unused by 1.13.
  void copy_data(void* dest, const void* src, size_t count) const { std::memcpy(dest, src, count); }

 private:
  static c10::DataPtr allocateData(size_t nbytes) {
    if (nbytes > 0 && nbytes <= SmallBlockPool::kMaxBytes) {
      if (void* block = pool->take(nbytes)) return {block, block, &deleteBlock, c10::Device(c10::DeviceType::CPU)};
    }
    return fallback->allocate(nbytes);
  }
};

SmallBlockCpuAllocator* allocator = nullptr;

// Whether libtorch takes CPU data from the cache: not when the cache is off, nor when an allocator
// set with a higher priority than ours is in place.
bool installed() { return allocator != nullptr && c10::GetCPUAllocator() == allocator; }

}  // namespace

void installCpuAllocator() {
  const char* optOut = std::getenv("TORCH_NODE_SMALL_BLOCK_CACHE");
  if (optOut != nullptr && std::string(optOut) == "0") return;
  auto* candidate = new SmallBlockPool();
  if (!candidate->reserve()) {
    delete candidate;
    return;
  }
  pool = candidate;
  fallback = c10::GetCPUAllocator();
  fallbackRawDeleter = fallback->raw_deleter();
  allocator = new SmallBlockCpuAllocator();
  c10::SetCPUAllocator(allocator);
}

// {allocated, reserved}: bytes in small blocks now in use, and bytes of slabs made; null when
// the cache is off.
static Napi::Value smallBlockStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!installed()) return env.Null();
  auto [allocated, reserved] = pool->stats();
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("allocated", Napi::Number::New(env, static_cast<double>(allocated)));
  stats.Set("reserved", Napi::Number::New(env, static_cast<double>(reserved)));
  return stats;
}

void initCpuAllocator(Napi::Env env, Napi::Object exports) { TORCH_NODE_EXPORT(exports, "smallBlockStats", smallBlockStats); }

}  // namespace torch_node
