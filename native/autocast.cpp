// torch.autocast's native half (per-device autocast state, its nesting count and cast
// cache) and the process-wide torch.backends flags held by at::globalContext().
//
// Autocast state is thread-local in libtorch; every op of this addon runs on the JS
// thread that set it, so the TS scope in lib/amp/autocast_mode.ts is all it takes.
// libtorch 2.4 replaced the per-device functions (is_cpu_enabled, set_autocast_gpu_dtype,
// ...) with ones taking a DeviceType; both spellings are kept here, chosen at compile time.
#include "common.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TORCH_NODE_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define TORCH_NODE_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace torch_node {

// The TS layer validates device_type; this only maps the two names it may pass.
static c10::DeviceType autocastDeviceType(Napi::Env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_string) {
    std::string name = Napi::String(env, value).Utf8Value();
    if (name == "cpu") return c10::DeviceType::CPU;
    if (name == "cuda") return c10::DeviceType::CUDA;
  }
  throw ArgumentError("autocast: expected 'cpu' or 'cuda' for 'device_type'");
}

static std::string flagName(Napi::Env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type != napi_string) throw ArgumentError("torch.backends: expected a flag name string");
  return Napi::String(env, value).Utf8Value();
}

static at::ScalarType scalarTypeArg(Napi::Env env, napi_value value, const char* what) {
  return static_cast<at::ScalarType>(toInt64(env, value, what));
}

static Napi::Value isAutocastEnabled(const Napi::CallbackInfo& info) {
  auto device = autocastDeviceType(info.Env(), info[0]);
#if TORCH_NODE_AUTOCAST_BY_DEVICE_TYPE
  bool enabled = at::autocast::is_autocast_enabled(device);
#else
  bool enabled = device == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
  return Napi::Boolean::New(info.Env(), enabled);
}

static Napi::Value setAutocastEnabled(const Napi::CallbackInfo& info) {
  auto device = autocastDeviceType(info.Env(), info[0]);
  bool enabled = info[1].ToBoolean().Value();
#if TORCH_NODE_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(device, enabled);
#else
  if (device == c10::DeviceType::CPU) {
    at::autocast::set_cpu_enabled(enabled);
  } else {
    at::autocast::set_enabled(enabled);
  }
#endif
  return info.Env().Undefined();
}

static Napi::Value getAutocastDtype(const Napi::CallbackInfo& info) {
  auto device = autocastDeviceType(info.Env(), info[0]);
#if TORCH_NODE_AUTOCAST_BY_DEVICE_TYPE
  at::ScalarType dtype = at::autocast::get_autocast_dtype(device);
#else
  at::ScalarType dtype = device == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
  return Napi::Number::New(info.Env(), static_cast<int>(dtype));
}

static Napi::Value setAutocastDtype(const Napi::CallbackInfo& info) {
  auto device = autocastDeviceType(info.Env(), info[0]);
  at::ScalarType dtype = scalarTypeArg(info.Env(), info[1], "dtype");
#if TORCH_NODE_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CPU) {
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
#endif
  return info.Env().Undefined();
}

static Napi::Value incrementNesting(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::autocast::increment_nesting());
}

static Napi::Value decrementNesting(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::autocast::decrement_nesting());
}

static Napi::Value clearCache(const Napi::CallbackInfo& info) {
  at::autocast::clear_cache();
  return info.Env().Undefined();
}

static Napi::Value isCacheEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::autocast::is_autocast_cache_enabled());
}

static Napi::Value setCacheEnabled(const Napi::CallbackInfo& info) {
  at::autocast::set_autocast_cache_enabled(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

// ---- torch.backends --------------------------------------------------------
// Getters and setters of at::globalContext() flags, by the name torch.backends uses.
static Napi::Value getBackendFlag(const Napi::CallbackInfo& info) {
  std::string name = flagName(info.Env(), info[0]);
  auto& context = at::globalContext();
  bool value;
  if (name == "cuda.matmul.allow_tf32") {
    value = context.allowTF32CuBLAS();
  } else if (name == "cudnn.allow_tf32") {
    value = context.allowTF32CuDNN();
  } else if (name == "cudnn.benchmark") {
    value = context.benchmarkCuDNN();
  } else if (name == "cudnn.deterministic") {
    value = context.deterministicCuDNN();
  } else if (name == "cudnn.enabled") {
    value = context.userEnabledCuDNN();
  } else {
    throw ArgumentError("torch.backends: unknown flag '" + name + "'");
  }
  return Napi::Boolean::New(info.Env(), value);
}

static Napi::Value setBackendFlag(const Napi::CallbackInfo& info) {
  std::string name = flagName(info.Env(), info[0]);
  bool value = info[1].ToBoolean().Value();
  auto& context = at::globalContext();
  if (name == "cuda.matmul.allow_tf32") {
    context.setAllowTF32CuBLAS(value);
  } else if (name == "cudnn.allow_tf32") {
    context.setAllowTF32CuDNN(value);
  } else if (name == "cudnn.benchmark") {
    context.setBenchmarkCuDNN(value);
  } else if (name == "cudnn.deterministic") {
    context.setDeterministicCuDNN(value);
  } else if (name == "cudnn.enabled") {
    context.setUserEnabledCuDNN(value);
  } else {
    throw ArgumentError("torch.backends: unknown flag '" + name + "'");
  }
  return info.Env().Undefined();
}

static Napi::Value cudnnIsAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::globalContext().hasCuDNN());
}

// Python returns None when cuDNN is absent; JS gets null.
static Napi::Value cudnnVersion(const Napi::CallbackInfo& info) {
  if (!at::globalContext().hasCuDNN()) return info.Env().Null();
  return Napi::Number::New(info.Env(), static_cast<double>(at::globalContext().versionCuDNN()));
}

void initAutocast(Napi::Env env, Napi::Object exports) {
  Napi::Object amp = Napi::Object::New(env);
  TORCH_NODE_EXPORT(amp, "isAutocastEnabled", isAutocastEnabled);
  TORCH_NODE_EXPORT(amp, "setAutocastEnabled", setAutocastEnabled);
  TORCH_NODE_EXPORT(amp, "getAutocastDtype", getAutocastDtype);
  TORCH_NODE_EXPORT(amp, "setAutocastDtype", setAutocastDtype);
  TORCH_NODE_EXPORT(amp, "incrementNesting", incrementNesting);
  TORCH_NODE_EXPORT(amp, "decrementNesting", decrementNesting);
  TORCH_NODE_EXPORT(amp, "clearCache", clearCache);
  TORCH_NODE_EXPORT(amp, "isCacheEnabled", isCacheEnabled);
  TORCH_NODE_EXPORT(amp, "setCacheEnabled", setCacheEnabled);
  exports.Set("amp", amp);

  Napi::Object backends = Napi::Object::New(env);
  TORCH_NODE_EXPORT(backends, "getFlag", getBackendFlag);
  TORCH_NODE_EXPORT(backends, "setFlag", setBackendFlag);
  TORCH_NODE_EXPORT(backends, "cudnnIsAvailable", cudnnIsAvailable);
  TORCH_NODE_EXPORT(backends, "cudnnVersion", cudnnVersion);
  exports.Set("backends", backends);
}

}  // namespace torch_node
