// The cases of bench/cases.py that a binding's overhead could matter to, written against libtorch
// directly: the same ops, shapes and kernels, with no binding around them. Their time is the floor
// that neither Python nor torch-node can go below (`npm run bench -- --floor`, bench/run.ts).
//   libtorch_cases <case> <seconds>   prints {"case", "unit", "value", "results"} as bench/cases.py
//                                     does, with the number of tensors a step returns to its caller;
//   libtorch_cases --list             prints the cases it has, one per line.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// µs per call of step, timed as bench/cases.py's time_it: a warm-up, then batches of ~1 ms with
// one clock read per batch.
double timeIt(const std::function<void()>& step, double seconds) {
  auto warmupStart = Clock::now();
  double warmup = std::min(0.3, seconds / 3);
  long warmupSteps = 0;
  while (secondsSince(warmupStart) < warmup) {
    step();
    warmupSteps++;
  }
  long batch = std::max(1L, static_cast<long>(warmupSteps * 0.001 / secondsSince(warmupStart)));
  long iterations = 0;
  auto start = Clock::now();
  while (secondsSince(start) < seconds) {
    for (long i = 0; i < batch; i++) step();
    iterations += batch;
  }
  return secondsSince(start) * 1e6 / static_cast<double>(iterations);
}

// A twin that computed something else would time something else: its output must have the shape
// the Python case's has.
void checkShape(const char* name, const at::Tensor& output, at::IntArrayRef expected) {
  TORCH_CHECK(output.sizes() == expected, name, ": output of shape ", output.sizes(), ", expected ", expected);
}

// A parameter of a layer: small random values (their size does not change the kernels' time).
at::Tensor parameter(at::IntArrayRef shape) { return (at::randn(shape) * 0.05).requires_grad_(); }

// The book CNN (scripts/fixtures/book_models.py CNN), as functional calls.
struct Cnn {
  std::vector<at::Tensor> params = {parameter({32, 3, 3, 3}), parameter({32}), parameter({64, 32, 3, 3}), parameter({64}),
                                    parameter({128, 64 * 8 * 8}), parameter({128}), parameter({10, 128}), parameter({10})};
  at::Tensor forward(const at::Tensor& input) const {
    auto x = at::max_pool2d(at::relu(at::conv2d(input, params[0], params[1], 1, 1)), 2, 2);
    x = at::max_pool2d(at::relu(at::conv2d(x, params[2], params[3], 1, 1)), 2, 2);
    x = x.view({-1, 64 * 8 * 8});
    x = at::relu(at::linear(x, params[4], params[5]));
    return at::linear(x, params[6], params[7]);
  }
};

// torch.optim.SGD(lr, momentum) of PyTorch 1.13, the single-tensor path it takes on CPU, with
// zero_grad() zeroing the gradients in place as its default (set_to_none=False) does.
struct Sgd {
  std::vector<at::Tensor> params;
  double lr, momentum;
  std::vector<at::Tensor> buffers = std::vector<at::Tensor>(params.size());
  void zeroGrad() {
    for (auto& p : params) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
  }
  void step() {
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < params.size(); i++) {
      const auto& grad = params[i].grad();
      if (!buffers[i].defined()) buffers[i] = grad.clone().detach();
      else buffers[i].mul_(momentum).add_(grad);
      params[i].add_(buffers[i], -lr);
    }
  }
};

struct Sample {
  double value;
  const char* unit;
  int results;  // the new tensors a step's calls return to its caller: a binding owns each of them
};
using Case = std::function<Sample(double)>;

const std::map<std::string, Case>& cases() {
  static const std::map<std::string, Case> all = {
      {"add", [](double s) {
         auto a = at::ones({1}), b = at::ones({1});
         return Sample{timeIt([&] { a.add(b); }, s), "us/op", 1};
       }},
      {"add_grad", [](double s) {
         auto a = at::ones({1}).requires_grad_(), b = at::ones({1});
         return Sample{timeIt([&] { a.add(b); }, s), "us/op", 1};
       }},
      {"chain10", [](double s) {
         auto x = at::ones({1});
         return Sample{timeIt([&] { x.add(1).mul(2).sub(0.5).div(3).neg().abs().exp().log().sqrt().relu(); }, s), "us/chain", 10};
       }},
      {"slice", [](double s) {
         auto x = at::randn({8, 8});
         using at::indexing::Slice;
         return Sample{timeIt([&] { x.index({Slice(), -1}); }, s), "us/op", 1};
       }},
      {"cnn_train_b8", [](double s) {
         Cnn model;
         Sgd optimizer{model.params, 0.01, 0.9};
         auto x = at::randn({8, 3, 32, 32});
         auto y = at::randint(0, 10, {8});
         checkShape("cnn_train_b8", model.forward(x), {8, 10});
         auto step = [&] {
           optimizer.zeroGrad();
           at::cross_entropy_loss(model.forward(x), y).backward();
           optimizer.step();
         };
         return Sample{timeIt(step, s), "us/step", 11};  // the forward's 10 and the loss
       }},
      {"cnn_infer_b1", [](double s) {
         Cnn model;
         auto x = at::randn({1, 3, 32, 32});
         checkShape("cnn_infer_b1", model.forward(x), {1, 10});
         return Sample{timeIt([&] { torch::NoGradGuard noGrad; model.forward(x); }, s), "us/step", 10};
       }},
      {"mlp_infer_b1", [](double s) {
         auto w1 = parameter({256, 784}), b1 = parameter({256}), w2 = parameter({10, 256}), b2 = parameter({10});
         auto x = at::randn({1, 784});
         auto forward = [&] { return at::linear(at::relu(at::linear(x, w1, b1)), w2, b2); };
         checkShape("mlp_infer_b1", forward(), {1, 10});
         auto step = [&] {
           torch::NoGradGuard noGrad;
           forward();
         };
         return Sample{timeIt(step, s), "us/step", 3};
       }},
  };
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--list") {
    for (const auto& [name, _] : cases()) std::printf("%s\n", name.c_str());
    return 0;
  }
  if (argc < 2 || cases().count(argv[1]) == 0) {
    std::fprintf(stderr, "usage: libtorch_cases <case> [seconds]; cases:");
    for (const auto& [name, _] : cases()) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  const char* threads = std::getenv("BENCH_THREADS");
  at::set_num_threads(threads ? std::atoi(threads) : 1);
  torch::manual_seed(0);
  try {
    Sample sample = cases().at(argv[1])(argc > 2 ? std::atof(argv[2]) : 2.0);
    std::printf("{\"case\": \"%s\", \"unit\": \"%s\", \"value\": %.6f, \"results\": %d}\n", argv[1], sample.unit, sample.value, sample.results);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libtorch_cases %s: %s\n", argv[1], e.what());
    return 1;
  }
  return 0;
}
