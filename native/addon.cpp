// Module entry: error classes, the guard's error mapping, and registration of every area.
#include "common.h"

#include <cstdlib>
#include <mutex>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace torch_node {

// ---- glibc's heap thresholds ------------------------------------------------------
// A training step allocates megabytes of activations and frees them together at its end
// (tidy). glibc decides when to give freed heap back to the OS with thresholds that it
// raises only as ever-larger blocks are freed; until a 32 MB block has been, it trims the
// heap's top at the end of a step and the next step faults the same pages back in (book CNN
// batch 8: twice the brk calls and three times the page faults; batch 64 about 10% slower).
// So we start where glibc's adaptive thresholds end up: blocks up to 32 MB come from the heap,
// and the heap keeps up to 64 MB free at its top. This is process-wide, so it is skipped when
// the user set glibc's own MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_, or set
// TORCH_NODE_MALLOC_TUNING=0.
static constexpr int kMmapThreshold = 32 * 1024 * 1024;
static constexpr int kTrimThreshold = 2 * kMmapThreshold;
static bool mallocTuned = false;

static void tuneMalloc() {
#if defined(__GLIBC__)
  const char* optOut = std::getenv("TORCH_NODE_MALLOC_TUNING");
  if (optOut != nullptr && std::string(optOut) == "0") return;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr) return;
  mallocTuned = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
#endif
}

// [mmap threshold, trim threshold] when torch-node set them, else null (for tests).
static Napi::Value mallocTuning(const Napi::CallbackInfo& info) {
  if (!mallocTuned) return info.Env().Null();
  Napi::Array values = Napi::Array::New(info.Env(), 2);
  values.Set(0u, Napi::Number::New(info.Env(), kMmapThreshold));
  values.Set(1u, Napi::Number::New(info.Env(), kTrimThreshold));
  return values;
}

static bool showCppStacktraces() {
  const char* flag = std::getenv("TORCH_SHOW_CPP_STACKTRACES");
  return flag != nullptr && std::string(flag) == "1";
}

static void throwWith(Napi::Env env, Napi::FunctionReference& ctor, const std::string& message) {
  if (ctor.IsEmpty()) {
    Napi::Error::New(env, message).ThrowAsJavaScriptException();
    return;
  }
  Napi::Object error = ctor.New({Napi::String::New(env, message)});
  napi_throw(env, error);
}

static std::string torchMessage(const c10::Error& e) {
  return showCppStacktraces() ? std::string(e.what()) : std::string(e.what_without_backtrace());
}

void throwAsJs(Napi::Env env, std::exception_ptr error) {
  auto& data = instance(env);
  try {
    std::rethrow_exception(error);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const c10::IndexError& e) {
    throwWith(env, data.indexError, torchMessage(e));
  } catch (const c10::TypeError& e) {
    throwWith(env, data.typeError, torchMessage(e));
  } catch (const c10::ValueError& e) {
    throwWith(env, data.valueError, torchMessage(e));
  } catch (const c10::NotImplementedError& e) {
    throwWith(env, data.notImplementedError, torchMessage(e));
  } catch (const c10::Error& e) {
    throwWith(env, data.torchError, torchMessage(e));
  } catch (const ArgumentError& e) {
    throwWith(env, data.typeError, e.what());
  } catch (const std::bad_alloc&) {
    throwWith(env, data.torchError, "out of memory (std::bad_alloc)");
  } catch (const std::exception& e) {
    throwWith(env, data.torchError, e.what());
  } catch (...) {
    throwWith(env, data.torchError, "unknown C++ exception");
  }
}

// JS hands its error classes over at load so that `instanceof` works on native errors.
static Napi::Value setErrorClasses(const Napi::CallbackInfo& info) {
  auto& data = instance(info.Env());
  Napi::Object classes = info[0].As<Napi::Object>();
  data.torchError = Napi::Persistent(classes.Get("TorchError").As<Napi::Function>());
  data.indexError = Napi::Persistent(classes.Get("IndexError").As<Napi::Function>());
  data.typeError = Napi::Persistent(classes.Get("TypeError").As<Napi::Function>());
  data.valueError = Napi::Persistent(classes.Get("ValueError").As<Napi::Function>());
  data.notImplementedError = Napi::Persistent(classes.Get("NotImplementedError").As<Napi::Function>());
  return info.Env().Undefined();
}

static Napi::Object init(Napi::Env env, Napi::Object exports) {
  static std::once_flag mallocOnce;  // once per process, not per worker thread
  std::call_once(mallocOnce, [] { tuneMalloc(); installCpuAllocator(); });
  env.SetInstanceData(new InstanceData());
  TORCH_NODE_EXPORT(exports, "setErrorClasses", setErrorClasses);
  TORCH_NODE_EXPORT(exports, "mallocTuning", mallocTuning);
  initTensorHandles(env, exports);
  initDispatch(env, exports);
  initCreation(env, exports);
  initIndexing(env, exports);
  initAutograd(env, exports);
  initContext(env, exports);
  initDistributed(env, exports);
  initAutocast(env, exports);
  initCuda(env, exports);
  initJit(env, exports);
  initCpuAllocator(env, exports);
  return exports;
}

}  // namespace torch_node

static Napi::Object InitTorchNode(Napi::Env env, Napi::Object exports) { return torch_node::init(env, exports); }
NODE_API_MODULE(torch_node_addon, InitTorchNode)
