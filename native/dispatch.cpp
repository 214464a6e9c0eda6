// The generic op path: JS names an ATen operator by its schema name; we find it in
// libtorch's dispatcher and call it boxed. Arguments are converted by the schema's
// own types, so every ATen op (autograd included) is reachable without a
// hand-written wrapper, and an op missing from the linked libtorch is a clear error.
#include "op_args.h"

#include <ATen/ScalarOps.h>

#include <cmath>

namespace torch_node {

static ArgKind kindOf(const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType: return ArgKind::Tensor;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType: return ArgKind::Int;
    case c10::TypeKind::FloatType:
    case c10::TypeKind::SymFloatType: return ArgKind::Float;
    case c10::TypeKind::BoolType: return ArgKind::Bool;
    case c10::TypeKind::NumberType: return ArgKind::Scalar;
    case c10::TypeKind::StringType: return ArgKind::String;
    case c10::TypeKind::DeviceObjType: return ArgKind::Device;
    case c10::TypeKind::GeneratorType: return ArgKind::Generator;
    case c10::TypeKind::ListType: {
      const auto& element = type->containedType(0);
      switch (element->kind()) {
        case c10::TypeKind::IntType:
        case c10::TypeKind::SymIntType: return ArgKind::IntList;
        case c10::TypeKind::FloatType: return ArgKind::FloatList;
        case c10::TypeKind::BoolType: return ArgKind::BoolList;
        case c10::TypeKind::TensorType: return ArgKind::TensorList;
        case c10::TypeKind::OptionalType:
          if (element->containedType(0)->kind() == c10::TypeKind::TensorType) return ArgKind::OptionalTensorList;
          return ArgKind::Unsupported;
        default: return ArgKind::Unsupported;
      }
    }
    default: return ArgKind::Unsupported;
  }
}

static OpPlan planFor(const c10::OperatorHandle& op) {
  const auto& schema = op.schema();
  OpPlan plan{op, schema.operator_name().name + (schema.overload_name().empty() ? "" : "." + schema.overload_name()), {}, false};
  for (const auto& argument : schema.arguments()) {
    c10::TypePtr type = argument.type();
    bool optional = false;
    if (type->kind() == c10::TypeKind::OptionalType) {
      optional = true;
      type = type->containedType(0);
    }
    ArgPlan arg{kindOf(type), optional, argument.N() ? static_cast<int64_t>(*argument.N()) : 1, argument.name(), argument.default_value(), type->str(),
                argument.real_type()->str()};
    plan.args.push_back(std::move(arg));
  }
  const auto& returns = schema.returns();
  const auto& arguments = schema.arguments();
  if (returns.size() == 1 && returns[0].alias_info() && returns[0].alias_info()->isWrite() && !arguments.empty() &&
      arguments[0].alias_info() && arguments[0].alias_info()->isWrite() &&
      returns[0].alias_info()->beforeSets() == arguments[0].alias_info()->beforeSets()) {
    plan.returnsFirstArgument = true;
  }
  plan.unboxed = unboxedCallOf(op, plan);
  return plan;
}

// findOp("aten::add", "Tensor") -> op id, or -1 when this libtorch has no such op.
static Napi::Value findOp(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>();
  std::string overload = info[1].As<Napi::String>();
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle) return Napi::Number::New(info.Env(), -1);
  auto& plans = instance(info.Env()).opPlans;
  plans.push_back(planFor(*handle));
  return Napi::Number::New(info.Env(), static_cast<double>(plans.size() - 1));
}

[[noreturn]] void badArgument(const OpPlan& plan, const ArgPlan& arg, const std::string& expected) {
  throw ArgumentError(plan.qualifiedName + "(): argument '" + arg.name + "' must be " + expected);
}

// ---- arguments -----------------------------------------------------------------
// JS writes an op's arguments into a Float64Array shared with lib/_ops/dispatch.ts (opArgs,
// layout in op_args.h): their count, then two numbers per argument, what JS had there (ArgCode)
// and its value. Lists of numbers (int[], float[], the handles of a Tensor[]) follow in the same
// buffer. Reading them costs no Node-API call; on a small tensor, the two or three calls per
// argument that reading JS values takes cost as much as the op's own bookkeeping. Only what has
// no code (BigInts, strings, lists of other things) comes as a JS value.
int64_t intOf(double d, const OpPlan& plan, const ArgPlan& arg) {
  if (isExactInteger(d)) return static_cast<int64_t>(d);
  // Casting a double outside int64's range is undefined behaviour; larger values must be BigInts.
  bool integral = std::isfinite(d) && std::floor(d) == d;
  badArgument(plan, arg, (integral ? "an integer within ±2^53 (pass a BigInt for larger values), got " : "an integer, got ") + std::to_string(d));
}

// JS has one number type: integral values are passed as ints, like Python's `2`.
static c10::IValue numberIValue(double d) {
  if (isExactInteger(d) && !(d == 0 && std::signbit(d))) return c10::IValue(static_cast<int64_t>(d));
  return c10::IValue(d);
}

// A number where a Tensor is expected becomes a "wrapped number" tensor, as in Python: it takes
// part in type promotion like a scalar (int64 tensor * 2.5 -> float).
static at::Tensor wrappedNumber(const at::Scalar& value) {
  at::Tensor wrapped = c10::scalar_to_tensor(value);
  wrapped.unsafeGetTensorImpl()->set_wrapped_number(true);
  return wrapped;
}

// A Tensor argument: the table's own tensor for a handle (no reference-count traffic), or a
// wrapped number made into `holder`. JS boxes a number meant as a tensor as [x], so that it
// cannot read as a handle.
const at::Tensor& tensorArg(Napi::Env env, const CodedArg& a, const OpPlan& plan, const ArgPlan& arg, at::Tensor& holder) {
  switch (a.code) {
    case kNumber: return unwrapTensor(env, a.value, arg.name.c_str());
    case kNumberList:
      if (a.length != 1) break;
      holder = wrappedNumber(numberIValue(a.list[0]).toScalar());
      return holder;
    case kFalse:
    case kTrue: holder = wrappedNumber(at::Scalar(a.code == kTrue)); return holder;
    case kUndefined: badArgument(plan, arg, "given (it has no default)");  // the unboxed path has no optional Tensors
    default: break;
  }
  badArgument(plan, arg, "a Tensor or a number");
}

template <typename T, typename Convert>
static c10::List<T> numberList(const CodedArg& a, Convert convert) {
  c10::List<T> list;
  list.reserve(a.length);
  for (size_t i = 0; i < a.length; i++) list.push_back(convert(a.list[i]));
  return list;
}

// The device that JS coded as c10::DeviceType * kDeviceTypeStep + index + 1 (lib/_ops/dispatch.ts deviceCode).
static c10::Device deviceOfCode(double code, const OpPlan& plan, const ArgPlan& arg) {
  if (isExactInteger(code) && code >= 0) {
    auto number = static_cast<int64_t>(code);
    int64_t type = number / kDeviceTypeStep;
    if (type < static_cast<int64_t>(c10::DeviceType::COMPILE_TIME_MAX_DEVICE_TYPES) && c10::isValidDeviceType(static_cast<c10::DeviceType>(type))) {
      // The index is cast as c10's parser of a device string casts it; libtorch checks the rest.
      return c10::Device(static_cast<c10::DeviceType>(type), static_cast<c10::DeviceIndex>(number % kDeviceTypeStep - 1));
    }
  }
  badArgument(plan, arg, "a device of a type that c10 knows");
}

// The IValue of one argument, by the kind its schema gives it.
c10::IValue codedIValue(Napi::Env env, const CodedArg& a, const OpPlan& plan, const ArgPlan& arg) {
  switch (a.code) {
    case kUndefined:
      if (arg.defaultValue) return *arg.defaultValue;
      if (arg.optional) return c10::IValue();
      badArgument(plan, arg, "given (it has no default)");
    case kNull:
      if (arg.optional) return c10::IValue();
      badArgument(plan, arg, arg.typeName + ", not null");
    default: break;
  }
  bool isBool = a.code == kTrue || a.code == kFalse;
  switch (arg.kind) {
    case ArgKind::Tensor: {
      at::Tensor holder;
      return c10::IValue(tensorArg(env, a, plan, arg, holder));
    }
    case ArgKind::Int:
      if (a.code == kNumber) return c10::IValue(intOf(a.value, plan, arg));
      if (isBool) return c10::IValue(static_cast<int64_t>(a.code == kTrue));
      badArgument(plan, arg, "an integer");
    case ArgKind::Float:
      if (a.code == kNumber) return c10::IValue(a.value);
      badArgument(plan, arg, "a number");
    case ArgKind::Bool:
      if (isBool) return c10::IValue(a.code == kTrue);
      badArgument(plan, arg, "a boolean");
    case ArgKind::Scalar:
      if (a.code == kNumber) return numberIValue(a.value);
      if (isBool) return c10::IValue(a.code == kTrue);
      badArgument(plan, arg, "a number or boolean");
    case ArgKind::IntList: {
      c10::List<int64_t> ints;
      if (codedInts(a, plan, arg, [&](int64_t v) { ints.push_back(v); })) return c10::IValue(std::move(ints));
      badArgument(plan, arg, "an array of integers");
    }
    case ArgKind::Device:
      if (a.code == kNumber) return c10::IValue(deviceOfCode(a.value, plan, arg));
      badArgument(plan, arg, "a device such as 'cpu' or 'cuda:0'");
    case ArgKind::FloatList:
      if (a.code == kNumberList) return c10::IValue(numberList<double>(a, [](double d) { return d; }));
      badArgument(plan, arg, "an array of numbers");
    case ArgKind::TensorList:
      if (a.code == kNumberList) return c10::IValue(numberList<at::Tensor>(a, [&](double d) { return unwrapTensor(env, d, arg.name.c_str()); }));
      badArgument(plan, arg, "an array of Tensors");
    case ArgKind::OptionalTensorList:  // with no null among them
      if (a.code == kNumberList) return c10::IValue(numberList<c10::optional<at::Tensor>>(a, [&](double d) { return unwrapTensor(env, d, arg.name.c_str()); }));
      badArgument(plan, arg, "an array of Tensors or nulls");
    default: break;
  }
  badArgument(plan, arg, arg.typeName);
}

static double numberValue(Napi::Env env, napi_value v) {
  double d;
  napi_get_value_double(env, v, &d);
  return d;
}

static bool boolValue(Napi::Env env, napi_value v) {
  bool b;
  napi_get_value_bool(env, v, &b);
  return b;
}

// The code JS would have written for a primitive value, for the arguments that come as JS values.
static bool codeOfPrimitive(Napi::Env env, napi_value v, napi_valuetype type, CodedArg& out) {
  switch (type) {
    case napi_undefined: out.code = kUndefined; return true;
    case napi_null: out.code = kNull; return true;
    case napi_number: out.code = kNumber; out.value = numberValue(env, v); return true;
    case napi_boolean: out.code = boolValue(env, v) ? kTrue : kFalse; return true;
    default: return false;
  }
}

static int64_t bigintValue(Napi::Env env, napi_value v, const OpPlan& plan, const ArgPlan& arg) {
  bool lossless;
  int64_t out;
  napi_get_value_bigint_int64(env, v, &out, &lossless);
  if (!lossless) badArgument(plan, arg, "an integer that fits in int64");
  return out;
}

template <typename T, typename Convert>
static c10::List<T> listOf(Napi::Env env, napi_value v, Convert convert, const OpPlan& plan, const ArgPlan& arg, const char* expected) {
  bool isArray = false;
  napi_is_array(env, v, &isArray);
  if (!isArray) badArgument(plan, arg, expected);
  uint32_t length = 0;
  napi_get_array_length(env, v, &length);
  c10::List<T> list;
  list.reserve(length);
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    napi_get_element(env, v, i, &element);
    napi_valuetype type;
    napi_typeof(env, element, &type);
    list.push_back(convert(element, type));
  }
  return list;
}

// Whether `v` is an array of numbers only, read into `numbers`.
static bool numbersOf(Napi::Env env, napi_value v, std::vector<double>& numbers) {
  bool isArray = false;
  napi_is_array(env, v, &isArray);
  if (!isArray) return false;
  uint32_t length = 0;
  napi_get_array_length(env, v, &length);
  numbers.reserve(length);
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    napi_valuetype type;
    if (napi_get_element(env, v, i, &element) != napi_ok || napi_typeof(env, element, &type) != napi_ok || type != napi_number) return false;
    numbers.push_back(numberValue(env, element));
  }
  return true;
}

// An argument that JS passed as a value: BigInts, strings, and lists that are not all numbers.
// Primitives and lists of numbers take the coded path's rules.
static c10::IValue toIValue(Napi::Env env, napi_value v, const OpPlan& plan, const ArgPlan& arg) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  CodedArg primitive{kUndefined};
  if (codeOfPrimitive(env, v, type, primitive)) return codedIValue(env, primitive, plan, arg);
  std::vector<double> numbers;
  if (numbersOf(env, v, numbers)) return codedIValue(env, CodedArg{kNumberList, 0, numbers.data(), numbers.size()}, plan, arg);
  auto intElement = [&](napi_value e, napi_valuetype t) -> int64_t {
    if (t == napi_bigint) return bigintValue(env, e, plan, arg);
    CodedArg element{kUndefined};
    if (!codeOfPrimitive(env, e, t, element) || element.code != kNumber) badArgument(plan, arg, "an array of integers");
    return intOf(element.value, plan, arg);
  };
  switch (arg.kind) {
    case ArgKind::Tensor:
      if (type == napi_bigint) return c10::IValue(wrappedNumber(at::Scalar(bigintValue(env, v, plan, arg))));
      badArgument(plan, arg, "a Tensor or a number");
    case ArgKind::Int:
    case ArgKind::Scalar:
      if (type == napi_bigint) return c10::IValue(bigintValue(env, v, plan, arg));
      badArgument(plan, arg, arg.kind == ArgKind::Int ? "an integer" : "a number or boolean");
    case ArgKind::String:
      if (type != napi_string) badArgument(plan, arg, "a string");
      return c10::IValue(Napi::String(env, v).Utf8Value());
    case ArgKind::Generator: badArgument(plan, arg, "null (explicit generators are not supported yet)");
    case ArgKind::IntList:
      if (type == napi_bigint) return c10::IValue(std::vector<int64_t>(static_cast<size_t>(arg.fixedSize), bigintValue(env, v, plan, arg)));
      return c10::IValue(listOf<int64_t>(env, v, intElement, plan, arg, "an array of integers"));
    case ArgKind::FloatList: badArgument(plan, arg, "an array of numbers");  // lists of numbers were read above
    case ArgKind::BoolList:
      return c10::IValue(listOf<bool>(env, v, [&](napi_value e, napi_valuetype t) {
        if (t != napi_boolean) badArgument(plan, arg, "an array of booleans");
        return boolValue(env, e);
      }, plan, arg, "an array of booleans"));
    case ArgKind::TensorList:  // what is not a handle among them: each says which argument it is in
      return c10::IValue(listOf<at::Tensor>(env, v, [&](napi_value e, napi_valuetype) { return unwrapTensor(env, e, arg.name.c_str()); }, plan, arg, "an array of Tensors"));
    case ArgKind::OptionalTensorList:
      return c10::IValue(listOf<c10::optional<at::Tensor>>(env, v, [&](napi_value e, napi_valuetype t) -> c10::optional<at::Tensor> {
        if (t == napi_null || t == napi_undefined) return c10::nullopt;
        return unwrapTensor(env, e, arg.name.c_str());
      }, plan, arg, "an array of Tensors or nulls"));
    default: break;
  }
  if (arg.kind == ArgKind::Unsupported) badArgument(plan, arg, "of a type torch-node cannot pass yet (" + arg.typeName + ")");
  badArgument(plan, arg, arg.typeName);
}

// `queue`: tensors inside the arrays go to JS through queueUnowned, as undefined placeholders.
static Napi::Value fromIValue(Napi::Env env, const c10::IValue& value, bool queue = false) {
  if (value.isTensor()) return queue && queueUnowned(env, value.toTensor()) ? env.Undefined() : wrapTensor(env, value.toTensor());
  if (value.isNone()) return env.Null();
  if (value.isInt()) return fromScalar(env, at::Scalar(value.toInt()));
  if (value.isDouble()) return Napi::Number::New(env, value.toDouble());
  if (value.isBool()) return Napi::Boolean::New(env, value.toBool());
  if (value.isScalar()) return fromScalar(env, value.toScalar());
  if (value.isString()) return Napi::String::New(env, value.toStringRef());
  if (value.isTensorList()) {
    auto list = value.toTensorList();
    Napi::Array array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) array.Set(static_cast<uint32_t>(i), fromIValue(env, list.get(i), queue));
    return array;
  }
  if (value.isIntList()) {
    auto list = value.toIntVector();
    return fromIntList(env, list);
  }
  if (value.isDoubleList()) {
    auto list = value.toDoubleVector();
    Napi::Array array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, list[i]));
    return array;
  }
  if (value.isTuple()) {
    const auto& elements = value.toTupleRef().elements();
    Napi::Array array = Napi::Array::New(env, elements.size());
    for (size_t i = 0; i < elements.size(); i++) array.Set(static_cast<uint32_t>(i), fromIValue(env, elements[i], queue));
    return array;
  }
  if (value.isList()) {
    auto list = value.toListRef();
    Napi::Array array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) array.Set(static_cast<uint32_t>(i), fromIValue(env, list[i], queue));
    return array;
  }
  if (value.isDevice()) return Napi::String::New(env, value.toDevice().str());
  throw std::runtime_error("cannot return a value of type " + value.tagKind() + " to JS yet");
}

// ---- calling -------------------------------------------------------------------
// The commonest array results, a tuple of Tensors (max(dim), sort, lstm) or one list of them
// (chunk, split, unbind), go to JS as queued handles alone: JS makes the array too. False, queueing
// nothing, for anything else.
static bool queueTensors(Napi::Env env, const torch::jit::Stack& results) {
  const bool oneList = results.size() == 1 && results[0].isTensorList();
  if (!oneList && results.size() < 2) return false;  // one Tensor is no array
  c10::List<at::Tensor> list = oneList ? results[0].toTensorList() : c10::List<at::Tensor>();
  const size_t count = oneList ? list.size() : results.size();
  const auto queued = static_cast<size_t>(instance(env).unownedResults[0]);
  if (count == 0 || count > kUnownedCapacity - queued) return false;
  for (size_t i = 0; i < count; i++) {
    if (oneList ? !list.get(i).defined() : !(results[i].isTensor() && results[i].toTensor().defined())) return false;
  }
  for (size_t i = 0; i < count; i++) queueUnowned(env, oneList ? list.get(i) : results[i].toTensor());
  return true;
}

// callOp(opId, owner, ...jsValues): the arguments are in opArgs, in schema order (undefined for
// "use the default"); jsValues are those written as kJsValue, in order. `owner` is a new JS
// Tensor when the op returns one Tensor: it gets the result, and the call returns its handle
// number (no call back into JS to make the object). Otherwise undefined.
static Napi::Value callOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& data = instance(env);
  int32_t id = -1;
  napi_get_value_int32(env, info[0], &id);
  if (id < 0 || id >= static_cast<int32_t>(data.opPlans.size())) throw ArgumentError("callOp: unknown op id");
  const OpPlan& plan = data.opPlans[static_cast<size_t>(id)];
  const size_t count = plan.args.size();
  const double* opArgs = data.opArgs;
  if (count > kMaxOpArgs) throw ArgumentError(plan.qualifiedName + "() takes more than " + std::to_string(kMaxOpArgs) + " arguments, which torch-node cannot pass");
  if (opArgs[0] != static_cast<double>(count)) {
    throw ArgumentError(plan.qualifiedName + "() takes " + std::to_string(count) + " arguments, but opArgs does not hold them (lib/_ops/dispatch.ts callOp writes them)");
  }
  data.opArgs[0] = -1;  // read once: a caller that forgets to write them gets an error, not stale arguments
  size_t jsValues = 0;
  uint64_t jsValueArgs = 0;  // bit i: argument i came as a JS value
  for (size_t i = 0; i < count; i++) {
    if (opArgs[1 + 2 * i] != kJsValue) continue;
    jsValues++;
    jsValueArgs |= uint64_t{1} << i;
  }
  if (info.Length() != 2 + jsValues) {
    throw ArgumentError(plan.qualifiedName + "(): opArgs names " + std::to_string(jsValues) + " JS values, but " + std::to_string(info.Length() < 2 ? 0 : info.Length() - 2) + " came");
  }
  if (jsValues == 0 && plan.unboxed) {
    at::Tensor result = plan.unboxed.call(plan.unboxed.typedHandle.get(), OpCall{env, plan, opArgs});
    return plan.returnsFirstArgument ? env.Undefined() : wrapTensorInto(env, std::move(result), info[1]);
  }

  // One stack per thread, reused to save an allocation per call; a re-entrant call (a JS
  // getter on an argument array calling torch) gets its own.
  thread_local torch::jit::Stack sharedStack;
  thread_local int depth = 0;
  torch::jit::Stack ownStack;
  torch::jit::Stack& stack = depth == 0 ? sharedStack : ownStack;
  // On every exit the stack is emptied, so it never keeps a tensor alive.
  struct StackGuard {
    int& depth;
    torch::jit::Stack& stack;
    StackGuard(int& d, torch::jit::Stack& s) : depth(d), stack(s) { depth++; }
    ~StackGuard() {
      stack.clear();
      depth--;
    }
  } stackGuard(depth, stack);
  stack.clear();
  // Coded arguments first: converting a JS value can run JS (a getter), which may call torch and
  // overwrite opArgs.
  for (size_t i = 0; i < count; i++) {
    stack.push_back((jsValueArgs >> i) & 1 ? c10::IValue() : codedIValue(env, codedArg(opArgs, i), plan, plan.args[i]));
  }
  for (size_t i = 0, next = 2; i < count && (jsValueArgs >> i) != 0; i++) {
    if ((jsValueArgs >> i) & 1) stack[i] = toIValue(env, info[next++], plan, plan.args[i]);
  }
  plan.op.callBoxed(&stack);
  const torch::jit::Stack& results = stack;
  if (plan.returnsFirstArgument || results.empty()) return env.Undefined();
  // (isTensor first: napi_typeof, behind IsObject, costs more than the rest of this check.)
  if (results.size() == 1 && results[0].isTensor() && info[1].IsObject()) return wrapTensorInto(env, results[0].toTensor(), info[1]);
  // Tensors inside tuples and lists are handed to JS to make their objects (queueUnowned).
  try {
    if (queueTensors(env, results)) return Napi::Boolean::New(env, true);
    if (results.size() == 1) return fromIValue(env, results[0], /*queue=*/!results[0].isTensor());
    Napi::Array array = Napi::Array::New(env, results.size());
    for (size_t i = 0; i < results.size(); i++) array.Set(static_cast<uint32_t>(i), fromIValue(env, results[i], /*queue=*/true));
    return array;
  } catch (...) {
    discardUnowned(env);
    throw;
  }
}

// The schema string of an op id, as this libtorch has it (for error messages and tests).
static Napi::Value opSchema(const Napi::CallbackInfo& info) {
  auto& plans = instance(info.Env()).opPlans;
  int64_t id = toInt64(info.Env(), info[0], "opId");
  if (id < 0 || id >= static_cast<int64_t>(plans.size())) throw ArgumentError("opSchema: unknown op id");
  std::ostringstream out;
  out << plans[static_cast<size_t>(id)].op.schema();
  return Napi::String::New(info.Env(), out.str());
}

// Whether an op id takes the unboxed path (for tests).
static Napi::Value opCallsUnboxed(const Napi::CallbackInfo& info) {
  auto& plans = instance(info.Env()).opPlans;
  int64_t id = toInt64(info.Env(), info[0], "opId");
  if (id < 0 || id >= static_cast<int64_t>(plans.size())) throw ArgumentError("opCallsUnboxed: unknown op id");
  return Napi::Boolean::New(info.Env(), static_cast<bool>(plans[static_cast<size_t>(id)].unboxed));
}

void initDispatch(Napi::Env env, Napi::Object exports) {
  instance(env).opArgs = shareDoubles(env, exports, "opArgs", kOpArgsCapacity);
  exports.Set("maxOpArgs", Napi::Number::New(env, kMaxOpArgs));
  TORCH_NODE_EXPORT(exports, "findOp", findOp);
  TORCH_NODE_EXPORT(exports, "callOp", callOp);
  TORCH_NODE_EXPORT(exports, "opSchema", opSchema);
  TORCH_NODE_EXPORT(exports, "opCallsUnboxed", opCallsUnboxed);
}

}  // namespace torch_node
