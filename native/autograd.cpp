// Autograd entry points that are not ATen ops: grad mode, .grad, grad_fn,
// backward and autograd.grad.
#include "common.h"

namespace torch_node {

static std::vector<at::Tensor> tensorsFrom(Napi::Env env, Napi::Value value, const char* what, bool allowNull) {
  if (!value.IsArray()) throw ArgumentError(std::string("expected an array of Tensors for '") + what + "'");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (allowNull && (item.IsNull() || item.IsUndefined())) out.emplace_back();
    else out.push_back(unwrapTensor(env, item, what));
  }
  return out;
}

static c10::optional<bool> optionalBool(Napi::Value v) {
  if (v.IsUndefined() || v.IsNull()) return c10::nullopt;
  return v.ToBoolean().Value();
}

static Napi::Value requiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrapTensor(info.Env(), info[0], "self").requires_grad());
}

static Napi::Value setRequiresGrad(const Napi::CallbackInfo& info) {
  unwrapTensor(info.Env(), info[0], "self").set_requires_grad(info[1].ToBoolean().Value());
  return info.Env().Undefined();
}

static Napi::Value grad(const Napi::CallbackInfo& info) {
  return wrapTensor(info.Env(), unwrapTensor(info.Env(), info[0], "self").grad());
}

static Napi::Value setGrad(const Napi::CallbackInfo& info) {
  at::Tensor& self = unwrapTensor(info.Env(), info[0], "self");
  if (info[1].IsNull() || info[1].IsUndefined()) {
    self.mutable_grad().reset();
    return info.Env().Undefined();
  }
  at::Tensor& value = unwrapTensor(info.Env(), info[1], "grad");
  TORCH_CHECK(value.sizes() == self.sizes(), "assigned grad has data of a different size: expected ", self.sizes(), ", got ", value.sizes());
  TORCH_CHECK(value.scalar_type() == self.scalar_type(), "assigned grad has data of a different type: expected ", self.scalar_type(), ", got ", value.scalar_type());
  TORCH_CHECK(value.device() == self.device(), "assigned grad has data located on a different device");
  self.mutable_grad() = value;
  return info.Env().Undefined();
}

static Napi::Value gradFnName(const Napi::CallbackInfo& info) {
  const auto& fn = unwrapTensor(info.Env(), info[0], "self").grad_fn();
  if (!fn) return info.Env().Null();
  return Napi::String::New(info.Env(), fn->name());
}

static Napi::Value isLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrapTensor(info.Env(), info[0], "self").is_leaf());
}

static Napi::Value retainGrad(const Napi::CallbackInfo& info) {
  unwrapTensor(info.Env(), info[0], "self").retain_grad();
  return info.Env().Undefined();
}

// backward(tensors, grad_tensors (nulls allowed), retain_graph?, create_graph, inputs?)
static Napi::Value backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto tensors = tensorsFrom(env, info[0], "tensors", false);
  auto grads = tensorsFrom(env, info[1], "grad_tensors", true);
  bool createGraph = info[3].ToBoolean().Value();
  std::vector<at::Tensor> inputs;
  if (info.Length() > 4 && info[4].IsArray()) inputs = tensorsFrom(env, info[4], "inputs", false);
  torch::autograd::backward(tensors, grads, optionalBool(info[2]), createGraph, inputs);
  return env.Undefined();
}

// grad(outputs, inputs, grad_outputs, retain_graph?, create_graph, allow_unused) -> (Tensor|null)[]
static Napi::Value autogradGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto outputs = tensorsFrom(env, info[0], "outputs", false);
  auto inputs = tensorsFrom(env, info[1], "inputs", false);
  auto gradOutputs = tensorsFrom(env, info[2], "grad_outputs", true);
  auto result = torch::autograd::grad(outputs, inputs, gradOutputs, optionalBool(info[3]), info[4].ToBoolean().Value(), info[5].ToBoolean().Value());
  Napi::Array array = Napi::Array::New(env, result.size());
  for (size_t i = 0; i < result.size(); i++) array.Set(static_cast<uint32_t>(i), wrapTensor(env, result[i]));
  return array;
}

static Napi::Value isGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}

static Napi::Value setGradEnabled(const Napi::CallbackInfo& info) {
  at::GradMode::set_enabled(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

void initAutograd(Napi::Env env, Napi::Object exports) {
  TORCH_NODE_EXPORT(exports, "requiresGrad", requiresGrad);
  TORCH_NODE_EXPORT(exports, "setRequiresGrad", setRequiresGrad);
  TORCH_NODE_EXPORT(exports, "grad", grad);
  TORCH_NODE_EXPORT(exports, "setGrad", setGrad);
  TORCH_NODE_EXPORT(exports, "gradFnName", gradFnName);
  TORCH_NODE_EXPORT(exports, "isLeaf", isLeaf);
  TORCH_NODE_EXPORT(exports, "retainGrad", retainGrad);
  TORCH_NODE_EXPORT(exports, "backward", backward);
  TORCH_NODE_EXPORT(exports, "autogradGrad", autogradGrad);
  TORCH_NODE_EXPORT(exports, "isGradEnabled", isGradEnabled);
  TORCH_NODE_EXPORT(exports, "setGradEnabled", setGradEnabled);
}

}  // namespace torch_node
