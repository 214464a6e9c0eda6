// Ops called with their C++ signature, as at::add is, instead of through an IValue stack. An op
// qualifies when its schema's argument types (real types: "SymInt[]", "ScalarType?") are those of
// one of the signatures below and typed<>() accepts that signature, which checks it against the
// one its kernels were registered with. The arguments are read straight from the coded opArgs:
// an int list becomes an array on the stack instead of a c10::List and a std::vector on the heap.
#include "op_args.h"

#include <ATen/core/IListRef.h>
#include <c10/util/SmallVector.h>

#include <utility>

namespace torch_node {

// ---- reading one argument as the C++ type its kernel takes -----------------------------------
// Each reader has the schema type it stands for and keeps what its value refers to (a wrapped
// number, a list) until the call returns. Readers are built where they stay (see Readers), so one
// may point into itself.

// Plain values (their IValues hold no allocation): the schema type each stands for. Their
// defaults, None and errors follow the boxed path's rules.
template <typename T>
constexpr const char* plainType = nullptr;
template <>
constexpr const char* plainType<at::Scalar> = "Scalar";
template <>
constexpr const char* plainType<int64_t> = "int";
template <>
constexpr const char* plainType<c10::SymInt> = "SymInt";
template <>
constexpr const char* plainType<bool> = "bool";
template <>
constexpr const char* plainType<double> = "float";
template <>
constexpr const char* plainType<at::ScalarType> = "ScalarType";
template <>
constexpr const char* plainType<c10::optional<at::ScalarType>> = "ScalarType?";
template <>
constexpr const char* plainType<c10::optional<at::MemoryFormat>> = "MemoryFormat?";
template <>
constexpr const char* plainType<c10::optional<at::Layout>> = "Layout?";
template <>
constexpr const char* plainType<c10::optional<at::Device>> = "Device?";
template <>
constexpr const char* plainType<c10::optional<bool>> = "bool?";

template <typename T>
T plainValue(const c10::IValue& v) {
  return v.to<T>();
}
template <>
c10::SymInt plainValue<c10::SymInt>(const c10::IValue& v) {
  return c10::SymInt(v.toInt());  // JS passes concrete ints
}

template <typename T>
struct UnboxedArg {
  using Value = std::decay_t<T>;
  static constexpr const char* schemaType = plainType<Value>;
  Value value;
  UnboxedArg(const OpCall& c, size_t i) : value(read(c, i)) {}
  const Value& get() const { return value; }

 private:
  static Value read(const OpCall& c, size_t i) {
    CodedArg a = codedArg(c.opArgs, i);
    // An int or float given as a number needs no IValue; codedIValue has every other case (bools
    // as ints, defaults, errors) and the same integer rule.
    if constexpr (std::is_same_v<Value, int64_t> || std::is_same_v<Value, c10::SymInt>) {
      if (a.code == kNumber && isExactInteger(a.value)) return Value(static_cast<int64_t>(a.value));
    } else if constexpr (std::is_same_v<Value, double>) {
      if (a.code == kNumber) return a.value;
    }
    return plainValue<Value>(codedIValue(c.env, a, c.plan, c.plan.args[i]));
  }
};

template <>
struct UnboxedArg<const at::Tensor&> {
  static constexpr const char* schemaType = "Tensor";
  at::Tensor wrapped;  // a number passed as a tensor
  const at::Tensor* tensor;  // the table's own (no reference-count traffic), or `wrapped`
  UnboxedArg(const OpCall& c, size_t i) : tensor(&tensorArg(c.env, codedArg(c.opArgs, i), c.plan, c.plan.args[i], wrapped)) {}
  UnboxedArg(UnboxedArg&&) = delete;  // `tensor` may point into `wrapped`
  const at::Tensor& get() const { return *tensor; }
};

// The tensor that an in-place op writes: the table's own.
template <>
struct UnboxedArg<at::Tensor&> {
  static constexpr const char* schemaType = "Tensor";
  at::Tensor* tensor;
  UnboxedArg(const OpCall& c, size_t i) {
    CodedArg a = codedArg(c.opArgs, i);
    if (a.code != kNumber) badArgument(c.plan, c.plan.args[i], "a Tensor");
    tensor = &unwrapTensor(c.env, a.value, c.plan.args[i].name.c_str());
  }
  at::Tensor& get() const { return *tensor; }
};

template <>
struct UnboxedArg<const c10::optional<at::Tensor>&> {
  static constexpr const char* schemaType = "Tensor?";
  c10::optional<at::Tensor> value;
  UnboxedArg(const OpCall& c, size_t i) {
    CodedArg a = codedArg(c.opArgs, i);
    if (a.code == kUndefined || a.code == kNull) return;  // Tensor? defaults to None
    at::Tensor wrapped;
    value = tensorArg(c.env, a, c.plan, c.plan.args[i], wrapped);
  }
  const c10::optional<at::Tensor>& get() const { return value; }
};

// An int list, pushed value by value; false for None.
template <typename Push>
static bool readIntList(const OpCall& c, size_t i, Push push) {
  CodedArg a = codedArg(c.opArgs, i);
  const ArgPlan& arg = c.plan.args[i];
  if (codedInts(a, c.plan, arg, push)) return true;
  c10::IValue value = codedIValue(c.env, a, c.plan, arg);  // a default, None, or an error
  if (value.isNone()) return false;
  for (int64_t v : value.toIntList()) push(v);  // the default's own list: no copy
  return true;
}

template <typename Element, typename ArrayRef>
struct IntListArg {
  c10::SmallVector<Element, 8> values;
  IntListArg(const OpCall& c, size_t i) {
    readIntList(c, i, [&](int64_t v) { values.emplace_back(v); });
  }
  ArrayRef get() const { return values; }
};

template <>
struct UnboxedArg<c10::SymIntArrayRef> : IntListArg<c10::SymInt, c10::SymIntArrayRef> {
  static constexpr const char* schemaType = "SymInt[]";
  using IntListArg::IntListArg;
};

template <>
struct UnboxedArg<at::IntArrayRef> : IntListArg<int64_t, at::IntArrayRef> {
  static constexpr const char* schemaType = "int[]";
  using IntListArg::IntListArg;
};

template <>
struct UnboxedArg<at::OptionalIntArrayRef> {
  static constexpr const char* schemaType = "int[]?";
  c10::SmallVector<int64_t, 8> values;
  bool none;
  UnboxedArg(const OpCall& c, size_t i) : none(!readIntList(c, i, [&](int64_t v) { values.push_back(v); })) {}
  at::OptionalIntArrayRef get() const { return none ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(at::IntArrayRef(values)); }
};

// The tensors of a Tensor[] (their handles), held for the call.
static void readTensorList(const OpCall& c, size_t i, c10::SmallVector<at::Tensor, 8>& tensors) {
  CodedArg a = codedArg(c.opArgs, i);
  const ArgPlan& arg = c.plan.args[i];
  if (a.code != kNumberList) {
    for (const at::Tensor& t : codedIValue(c.env, a, c.plan, arg).toTensorVector()) tensors.push_back(t);  // an error, or a default
    return;
  }
  for (size_t k = 0; k < a.length; k++) tensors.push_back(unwrapTensor(c.env, a.list[k], arg.name.c_str()));
}

template <>
struct UnboxedArg<at::TensorList> {
  static constexpr const char* schemaType = "Tensor[]";
  c10::SmallVector<at::Tensor, 8> tensors;
  UnboxedArg(const OpCall& c, size_t i) { readTensorList(c, i, tensors); }
  at::TensorList get() const { return tensors; }
};

template <>
struct UnboxedArg<const at::ITensorListRef&> {
  static constexpr const char* schemaType = "Tensor[]";
  c10::SmallVector<at::Tensor, 8> tensors;
  UnboxedArg(const OpCall& c, size_t i) { readTensorList(c, i, tensors); }
  at::ITensorListRef get() const { return at::ITensorListRef(at::TensorList(tensors)); }
};

// ---- signatures --------------------------------------------------------------------------------
// The readers of a call's arguments, as one aggregate: initialised from prvalues, they are built
// where they stay.
template <size_t I, typename Arg>
struct Reader {
  UnboxedArg<Arg> arg;
};
template <typename Indices, typename... Args>
struct Readers;
template <size_t... I, typename... Args>
struct Readers<std::index_sequence<I...>, Args...> : Reader<I, Args>... {};

template <typename Fn>
struct Signature;

// Ret is at::Tensor, or at::Tensor& for an in-place op (which returns its first argument).
template <typename Ret, typename... Args>
struct Signature<Ret(Args...)> {
  using Typed = c10::TypedOperatorHandle<Ret(Args...)>;

  static bool matches(const OpPlan& plan) {
    if (plan.args.size() != sizeof...(Args)) return false;
    const char* types[] = {UnboxedArg<Args>::schemaType..., ""};
    for (size_t i = 0; i < sizeof...(Args); i++) {
      if (plan.args[i].realType != types[i]) return false;
    }
    return true;
  }

  static at::Tensor call(const void* typedHandle, const OpCall& c) {
    return callWith(*static_cast<const Typed*>(typedHandle), c, std::index_sequence_for<Args...>{});
  }

  template <size_t... I>
  static at::Tensor callWith(const Typed& op, const OpCall& c, std::index_sequence<I...>) {
    // Read in order (the first bad argument is the one reported), each in its place: no reader is moved.
    Readers<std::index_sequence<I...>, Args...> args{{UnboxedArg<Args>(c, I)}...};
    return op.call(static_cast<const Reader<I, Args>&>(args).arg.get()...);
  }
};

template <typename Fn>
static bool bindSignature(const c10::OperatorHandle& op, const OpPlan& plan, UnboxedCall& out) {
  using S = Signature<Fn>;
  if (!S::matches(plan)) return false;
  try {
    out.typedHandle = std::make_shared<const typename S::Typed>(op.template typed<Fn>());
  } catch (const c10::Error&) {
    return false;  // registered with another C++ signature
  }
  out.call = &S::call;
  return true;
}

template <typename... Fns>
struct Signatures {
  static bool bind(const c10::OperatorHandle& op, const OpPlan& plan, UnboxedCall& out) { return (bindSignature<Fns>(op, plan, out) || ...); }
};

using TensorRef = const at::Tensor&;
using OptionalTensorRef = const c10::optional<at::Tensor>&;
using ScalarRef = const at::Scalar&;
// Factory functions end in the TensorOptions: dtype, layout, device, pin_memory.
template <typename... Front>
using Factory = at::Tensor(Front..., c10::optional<at::ScalarType>, c10::optional<at::Layout>, c10::optional<at::Device>, c10::optional<bool>);
template <typename Fn>
struct AppendMemoryFormat;
template <typename... Args>
struct AppendMemoryFormat<at::Tensor(Args...)> {
  using type = at::Tensor(Args..., c10::optional<at::MemoryFormat>);
};
template <typename Fn>
using WithMemoryFormat = typename AppendMemoryFormat<Fn>::type;

// The commonest signatures of ops that return one new Tensor.
using KnownSignatures = Signatures<
    at::Tensor(TensorRef),                                                                    // neg, exp, relu, t
    at::Tensor(TensorRef, TensorRef),                                                         // mul, div, matmul, mm
    at::Tensor(TensorRef, ScalarRef),                                                         // pow, gt, leaky_relu
    at::Tensor(TensorRef, TensorRef, ScalarRef),                                              // add, sub, masked_fill
    at::Tensor(TensorRef, TensorRef, TensorRef),                                              // where
    at::Tensor(TensorRef, TensorRef, TensorRef, ScalarRef, ScalarRef),                        // addmm, baddbmm
    at::Tensor(TensorRef, TensorRef, OptionalTensorRef),                                      // linear
    at::Tensor(TensorRef, int64_t),                                                           // unsqueeze, squeeze.dim
    at::Tensor(TensorRef, int64_t, int64_t),                                                  // transpose, flatten
    at::Tensor(TensorRef, int64_t, TensorRef),                                                // index_select
    at::Tensor(TensorRef, int64_t, c10::optional<at::ScalarType>),                            // softmax, log_softmax, cumsum
    at::Tensor(TensorRef, c10::optional<at::ScalarType>),                                     // sum(), mean()
    at::Tensor(TensorRef, c10::optional<at::MemoryFormat>),                                   // clone
    at::Tensor(TensorRef, at::OptionalIntArrayRef, bool, c10::optional<at::ScalarType>),      // sum(dim), mean(dim)
    at::Tensor(TensorRef, c10::SymIntArrayRef),                                               // view, reshape, repeat
    at::Tensor(TensorRef, c10::SymIntArrayRef, bool),                                         // expand
    at::Tensor(TensorRef, at::IntArrayRef),                                                   // permute, flip
    at::Tensor(TensorRef, double, bool),                                                      // dropout
    at::Tensor(TensorRef, at::ScalarType, bool, bool, c10::optional<at::MemoryFormat>),       // to(dtype)
    at::Tensor(TensorRef, c10::optional<at::ScalarType>, c10::optional<at::Layout>, c10::optional<at::Device>,
               c10::optional<bool>, bool, bool, c10::optional<at::MemoryFormat>),             // to(device, dtype), to({...})
    Factory<c10::SymIntArrayRef>,                                                             // zeros, ones, (2.x) rand, randn
    Factory<at::IntArrayRef>,                                                                 // (1.13) rand, randn
    Factory<c10::SymIntArrayRef, ScalarRef>,                                                  // full
    Factory<ScalarRef>,                                                                       // arange(end)
    Factory<ScalarRef, ScalarRef, ScalarRef>,                                                 // arange(start, end, step)
    WithMemoryFormat<Factory<c10::SymIntArrayRef>>,                                           // empty
    WithMemoryFormat<Factory<TensorRef>>,                                                     // zeros_like, ones_like, randn_like
    at::Tensor(TensorRef, TensorRef, TensorRef, ScalarRef),                                   // addcmul, addcdiv
    at::Tensor(TensorRef, TensorRef, OptionalTensorRef, at::IntArrayRef, at::IntArrayRef, at::IntArrayRef,
               int64_t),                                                                      // (1.13) conv
    at::Tensor(TensorRef, TensorRef, OptionalTensorRef, c10::SymIntArrayRef, c10::SymIntArrayRef, c10::SymIntArrayRef,
               c10::SymInt),                                                                  // (2.x) conv
    at::Tensor(TensorRef, at::IntArrayRef, at::IntArrayRef, at::IntArrayRef, at::IntArrayRef, bool),  // max_pool2d
    at::Tensor(TensorRef, at::IntArrayRef, OptionalTensorRef, OptionalTensorRef, double, bool),       // (1.13) layer_norm
    at::Tensor(TensorRef, c10::SymIntArrayRef, OptionalTensorRef, OptionalTensorRef, double, bool),  // (2.x) layer_norm
    at::Tensor(TensorRef, OptionalTensorRef, OptionalTensorRef, OptionalTensorRef, OptionalTensorRef, bool, double, double,
               bool),                                                                         // batch_norm
    at::Tensor(TensorRef, TensorRef, int64_t, bool, bool),                                    // (1.13) embedding
    at::Tensor(TensorRef, TensorRef, c10::SymInt, bool, bool),                                // (2.x) embedding
    at::Tensor(TensorRef, TensorRef, int64_t),                                                // mse_loss, l1_loss
    at::Tensor(TensorRef, TensorRef, OptionalTensorRef, int64_t, int64_t, double),            // (1.13) cross_entropy_loss
    at::Tensor(TensorRef, TensorRef, OptionalTensorRef, int64_t, c10::SymInt, double),        // (2.x) cross_entropy_loss
    at::Tensor(const at::ITensorListRef&, int64_t),                                           // cat
    at::Tensor(at::TensorList, int64_t)>;                                                     // stack

using Self = at::Tensor&;
// In-place ops, as optimizers use them.
using InPlaceSignatures = Signatures<
    at::Tensor&(Self),                                                                        // zero_, relu_, sqrt_
    at::Tensor&(Self, TensorRef),                                                             // mul_, div_
    at::Tensor&(Self, ScalarRef),                                                             // mul_(2), fill_, pow_
    at::Tensor&(Self, TensorRef, ScalarRef),                                                  // add_, sub_, lerp_, masked_fill_
    at::Tensor&(Self, TensorRef, TensorRef, ScalarRef),                                       // addcmul_, addcdiv_
    at::Tensor&(Self, TensorRef, bool)>;                                                      // copy_

UnboxedCall unboxedCallOf(const c10::OperatorHandle& op, const OpPlan& plan) {
  UnboxedCall call;
  const auto& returns = op.schema().returns();
  if (returns.size() != 1 || returns[0].type()->kind() != c10::TypeKind::TensorType) return call;
  if (plan.returnsFirstArgument) {
    InPlaceSignatures::bind(op, plan, call);
  } else if (!returns[0].alias_info() || !returns[0].alias_info()->isWrite()) {
    KnownSignatures::bind(op, plan, call);
  }
  return call;
}

}  // namespace torch_node
