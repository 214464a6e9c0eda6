// Python's x[...] and x[...] = v, through ATen's own TensorIndex machinery.
// JS encodes each index: integer, null (None), "..." (Ellipsis), boolean,
// a Tensor object, or [start, stop, step] for a slice (null = omitted).
#include "common.h"

#include <ATen/TensorIndexing.h>

namespace torch_node {

using at::indexing::TensorIndex;

static c10::optional<int64_t> sliceBound(Napi::Env env, Napi::Value v, const char* what) {
  if (v.IsNull() || v.IsUndefined()) return c10::nullopt;
  return toInt64(env, v, what);
}

static std::vector<TensorIndex> toIndices(Napi::Env env, Napi::Value value) {
  if (!value.IsArray()) throw ArgumentError("index: expected an array of indices");
  Napi::Array items = value.As<Napi::Array>();
  std::vector<TensorIndex> indices;
  indices.reserve(items.Length());
  for (uint32_t i = 0; i < items.Length(); i++) {
    Napi::Value item = items.Get(i);
    if (item.IsNumber() || item.IsBigInt()) {
      indices.emplace_back(toInt64(env, item, "index"));
    } else if (item.IsNull() || item.IsUndefined()) {
      indices.emplace_back(at::indexing::None);
    } else if (item.IsString()) {
      if (item.As<Napi::String>().Utf8Value() != "...") throw ArgumentError("index: unexpected string index (slices are parsed in JS)");
      indices.emplace_back(at::indexing::Ellipsis);
    } else if (item.IsBoolean()) {
      indices.emplace_back(item.As<Napi::Boolean>().Value());
    } else if (item.IsTypedArray()) {
      // An int array index (Python: x[[0, 2]]) arrives as a Float64Array of integers.
      Napi::TypedArray array = item.As<Napi::TypedArray>();
      if (array.TypedArrayType() != napi_float64_array) throw ArgumentError("index: int array indices must arrive as a Float64Array");
      auto* data = reinterpret_cast<double*>(static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
      std::vector<int64_t> values(data, data + array.ElementLength());
      indices.emplace_back(at::tensor(values, at::kLong));
    } else if (item.IsArray()) {
      Napi::Array slice = item.As<Napi::Array>();
      auto start = sliceBound(env, slice.Get(0u), "slice start");
      auto stop = sliceBound(env, slice.Get(1u), "slice stop");
      auto step = sliceBound(env, slice.Get(2u), "slice step");
      indices.emplace_back(at::indexing::Slice(start, stop, step));
    } else {
      indices.emplace_back(unwrapTensorObject(env, item, "index"));
    }
  }
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
