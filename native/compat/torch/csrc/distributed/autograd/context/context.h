// Stand-in for a libtorch header that Debian's libtorch-dev (1.13) leaves out although
// c10d/reducer.hpp includes it. It is only on the include path after every real one
// (CMakeLists.txt: -idirafter native/compat), so a libtorch that ships the real header
// uses that. It declares exactly what reducer.hpp needs from it, with upstream's types:
// the class is only named and never instantiated from this addon.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
