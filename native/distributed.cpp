// torch.distributed on PyTorch's own c10d engine: stores (TCPStore, FileStore, HashStore,
// PrefixStore), Gloo process groups, collective work handles, and c10d's Reducer (the
// bucketing gradient all-reducer that DistributedDataParallel is built on).
//
// Threading: collectives are launched on the main thread (Gloo queues them on its own
// threads and returns at once); everything that blocks (waiting on work, store reads,
// rendezvous) runs on a thread of its own and settles a Promise through a thread-safe
// function, so the event loop keeps running. Worker threads never touch JS.
//
// Ownership: each native object crosses to JS as a tagged External that owns one
// reference (intrusive_ptr / shared_ptr); its finalizer drops it, and JS can drop it
// earlier (destroy/dispose).
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/version.h>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/logger.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

// ProcessGroupGloo.hpp includes Gloo's own headers (Debian: libgloo-dev), which libtorch
// packages do not always ship. Without them (or with -DTORCH_NODE_NO_GLOO) everything but
// the Gloo backend still builds.
#if defined(USE_C10D_GLOO) && !defined(TORCH_NODE_NO_GLOO) && defined(__has_include)
#if __has_include(<gloo/context.h>)
#define TORCH_NODE_HAVE_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#endif

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <cstdlib>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

namespace torch_node {

namespace {

using Milliseconds = std::chrono::milliseconds;

// ---- tagged holders -----------------------------------------------------------------
const napi_type_tag kStoreTag = {0x3b1f0d8e5a2c4c71ULL, 0x9d44e2a6c07b51f3ULL};
const napi_type_tag kGroupTag = {0x6e0a92c4d1b34f88ULL, 0xa2c5f1e07d936b41ULL};
const napi_type_tag kWorkTag = {0x1c7e5b39f04a4d2eULL, 0xb8e3a6d2c5f70941ULL};
const napi_type_tag kReducerTag = {0x84d2e6a1c39b4f05ULL, 0x7f1b0c5e2a9d3e68ULL};

struct StoreHolder {
  c10::intrusive_ptr<c10d::Store> store;
};

struct GroupHolder {
  c10::intrusive_ptr<c10d::ProcessGroup> group;
};

struct WorkHolder {
  c10::intrusive_ptr<c10d::Work> work;
  // The tensors the work reads and writes stay alive until the handle goes.
  std::vector<at::Tensor> tensors;
};

struct ReducerHolder {
  std::shared_ptr<c10d::Reducer> reducer;
  std::shared_ptr<c10d::Logger> logger;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
};

template <typename T>
Napi::Value wrapHolder(Napi::Env env, T* holder, const napi_type_tag& tag) {
  auto external = Napi::External<T>::New(env, holder, [](Napi::Env, T* p) { delete p; });
  napi_type_tag_object(env, external, &tag);
  return external;
}

template <typename T>
T& unwrapHolder(Napi::Env env, napi_value value, const napi_type_tag& tag, const char* kind, const char* what) {
  napi_valuetype type;
  bool tagged = false;
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_external) napi_check_object_type_tag(env, value, &tag, &tagged);
  if (!tagged) throw ArgumentError(std::string("expected a ") + kind + " handle for '" + what + "'");
  void* raw = nullptr;
  napi_get_value_external(env, value, &raw);
  return *static_cast<T*>(raw);
}

c10::intrusive_ptr<c10d::Store>& storeOf(Napi::Env env, napi_value v, const char* what = "store") {
  auto& holder = unwrapHolder<StoreHolder>(env, v, kStoreTag, "Store", what);
  if (!holder.store) throw std::runtime_error("the store was closed");
  return holder.store;
}

c10::intrusive_ptr<c10d::ProcessGroup>& groupOf(Napi::Env env, napi_value v, const char* what = "group") {
  auto& holder = unwrapHolder<GroupHolder>(env, v, kGroupTag, "ProcessGroup", what);
  if (!holder.group) throw std::runtime_error("the process group was destroyed; it can no longer be used");
  return holder.group;
}

ReducerHolder& reducerOf(Napi::Env env, napi_value v) {
  auto& holder = unwrapHolder<ReducerHolder>(env, v, kReducerTag, "Reducer", "reducer");
  if (!holder.reducer) throw std::runtime_error("the reducer was released");
  return holder;
}

// ---- off-thread runner --------------------------------------------------------------
// Runs `work` on a thread of its own; `settle` then runs on the JS thread and gives the
// value the Promise resolves with. A C++ exception rejects it with the JS error class the
// guard would have thrown.
struct OffThreadCall {
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
  std::function<void()> work;
  std::function<Napi::Value(Napi::Env)> settle;
  std::exception_ptr error;
};

Napi::Value errorValue(Napi::Env env, std::exception_ptr error) {
  throwAsJs(env, error);
  return env.GetAndClearPendingException().Value();
}

void settleOnJsThread(Napi::Env env, OffThreadCall* call) {
  if (call->error) {
    call->deferred.Reject(errorValue(env, call->error));
    return;
  }
  try {
    call->deferred.Resolve(call->settle(env));
  } catch (...) {
    call->deferred.Reject(errorValue(env, std::current_exception()));
  }
}

Napi::Value runOffThread(Napi::Env env, const char* name, std::function<void()> work,
                         std::function<Napi::Value(Napi::Env)> settle) {
  auto deferred = Napi::Promise::Deferred::New(env);
  auto* call = new OffThreadCall{deferred, {}, std::move(work), std::move(settle), nullptr};
  // The thread-safe function keeps the event loop alive until the result is delivered,
  // like a pending socket would.
  call->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), name, 0, 1);
  std::thread([call]() {
    try {
      call->work();
    } catch (...) {
      call->error = std::current_exception();
    }
    Napi::ThreadSafeFunction tsfn = call->tsfn;
    napi_status status = tsfn.BlockingCall([call](Napi::Env env, Napi::Function) {
      settleOnJsThread(env, call);
      delete call;
    });
    // napi_closing: the environment is shutting down; the call is abandoned with it.
    (void)status;
    tsfn.Release();
  }).detach();
  return deferred.Promise();
}

Napi::Value undefinedOf(Napi::Env env) { return env.Undefined(); }

// ---- argument helpers ---------------------------------------------------------------
std::vector<at::Tensor> tensorList(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsArray()) throw ArgumentError(std::string("expected an array of Tensors for '") + what + "'");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) out.push_back(unwrapTensor(env, array.Get(i), what));
  return out;
}

std::vector<std::vector<at::Tensor>> tensorLists(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsArray()) throw ArgumentError(std::string("expected an array of Tensor arrays for '") + what + "'");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::vector<at::Tensor>> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) out.push_back(tensorList(env, array.Get(i), what));
  return out;
}

std::string stringArg(Napi::Value value, const char* what) {
  if (!value.IsString()) throw ArgumentError(std::string("expected a string for '") + what + "'");
  return value.As<Napi::String>().Utf8Value();
}

std::vector<std::string> stringList(Napi::Value value, const char* what) {
  if (!value.IsArray()) throw ArgumentError(std::string("expected an array of strings for '") + what + "'");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < array.Length(); i++) out.push_back(stringArg(array.Get(i), what));
  return out;
}

std::vector<uint8_t> bytesArg(Napi::Value value, const char* what) {
  if (value.IsString()) {
    std::string s = value.As<Napi::String>().Utf8Value();
    return std::vector<uint8_t>(s.begin(), s.end());
  }
  if (value.IsTypedArray()) {
    auto array = value.As<Napi::TypedArray>();
    auto* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    return std::vector<uint8_t>(data, data + array.ByteLength());
  }
  throw ArgumentError(std::string("expected a string or Uint8Array for '") + what + "'");
}

Milliseconds msArg(Napi::Env env, Napi::Value value, const char* what) {
  return Milliseconds(toInt64(env, value, what));
}

c10d::ReduceOp reduceOpArg(Napi::Env env, Napi::Value value) {
  int64_t code = toInt64(env, value, "op");
  if (code < 0 || code > static_cast<int64_t>(c10d::ReduceOp::BXOR)) throw ArgumentError("unknown ReduceOp code " + std::to_string(code));
  return c10d::ReduceOp(static_cast<c10d::ReduceOp::RedOpType>(code));
}

Napi::Value wrapWork(Napi::Env env, c10::intrusive_ptr<c10d::Work> work, std::vector<at::Tensor> tensors) {
  return wrapHolder(env, new WorkHolder{std::move(work), std::move(tensors)}, kWorkTag);
}

template <typename Fn>
Napi::Value maybeAsync(Napi::Env env, bool async, const char* name, Fn fn) {
  if (!async) {
    fn();
    return env.Undefined();
  }
  return runOffThread(env, name, fn, undefinedOf);
}

// ---- stores ---------------------------------------------------------------------------
// tcpStore(host, port, worldSize|null, isServer, timeoutMs, waitWorkers, multiTenant, async)
Napi::Value tcpStore(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string host = stringArg(info[0], "host_name");
  int64_t port = toInt64(env, info[1], "port");
  if (port < 0 || port > 65535) throw ArgumentError("port must have value from 0 to 65535 but was " + std::to_string(port));
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(port);
  if (!info[2].IsNull() && !info[2].IsUndefined()) options.numWorkers = static_cast<std::size_t>(toInt64(env, info[2], "world_size"));
  options.isServer = info[3].ToBoolean().Value();
  options.timeout = msArg(env, info[4], "timeout");
  options.waitWorkers = info[5].ToBoolean().Value();
  options.multiTenant = info[6].ToBoolean().Value();
  bool async = info[7].ToBoolean().Value();
  if (!async) {
    auto store = c10::make_intrusive<c10d::TCPStore>(host, options);
    return wrapHolder(env, new StoreHolder{store}, kStoreTag);
  }
  auto result = std::make_shared<c10::intrusive_ptr<c10d::Store>>();
  return runOffThread(
      env, "torch_node.TCPStore", [host, options, result]() { *result = c10::make_intrusive<c10d::TCPStore>(host, options); },
      [result](Napi::Env env) { return wrapHolder(env, new StoreHolder{*result}, kStoreTag); });
}

Napi::Value tcpStorePort(const Napi::CallbackInfo& info) {
  auto& store = storeOf(info.Env(), info[0]);
  auto* tcp = dynamic_cast<c10d::TCPStore*>(store.get());
  if (tcp == nullptr) throw ArgumentError("not a TCPStore");
  return Napi::Number::New(info.Env(), tcp->getPort());
}

Napi::Value fileStore(const Napi::CallbackInfo& info) {
  std::string path = stringArg(info[0], "file_name");
  int numWorkers = static_cast<int>(toInt64(info.Env(), info[1], "world_size"));
  return wrapHolder(info.Env(), new StoreHolder{c10::make_intrusive<c10d::FileStore>(path, numWorkers)}, kStoreTag);
}

Napi::Value hashStore(const Napi::CallbackInfo& info) {
  return wrapHolder(info.Env(), new StoreHolder{c10::make_intrusive<c10d::HashStore>()}, kStoreTag);
}

Napi::Value prefixStore(const Napi::CallbackInfo& info) {
  std::string prefix = stringArg(info[0], "prefix");
  auto& inner = storeOf(info.Env(), info[1]);
  return wrapHolder(info.Env(), new StoreHolder{c10::make_intrusive<c10d::PrefixStore>(prefix, inner)}, kStoreTag);
}

Napi::Value storeSet(const Napi::CallbackInfo& info) {
  auto store = storeOf(info.Env(), info[0]);
  std::string key = stringArg(info[1], "key");
  auto value = bytesArg(info[2], "value");
  return runOffThread(info.Env(), "torch_node.Store.set", [store, key, value]() { store->set(key, value); }, undefinedOf);
}

Napi::Value storeGet(const Napi::CallbackInfo& info) {
  auto store = storeOf(info.Env(), info[0]);
  std::string key = stringArg(info[1], "key");
  auto result = std::make_shared<std::vector<uint8_t>>();
  return runOffThread(
      info.Env(), "torch_node.Store.get", [store, key, result]() { *result = store->get(key); },
      [result](Napi::Env env) { return Napi::Buffer<uint8_t>::Copy(env, result->data(), result->size()); });
}

Napi::Value storeAdd(const Napi::CallbackInfo& info) {
  auto store = storeOf(info.Env(), info[0]);
  std::string key = stringArg(info[1], "key");
  int64_t amount = toInt64(info.Env(), info[2], "amount");
  auto result = std::make_shared<int64_t>(0);
  return runOffThread(
      info.Env(), "torch_node.Store.add", [store, key, amount, result]() { *result = store->add(key, amount); },
      [result](Napi::Env env) { return fromInt64(env, *result); });
}

Napi::Value storeCompareSet(const Napi::CallbackInfo& info) {
  auto store = storeOf(info.Env(), info[0]);
  std::string key = stringArg(info[1], "key");
  auto expected = bytesArg(info[2], "expected_value");
  auto desired = bytesArg(info[3], "desired_value");
  auto result = std::make_shared<std::vector<uint8_t>>();
  return runOffThread(
      info.Env(), "torch_node.Store.compare_set", [store, key, expected, desired, result]() { *result = store->compareSet(key, expected, desired); },
      [result](Napi::Env env) { return Napi::Buffer<uint8_t>::Copy(env, result->data(), result->size()); });
}

// storeWait(store, keys, timeoutMs|null)
Napi::Value storeWait(const Napi::CallbackInfo& info) {
  auto store = storeOf(info.Env(), info[0]);
  auto keys = stringList(info[1], "keys");
  bool hasTimeout = !info[2].IsNull() && !info[2].IsUndefined();
  Milliseconds timeout = hasTimeout ? msArg(info.Env(), info[2], "timeout") : Milliseconds(0);
  return runOffThread(
      info.Env(), "torch_node.Store.wait",
      [store, keys, hasTimeout, timeout]() {
        if (hasTimeout) store->wait(keys, timeout);
        else store->wait(keys);
      },
      undefinedOf);
}

Napi::Value storeCheck(const Napi::CallbackInfo& info) {
  auto store = storeOf(info.Env(), info[0]);
  auto keys = stringList(info[1], "keys");
  auto result = std::make_shared<bool>(false);
  return runOffThread(
      info.Env(), "torch_node.Store.check", [store, keys, result]() { *result = store->check(keys); },
      [result](Napi::Env env) { return Napi::Boolean::New(env, *result); });
}

Napi::Value storeDeleteKey(const Napi::CallbackInfo& info) {
  auto store = storeOf(info.Env(), info[0]);
  std::string key = stringArg(info[1], "key");
  auto result = std::make_shared<bool>(false);
  return runOffThread(
      info.Env(), "torch_node.Store.delete_key", [store, key, result]() { *result = store->deleteKey(key); },
      [result](Napi::Env env) { return Napi::Boolean::New(env, *result); });
}

Napi::Value storeNumKeys(const Napi::CallbackInfo& info) {
  auto store = storeOf(info.Env(), info[0]);
  auto result = std::make_shared<int64_t>(0);
  return runOffThread(
      info.Env(), "torch_node.Store.num_keys", [store, result]() { *result = store->getNumKeys(); },
      [result](Napi::Env env) { return fromInt64(env, *result); });
}

Napi::Value storeSetTimeout(const Napi::CallbackInfo& info) {
  storeOf(info.Env(), info[0])->setTimeout(msArg(info.Env(), info[1], "timeout"));
  return info.Env().Undefined();
}

Napi::Value storeTimeout(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(storeOf(info.Env(), info[0])->getTimeout().count()));
}

// Drops this handle's reference (Python: `del store`); the TCPStore server stops once the
// last reference goes.
Napi::Value storeClose(const Napi::CallbackInfo& info) {
  unwrapHolder<StoreHolder>(info.Env(), info[0], kStoreTag, "Store", "store").store.reset();
  return info.Env().Undefined();
}

// ---- process groups -----------------------------------------------------------------------
Napi::Value glooAvailable(const Napi::CallbackInfo& info) {
#ifdef TORCH_NODE_HAVE_GLOO
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

#ifdef TORCH_NODE_HAVE_GLOO
// Devices like Python's ProcessGroupGloo constructor: the interfaces in GLOO_SOCKET_IFNAME
// (comma separated), otherwise the address this host's name resolves to.
c10::intrusive_ptr<c10d::ProcessGroup> makeGlooGroup(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size, Milliseconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  const char* interfaces = std::getenv("GLOO_SOCKET_IFNAME");
  if (interfaces != nullptr && std::strlen(interfaces) > 1) {
    std::stringstream list(interfaces);
    std::string name;
    while (std::getline(list, name, ',')) {
      if (!name.empty()) options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
    }
  } else {
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  options->threads = static_cast<int>(options->devices.size() * 2);
#if TORCH_VERSION_MAJOR >= 2
  // libtorch 2.x: a ProcessGroup dispatches to per-device Backends. Compiled against 2.13's
  // headers; the (store, rank, size) constructor is the one recent 2.x releases have.
  auto backend = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
  auto group = c10::make_intrusive<c10d::ProcessGroup>(store, rank, size);
  group->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO, backend);
  group->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
  return group;
#else
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
#endif
}
#endif

// newGlooGroup(store, rank, size, timeoutMs) -> Promise<group>. Connecting the full mesh
// blocks until every rank arrives, so it runs off the JS thread.
Napi::Value newGlooGroup(const Napi::CallbackInfo& info) {
#ifdef TORCH_NODE_HAVE_GLOO
  Napi::Env env = info.Env();
  auto store = storeOf(env, info[0]);
  int rank = static_cast<int>(toInt64(env, info[1], "rank"));
  int size = static_cast<int>(toInt64(env, info[2], "world_size"));
  Milliseconds timeout = msArg(env, info[3], "timeout");
  auto result = std::make_shared<c10::intrusive_ptr<c10d::ProcessGroup>>();
  return runOffThread(
      env, "torch_node.ProcessGroupGloo", [store, rank, size, timeout, result]() { *result = makeGlooGroup(store, rank, size, timeout); },
      [result](Napi::Env env) { return wrapHolder(env, new GroupHolder{*result}, kGroupTag); });
#else
  throw std::runtime_error(
      "torch-node was built without the Gloo backend: Gloo's headers were not found at build time "
      "(Debian/Ubuntu: apt-get install libgloo-dev, then rebuild with npm run build:native)");
#endif
}

Napi::Value groupRank(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), groupOf(info.Env(), info[0])->getRank());
}

Napi::Value groupSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), groupOf(info.Env(), info[0])->getSize());
}

Napi::Value groupBackendName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), groupOf(info.Env(), info[0])->getBackendName());
}

// Python's `pg._set_sequence_number_for_group()`: rank 0 draws a number and the others read
// it from the store, so it waits off the JS thread.
Napi::Value groupSetSequenceNumber(const Napi::CallbackInfo& info) {
  auto group = groupOf(info.Env(), info[0]);
  return runOffThread(info.Env(), "torch_node.ProcessGroup.seq", [group]() { group->setSequenceNumberForGroup(); }, undefinedOf);
}

Napi::Value groupSequenceNumber(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(groupOf(info.Env(), info[0])->getSequenceNumberForGroup()));
}

// Drops this handle's reference. The Gloo group's destructor waits for queued work and
// joins its threads, so it runs off the JS thread.
Napi::Value groupDestroy(const Napi::CallbackInfo& info) {
  auto& holder = unwrapHolder<GroupHolder>(info.Env(), info[0], kGroupTag, "ProcessGroup", "group");
  auto group = std::make_shared<c10::intrusive_ptr<c10d::ProcessGroup>>(std::move(holder.group));
  holder.group.reset();
  return runOffThread(info.Env(), "torch_node.ProcessGroup.destroy", [group]() { group->reset(); }, undefinedOf);
}

// ---- collectives: each returns a work handle at once ------------------------------------
Napi::Value allreduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto tensors = tensorList(env, info[1], "tensor");
  c10d::AllreduceOptions options;
  options.reduceOp = reduceOpArg(env, info[2]);
  return wrapWork(env, group->allreduce(tensors, options), tensors);
}

Napi::Value broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto tensors = tensorList(env, info[1], "tensor");
  c10d::BroadcastOptions options;
  options.rootRank = toInt64(env, info[2], "src");
  options.rootTensor = 0;
  return wrapWork(env, group->broadcast(tensors, options), tensors);
}

Napi::Value reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto tensors = tensorList(env, info[1], "tensor");
  c10d::ReduceOptions options;
  options.rootRank = toInt64(env, info[2], "dst");
  options.rootTensor = 0;
  options.reduceOp = reduceOpArg(env, info[3]);
  return wrapWork(env, group->reduce(tensors, options), tensors);
}

std::vector<at::Tensor> flatten(const std::vector<std::vector<at::Tensor>>& lists, const std::vector<at::Tensor>& more) {
  std::vector<at::Tensor> all(more);
  for (const auto& list : lists) all.insert(all.end(), list.begin(), list.end());
  return all;
}

Napi::Value allgather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto outputs = tensorLists(env, info[1], "tensor_list");
  auto inputs = tensorList(env, info[2], "tensor");
  auto keep = flatten(outputs, inputs);
  return wrapWork(env, group->allgather(outputs, inputs), keep);
}

// gather(group, outputs ([] off the root), inputs, dst)
Napi::Value gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto outputs = tensorLists(env, info[1], "gather_list");
  auto inputs = tensorList(env, info[2], "tensor");
  c10d::GatherOptions options;
  options.rootRank = toInt64(env, info[3], "dst");
  auto keep = flatten(outputs, inputs);
  return wrapWork(env, group->gather(outputs, inputs, options), keep);
}

// scatter(group, outputs, inputs ([] off the root), src)
Napi::Value scatter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto outputs = tensorList(env, info[1], "tensor");
  auto inputs = tensorLists(env, info[2], "scatter_list");
  c10d::ScatterOptions options;
  options.rootRank = toInt64(env, info[3], "src");
  auto keep = flatten(inputs, outputs);
  return wrapWork(env, group->scatter(outputs, inputs, options), keep);
}

Napi::Value reduceScatter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto outputs = tensorList(env, info[1], "output");
  auto inputs = tensorLists(env, info[2], "input_list");
  c10d::ReduceScatterOptions options;
  options.reduceOp = reduceOpArg(env, info[3]);
  auto keep = flatten(inputs, outputs);
  return wrapWork(env, group->reduce_scatter(outputs, inputs, options), keep);
}

// alltoallBase(group, output, input, outputSplitSizes, inputSplitSizes)
Napi::Value alltoallBase(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  at::Tensor output = unwrapTensor(env, info[1], "output");
  at::Tensor input = unwrapTensor(env, info[2], "input");
  auto outputSplits = toInt64List(env, info[3], "output_split_sizes");
  auto inputSplits = toInt64List(env, info[4], "input_split_sizes");
  c10d::AllToAllOptions options;
  return wrapWork(env, group->alltoall_base(output, input, outputSplits, inputSplits, options), {output, input});
}

Napi::Value alltoall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto outputs = tensorList(env, info[1], "output_tensor_list");
  auto inputs = tensorList(env, info[2], "input_tensor_list");
  c10d::AllToAllOptions options;
  std::vector<at::Tensor> keep(outputs);
  keep.insert(keep.end(), inputs.begin(), inputs.end());
  return wrapWork(env, group->alltoall(outputs, inputs, options), keep);
}

Napi::Value barrier(const Napi::CallbackInfo& info) {
  auto& group = groupOf(info.Env(), info[0]);
  return wrapWork(info.Env(), group->barrier(c10d::BarrierOptions()), {});
}

Napi::Value send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto tensors = tensorList(env, info[1], "tensor");
  int dst = static_cast<int>(toInt64(env, info[2], "dst"));
  int tag = static_cast<int>(toInt64(env, info[3], "tag"));
  return wrapWork(env, group->send(tensors, dst, tag), tensors);
}

Napi::Value recv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto tensors = tensorList(env, info[1], "tensor");
  int tag = static_cast<int>(toInt64(env, info[3], "tag"));
  if (info[2].IsNull() || info[2].IsUndefined()) return wrapWork(env, group->recvAnysource(tensors, tag), tensors);
  int src = static_cast<int>(toInt64(env, info[2], "src"));
  return wrapWork(env, group->recv(tensors, src, tag), tensors);
}

// ---- work handles -----------------------------------------------------------------------
c10::intrusive_ptr<c10d::Work> workOf(Napi::Env env, napi_value v) {
  auto& holder = unwrapHolder<WorkHolder>(env, v, kWorkTag, "Work", "work");
  return holder.work;
}

// workWait(work, timeoutMs|null) -> Promise<true>; rejects with the collective's error.
Napi::Value workWait(const Napi::CallbackInfo& info) {
  auto work = workOf(info.Env(), info[0]);
  Milliseconds timeout = (info[1].IsNull() || info[1].IsUndefined()) ? Milliseconds(0) : msArg(info.Env(), info[1], "timeout");
  auto result = std::make_shared<bool>(false);
  return runOffThread(
      info.Env(), "torch_node.Work.wait", [work, timeout, result]() { *result = work->wait(timeout); },
      [result](Napi::Env env) { return Napi::Boolean::New(env, *result); });
}

Napi::Value workIsCompleted(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), workOf(info.Env(), info[0])->isCompleted());
}

Napi::Value workIsSuccess(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), workOf(info.Env(), info[0])->isSuccess());
}

Napi::Value workSourceRank(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), workOf(info.Env(), info[0])->sourceRank());
}

Napi::Value workException(const Napi::CallbackInfo& info) {
  auto error = workOf(info.Env(), info[0])->exception();
  if (!error) return info.Env().Null();
  return errorValue(info.Env(), error);
}

// ---- DistributedDataParallel pieces ----------------------------------------------------
// verifyParamsAcrossProcesses(group, params): every rank's parameters have rank 0's count,
// shapes and dtypes. A collective; blocks the JS thread (used inside the DDP constructor).
Napi::Value verifyParamsAcrossProcesses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto params = tensorList(env, info[1], "params");
  c10d::verify_params_across_processes(group, params, c10::nullopt);
  return env.Undefined();
}

// broadcastCoalesced(group, tensors, bufferSize, src, async): rank src's values into every
// rank's tensors, packed into buffers of at most bufferSize bytes.
Napi::Value broadcastCoalesced(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto group = groupOf(env, info[0]);
  auto tensors = tensorList(env, info[1], "tensors");
  auto bufferSize = static_cast<size_t>(toInt64(env, info[2], "buffer_size"));
  int src = static_cast<int>(toInt64(env, info[3], "src"));
  bool async = info[4].ToBoolean().Value();
  return maybeAsync(env, async, "torch_node.broadcast_coalesced", [group, tensors, bufferSize, src]() {
    // Gradient mode must not record these in-place copies into parameters.
    at::NoGradGuard noGrad;
    c10d::broadcast_coalesced(group, tensors, bufferSize, src);
  });
}

// reducerNew(group, params, expectSparse, bucketCapBytes, findUnused, gradientAsBucketView,
//            paramNames, moduleName, broadcastBuffers)
// Buckets are assigned as Python's DDP does: one bucket at first (or the 1 MiB first bucket
// and bucket_cap after it when find_unused_parameters), in reverse parameter order, then
// rebuilt by the Reducer after the first backward in the order gradients became ready.
Napi::Value reducerNew(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& group = groupOf(env, info[0]);
  auto params = tensorList(env, info[1], "params");
  if (!info[2].IsArray()) throw ArgumentError("expected an array of booleans for 'expect_sparse_gradient'");
  Napi::Array sparseArray = info[2].As<Napi::Array>();
  std::vector<bool> expectSparse(params.size(), false);
  for (uint32_t i = 0; i < sparseArray.Length() && i < params.size(); i++) expectSparse[i] = sparseArray.Get(i).ToBoolean().Value();
  int64_t bucketBytesCap = toInt64(env, info[3], "bucket_bytes_cap");
  bool findUnused = info[4].ToBoolean().Value();
  bool gradientAsBucketView = info[5].ToBoolean().Value();
  std::unordered_map<size_t, std::string> paramNames;
  if (info[6].IsArray()) {
    auto names = stringList(info[6], "param_names");
    for (size_t i = 0; i < names.size(); i++) paramNames[i] = names[i];
  }
  std::string moduleName = info[7].IsString() ? info[7].As<Napi::String>().Utf8Value() : "Module";
  bool broadcastBuffers = info[8].ToBoolean().Value();

  std::vector<size_t> sizeLimits;
  if (!findUnused) sizeLimits = {std::numeric_limits<size_t>::max()};
  else sizeLimits = {static_cast<size_t>(c10d::kDefaultFirstBucketBytes), static_cast<size_t>(bucketBytesCap)};
  std::vector<std::vector<size_t>> bucketIndices;
  std::vector<size_t> perBucketLimits;
  std::tie(bucketIndices, perBucketLimits) = c10d::compute_bucket_assignment_by_size(params, sizeLimits, expectSparse);
  std::reverse(bucketIndices.begin(), bucketIndices.end());
  std::reverse(perBucketLimits.begin(), perBucketLimits.end());

#if TORCH_VERSION_MAJOR >= 2
  // 2.x dropped the per-bucket limits argument and added three flags (checked against 2.13).
  std::vector<int64_t> bucketBytesCapList(perBucketLimits.begin(), perBucketLimits.end());
  auto reducer = std::make_shared<c10d::Reducer>(params, bucketIndices, group, expectSparse, bucketBytesCap, findUnused, gradientAsBucketView,
                                                 paramNames, static_cast<int64_t>(c10d::kDefaultFirstBucketBytes),
                                                 /*skip_all_reduce_unused_params=*/false, /*use_python_reducer=*/false, bucketBytesCapList);
#else
  auto reducer = std::make_shared<c10d::Reducer>(params, bucketIndices, perBucketLimits, group, expectSparse, bucketBytesCap, findUnused,
                                                 gradientAsBucketView, paramNames, static_cast<int64_t>(c10d::kDefaultFirstBucketBytes));
#endif
  auto logger = std::make_shared<c10d::Logger>(reducer);
  reducer->set_logger(logger);
  logger->set_construction_data_and_log(moduleName, {}, -1, broadcastBuffers, /*has_sync_bn=*/false, /*static_graph=*/false);
  return wrapHolder(env, new ReducerHolder{reducer, logger, group}, kReducerTag);
}

Napi::Value reducerPrepareForForward(const Napi::CallbackInfo& info) {
  reducerOf(info.Env(), info[0]).reducer->prepare_for_forward();
  return info.Env().Undefined();
}

// Rebuilds buckets once, after the first iteration (a collective when world size > 1).
Napi::Value reducerRebuildBuckets(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), reducerOf(info.Env(), info[0]).reducer->rebuild_buckets());
}

Napi::Value reducerPrepareForBackward(const Napi::CallbackInfo& info) {
  auto outputs = tensorList(info.Env(), info[1], "outputs");
  reducerOf(info.Env(), info[0]).reducer->prepare_for_backward(outputs);
  return info.Env().Undefined();
}

// The parameter indices of each bucket, in the order buckets are reduced.
Napi::Value reducerBuckets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& holder = reducerOf(env, info[0]);
  auto perBucket = holder.logger->get_per_bucket_variable_indices();
  Napi::Array out = Napi::Array::New(env, perBucket.size());
  for (size_t b = 0; b < perBucket.size(); b++) {
    std::vector<int64_t> indices(perBucket[b].begin(), perBucket[b].end());
    out.Set(static_cast<uint32_t>(b), fromIntList(env, indices));
  }
  return out;
}

Napi::Value reducerRelease(const Napi::CallbackInfo& info) {
  auto& holder = unwrapHolder<ReducerHolder>(info.Env(), info[0], kReducerTag, "Reducer", "reducer");
  holder.logger.reset();
  holder.reducer.reset();
  holder.group.reset();
  return info.Env().Undefined();
}

// ---- randomness for DistributedSampler -----------------------------------------------
// randpermWithSeed(n, seed): torch.randperm(n, generator=torch.Generator().manual_seed(seed)),
// from a generator of its own so the global one is left untouched.
Napi::Value randpermWithSeed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t n = toInt64(env, info[0], "n");
  auto seed = static_cast<uint64_t>(toInt64(env, info[1], "seed"));
  auto generator = at::make_generator<at::CPUGeneratorImpl>();
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_current_seed(seed);
  }
  return wrapTensor(env, at::randperm(n, generator, at::TensorOptions().dtype(at::kLong)));
}

}  // namespace

void initDistributed(Napi::Env env, Napi::Object exports) {
  Napi::Object d = Napi::Object::New(env);
  TORCH_NODE_EXPORT(d, "tcpStore", tcpStore);
  TORCH_NODE_EXPORT(d, "tcpStorePort", tcpStorePort);
  TORCH_NODE_EXPORT(d, "fileStore", fileStore);
  TORCH_NODE_EXPORT(d, "hashStore", hashStore);
  TORCH_NODE_EXPORT(d, "prefixStore", prefixStore);
  TORCH_NODE_EXPORT(d, "storeSet", storeSet);
  TORCH_NODE_EXPORT(d, "storeGet", storeGet);
  TORCH_NODE_EXPORT(d, "storeAdd", storeAdd);
  TORCH_NODE_EXPORT(d, "storeCompareSet", storeCompareSet);
  TORCH_NODE_EXPORT(d, "storeWait", storeWait);
  TORCH_NODE_EXPORT(d, "storeCheck", storeCheck);
  TORCH_NODE_EXPORT(d, "storeDeleteKey", storeDeleteKey);
  TORCH_NODE_EXPORT(d, "storeNumKeys", storeNumKeys);
  TORCH_NODE_EXPORT(d, "storeSetTimeout", storeSetTimeout);
  TORCH_NODE_EXPORT(d, "storeTimeout", storeTimeout);
  TORCH_NODE_EXPORT(d, "storeClose", storeClose);
  TORCH_NODE_EXPORT(d, "glooAvailable", glooAvailable);
  TORCH_NODE_EXPORT(d, "newGlooGroup", newGlooGroup);
  TORCH_NODE_EXPORT(d, "groupRank", groupRank);
  TORCH_NODE_EXPORT(d, "groupSize", groupSize);
  TORCH_NODE_EXPORT(d, "groupBackendName", groupBackendName);
  TORCH_NODE_EXPORT(d, "groupSetSequenceNumber", groupSetSequenceNumber);
  TORCH_NODE_EXPORT(d, "groupSequenceNumber", groupSequenceNumber);
  TORCH_NODE_EXPORT(d, "groupDestroy", groupDestroy);
  TORCH_NODE_EXPORT(d, "allreduce", allreduce);
  TORCH_NODE_EXPORT(d, "broadcast", broadcast);
  TORCH_NODE_EXPORT(d, "reduce", reduce);
  TORCH_NODE_EXPORT(d, "allgather", allgather);
  TORCH_NODE_EXPORT(d, "gather", gather);
  TORCH_NODE_EXPORT(d, "scatter", scatter);
  TORCH_NODE_EXPORT(d, "reduceScatter", reduceScatter);
  TORCH_NODE_EXPORT(d, "alltoallBase", alltoallBase);
  TORCH_NODE_EXPORT(d, "alltoall", alltoall);
  TORCH_NODE_EXPORT(d, "barrier", barrier);
  TORCH_NODE_EXPORT(d, "send", send);
  TORCH_NODE_EXPORT(d, "recv", recv);
  TORCH_NODE_EXPORT(d, "workWait", workWait);
  TORCH_NODE_EXPORT(d, "workIsCompleted", workIsCompleted);
  TORCH_NODE_EXPORT(d, "workIsSuccess", workIsSuccess);
  TORCH_NODE_EXPORT(d, "workSourceRank", workSourceRank);
  TORCH_NODE_EXPORT(d, "workException", workException);
  TORCH_NODE_EXPORT(d, "verifyParamsAcrossProcesses", verifyParamsAcrossProcesses);
  TORCH_NODE_EXPORT(d, "broadcastCoalesced", broadcastCoalesced);
  TORCH_NODE_EXPORT(d, "reducerNew", reducerNew);
  TORCH_NODE_EXPORT(d, "reducerPrepareForForward", reducerPrepareForForward);
  TORCH_NODE_EXPORT(d, "reducerRebuildBuckets", reducerRebuildBuckets);
  TORCH_NODE_EXPORT(d, "reducerPrepareForBackward", reducerPrepareForBackward);
  TORCH_NODE_EXPORT(d, "reducerBuckets", reducerBuckets);
  TORCH_NODE_EXPORT(d, "reducerRelease", reducerRelease);
  TORCH_NODE_EXPORT(d, "randpermWithSeed", randpermWithSeed);
  exports.Set("distributed", d);
}

}  // namespace torch_node
