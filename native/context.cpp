// Process-wide libtorch settings: seeds, default dtype, threads, CUDA presence.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace torch_node {

// at::manual_seed seeds the CPU generator and every CUDA one, as Python's torch.manual_seed does.
static Napi::Value manualSeed(const Napi::CallbackInfo& info) {
  at::manual_seed(static_cast<uint64_t>(toInt64(info.Env(), info[0], "seed")));
  return info.Env().Undefined();
}

static Napi::Value initialSeed(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), at::detail::getDefaultCPUGenerator().current_seed());
}

static Napi::Value setDefaultDtype(const Napi::CallbackInfo& info) {
  auto type = static_cast<at::ScalarType>(toInt64(info.Env(), info[0], "dtype"));
  c10::set_default_dtype(caffe2::TypeMeta::fromScalarType(type));
  return info.Env().Undefined();
}

static Napi::Value getDefaultDtype(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(c10::typeMetaToScalarType(c10::get_default_dtype())));
}

static Napi::Value getNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

static Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  at::set_num_threads(static_cast<int>(toInt64(info.Env(), info[0], "num_threads")));
  return info.Env().Undefined();
}

static Napi::Value cudaIsAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

static Napi::Value cudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

static Napi::Value cudaSynchronize(const Napi::CallbackInfo& info) {
  int64_t device = info[0].IsNumber() ? toInt64(info.Env(), info[0], "device") : -1;
  torch::cuda::synchronize(device);
  return info.Env().Undefined();
}

static Napi::Value libtorchVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), TORCH_VERSION);
}

void initContext(Napi::Env env, Napi::Object exports) {
  TORCH_NODE_EXPORT(exports, "manualSeed", manualSeed);
  TORCH_NODE_EXPORT(exports, "initialSeed", initialSeed);
  TORCH_NODE_EXPORT(exports, "setDefaultDtype", setDefaultDtype);
  TORCH_NODE_EXPORT(exports, "getDefaultDtype", getDefaultDtype);
  TORCH_NODE_EXPORT(exports, "getNumThreads", getNumThreads);
  TORCH_NODE_EXPORT(exports, "setNumThreads", setNumThreads);
  TORCH_NODE_EXPORT(exports, "cudaIsAvailable", cudaIsAvailable);
  TORCH_NODE_EXPORT(exports, "cudaDeviceCount", cudaDeviceCount);
  TORCH_NODE_EXPORT(exports, "cudaSynchronize", cudaSynchronize);
  TORCH_NODE_EXPORT(exports, "libtorchVersion", libtorchVersion);
}

}  // namespace torch_node
