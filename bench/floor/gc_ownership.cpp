// What it costs a JS binding to let the GC own a libtorch tensor, measured apart from everything
// else a binding does (bench/floor/gc_ownership.ts). Each function takes a fresh JS object, as a binding's
// op takes the Tensor object it returns:
//   callOnly(obj)            the native call alone;
//   tensorFreedAtOnce(obj)   + a tensor made and freed at once (as Python's refcount frees a result);
//   tensorOwnedByGc(obj)     + a tensor that `obj` owns: a Node-API finalizer frees it when the GC
//                              collects `obj`, the way the addon's tensor table is tied to Tensors.
//   ownedTensors()           the tensors made by tensorOwnedByGc whose finalizer has not run yet.
// The tensor has no data (0 elements): the floor counts only the TensorImpl and StorageImpl.
#include <node_api.h>
#include <ATen/ATen.h>

namespace {

napi_value firstArgument(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg = nullptr;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  return arg;
}

napi_value callOnly(napi_env env, napi_callback_info info) {
  firstArgument(env, info);
  return nullptr;
}

napi_value tensorFreedAtOnce(napi_env env, napi_callback_info info) {
  firstArgument(env, info);
  at::Tensor tensor = at::empty({0});
  return nullptr;
}

int64_t ownedTensors = 0;

void deleteTensor(napi_env, void* tensor, void*) {
  delete static_cast<at::Tensor*>(tensor);
  ownedTensors--;
}

napi_value tensorOwnedByGc(napi_env env, napi_callback_info info) {
  napi_value owner = firstArgument(env, info);
  auto* tensor = new at::Tensor(at::empty({0}));
  if (napi_add_finalizer(env, owner, tensor, deleteTensor, nullptr, nullptr) != napi_ok) {
    delete tensor;
    napi_throw_type_error(env, nullptr, "tensorOwnedByGc: expected an object");
    return nullptr;
  }
  ownedTensors++;
  return nullptr;
}

napi_value ownedTensorCount(napi_env env, napi_callback_info) {
  napi_value count;
  napi_create_int64(env, ownedTensors, &count);
  return count;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor functions[] = {
      {"callOnly", nullptr, callOnly, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"tensorFreedAtOnce", nullptr, tensorFreedAtOnce, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"tensorOwnedByGc", nullptr, tensorOwnedByGc, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"ownedTensors", nullptr, ownedTensorCount, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}
