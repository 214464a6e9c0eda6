// The generic op path: JS names an ATen operator by its schema name; we find it in
// libtorch's dispatcher and call it boxed. Arguments are converted by the schema's
// own types, so every ATen op (autograd included) is reachable without a
// hand-written wrapper, and an op missing from the linked libtorch is a clear error.
#include "common.h"

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

// The op's handle for one of the shared unboxed signatures, when its arguments have that shape.
// typed<>() checks the C++ signature the kernels were registered with: an op whose schema only
// looks alike stays boxed.
static UnboxedOp unboxedOf(const c10::OperatorHandle& op, const OpPlan& plan) {
  UnboxedOp unboxed;
  const auto& returns = op.schema().returns();
  if (returns.size() != 1 || returns[0].type()->kind() != c10::TypeKind::TensorType || plan.returnsFirstArgument) return unboxed;
  std::vector<ArgKind> kinds;
  for (const auto& arg : plan.args) kinds.push_back(arg.optional ? ArgKind::Unsupported : arg.kind);
  using K = ArgKind;
  try {
    if (kinds == std::vector<K>{K::Tensor}) unboxed.unary = op.typed<at::Tensor(const at::Tensor&)>();
    if (kinds == std::vector<K>{K::Tensor, K::Tensor}) unboxed.binary = op.typed<at::Tensor(const at::Tensor&, const at::Tensor&)>();
    if (kinds == std::vector<K>{K::Tensor, K::Scalar}) unboxed.tensorScalar = op.typed<at::Tensor(const at::Tensor&, const at::Scalar&)>();
    if (kinds == std::vector<K>{K::Tensor, K::Tensor, K::Scalar}) {
      unboxed.binaryScalar = op.typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Scalar&)>();
    }
  } catch (const c10::Error&) {
    return UnboxedOp{};
  }
  return unboxed;
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
    ArgPlan arg{kindOf(type), optional, argument.N() ? static_cast<int64_t>(*argument.N()) : 1, argument.name(), argument.default_value(), type->str()};
    plan.args.push_back(std::move(arg));
  }
  const auto& returns = schema.returns();
  const auto& arguments = schema.arguments();
  if (returns.size() == 1 && returns[0].alias_info() && returns[0].alias_info()->isWrite() && !arguments.empty() &&
      arguments[0].alias_info() && arguments[0].alias_info()->isWrite() &&
      returns[0].alias_info()->beforeSets() == arguments[0].alias_info()->beforeSets()) {
    plan.returnsFirstArgument = true;
  }
  plan.unboxed = unboxedOf(op, plan);
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

[[noreturn]] static void badArgument(const OpPlan& plan, const ArgPlan& arg, const std::string& expected) {
  throw ArgumentError(plan.qualifiedName + "(): argument '" + arg.name + "' must be " + expected);
}

static double numberValue(Napi::Env env, napi_value v) {
  double d;
  napi_get_value_double(env, v, &d);
  return d;
}

static int64_t intValue(Napi::Env env, napi_value v, napi_valuetype type, const OpPlan& plan, const ArgPlan& arg) {
  if (type == napi_number) {
    double d = numberValue(env, v);
    if (!std::isfinite(d) || std::floor(d) != d) badArgument(plan, arg, "an integer, got " + std::to_string(d));
    // Casting a double outside int64's range is undefined behaviour; larger values must be BigInts.
    if (std::fabs(d) > kMaxExactInteger) badArgument(plan, arg, "an integer within ±2^53 (pass a BigInt for larger values), got " + std::to_string(d));
    return static_cast<int64_t>(d);
  }
  if (type == napi_bigint) {
    bool lossless;
    int64_t out;
    napi_get_value_bigint_int64(env, v, &out, &lossless);
    if (!lossless) badArgument(plan, arg, "an integer that fits in int64");
    return out;
  }
  if (type == napi_boolean) {
    bool b;
    napi_get_value_bool(env, v, &b);
    return b ? 1 : 0;
  }
  badArgument(plan, arg, "an integer");
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

static c10::IValue scalarValue(Napi::Env env, napi_value v, napi_valuetype type, const OpPlan& plan, const ArgPlan& arg) {
  if (type == napi_number) return numberIValue(numberValue(env, v));
  if (type == napi_boolean) {
    bool b;
    napi_get_value_bool(env, v, &b);
    return c10::IValue(b);
  }
  if (type == napi_bigint) return c10::IValue(intValue(env, v, type, plan, arg));
  badArgument(plan, arg, "a number or boolean");
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

static c10::IValue toIValue(Napi::Env env, napi_value v, const OpPlan& plan, const ArgPlan& arg) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  if (type == napi_undefined) {
    if (arg.defaultValue) return *arg.defaultValue;
    if (arg.optional) return c10::IValue();
    badArgument(plan, arg, "given (it has no default)");
  }
  if (type == napi_null) {
    if (arg.optional) return c10::IValue();
    badArgument(plan, arg, arg.typeName + ", not null");
  }
  switch (arg.kind) {
    case ArgKind::Tensor: {
      // A Tensor is its handle number. A number where a Tensor is expected becomes a wrapped
      // number; JS boxes such a number as [x] so that it cannot read as a handle.
      if (type == napi_number) return c10::IValue(unwrapTensor(env, v, arg.name.c_str()));
      if (type == napi_object) {
        bool isArray = false;
        napi_is_array(env, v, &isArray);
        if (!isArray) badArgument(plan, arg, "a Tensor");
        napi_get_element(env, v, 0, &v);
        napi_typeof(env, v, &type);
      }
      if (type != napi_number && type != napi_boolean && type != napi_bigint) badArgument(plan, arg, "a Tensor or a number");
      return c10::IValue(wrappedNumber(scalarValue(env, v, type, plan, arg).toScalar()));
    }
    case ArgKind::Int: return c10::IValue(intValue(env, v, type, plan, arg));
    case ArgKind::Float:
      if (type != napi_number) badArgument(plan, arg, "a number");
      return c10::IValue(numberValue(env, v));
    case ArgKind::Bool: {
      if (type != napi_boolean) badArgument(plan, arg, "a boolean");
      bool b;
      napi_get_value_bool(env, v, &b);
      return c10::IValue(b);
    }
    case ArgKind::Scalar: return scalarValue(env, v, type, plan, arg);
    case ArgKind::String:
      if (type != napi_string) badArgument(plan, arg, "a string");
      return c10::IValue(Napi::String(env, v).Utf8Value());
    case ArgKind::Device:
      if (type != napi_string) badArgument(plan, arg, "a device string such as 'cpu' or 'cuda:0'");
      return c10::IValue(c10::Device(Napi::String(env, v).Utf8Value()));
    case ArgKind::Generator: badArgument(plan, arg, "null (explicit generators are not supported yet)");
    case ArgKind::IntList: {
      if (type == napi_number || type == napi_bigint) {
        return c10::IValue(std::vector<int64_t>(static_cast<size_t>(arg.fixedSize), intValue(env, v, type, plan, arg)));
      }
      return c10::IValue(listOf<int64_t>(env, v, [&](napi_value e, napi_valuetype t) { return intValue(env, e, t, plan, arg); }, plan, arg, "an array of integers"));
    }
    case ArgKind::FloatList:
      return c10::IValue(listOf<double>(env, v, [&](napi_value e, napi_valuetype t) {
        if (t != napi_number) badArgument(plan, arg, "an array of numbers");
        return numberValue(env, e);
      }, plan, arg, "an array of numbers"));
    case ArgKind::BoolList: {
      auto list = listOf<bool>(env, v, [&](napi_value e, napi_valuetype t) {
        if (t != napi_boolean) badArgument(plan, arg, "an array of booleans");
        bool b;
        napi_get_value_bool(env, e, &b);
        return b;
      }, plan, arg, "an array of booleans");
      return c10::IValue(list);
    }
    case ArgKind::TensorList:
      return c10::IValue(listOf<at::Tensor>(env, v, [&](napi_value e, napi_valuetype) { return unwrapTensor(env, e, arg.name.c_str()); }, plan, arg, "an array of Tensors"));
    case ArgKind::OptionalTensorList:
      return c10::IValue(listOf<c10::optional<at::Tensor>>(env, v, [&](napi_value e, napi_valuetype t) -> c10::optional<at::Tensor> {
        if (t == napi_null || t == napi_undefined) return c10::nullopt;
        return unwrapTensor(env, e, arg.name.c_str());
      }, plan, arg, "an array of Tensors or nulls"));
    case ArgKind::Unsupported: break;
  }
  badArgument(plan, arg, "of a type torch-node cannot pass yet (" + arg.typeName + ")");
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

// ---- the unboxed path ----------------------------------------------------------
// Ops with one of the shared signatures (UnboxedOp) take their arguments from a Float64Array
// shared with lib/_ops/dispatch.ts: two numbers per argument, what JS had there (ArgCode) and
// its value. Reading them costs no Node-API call; on a 1-element tensor, the five or so calls
// that reading JS values would take cost as much as the op's own bookkeeping.
enum ArgCode { kUndefined = 0, kNumber = 1, kBoxedNumber = 2, kFalse = 3, kTrue = 4 };
static constexpr size_t kMaxUnboxedArgs = 3;

// A Tensor argument: the table's own tensor for a handle (no reference-count traffic), or a
// wrapped number made into `holder`.
static const at::Tensor& tensorFromCode(Napi::Env env, const double* code, const OpPlan& plan, const ArgPlan& arg, at::Tensor& holder) {
  switch (static_cast<int>(code[0])) {
    case kNumber: return unwrapTensor(env, code[1], arg.name.c_str());
    case kBoxedNumber: holder = wrappedNumber(numberIValue(code[1]).toScalar()); return holder;
    case kFalse:
    case kTrue: holder = wrappedNumber(at::Scalar(code[0] == kTrue)); return holder;
    default: badArgument(plan, arg, "given (it has no default)");
  }
}

static at::Scalar scalarFromCode(const double* code, const OpPlan& plan, const ArgPlan& arg) {
  switch (static_cast<int>(code[0])) {
    case kNumber: return numberIValue(code[1]).toScalar();
    case kFalse:
    case kTrue: return at::Scalar(code[0] == kTrue);
    case kUndefined:
      if (arg.defaultValue) return arg.defaultValue->toScalar();
      badArgument(plan, arg, "given (it has no default)");
    default: badArgument(plan, arg, "a number or boolean");
  }
}

static at::Tensor callUnboxed(Napi::Env env, const OpPlan& plan, const double* codes) {
  const UnboxedOp& op = plan.unboxed;
  at::Tensor holders[2];
  const at::Tensor& self = tensorFromCode(env, codes, plan, plan.args[0], holders[0]);
  if (op.unary) return op.unary->call(self);
  if (op.tensorScalar) return op.tensorScalar->call(self, scalarFromCode(codes + 2, plan, plan.args[1]));
  const at::Tensor& other = tensorFromCode(env, codes + 2, plan, plan.args[1], holders[1]);
  if (op.binary) return op.binary->call(self, other);
  return op.binaryScalar->call(self, other, scalarFromCode(codes + 4, plan, plan.args[2]));
}

// callOpUnboxed(opId, owner): an op whose plan is unboxed, its arguments in the shared opArgs.
// `owner` is the new JS Tensor that gets the result; returns its handle.
static Napi::Value callOpUnboxed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& data = instance(env);
  int32_t id = -1;
  napi_get_value_int32(env, info[0], &id);
  if (id < 0 || id >= static_cast<int32_t>(data.opPlans.size()) || !data.opPlans[static_cast<size_t>(id)].unboxed.any()) {
    throw ArgumentError("callOpUnboxed: not the id of an op with an unboxed signature");
  }
  return wrapTensorInto(env, callUnboxed(env, data.opPlans[static_cast<size_t>(id)], data.opArgs), info[1]);
}

// callOp(opId, owner, ...args): args in schema order, undefined for "use the default".
// `owner` is a new JS Tensor when the op returns one Tensor: it gets the result, and the call
// returns its handle number (no call back into JS to make the object). Otherwise undefined.
static Napi::Value callOp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& plans = instance(env).opPlans;
  int32_t id = -1;
  napi_get_value_int32(env, info[0], &id);
  if (id < 0 || id >= static_cast<int32_t>(plans.size())) throw ArgumentError("callOp: unknown op id");
  const OpPlan& plan = plans[static_cast<size_t>(id)];
  size_t given = info.Length() < 2 ? 0 : info.Length() - 2;
  if (given > plan.args.size()) {
    throw ArgumentError(plan.qualifiedName + "() takes " + std::to_string(plan.args.size()) + " arguments but " + std::to_string(given) + " were given");
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
  napi_value undefined = env.Undefined();
  for (size_t i = 0; i < plan.args.size(); i++) {
    stack.push_back(toIValue(env, i < given ? static_cast<napi_value>(info[i + 2]) : undefined, plan, plan.args[i]));
  }
  plan.op.callBoxed(&stack);
  const torch::jit::Stack& results = stack;
  if (plan.returnsFirstArgument || results.empty()) return env.Undefined();
  if (results.size() == 1 && info[1].IsObject() && results[0].isTensor()) return wrapTensorInto(env, results[0].toTensor(), info[1]);
  // Tensors inside tuples and lists are handed to JS to make their objects (queueUnowned).
  try {
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
  return Napi::Boolean::New(info.Env(), plans[static_cast<size_t>(id)].unboxed.any());
}

void initDispatch(Napi::Env env, Napi::Object exports) {
  instance(env).opArgs = shareDoubles(env, exports, "opArgs", 2 * kMaxUnboxedArgs);
  TORCH_NODE_EXPORT(exports, "findOp", findOp);
  TORCH_NODE_EXPORT(exports, "callOp", callOp);
  TORCH_NODE_EXPORT(exports, "callOpUnboxed", callOpUnboxed);
  TORCH_NODE_EXPORT(exports, "opSchema", opSchema);
  TORCH_NODE_EXPORT(exports, "opCallsUnboxed", opCallsUnboxed);
}

}  // namespace torch_node
