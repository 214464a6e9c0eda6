// Python's x[...] and x[...] = v, through ATen's own TensorIndex machinery.
// JS encodes each index: integer, null (None), "..." (Ellipsis), boolean,
// a Tensor object, or [start, stop, step] for a slice (null = omitted).
#include "common.h"

#include <ATen/TensorIndexing.h>

namespace torch_node {

using at::indexing::TensorIndex;

// One napi_typeof per value: these run on every x.index(...), and each Node-API call costs
// ~15-20 ns (a chain of Napi::Value::IsX() checks cost more than the select itself).
static c10::optional<int64_t> sliceBound(Napi::Env env, napi_value slice, uint32_t i, const char* what) {
  napi_value v;
  napi_get_element(env, slice, i, &v);
  napi_valuetype type;
  napi_typeof(env, v, &type);
  if (type == napi_null || type == napi_undefined) return c10::nullopt;
  return toInt64(env, v, type, what);
}

static std::vector<TensorIndex> toIndices(Napi::Env env, Napi::Value value) {
  std::vector<TensorIndex> indices;
  bool isArray = forEachElement(env, value, [&](napi_value item, napi_valuetype type) {
    switch (type) {
      case napi_number:
      case napi_bigint: indices.emplace_back(toInt64(env, item, type, "index")); return;
      case napi_null:
      case napi_undefined: indices.emplace_back(at::indexing::None); return;
      case napi_string:
        if (Napi::String(env, item).Utf8Value() != "...") throw ArgumentError("index: unexpected string index (slices are parsed in JS)");
        indices.emplace_back(at::indexing::Ellipsis);
        return;
      case napi_boolean: indices.emplace_back(Napi::Boolean(env, item).Value()); return;
      case napi_object: break;
      default: throw ArgumentError("index: unsupported index value");
    }
    bool isSlice = false;
    napi_is_array(env, item, &isSlice);
    if (isSlice) {
      // [start, stop, step], null for an omitted bound.
      auto start = sliceBound(env, item, 0, "slice start");
      auto stop = sliceBound(env, item, 1, "slice stop");
      auto step = sliceBound(env, item, 2, "slice step");
      indices.emplace_back(at::indexing::Slice(start, stop, step));
      return;
    }
    bool isTypedArray = false;
    napi_is_typedarray(env, item, &isTypedArray);
    if (isTypedArray) {
      // An int array index (Python: x[[0, 2]]) arrives as a Float64Array of integers.
      Napi::TypedArray array(env, item);
      if (array.TypedArrayType() != napi_float64_array) throw ArgumentError("index: int array indices must arrive as a Float64Array");
      auto* data = reinterpret_cast<double*>(static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
      std::vector<int64_t> values(data, data + array.ElementLength());
      indices.emplace_back(at::tensor(values, at::kLong));
      return;
    }
    indices.emplace_back(unwrapTensorObject(env, item, "index"));
  });
  if (!isArray) throw ArgumentError("index: expected an array of indices");
  return indices;
}

// index(self, indices, owner): `owner` is the new JS Tensor that gets the result; returns its handle.
static Napi::Value index(const Napi::CallbackInfo& info) {
  at::Tensor& self = unwrapTensor(info.Env(), info[0], "self");
  if (!info[2].IsObject()) throw ArgumentError("index: expected the Tensor that receives the result");
  return wrapTensorInto(info.Env(), self.index(toIndices(info.Env(), info[1])), info[2]);
}

// indexPut(self, indices, valueTensorOrNumber): in place, like Python's x[...] = v.
static Napi::Value indexPut(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor& self = unwrapTensor(env, info[0], "self");
  auto indices = toIndices(env, info[1]);
  if (info[2].IsNumber()) {
    self.index_put_(indices, at::Scalar(info[2].As<Napi::Number>().DoubleValue()));
  } else if (info[2].IsBoolean()) {
    self.index_put_(indices, at::Scalar(info[2].As<Napi::Boolean>().Value()));
  } else {
    self.index_put_(indices, unwrapTensorObject(env, info[2], "values"));
  }
  return env.Undefined();
}

void initIndexing(Napi::Env env, Napi::Object exports) {
  TORCH_NODE_EXPORT(exports, "index", index);
  TORCH_NODE_EXPORT(exports, "indexPut", indexPut);
}

}  // namespace torch_node
