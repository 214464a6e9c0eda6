// torch.cuda beyond is_available/device_count/synchronize (context.cpp): the caching
// allocator's statistics and cache, the current device, streams and events.
//
// Compiled for real only when CMake found a CUDA libtorch (TORCH_NODE_WITH_CUDA); otherwise
// every function is a stub that throws one clear TorchError, and hasCudaSupport() is false,
// so lib/cuda_memory.ts can answer like PyTorch without CUDA before it ever gets here.
//
// Streams and events cross to JS as tagged Externals owning one c10 object each.
#include "common.h"

#include <torch/version.h>

#ifdef TORCH_NODE_WITH_CUDA
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
// CUDAEvent moved from ATen (at::cuda) to c10 (c10::cuda) in libtorch 2.x.
#if __has_include(<c10/cuda/CUDAEvent.h>)
#include <c10/cuda/CUDAEvent.h>
using TorchNodeCudaEvent = c10::cuda::CUDAEvent;
#else
#include <ATen/cuda/CUDAEvent.h>
using TorchNodeCudaEvent = at::cuda::CUDAEvent;
#endif
#endif

namespace torch_node {

static Napi::Value hasCudaSupport(const Napi::CallbackInfo& info) {
#ifdef TORCH_NODE_WITH_CUDA
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

#ifdef TORCH_NODE_WITH_CUDA

// ---- devices ---------------------------------------------------------------
// undefined/null/-1: the current device (PyTorch's device=None).
static c10::DeviceIndex deviceArg(Napi::Env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  int64_t index = (type == napi_undefined || type == napi_null) ? -1 : toInt64(env, value, "device");
  if (index < 0) return c10::cuda::current_device();
  int64_t count = static_cast<int64_t>(c10::cuda::device_count());
  if (index >= count) {
    throw std::runtime_error("Invalid device id: CUDA device " + std::to_string(index) + " requested, but only " + std::to_string(count) + " CUDA device(s) are present");
  }
  return static_cast<c10::DeviceIndex>(index);
}

static Napi::Value currentDevice(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(c10::cuda::current_device()));
}

static Napi::Value setDevice(const Napi::CallbackInfo& info) {
  c10::cuda::set_device(deviceArg(info.Env(), info[0]));
  return info.Env().Undefined();
}

// [name, major, minor, total_memory, multi_processor_count]
static Napi::Value deviceProperties(const Napi::CallbackInfo& info) {
  auto device = deviceArg(info.Env(), info[0]);
  // Straight from the runtime: ATen's cached copy needs the cuBLAS/cuSPARSE headers too.
  cudaDeviceProp props;
  C10_CUDA_CHECK(cudaGetDeviceProperties(&props, device));
  Napi::Array out = Napi::Array::New(info.Env(), 5);
  out.Set(0u, Napi::String::New(info.Env(), props.name));
  out.Set(1u, Napi::Number::New(info.Env(), props.major));
  out.Set(2u, Napi::Number::New(info.Env(), props.minor));
  out.Set(3u, Napi::Number::New(info.Env(), static_cast<double>(props.totalGlobalMem)));
  out.Set(4u, Napi::Number::New(info.Env(), props.multiProcessorCount));
  return out;
}

// [free, total] bytes on the device, as cudaMemGetInfo reports them.
static Napi::Value memGetInfo(const Napi::CallbackInfo& info) {
  c10::cuda::CUDAGuard guard(deviceArg(info.Env(), info[0]));
  size_t freeBytes = 0;
  size_t totalBytes = 0;
  C10_CUDA_CHECK(cudaMemGetInfo(&freeBytes, &totalBytes));
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(freeBytes)));
  out.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(totalBytes)));
  return out;
}

// ---- the caching allocator ---------------------------------------------------
// [allocated current, allocated peak, reserved current, reserved peak] in bytes. Like
// PyTorch's memory_stats(), zeros while CUDA has not been initialised on that device.
static Napi::Value memoryStats(const Napi::CallbackInfo& info) {
  auto device = deviceArg(info.Env(), info[0]);
  double figures[4] = {0, 0, 0, 0};
  if (at::detail::getCUDAHooks().hasPrimaryContext(device)) {
    try {
      auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
      // StatType::AGGREGATE is index 0 in every version (its namespace moved in 2.x).
      const size_t aggregate = 0;
      figures[0] = static_cast<double>(stats.allocated_bytes[aggregate].current);
      figures[1] = static_cast<double>(stats.allocated_bytes[aggregate].peak);
      figures[2] = static_cast<double>(stats.reserved_bytes[aggregate].current);
      figures[3] = static_cast<double>(stats.reserved_bytes[aggregate].peak);
    } catch (const c10::Error&) {
      // The allocator was not initialised yet (a context made by set_device alone): nothing allocated.
    }
  }
  Napi::Array out = Napi::Array::New(info.Env(), 4);
  for (uint32_t i = 0; i < 4; i++) out.Set(i, Napi::Number::New(info.Env(), figures[i]));
  return out;
}

static Napi::Value emptyCache(const Napi::CallbackInfo& info) {
  c10::cuda::CUDACachingAllocator::emptyCache();
  return info.Env().Undefined();
}

static Napi::Value resetPeakMemoryStats(const Napi::CallbackInfo& info) {
  c10::cuda::CUDACachingAllocator::resetPeakStats(deviceArg(info.Env(), info[0]));
  return info.Env().Undefined();
}

// ---- streams -----------------------------------------------------------------
static const napi_type_tag kStreamTag = {0x5d1e93a7c2b84f60ULL, 0x8a4c17e2f9d03b25ULL};
static const napi_type_tag kEventTag = {0x27b9e4c1a58d4e3fULL, 0xc61f08d3b7a25e94ULL};

struct StreamHolder {
  c10::cuda::CUDAStream stream;
};
struct EventHolder {
  TorchNodeCudaEvent event;
};

template <typename T>
static Napi::Value wrapHolder(Napi::Env env, T* holder, const napi_type_tag& tag) {
  auto external = Napi::External<T>::New(env, holder, [](Napi::Env, T* p) { delete p; });
  napi_type_tag_object(env, external, &tag);
  return external;
}

template <typename T>
static T& unwrapHolder(Napi::Env env, napi_value value, const napi_type_tag& tag, const char* what) {
  bool tagged = false;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_external) napi_check_object_type_tag(env, value, &tag, &tagged);
  if (!tagged) throw ArgumentError(std::string("expected a ") + what);
  return *Napi::External<T>(env, value).Data();
}

static c10::cuda::CUDAStream& streamArg(Napi::Env env, napi_value value) {
  return unwrapHolder<StreamHolder>(env, value, kStreamTag, "torch.cuda.Stream").stream;
}
static TorchNodeCudaEvent& eventArg(Napi::Env env, napi_value value) {
  return unwrapHolder<EventHolder>(env, value, kEventTag, "torch.cuda.Event").event;
}
static Napi::Value wrapStream(Napi::Env env, c10::cuda::CUDAStream stream) {
  return wrapHolder(env, new StreamHolder{stream}, kStreamTag);
}

// (device, priority): a stream from the pool; priority < 0 asks for a high-priority one.
static Napi::Value streamNew(const Napi::CallbackInfo& info) {
  auto device = deviceArg(info.Env(), info[0]);
  int64_t priority = info[1].IsNumber() ? toInt64(info.Env(), info[1], "priority") : 0;
  return wrapStream(info.Env(), c10::cuda::getStreamFromPool(priority < 0, device));
}
static Napi::Value streamCurrent(const Napi::CallbackInfo& info) {
  return wrapStream(info.Env(), c10::cuda::getCurrentCUDAStream(deviceArg(info.Env(), info[0])));
}
static Napi::Value streamDefault(const Napi::CallbackInfo& info) {
  return wrapStream(info.Env(), c10::cuda::getDefaultCUDAStream(deviceArg(info.Env(), info[0])));
}
static Napi::Value streamSetCurrent(const Napi::CallbackInfo& info) {
  c10::cuda::setCurrentCUDAStream(streamArg(info.Env(), info[0]));
  return info.Env().Undefined();
}
static Napi::Value streamSynchronize(const Napi::CallbackInfo& info) {
  streamArg(info.Env(), info[0]).synchronize();
  return info.Env().Undefined();
}
static Napi::Value streamQuery(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), streamArg(info.Env(), info[0]).query());
}
// [stream id, device index, priority, cudaStream_t as a BigInt]
static Napi::Value streamInfo(const Napi::CallbackInfo& info) {
  auto& stream = streamArg(info.Env(), info[0]);
  Napi::Array out = Napi::Array::New(info.Env(), 4);
  out.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(stream.id())));
  out.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(stream.device_index())));
  out.Set(2u, Napi::Number::New(info.Env(), static_cast<double>(stream.priority())));
  out.Set(3u, Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(stream.stream()))));
  return out;
}
static Napi::Value streamEquals(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), streamArg(info.Env(), info[0]) == streamArg(info.Env(), info[1]));
}
// Tells the caching allocator that `tensor` is in use on `stream` (Tensor.record_stream).
static Napi::Value tensorRecordStream(const Napi::CallbackInfo& info) {
  at::Tensor& tensor = unwrapTensor(info.Env(), info[0], "self");
  if (!tensor.is_cuda()) throw std::runtime_error("record_stream: expected a CUDA tensor but got one on " + tensor.device().str());
  c10::cuda::CUDACachingAllocator::recordStream(tensor.storage().data_ptr(), streamArg(info.Env(), info[1]));
  return info.Env().Undefined();
}

// ---- events ------------------------------------------------------------------
// (enable_timing, blocking, interprocess), PyTorch's Event flags.
static Napi::Value eventNew(const Napi::CallbackInfo& info) {
  unsigned int flags = info[0].ToBoolean().Value() ? cudaEventDefault : cudaEventDisableTiming;
  if (info[1].ToBoolean().Value()) flags |= cudaEventBlockingSync;
  if (info[2].ToBoolean().Value()) flags |= cudaEventInterprocess;
  return wrapHolder(info.Env(), new EventHolder{TorchNodeCudaEvent(flags)}, kEventTag);
}
static Napi::Value eventRecord(const Napi::CallbackInfo& info) {
  auto& event = eventArg(info.Env(), info[0]);
  if (info[1].IsUndefined() || info[1].IsNull()) {
    event.record(c10::cuda::getCurrentCUDAStream());
  } else {
    event.record(streamArg(info.Env(), info[1]));
  }
  return info.Env().Undefined();
}
// Makes `stream` (default: the current one) wait for the event, without blocking the host.
static Napi::Value eventWait(const Napi::CallbackInfo& info) {
  auto& event = eventArg(info.Env(), info[0]);
  if (info[1].IsUndefined() || info[1].IsNull()) {
    event.block(c10::cuda::getCurrentCUDAStream());
  } else {
    event.block(streamArg(info.Env(), info[1]));
  }
  return info.Env().Undefined();
}
static Napi::Value eventQuery(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), eventArg(info.Env(), info[0]).query());
}
static Napi::Value eventSynchronize(const Napi::CallbackInfo& info) {
  eventArg(info.Env(), info[0]).synchronize();
  return info.Env().Undefined();
}
static Napi::Value eventElapsedTime(const Napi::CallbackInfo& info) {
  auto& start = eventArg(info.Env(), info[0]);
  auto& end = eventArg(info.Env(), info[1]);
  return Napi::Number::New(info.Env(), start.elapsed_time(end));
}

#else  // no CUDA in this libtorch: stubs with one message

static Napi::Value noCudaSupport(const Napi::CallbackInfo& info) {
  throw std::runtime_error(
      std::string("this build of torch-node has no CUDA support: it was built against libtorch ") + TORCH_VERSION +
      " without CUDA. Rebuild it against a CUDA libtorch: LIBTORCH_USE_PYTORCH=1 PYTHON=/path/to/python-with-cuda-torch npm run build:native"
      " (or LIBTORCH=/path/to/libtorch-with-cuda)");
}

#endif

void initCuda(Napi::Env env, Napi::Object exports) {
  Napi::Object cuda = Napi::Object::New(env);
  TORCH_NODE_EXPORT(cuda, "hasCudaSupport", hasCudaSupport);
#ifdef TORCH_NODE_WITH_CUDA
#define TORCH_NODE_CUDA_EXPORT(name, fn) TORCH_NODE_EXPORT(cuda, name, fn)
#else
#define TORCH_NODE_CUDA_EXPORT(name, fn) TORCH_NODE_EXPORT(cuda, name, noCudaSupport)
#endif
  TORCH_NODE_CUDA_EXPORT("currentDevice", currentDevice);
  TORCH_NODE_CUDA_EXPORT("setDevice", setDevice);
  TORCH_NODE_CUDA_EXPORT("deviceProperties", deviceProperties);
  TORCH_NODE_CUDA_EXPORT("memGetInfo", memGetInfo);
  TORCH_NODE_CUDA_EXPORT("memoryStats", memoryStats);
  TORCH_NODE_CUDA_EXPORT("emptyCache", emptyCache);
  TORCH_NODE_CUDA_EXPORT("resetPeakMemoryStats", resetPeakMemoryStats);
  TORCH_NODE_CUDA_EXPORT("streamNew", streamNew);
  TORCH_NODE_CUDA_EXPORT("streamCurrent", streamCurrent);
  TORCH_NODE_CUDA_EXPORT("streamDefault", streamDefault);
  TORCH_NODE_CUDA_EXPORT("streamSetCurrent", streamSetCurrent);
  TORCH_NODE_CUDA_EXPORT("streamSynchronize", streamSynchronize);
  TORCH_NODE_CUDA_EXPORT("streamQuery", streamQuery);
  TORCH_NODE_CUDA_EXPORT("streamInfo", streamInfo);
  TORCH_NODE_CUDA_EXPORT("streamEquals", streamEquals);
  TORCH_NODE_CUDA_EXPORT("tensorRecordStream", tensorRecordStream);
  TORCH_NODE_CUDA_EXPORT("eventNew", eventNew);
  TORCH_NODE_CUDA_EXPORT("eventRecord", eventRecord);
  TORCH_NODE_CUDA_EXPORT("eventWait", eventWait);
  TORCH_NODE_CUDA_EXPORT("eventQuery", eventQuery);
  TORCH_NODE_CUDA_EXPORT("eventSynchronize", eventSynchronize);
  TORCH_NODE_CUDA_EXPORT("eventElapsedTime", eventElapsedTime);
#undef TORCH_NODE_CUDA_EXPORT
  exports.Set("cudaRuntime", cuda);
}

}  // namespace torch_node
