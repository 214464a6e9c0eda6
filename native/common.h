// Shared pieces of the addon: per-environment state, the error guard that every
// native entry point goes through, and the one ownership model for tensors
// (a JS handle owns exactly one reference-counted at::Tensor).
#pragma once
#include "pch.h"

#include <atomic>
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
};

struct OpPlan {
  c10::OperatorHandle op;
  std::string qualifiedName;
  std::vector<ArgPlan> args;
  bool returnsFirstArgument;  // in-place ops: JS returns the object it already has
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
  // The two counts above, mirrored into an ArrayBuffer that JS reads without a call
  // (lib/memory.ts checks them on every new tensor).
  double* sharedStats = nullptr;
  Napi::Reference<Napi::ArrayBuffer> sharedStatsBuffer;
  int64_t unreportedBytes = 0;  // change not yet passed to V8 (see reportBytes)
  std::vector<OpPlan> opPlans;  // op ids handed to JS index into this
};

inline InstanceData& instance(Napi::Env env) { return *env.GetInstanceData<InstanceData>(); }

// Thrown by our own argument checks; the guard maps it to a JS TypeError.
struct ArgumentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- tensor handles -------------------------------------------------------
struct TensorHolder {
  // Checked on every unwrap, so that an External made by some other addon is a TypeError,
  // not a crash. (A napi type tag did the same but cost a BigInt and a property per tensor.)
  static constexpr uint64_t kMagic = 0x9c2f4e1ab7d34c55ULL;
  uint64_t magic = kMagic;
  at::Tensor tensor;
  int64_t reportedBytes = 0;
};

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor);
// Returns the tensor behind a handle; `what` names the argument in errors.
at::Tensor& unwrapTensor(Napi::Env env, napi_value value, const char* what);
bool isTensorHandle(Napi::Env env, napi_value value);

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

}  // namespace torch_node
