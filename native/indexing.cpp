// Python's x[...] and x[...] = v, through ATen's own TensorIndex machinery.
#include "common.h"

#include <ATen/TensorIndexing.h>
#include <c10/util/SmallVector.h>

namespace torch_node {

using at::indexing::TensorIndex;

// x.index(...) runs in loops, so its indices do not travel as an array of JS values (a Node-API
// call or two per element). lib/tensor.ts writes them into one Float64Array shared with this
// file, four numbers per index: the kind, then an int's value or a slice's start, stop and step
// (NaN where omitted). Tensor and int-array indices come as extra call arguments, in order.
// The kinds match INDEX_KIND in lib/tensor.ts.
enum IndexKind { kInt = 0, kNone = 1, kEllipsis = 2, kFalse = 3, kTrue = 4, kSlice = 5, kExtra = 6 };
static constexpr uint32_t kMaxIndices = 256;
static constexpr uint32_t kCodesPerIndex = 4;

static int64_t indexInteger(double value, const char* what) {
  if (!isExactInteger(value)) {
    throw ArgumentError(std::string("index: ") + what + " must be an integer within ±2^53, got " + std::to_string(value));
  }
  return static_cast<int64_t>(value);
}

static c10::optional<int64_t> sliceBound(double value, const char* what) {
  if (std::isnan(value)) return c10::nullopt;
  return indexInteger(value, what);
}

// An extra argument: a Tensor (mask or indices), or an int array as a Float64Array of integers.
static TensorIndex extraIndex(Napi::Env env, napi_value item) {
  bool isTypedArray = false;
  napi_is_typedarray(env, item, &isTypedArray);
  if (!isTypedArray) return TensorIndex(unwrapTensorObject(env, item, "index"));
  Napi::TypedArray array(env, item);
  if (array.TypedArrayType() != napi_float64_array) throw ArgumentError("index: int array indices must arrive as a Float64Array");
  auto* data = reinterpret_cast<double*>(static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
  std::vector<int64_t> values;
  values.reserve(array.ElementLength());
  for (size_t i = 0; i < array.ElementLength(); i++) values.push_back(indexInteger(data[i], "an int array index"));
  return TensorIndex(at::tensor(values, at::kLong));
}

// The `count` indices in the shared codes; their extras are info[firstExtra], info[firstExtra + 1], ...
// Inline room for this many: x[:, -1] and the like allocate nothing for their list.
using IndexList = c10::SmallVector<TensorIndex, 4>;

static IndexList decodeIndices(const Napi::CallbackInfo& info, napi_value countValue, size_t firstExtra) {
  Napi::Env env = info.Env();
  const double* codes = instance(env).indexCodes;
  uint32_t count = 0;
  if (napi_get_value_uint32(env, countValue, &count) != napi_ok || count > kMaxIndices) throw ArgumentError("index: bad index count");
  IndexList indices;
  indices.reserve(count);
  size_t extra = firstExtra;
  for (uint32_t i = 0; i < count; i++) {
    const double* code = codes + i * kCodesPerIndex;
    switch (code[0] >= kInt && code[0] <= kExtra ? static_cast<int>(code[0]) : -1) {  // casting NaN or a huge double is undefined
      case kInt: indices.emplace_back(indexInteger(code[1], "an int index")); break;
      case kNone: indices.emplace_back(at::indexing::None); break;
      case kEllipsis: indices.emplace_back(at::indexing::Ellipsis); break;
      case kFalse: indices.emplace_back(false); break;
      case kTrue: indices.emplace_back(true); break;
      case kSlice:
        indices.emplace_back(at::indexing::Slice(sliceBound(code[1], "slice start"), sliceBound(code[2], "slice stop"), sliceBound(code[3], "slice step")));
        break;
      case kExtra:
        if (extra >= info.Length()) throw ArgumentError("index: a Tensor or int-array index is missing");
        indices.push_back(extraIndex(env, info[extra++]));
        break;
      default: throw ArgumentError("index: unknown index kind");
    }
  }
  return indices;
}

// index(self, owner, count, ...extras): `owner` is the new JS Tensor that gets the result; returns its handle.
static Napi::Value index(const Napi::CallbackInfo& info) {
  at::Tensor& self = unwrapTensor(info.Env(), info[0], "self");
  if (!info[1].IsObject()) throw ArgumentError("index: expected the Tensor that receives the result");
  return wrapTensorInto(info.Env(), self.index(decodeIndices(info, info[2], 3)), info[1]);
}

// indexPut(self, values, count, ...extras): in place, like Python's x[...] = v; values is a Tensor, number or boolean.
static Napi::Value indexPut(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor& self = unwrapTensor(env, info[0], "self");
  auto indices = decodeIndices(info, info[2], 3);
  if (info[1].IsNumber()) {
    self.index_put_(indices, at::Scalar(info[1].As<Napi::Number>().DoubleValue()));
  } else if (info[1].IsBoolean()) {
    self.index_put_(indices, at::Scalar(info[1].As<Napi::Boolean>().Value()));
  } else {
    self.index_put_(indices, unwrapTensorObject(env, info[1], "values"));
  }
  return env.Undefined();
}

void initIndexing(Napi::Env env, Napi::Object exports) {
  instance(env).indexCodes = shareDoubles(env, exports, "indexCodes", kMaxIndices * kCodesPerIndex);
  TORCH_NODE_EXPORT(exports, "index", index);
  TORCH_NODE_EXPORT(exports, "indexPut", indexPut);
}

}  // namespace torch_node
