// The arguments of an op call as JS writes them into the shared opArgs buffer (see
// lib/_ops/dispatch.ts callOp), and their conversion to what ATen takes. dispatch.cpp reads them
// for the boxed path, unboxed.cpp for ops that it calls with their C++ signature.
#pragma once
#include "common.h"

namespace torch_node {

// Layout of opArgs: [count, (code, value) per argument..., lists...]. A list is its length and
// then its values; a kNumberList argument's value is where its list starts.
enum ArgCode { kUndefined = 0, kNumber = 1, kNull = 2, kFalse = 3, kTrue = 4, kNumberList = 5, kJsValue = 6, kInvalid = 7 };
constexpr size_t kMaxOpArgs = 64;
constexpr size_t kOpArgsListStart = 1 + 2 * kMaxOpArgs;
constexpr size_t kOpArgsCapacity = kOpArgsListStart + 512;
// A Device argument is a kNumber: its c10::DeviceType * kDeviceTypeStep + index + 1 (0: no index).
constexpr int64_t kDeviceTypeStep = 65536;

// One argument as JS wrote it: a code with its value or list.
struct CodedArg {
  ArgCode code;
  double value = 0;
  const double* list = nullptr;
  size_t length = 0;
};

// Argument i of the call in `opArgs`.
inline CodedArg codedArg(const double* opArgs, size_t i) {
  const double* code = opArgs + 1 + 2 * i;
  CodedArg arg{code[0] >= 0 && code[0] < kInvalid ? static_cast<ArgCode>(static_cast<int>(code[0])) : kInvalid, code[1]};
  if (arg.code == kNumberList) {
    // The offset comes from JS: check it stays inside the buffer.
    if (!(code[1] >= kOpArgsListStart && code[1] < kOpArgsCapacity)) throw ArgumentError("opArgs: a list outside the buffer");
    auto start = static_cast<size_t>(code[1]);
    double length = opArgs[start];
    if (!(length >= 0 && length <= static_cast<double>(kOpArgsCapacity - start - 1))) throw ArgumentError("opArgs: a list outside the buffer");
    arg.length = static_cast<size_t>(length);
    arg.list = opArgs + start + 1;
  }
  return arg;
}

// Where an op call's arguments are read from.
struct OpCall {
  Napi::Env env;
  const OpPlan& plan;
  const double* opArgs;
};

[[noreturn]] void badArgument(const OpPlan& plan, const ArgPlan& arg, const std::string& expected);
int64_t intOf(double d, const OpPlan& plan, const ArgPlan& arg);
// A Tensor argument: the table's own tensor for a handle, or a wrapped number made into `holder`.
const at::Tensor& tensorArg(Napi::Env env, const CodedArg& a, const OpPlan& plan, const ArgPlan& arg, at::Tensor& holder);
// Any coded argument as the IValue its schema type asks for (defaults and None included).
c10::IValue codedIValue(Napi::Env env, const CodedArg& a, const OpPlan& plan, const ArgPlan& arg);

// The ints of an int[] argument coded as a list, or as one number standing for all of int[N] (as
// in Python), each passed to `push`; false, pushing nothing, for any other code.
template <typename Push>
bool codedInts(const CodedArg& a, const OpPlan& plan, const ArgPlan& arg, Push push) {
  if (a.code == kNumberList) {
    for (size_t k = 0; k < a.length; k++) push(intOf(a.list[k], plan, arg));
    return true;
  }
  if (a.code != kNumber) return false;
  int64_t v = intOf(a.value, plan, arg);
  for (int64_t k = 0; k < arg.fixedSize; k++) push(v);
  return true;
}

// The caller of an op with one of the C++ signatures unboxed.cpp knows, or an empty one.
UnboxedCall unboxedCallOf(const c10::OperatorHandle& op, const OpPlan& plan);

}  // namespace torch_node
