// Tensor handles. Every at::Tensor that JS can see sits in a slot of the tensor table, and
// exactly one JS Tensor object owns that slot: a finalizer on the object frees it when the GC
// collects the object. JS passes the slot to native calls as a handle number (index and
// generation), which costs no allocation, unlike an External per tensor. Native bytes are
// reported to V8 so that GC pressure follows tensor memory.
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

// ---- the table ----------------------------------------------------------------
uint32_t TensorTable::allocate() {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    if ((used_ >> kChunkBits) >= chunks_.size()) chunks_.emplace_back(new TensorEntry[kChunkSize]);
    index = used_++;
  }
  find(index)->inUse = true;
  return index;
}

void TensorTable::free(uint32_t index) {
  TensorEntry* entry = find(index);
  entry->inUse = false;
  entry->generation = (entry->generation + 1) & kGenerationMask;
  free_.push_back(index);
}

// handle = index * 256 + generation: exact as a JS number, and a small integer (a Smi, which V8
// stores without allocating) for the first four million slots.
static double handleNumber(Napi::Env env, uint32_t index) {
  uint64_t generation = instance(env).tensors.find(index)->generation;
  return static_cast<double>((static_cast<uint64_t>(index) << TensorTable::kGenerationBits) | generation);
}
static uint32_t indexOfHandle(double handle) { return static_cast<uint32_t>(static_cast<uint64_t>(handle) >> TensorTable::kGenerationBits); }
static Napi::Value handleOf(Napi::Env env, uint32_t index) { return Napi::Number::New(env, handleNumber(env, index)); }

static uint32_t store(Napi::Env env, at::Tensor tensor) {
  auto& data = instance(env);
  uint32_t index = data.tensors.allocate();
  TensorEntry* entry = data.tensors.find(index);
  entry->tensor = std::move(tensor);
  entry->reportedBytes = nativeBytes(entry->tensor);
  data.liveTensors++;
  reportBytes(env, data, entry->reportedBytes);  // publishes the count too
  return index;
}

static void release(Napi::Env env, TensorEntry* entry) {
  if (!entry->tensor.defined()) return;
  entry->tensor.reset();
  auto& data = instance(env);
  data.liveTensors--;
  reportBytes(env, data, -entry->reportedBytes);  // publishes the count too
  entry->reportedBytes = 0;
}

// Frees a slot: when its owner is collected, or when it never got one (the owner could not be made).
static void discard(Napi::Env env, uint32_t index) {
  auto& data = instance(env);
  release(env, data.tensors.find(index));
  data.tensors.free(index);
}

// Runs during garbage collection (a basic finalizer): it must not touch JS values.
static void finalizeEntry(napi_env env, void* raw, void*) {
  discard(Napi::Env(env), static_cast<uint32_t>(reinterpret_cast<uintptr_t>(raw)));
}

// False when `owner` is not an object (napi_add_finalizer checks that for less than napi_typeof).
static bool tryAttach(Napi::Env env, napi_value owner, uint32_t index) {
  return napi_add_finalizer(env, owner, reinterpret_cast<void*>(static_cast<uintptr_t>(index)), finalizeEntry, nullptr, nullptr) == napi_ok;
}

static void attach(Napi::Env env, napi_value owner, uint32_t index) {
  if (!tryAttach(env, owner, index)) {
    discard(env, index);
    throw std::runtime_error("could not attach a tensor to its JS object");
  }
}

Napi::Value wrapTensorInto(Napi::Env env, at::Tensor tensor, napi_value owner) {
  if (!tensor.defined()) return env.Null();
  uint32_t index = store(env, std::move(tensor));
  attach(env, owner, index);
  return handleOf(env, index);
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  auto& data = instance(env);
  if (data.tensorClass.IsEmpty()) throw std::runtime_error("torch-node: lib/tensor.ts has not registered the Tensor class");
  uint32_t index = store(env, std::move(tensor));
  napi_value handle = handleOf(env, index);
  napi_value object;
  if (napi_new_instance(env, data.tensorClass.Value(), 1, &handle, &object) != napi_ok) {
    discard(env, index);
    throw Napi::Error::New(env);  // the constructor's own exception, still pending
  }
  attach(env, object, index);
  return Napi::Value(env, object);
}

// ---- result tensors that JS adopts ----------------------------------------------
// Making a Tensor object from C++ (napi_new_instance calls into JS) costs ~0.4 µs more per tensor
// than JS making it itself. So the tensors among an op's array results (tuples, lists) are stored
// without an owner and their handles queued here, [count, handle...], in a buffer shared with
// lib/_ops/dispatch.ts. JS makes one Tensor per queued handle and passes them to adoptResults.

bool queueUnowned(Napi::Env env, const at::Tensor& tensor) {
  auto& data = instance(env);
  auto count = static_cast<size_t>(data.unownedResults[0]);
  if (count >= kUnownedCapacity || !tensor.defined()) return false;
  data.unownedResults[1 + count] = handleNumber(env, store(env, tensor));
  data.unownedResults[0] = static_cast<double>(count + 1);
  return true;
}

void discardUnowned(Napi::Env env) {
  auto& data = instance(env);
  auto count = static_cast<size_t>(data.unownedResults[0]);
  data.unownedResults[0] = 0;
  for (size_t i = 0; i < count; i++) discard(env, indexOfHandle(data.unownedResults[1 + i]));
}

// adoptResults(...owners): owner i gets the i-th queued tensor; the queue empties.
static Napi::Value adoptResults(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& data = instance(env);
  auto count = static_cast<size_t>(data.unownedResults[0]);
  data.unownedResults[0] = 0;
  const double* handles = data.unownedResults + 1;
  size_t attached = 0;
  if (info.Length() == count) {
    while (attached < count && tryAttach(env, info[attached], indexOfHandle(handles[attached]))) attached++;
  }
  if (attached == count) return env.Undefined();
  // Owners that took theirs keep them (their finalizers free them); none of the rest is left without one.
  for (size_t i = attached; i < count; i++) discard(env, indexOfHandle(handles[i]));
  throw ArgumentError("adoptResults: expected " + std::to_string(count) + " new Tensor objects");
}

// The entry behind a handle number, disposed or not; null when `number` is not a live handle.
static TensorEntry* entryOf(Napi::Env env, double number) {
  static constexpr double kHandleLimit = static_cast<double>(1ull << (32 + TensorTable::kGenerationBits));
  if (!(number >= 0 && number < kHandleLimit) || std::floor(number) != number) return nullptr;
  TensorEntry* entry = instance(env).tensors.find(indexOfHandle(number));
  if (entry == nullptr || !entry->inUse || entry->generation != (static_cast<uint64_t>(number) & TensorTable::kGenerationMask)) return nullptr;
  return entry;
}

static TensorEntry* entryOf(Napi::Env env, napi_value value) {
  double number;
  if (napi_get_value_double(env, value, &number) != napi_ok) return nullptr;
  return entryOf(env, number);
}

at::Tensor& unwrapTensor(Napi::Env env, double handle, const char* what) {
  TensorEntry* entry = entryOf(env, handle);
  if (entry == nullptr) throw ArgumentError(std::string("expected a Tensor for '") + what + "'");
  if (!entry->tensor.defined()) {
    throw std::runtime_error(std::string("'") + what + "' is a Tensor that was disposed; it can no longer be used");
  }
  return entry->tensor;
}

at::Tensor& unwrapTensor(Napi::Env env, napi_value value, const char* what) {
  double handle;
  if (napi_get_value_double(env, value, &handle) != napi_ok) throw ArgumentError(std::string("expected a Tensor for '") + what + "'");
  return unwrapTensor(env, handle, what);
}

at::Tensor* tensorOfObject(Napi::Env env, napi_value value, const char* what) {
  auto& data = instance(env);
  napi_valuetype type;
  if (data.tensorClass.IsEmpty() || napi_typeof(env, value, &type) != napi_ok || type != napi_object) return nullptr;
  bool isTensor = false;
  if (napi_instanceof(env, value, data.tensorClass.Value(), &isTensor) != napi_ok || !isTensor) return nullptr;
  return &unwrapTensor(env, Napi::Object(env, value).Get("_h"), what);
}

at::Tensor& unwrapTensorObject(Napi::Env env, napi_value value, const char* what) {
  at::Tensor* tensor = tensorOfObject(env, value, what);
  if (tensor == nullptr) throw ArgumentError(std::string("expected a Tensor for '") + what + "'");
  return *tensor;
}

// setTensorClass(Tensor): native code makes the JS object for a new tensor as `new Tensor(handle)`.
static Napi::Value setTensorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw ArgumentError("setTensorClass: expected the Tensor class");
  instance(info.Env()).tensorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

static Napi::Value dispose(const Napi::CallbackInfo& info) {
  TensorEntry* entry = entryOf(info.Env(), info[0]);
  if (entry == nullptr) throw ArgumentError("dispose: expected a tensor handle");
  release(info.Env(), entry);
  return info.Env().Undefined();
}

static Napi::Value isDisposed(const Napi::CallbackInfo& info) {
  TensorEntry* entry = entryOf(info.Env(), info[0]);
  if (entry == nullptr) throw ArgumentError("isDisposed: expected a tensor handle");
  return Napi::Boolean::New(info.Env(), !entry->tensor.defined());
}

// Metadata read on hot paths (shape, dtype, device) comes straight from the TensorImpl.
// Sizes and strides go back through a Float64Array shared with lib/tensor.ts, and the call returns
// their count: JS builds the array ~4x faster than Node-API sets its elements one by one. More
// values than the buffer holds come back as an array.
static constexpr size_t kSharedIntsCapacity = 64;
static Napi::Value sharedIntList(Napi::Env env, at::IntArrayRef values) {
  if (values.size() > kSharedIntsCapacity) return fromIntList(env, values);
  double* out = instance(env).sharedInts;
  for (size_t i = 0; i < values.size(); i++) out[i] = static_cast<double>(values[i]);
  return Napi::Number::New(env, static_cast<double>(values.size()));
}
static Napi::Value sizes(const Napi::CallbackInfo& info) {
  return sharedIntList(info.Env(), unwrapTensor(info.Env(), info[0], "self").sizes());
}
static Napi::Value strides(const Napi::CallbackInfo& info) {
  return sharedIntList(info.Env(), unwrapTensor(info.Env(), info[0], "self").strides());
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
double* shareDoubles(Napi::Env env, Napi::Object exports, const char* name, size_t count) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, count * sizeof(double));
  instance(env).sharedBuffers.push_back(Napi::Persistent(buffer));
  exports.Set(name, buffer);
  return static_cast<double*>(buffer.Data());
}

int64_t toInt64(Napi::Env env, napi_value value, const char* what) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_number) {
    double d = Napi::Number(env, value).DoubleValue();
    if (!std::isfinite(d) || std::floor(d) != d) {
      throw ArgumentError(std::string("expected an integer for '") + what + "' but received " + std::to_string(d));
    }
    if (std::fabs(d) > kMaxExactInteger) {
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
  data.sharedStats = shareDoubles(env, exports, "tensorStats", 2);
  publishStats(data);
  data.sharedInts = shareDoubles(env, exports, "sharedInts", kSharedIntsCapacity);
  data.unownedResults = shareDoubles(env, exports, "unownedResults", 1 + kUnownedCapacity);
  TORCH_NODE_EXPORT(exports, "adoptResults", adoptResults);
  TORCH_NODE_EXPORT(exports, "setTensorClass", setTensorClass);
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
