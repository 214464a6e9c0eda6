// TorchScript modules: loading a file written by torch.jit.save, running its methods,
// and reaching its parameters and buffers. A module handle is a tagged Napi::External
// owning one torch::jit::Module (itself a reference to the scripted object, so the
// handles of a module's children share that module's state).
//
// Loading TorchScript trusts the file: its code runs in the TorchScript interpreter.
#include "common.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>

#include <cmath>

namespace torch_node {

namespace {

struct ModuleHolder {
  static constexpr uint64_t kMagic = 0x4a17d05e3c9b2a61ULL;
  uint64_t magic = kMagic;
  torch::jit::Module module;
};

Napi::Value wrapModule(Napi::Env env, torch::jit::Module module) {
  auto* holder = new ModuleHolder{ModuleHolder::kMagic, std::move(module)};
  return Napi::External<ModuleHolder>::New(env, holder, [](Napi::Env, ModuleHolder* h) { delete h; });
}

torch::jit::Module& unwrapModule(Napi::Env env, napi_value value) {
  void* raw = nullptr;
  if (napi_get_value_external(env, value, &raw) != napi_ok || raw == nullptr ||
      static_cast<ModuleHolder*>(raw)->magic != ModuleHolder::kMagic) {
    throw ArgumentError("expected a ScriptModule handle");
  }
  return static_cast<ModuleHolder*>(raw)->module;
}

std::string stringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) throw ArgumentError(std::string("expected a string for '") + what + "'");
  return info[i].As<Napi::String>().Utf8Value();
}

bool isInteger(double v) { return std::isfinite(v) && std::floor(v) == v; }

// ---- JS -> IValue -----------------------------------------------------------
// `hint` is the schema's type for this argument when known (a tuple argument needs it: a
// JS array is otherwise a list); the interpreter checks the final types and names the
// argument in its error.
c10::IValue toIValue(Napi::Env env, Napi::Value value, const c10::TypePtr& hint);

c10::TypePtr unwrapOptional(const c10::TypePtr& hint) {
  if (hint && hint->kind() == c10::TypeKind::OptionalType) return hint->expectRef<c10::OptionalType>().getElementType();
  return hint;
}

c10::TypePtr typeOfValue(const c10::IValue& v) {
  if (v.isTensor()) return c10::TensorType::get();
  if (v.isInt()) return c10::IntType::get();
  if (v.isDouble()) return c10::FloatType::get();
  if (v.isBool()) return c10::BoolType::get();
  if (v.isString()) return c10::StringType::get();
  return v.type();
}

c10::IValue listFrom(std::vector<c10::IValue> items, c10::TypePtr elementHint) {
  c10::TypePtr element = elementHint;
  if (!element) {
    // Infer like Python's list literal: one common element type (int widens to float).
    for (const auto& item : items) {
      c10::TypePtr t = typeOfValue(item);
      if (!element) {
        element = t;
      } else if (*element != *t) {
        if (element->kind() == c10::TypeKind::IntType && t->kind() == c10::TypeKind::FloatType) {
          element = t;
        } else if (!(element->kind() == c10::TypeKind::FloatType && t->kind() == c10::TypeKind::IntType)) {
          element = c10::AnyType::get();
        }
      }
    }
    if (!element) element = c10::TensorType::get();
  }
  c10::impl::GenericList list(element);
  list.reserve(items.size());
  for (auto& item : items) {
    if (element->kind() == c10::TypeKind::FloatType && item.isInt()) item = static_cast<double>(item.toInt());
    list.push_back(std::move(item));
  }
  return c10::IValue(std::move(list));
}

c10::IValue toIValue(Napi::Env env, Napi::Value value, const c10::TypePtr& rawHint) {
  c10::TypePtr hint = unwrapOptional(rawHint);
  if (value.IsNull() || value.IsUndefined()) return c10::IValue();
  if (at::Tensor* tensor = tensorOfObject(env, value, "argument")) return c10::IValue(*tensor);
  if (value.IsBoolean()) return c10::IValue(value.As<Napi::Boolean>().Value());
  if (value.IsNumber()) {
    double v = value.As<Napi::Number>().DoubleValue();
    bool wantsFloat = hint && hint->kind() == c10::TypeKind::FloatType;
    if (isInteger(v) && !wantsFloat) return c10::IValue(static_cast<int64_t>(v));
    return c10::IValue(v);
  }
  if (value.IsBigInt()) {
    bool lossless = false;
    int64_t v = value.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throw ArgumentError("a BigInt argument does not fit in int64");
    return c10::IValue(v);
  }
  if (value.IsString()) return c10::IValue(value.As<Napi::String>().Utf8Value());
  if (value.IsArray()) {
    auto array = value.As<Napi::Array>();
    uint32_t n = array.Length();
    if (hint && hint->kind() == c10::TypeKind::TupleType) {
      const auto& elements = hint->expectRef<c10::TupleType>().elements();
      std::vector<c10::IValue> items;
      for (uint32_t i = 0; i < n; i++) {
        items.push_back(toIValue(env, array.Get(i), i < elements.size() ? elements[i] : nullptr));
      }
      return c10::ivalue::Tuple::create(std::move(items));
    }
    c10::TypePtr elementHint;
    if (hint && hint->kind() == c10::TypeKind::ListType) elementHint = hint->expectRef<c10::ListType>().getElementType();
    std::vector<c10::IValue> items;
    for (uint32_t i = 0; i < n; i++) items.push_back(toIValue(env, array.Get(i), elementHint));
    return listFrom(std::move(items), elementHint);
  }
  if (value.IsObject()) {
    // A plain object is a Dict[str, V].
    auto object = value.As<Napi::Object>();
    c10::TypePtr valueHint;
    if (hint && hint->kind() == c10::TypeKind::DictType) valueHint = hint->expectRef<c10::DictType>().getValueType();
    auto keys = object.GetPropertyNames();
    std::vector<std::pair<std::string, c10::IValue>> entries;
    c10::TypePtr valueType = valueHint;
    for (uint32_t i = 0; i < keys.Length(); i++) {
      std::string key = keys.Get(i).ToString().Utf8Value();
      c10::IValue item = toIValue(env, object.Get(key), valueHint);
      if (!valueHint) {
        c10::TypePtr t = typeOfValue(item);
        valueType = !valueType ? t : (*valueType == *t ? valueType : c10::AnyType::get());
      }
      entries.emplace_back(std::move(key), std::move(item));
    }
    if (!valueType) valueType = c10::TensorType::get();
    c10::impl::GenericDict dict(c10::StringType::get(), valueType);
    for (auto& entry : entries) dict.insert_or_assign(c10::IValue(entry.first), std::move(entry.second));
    return c10::IValue(std::move(dict));
  }
  throw ArgumentError("unsupported argument for a TorchScript method (expected a Tensor, number, boolean, string, null, array or plain object)");
}

// ---- IValue -> JS -----------------------------------------------------------
Napi::Value fromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isNone()) return env.Null();
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    return t.defined() ? wrapTensor(env, t) : env.Null();
  }
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return fromInt64(env, v.toInt());
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, v.toDevice().str());
  if (v.isList()) {
    auto list = v.toListRef();
    auto array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) array.Set(static_cast<uint32_t>(i), fromIValue(env, list[i]));
    return array;
  }
  if (v.isTuple()) {
    const auto& elements = v.toTupleRef().elements();
    auto array = Napi::Array::New(env, elements.size());
    for (size_t i = 0; i < elements.size(); i++) array.Set(static_cast<uint32_t>(i), fromIValue(env, elements[i]));
    return array;
  }
  if (v.isGenericDict()) {
    auto object = Napi::Object::New(env);
    for (const auto& entry : v.toGenericDict()) {
      const c10::IValue& key = entry.key();
      std::string name;
      if (key.isString()) name = key.toStringRef();
      else if (key.isInt()) name = std::to_string(key.toInt());
      else if (key.isBool()) name = key.toBool() ? "true" : "false";
      else if (key.isDouble()) name = std::to_string(key.toDouble());
      else throw std::runtime_error("a TorchScript dict result has keys of type " + key.type()->str() + ", which torch-node cannot return");
      object.Set(name, fromIValue(env, entry.value()));
    }
    return object;
  }
  // A module handle is an External (no prototype), which JS tells apart from a Dict (a plain object).
  if (v.isObject() && v.toObjectRef().type()->is_module()) return wrapModule(env, torch::jit::Module(v.toObject()));
  throw std::runtime_error("a TorchScript result of type " + v.type()->str() + " cannot be returned to JavaScript");
}

// ---- entry points -----------------------------------------------------------

// jitLoad(path, device?) -> module handle
Napi::Value jitLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = stringArg(info, 0, "path");
  c10::optional<c10::Device> device;
  if (info.Length() > 1 && info[1].IsString()) device = c10::Device(info[1].As<Napi::String>().Utf8Value());
  try {
    return wrapModule(env, torch::jit::load(path, device));
  } catch (const c10::Error& e) {
    std::string message = e.what_without_backtrace();
    if (message.find("constants.pkl") != std::string::npos || message.find("archive does not contain") != std::string::npos ||
        message.find("failed finding central directory") != std::string::npos) {
      throw std::runtime_error("torch.jit.load: '" + path +
                               "' is not a TorchScript file (it has no TorchScript code; a file written by torch.save "
                               "is read with torch.load)\n" + message);
    }
    throw;
  }
}

// jitRunMethod(handle, name, args) -> converted result
Napi::Value jitRunMethod(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  torch::jit::Module& module = unwrapModule(env, info[0]);
  std::string name = stringArg(info, 1, "name");
  if (!info[2].IsArray()) throw ArgumentError("jitRunMethod: expected an array of arguments");
  auto maybeMethod = module.find_method(name);
  if (!maybeMethod) throw std::runtime_error("the ScriptModule has no method named '" + name + "'");
  torch::jit::Method method = *maybeMethod;
  const auto& schemaArgs = method.function().getSchema().arguments();  // [self, ...]
  auto args = info[2].As<Napi::Array>();
  std::vector<c10::IValue> stack;
  for (uint32_t i = 0; i < args.Length(); i++) {
    c10::TypePtr hint = i + 1 < schemaArgs.size() ? schemaArgs[i + 1].type() : nullptr;
    stack.push_back(toIValue(env, args.Get(i), hint));
  }
  c10::IValue result = method(std::move(stack));
  return fromIValue(env, result);
}

Napi::Value jitMethodNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  torch::jit::Module& module = unwrapModule(env, info[0]);
  auto names = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& method : module.get_methods()) names.Set(i++, Napi::String::New(env, method.name()));
  return names;
}

// [[name, wrap(value)], ...] for a module's named parameters, buffers or children.
template <typename NamedList, typename Wrap>
Napi::Value namedPairs(Napi::Env env, const NamedList& list, Wrap wrap) {
  auto out = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& item : list) {
    auto pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::String::New(env, item.name));
    pair.Set(1u, wrap(item.value));
    out.Set(i++, pair);
  }
  return out;
}

template <typename NamedList>
Napi::Value namedTensors(Napi::Env env, const NamedList& list) {
  return namedPairs(env, list, [&](const at::Tensor& t) { return wrapTensor(env, t); });  // null when undefined
}

bool recurseArg(const Napi::CallbackInfo& info) { return info.Length() < 2 || !info[1].IsBoolean() || info[1].As<Napi::Boolean>().Value(); }

Napi::Value jitNamedParameters(const Napi::CallbackInfo& info) {
  return namedTensors(info.Env(), unwrapModule(info.Env(), info[0]).named_parameters(recurseArg(info)));
}

Napi::Value jitNamedBuffers(const Napi::CallbackInfo& info) {
  return namedTensors(info.Env(), unwrapModule(info.Env(), info[0]).named_buffers(recurseArg(info)));
}

// jitNamedChildren(handle) -> [[name, module handle], ...]
Napi::Value jitNamedChildren(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return namedPairs(env, unwrapModule(env, info[0]).named_children(), [&](const torch::jit::Module& m) { return wrapModule(env, m); });
}

// The Python class name the module was scripted from (RecursiveScriptModule's original_name).
Napi::Value jitOriginalName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& type = unwrapModule(env, info[0]).type();
  return Napi::String::New(env, type->name() ? type->name()->name() : std::string("Module"));
}

// jitTo(handle, device, dtypeCode?)
Napi::Value jitTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  torch::jit::Module& module = unwrapModule(env, info[0]);
  c10::Device device(stringArg(info, 1, "device"));
  if (info.Length() > 2 && info[2].IsNumber()) {
    module.to(device, static_cast<at::ScalarType>(toInt64(env, info[2], "dtype")));
  } else {
    module.to(device);
  }
  return env.Undefined();
}

Napi::Value jitTrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[1].IsBoolean()) throw ArgumentError("train: expected a boolean mode");
  unwrapModule(env, info[0]).train(info[1].As<Napi::Boolean>().Value());
  return env.Undefined();
}

Napi::Value jitIsTraining(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrapModule(info.Env(), info[0]).is_training());
}

}  // namespace

void initJit(Napi::Env env, Napi::Object exports) {
  TORCH_NODE_EXPORT(exports, "jitLoad", jitLoad);
  TORCH_NODE_EXPORT(exports, "jitRunMethod", jitRunMethod);
  TORCH_NODE_EXPORT(exports, "jitMethodNames", jitMethodNames);
  TORCH_NODE_EXPORT(exports, "jitNamedParameters", jitNamedParameters);
  TORCH_NODE_EXPORT(exports, "jitNamedBuffers", jitNamedBuffers);
  TORCH_NODE_EXPORT(exports, "jitNamedChildren", jitNamedChildren);
  TORCH_NODE_EXPORT(exports, "jitOriginalName", jitOriginalName);
  TORCH_NODE_EXPORT(exports, "jitTo", jitTo);
  TORCH_NODE_EXPORT(exports, "jitTrain", jitTrain);
  TORCH_NODE_EXPORT(exports, "jitIsTraining", jitIsTraining);
}

}  // namespace torch_node
