// Shared pieces of the addon: per-environment state, the error guard that every
// native entry point goes through, and the one ownership model for tensors
// (a JS Tensor object owns exactly one entry of the tensor table, which holds one
// reference-counted at::Tensor; see tensor_handle.cpp).
#pragma once
#include "pch.h"

#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace torch_node {

// How the generic op path converts JS arguments for one ATen schema (dispatch.cpp).
enum class ArgKind { Tensor, Int, Float, Bool, Scalar, String, Device, Generator, IntList, FloatList, BoolList, TensorList, OptionalTensorList, Unsupported };

struct ArgPlan {
  ArgKind kind;
  bool optional;
  int64_t fixedSize;  // int[2] -> 2: a single number is repeated this many times
  std::string name;
  c10::optional<c10::IValue> defaultValue;
  std::string typeName;
  std::string realType;  // the schema's own type, SymInt and ScalarType included: "SymInt[]", "ScalarType?"
};

struct OpPlan;
struct OpCall;
// How an op whose C++ signature unboxed.cpp knows is called as at::add is: with its tensors
// borrowed from the table and no IValue stack (on small tensors, the stack and the boxed kernel
// wrapper cost up to 0.2 µs, most of it in lists). Other ops go through the boxed path.
struct UnboxedCall {
  at::Tensor (*call)(const void* typedHandle, const OpCall& args) = nullptr;
  std::shared_ptr<const void> typedHandle;  // the c10::TypedOperatorHandle<Fn> that `call` takes
  explicit operator bool() const { return call != nullptr; }
};

struct OpPlan {
  c10::OperatorHandle op;
  std::string qualifiedName;
  std::vector<ArgPlan> args;
  bool returnsFirstArgument;  // in-place ops: JS returns the object it already has
  UnboxedCall unboxed;
};

// One slot of the tensor table. A JS Tensor knows its slot by a handle number (slot index and
// generation); the slot is freed by the GC finalizer of that Tensor object, never earlier, so a
// handle read from a live Tensor always finds its own slot. dispose() only drops the tensor.
struct TensorEntry {
  at::Tensor tensor;
  int64_t reportedBytes = 0;
  uint32_t generation = 0;  // bumped when the slot is freed: stale or forged handles miss
  bool inUse = false;
};

// Entries live in fixed chunks that never move: references into the table stay valid while
// new tensors are added (a GC inside a native call can free others meanwhile, not these).
class TensorTable {
 public:
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkSize = 1u << kChunkBits;
  // handle = index << kGenerationBits | generation (see handleOf in tensor_handle.cpp)
  static constexpr uint32_t kGenerationBits = 8;
  static constexpr uint32_t kGenerationMask = (1u << kGenerationBits) - 1;
  uint32_t allocate();
  void free(uint32_t index);
  TensorEntry* find(uint32_t index) {
    if ((index >> kChunkBits) >= chunks_.size()) return nullptr;
    return &chunks_[index >> kChunkBits][index & (kChunkSize - 1)];
  }

 private:
  std::vector<std::unique_ptr<TensorEntry[]>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t used_ = 0;  // slots handed out at least once
};

// State lives per Node-API environment (worker-thread safe), never in statics.
struct InstanceData {
  Napi::FunctionReference torchError;
  Napi::FunctionReference indexError;
  Napi::FunctionReference typeError;
  Napi::FunctionReference valueError;
  Napi::FunctionReference notImplementedError;
  int64_t liveTensors = 0;
  int64_t reportedBytes = 0;    // native bytes of live tensors
  // Float64Arrays shared with lib/, which reads and writes them without a call (see shareDoubles):
  double* sharedStats = nullptr;     // [liveTensors, reportedBytes], checked by lib/memory.ts on every new tensor
  double* unownedResults = nullptr;  // [count, handle...] of result tensors waiting for JS owners (queueUnowned)
  double* sharedInts = nullptr;      // sizes and strides on their way to lib/tensor.ts
  double* opArgs = nullptr;          // the arguments of every op call, from lib/_ops/dispatch.ts (op_args.h)
  double* indexCodes = nullptr;      // the indices of x.index(...), from lib/tensor.ts
  std::vector<Napi::Reference<Napi::ArrayBuffer>> sharedBuffers;  // keeps the pointers above valid
  int64_t unreportedBytes = 0;  // change not yet passed to V8 (see reportBytes)
  std::vector<OpPlan> opPlans;  // op ids handed to JS index into this
  TensorTable tensors;
  Napi::FunctionReference tensorClass;  // lib/tensor.ts's Tensor: native results are `new Tensor(handle)`
};

inline InstanceData& instance(Napi::Env env) { return *env.GetInstanceData<InstanceData>(); }

// Thrown by our own argument checks; the guard maps it to a JS TypeError.
struct ArgumentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- tensor handles -------------------------------------------------------
// The JS Tensor for `tensor`, made as `new Tensor(handle)` with the class lib/tensor.ts registered (or null when
// `tensor` is undefined). For the results of native functions other than callOp.
Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor);
// For tensors among an op's array results: stored without an owner, their handle queued for
// lib/_ops/dispatch.ts, which makes their Tensor objects and hands them over (adoptResults).
// Returns false, storing nothing, when the queue is full.
constexpr size_t kUnownedCapacity = 64;
bool queueUnowned(Napi::Env env, const at::Tensor& tensor);
void discardUnowned(Napi::Env env);  // frees what is queued: the results will not reach JS
// Gives `tensor` to the JS Tensor object `owner` (made by JS just before the call) and returns
// its handle number: the fast path of callOp, which saves calling back into JS.
Napi::Value wrapTensorInto(Napi::Env env, at::Tensor tensor, napi_value owner);
// Returns the tensor behind a handle number; `what` names the argument in errors.
at::Tensor& unwrapTensor(Napi::Env env, napi_value value, const char* what);
at::Tensor& unwrapTensor(Napi::Env env, double handle, const char* what);  // a handle read from shared memory
// For the slow paths that take mixed values (indexing, TorchScript arguments): the tensor of a JS
// Tensor object, or null when `value` is not one.
at::Tensor* tensorOfObject(Napi::Env env, napi_value value, const char* what);
at::Tensor& unwrapTensorObject(Napi::Env env, napi_value value, const char* what);

// ---- the guard -------------------------------------------------------------
using NativeFn = Napi::Value (*)(const Napi::CallbackInfo&);
void throwAsJs(Napi::Env env, std::exception_ptr error);

template <NativeFn fn>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return fn(info);
  } catch (...) {
    throwAsJs(info.Env(), std::current_exception());
    return Napi::Value();
  }
}

// Every export is registered through this, so no entry point can be unguarded.
#define TORCH_NODE_EXPORT(exports, name, fn) \
  (exports).Set(name, Napi::Function::New<::torch_node::guarded<fn>>((exports).Env(), name))

// ---- small conversions -----------------------------------------------------
// An ArrayBuffer of `count` doubles exported as `name`, for JS to read and write without a call.
double* shareDoubles(Napi::Env env, Napi::Object exports, const char* name, size_t count);
// Whether a JS number is an integer that converts to int64_t exactly (beyond 2^53, JS passes BigInts).
constexpr double kMaxExactInteger = 9007199254740992.0;
inline bool isExactInteger(double d) { return std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= kMaxExactInteger; }
int64_t toInt64(Napi::Env env, napi_value value, const char* what);
Napi::Value fromInt64(Napi::Env env, int64_t value);
std::vector<int64_t> toInt64List(Napi::Env env, napi_value value, const char* what);
Napi::Array fromIntList(Napi::Env env, at::IntArrayRef values);
Napi::Value fromScalar(Napi::Env env, const at::Scalar& scalar);

// ---- module init per area --------------------------------------------------
void initTensorHandles(Napi::Env env, Napi::Object exports);
void initDispatch(Napi::Env env, Napi::Object exports);
void initCreation(Napi::Env env, Napi::Object exports);
void initIndexing(Napi::Env env, Napi::Object exports);
void initAutograd(Napi::Env env, Napi::Object exports);
void initContext(Napi::Env env, Napi::Object exports);
void initDistributed(Napi::Env env, Napi::Object exports);
void initAutocast(Napi::Env env, Napi::Object exports);
void initCuda(Napi::Env env, Napi::Object exports);
void initJit(Napi::Env env, Napi::Object exports);
void initCpuAllocator(Napi::Env env, Napi::Object exports);
void installCpuAllocator();  // once per process, at load

}  // namespace torch_node
