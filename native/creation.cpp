// Tensors from JS data and back: TypedArrays are copied in one memcpy each way.
#include "common.h"

#include <cstring>

namespace torch_node {

static at::ScalarType scalarTypeOfTypedArray(napi_typedarray_type type, bool asBool) {
  switch (type) {
    case napi_float32_array: return at::kFloat;
    case napi_float64_array: return at::kDouble;
    case napi_int8_array: return at::kChar;
    case napi_uint8_array:
    case napi_uint8_clamped_array: return asBool ? at::kBool : at::kByte;
    case napi_int16_array: return at::kShort;
    case napi_int32_array: return at::kInt;
    case napi_bigint64_array: return at::kLong;
    default: throw ArgumentError("unsupported TypedArray kind (use Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Int32Array or BigInt64Array)");
  }
}

// fromTypedArray(data, shape, targetScalarType, sourceIsBool) -> handle
static Napi::Value fromTypedArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw ArgumentError("fromTypedArray: expected a TypedArray");
  Napi::TypedArray array = info[0].As<Napi::TypedArray>();
  std::vector<int64_t> shape = toInt64List(env, info[1], "shape");
  auto target = static_cast<at::ScalarType>(toInt64(env, info[2], "dtype"));
  bool asBool = info.Length() > 3 && info[3].ToBoolean().Value();
  at::ScalarType source = scalarTypeOfTypedArray(array.TypedArrayType(), asBool);
  int64_t count = 1;
  for (int64_t s : shape) {
    if (s < 0) throw ArgumentError("fromTypedArray: negative dimension in shape");
    count *= s;
  }
  if (count != static_cast<int64_t>(array.ElementLength())) {
    throw ArgumentError("fromTypedArray: shape holds " + std::to_string(count) + " elements but the data has " + std::to_string(array.ElementLength()));
  }
  at::Tensor out = at::empty(shape, at::TensorOptions().dtype(source));
  if (count > 0) {
    auto* bytes = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    std::memcpy(out.data_ptr(), bytes, static_cast<size_t>(count) * at::elementSize(source));
  }
  if (target != source) out = out.to(target);
  return wrapTensor(env, std::move(out));
}

// toTypedArray(handle) -> a fresh TypedArray with the tensor's values in row-major order.
// float16/bfloat16 come back as Float32Array, bool as Uint8Array, int64 as BigInt64Array.
static Napi::Value toTypedArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = unwrapTensor(env, info[0], "self").detach();
  if (t.is_complex()) throw std::runtime_error("toTypedArray: complex tensors are not supported yet");
  if (t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16) t = t.to(at::kFloat);
  t = t.cpu().contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
  napi_typedarray_type type;
  switch (t.scalar_type()) {
    case at::kFloat: type = napi_float32_array; break;
    case at::kDouble: type = napi_float64_array; break;
    case at::kChar: type = napi_int8_array; break;
    case at::kByte:
    case at::kBool: type = napi_uint8_array; break;
    case at::kShort: type = napi_int16_array; break;
    case at::kInt: type = napi_int32_array; break;
    case at::kLong: type = napi_bigint64_array; break;
    default: throw std::runtime_error(std::string("toTypedArray: unsupported dtype ") + c10::toString(t.scalar_type()));
  }
  napi_value result;
  napi_create_typedarray(env, type, static_cast<size_t>(t.numel()), buffer, 0, &result);
  return Napi::Value(env, result);
}

// item(handle) -> number | boolean (BigInt for int64 values beyond 2^53)
static Napi::Value item(const Napi::CallbackInfo& info) {
  return fromScalar(info.Env(), unwrapTensor(info.Env(), info[0], "self").item());
}

void initCreation(Napi::Env env, Napi::Object exports) {
  TORCH_NODE_EXPORT(exports, "fromTypedArray", fromTypedArray);
  TORCH_NODE_EXPORT(exports, "toTypedArray", toTypedArray);
  TORCH_NODE_EXPORT(exports, "item", item);
}

}  // namespace torch_node
