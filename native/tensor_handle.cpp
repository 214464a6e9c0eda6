// Tensor handles: a tagged Napi::External owning one at::Tensor. Native bytes are
// reported to V8 so that GC pressure follows tensor memory; a finalizer is the
// backstop when JS never calls dispose().
#include "common.h"

#include <cmath>

namespace torch_node {

// TensorImpl, its storage and allocator bookkeeping cost this much beyond the data.
static constexpr int64_t kTensorOverheadBytes = 320;

static int64_t nativeBytes(const at::Tensor& t) {
  int64_t bytes = kTensorOverheadBytes;
  if (t.has_storage()) bytes += static_cast<int64_t>(t.storage().nbytes());
  return bytes;
}

// V8 hears about native bytes in steps of this size rather than on every tensor: the GC
// pressure is the same, the per-op cost of telling it is not.
static constexpr int64_t kReportStepBytes = 256 * 1024;

static void publishStats(InstanceData& data) {
  if (data.sharedStats == nullptr) return;
  data.sharedStats[0] = static_cast<double>(data.liveTensors);
  data.sharedStats[1] = static_cast<double>(data.reportedBytes);
}

static void reportBytes(Napi::Env env, InstanceData& data, int64_t delta) {
  data.reportedBytes += delta;
  publishStats(data);
  data.unreportedBytes += delta;
  if (data.unreportedBytes >= kReportStepBytes || data.unreportedBytes <= -kReportStepBytes) {
    napi_adjust_external_memory(env, data.unreportedBytes, nullptr);
    data.unreportedBytes = 0;
  }
}

static void release(Napi::Env env, TensorHolder* holder) {
  if (!holder->tensor.defined()) return;
  holder->tensor.reset();
  auto& data = instance(env);
  data.liveTensors--;
  reportBytes(env, data, -holder->reportedBytes);  // publishes the count too
  holder->reportedBytes = 0;
}

// Runs during garbage collection (a basic finalizer): it must not touch JS values.
static void finalizeHolder(napi_env env, void* raw, void*) {
  auto* holder = static_cast<TensorHolder*>(raw);
  release(Napi::Env(env), holder);
  holder->magic = 0;
  delete holder;
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  auto* holder = new TensorHolder();
  holder->tensor = std::move(tensor);
  holder->reportedBytes = nativeBytes(holder->tensor);
  napi_value external;
  napi_status status = napi_create_external(env, holder, finalizeHolder, nullptr, &external);
  if (status != napi_ok) {
    delete holder;
    NAPI_THROW(Napi::Error::New(env, "could not create a tensor handle"), Napi::Value());
  }
  auto& data = instance(env);
  data.liveTensors++;
  reportBytes(env, data, holder->reportedBytes);  // publishes the count too
  return Napi::Value(env, external);
}

// The holder behind a handle, or null when `value` is not one of our tensor handles.
static TensorHolder* holderOf(Napi::Env env, napi_value value) {
  void* raw = nullptr;
  // napi_get_value_external fails (without throwing) on anything that is not an External.
  if (napi_get_value_external(env, value, &raw) != napi_ok || raw == nullptr) return nullptr;
  auto* holder = static_cast<TensorHolder*>(raw);
  return holder->magic == TensorHolder::kMagic ? holder : nullptr;
}

bool isTensorHandle(Napi::Env env, napi_value value) {
  return holderOf(env, value) != nullptr;
}

at::Tensor& unwrapTensor(Napi::Env env, napi_value value, const char* what) {
  TensorHolder* holder = holderOf(env, value);
  if (holder == nullptr) throw ArgumentError(std::string("expected a Tensor for '") + what + "'");
  if (!holder->tensor.defined()) {
    throw std::runtime_error(std::string("'") + what + "' is a Tensor that was disposed; it can no longer be used");
  }
  return holder->tensor;
}

static Napi::Value dispose(const Napi::CallbackInfo& info) {
  TensorHolder* holder = holderOf(info.Env(), info[0]);
  if (holder == nullptr) throw ArgumentError("dispose: expected a tensor handle");
  release(info.Env(), holder);
  return info.Env().Undefined();
}

static Napi::Value isDisposed(const Napi::CallbackInfo& info) {
  TensorHolder* holder = holderOf(info.Env(), info[0]);
  if (holder == nullptr) throw ArgumentError("isDisposed: expected a tensor handle");
  return Napi::Boolean::New(info.Env(), !holder->tensor.defined());
}

// Metadata read on hot paths (shape, dtype, device) comes straight from the TensorImpl.
static Napi::Value sizes(const Napi::CallbackInfo& info) {
  return fromIntList(info.Env(), unwrapTensor(info.Env(), info[0], "self").sizes());
}
static Napi::Value strides(const Napi::CallbackInfo& info) {
  return fromIntList(info.Env(), unwrapTensor(info.Env(), info[0], "self").strides());
}
static Napi::Value dim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(unwrapTensor(info.Env(), info[0], "self").dim()));
}
static Napi::Value numel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(unwrapTensor(info.Env(), info[0], "self").numel()));
}
static Napi::Value scalarType(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(unwrapTensor(info.Env(), info[0], "self").scalar_type()));
}
static Napi::Value device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), unwrapTensor(info.Env(), info[0], "self").device().str());
}
static Napi::Value isContiguous(const Napi::CallbackInfo& info) {
  auto& t = unwrapTensor(info.Env(), info[0], "self");
  auto format = info[1].IsNumber() ? static_cast<at::MemoryFormat>(toInt64(info.Env(), info[1], "memory_format")) : at::MemoryFormat::Contiguous;
  return Napi::Boolean::New(info.Env(), t.is_contiguous(format));
}
static Napi::Value storageOffset(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(unwrapTensor(info.Env(), info[0], "self").storage_offset()));
}
static Napi::Value dataPtr(const Napi::CallbackInfo& info) {
  auto& t = unwrapTensor(info.Env(), info[0], "self");
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(t.data_ptr())));
}
static Napi::Value isSameTensor(const Napi::CallbackInfo& info) {
  auto& a = unwrapTensor(info.Env(), info[0], "self");
  auto& b = unwrapTensor(info.Env(), info[1], "other");
  return Napi::Boolean::New(info.Env(), a.is_same(b));
}

// ---- conversions shared by the other areas ---------------------------------
int64_t toInt64(Napi::Env env, napi_value value, const char* what) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_number) {
    double d = Napi::Number(env, value).DoubleValue();
    if (!std::isfinite(d) || std::floor(d) != d) {
      throw ArgumentError(std::string("expected an integer for '") + what + "' but received " + std::to_string(d));
    }
    if (std::fabs(d) > 9007199254740992.0) {
      throw ArgumentError(std::string("'") + what + "' is beyond 2^53 as a JS number; pass a BigInt");
    }
    return static_cast<int64_t>(d);
  }
  if (type == napi_bigint) {
    bool lossless = false;
    int64_t v = Napi::BigInt(env, value).Int64Value(&lossless);
    if (!lossless) throw ArgumentError(std::string("BigInt for '") + what + "' does not fit in int64");
    return v;
  }
  if (type == napi_boolean) return Napi::Boolean(env, value).Value() ? 1 : 0;
  throw ArgumentError(std::string("expected an integer for '") + what + "'");
}

Napi::Value fromInt64(Napi::Env env, int64_t value) {
  return Napi::Number::New(env, static_cast<double>(value));
}

std::vector<int64_t> toInt64List(Napi::Env env, napi_value value, const char* what) {
  bool isArray = false;
  napi_is_array(env, value, &isArray);
  if (!isArray) throw ArgumentError(std::string("expected an array of integers for '") + what + "'");
  Napi::Array array(env, value);
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) out[i] = toInt64(env, array.Get(i), what);
  return out;
}

Napi::Array fromIntList(Napi::Env env, at::IntArrayRef values) {
  Napi::Array array = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); i++) array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(values[i])));
  return array;
}

Napi::Value fromScalar(Napi::Env env, const at::Scalar& scalar) {
  if (scalar.isBoolean()) return Napi::Boolean::New(env, scalar.toBool());
  if (scalar.isIntegral(false)) {
    int64_t v = scalar.toLong();
    // Beyond Number.MAX_SAFE_INTEGER a JS number would round: hand back a BigInt.
    if (v > 9007199254740991LL || v < -9007199254740991LL) return Napi::BigInt::New(env, v);
    return Napi::Number::New(env, static_cast<double>(v));
  }
  if (scalar.isComplex()) throw std::runtime_error("complex scalars are not supported in JS yet");
  return Napi::Number::New(env, scalar.toDouble());
}

void initTensorHandles(Napi::Env env, Napi::Object exports) {
  // [live tensor count, live native bytes] as float64s, kept up to date by the native side.
  auto& data = instance(env);
  Napi::ArrayBuffer stats = Napi::ArrayBuffer::New(env, 2 * sizeof(double));
  data.sharedStats = static_cast<double*>(stats.Data());
  data.sharedStatsBuffer = Napi::Persistent(stats);
  publishStats(data);
  exports.Set("tensorStats", stats);
  TORCH_NODE_EXPORT(exports, "dispose", dispose);
  TORCH_NODE_EXPORT(exports, "isDisposed", isDisposed);
  TORCH_NODE_EXPORT(exports, "sizes", sizes);
  TORCH_NODE_EXPORT(exports, "strides", strides);
  TORCH_NODE_EXPORT(exports, "dim", dim);
  TORCH_NODE_EXPORT(exports, "numel", numel);
  TORCH_NODE_EXPORT(exports, "scalarType", scalarType);
  TORCH_NODE_EXPORT(exports, "device", device);
  TORCH_NODE_EXPORT(exports, "storageOffset", storageOffset);
  TORCH_NODE_EXPORT(exports, "isContiguous", isContiguous);
  TORCH_NODE_EXPORT(exports, "dataPtr", dataPtr);
  TORCH_NODE_EXPORT(exports, "isSameTensor", isSameTensor);
}

}  // namespace torch_node
