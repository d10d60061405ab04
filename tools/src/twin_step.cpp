// twin_step — one IIC training step of our network on a case written by the PyTorch twin
// (tools/pytorch/check_step.py), so that a whole step — forward of the originals x and of their
// r transformed copies, every sub-head's IIC loss, backward through the trunk — can be compared
// with PyTorch's, beyond what the per-op tests see.
//
//   twin_step --list-parameters --dataset mnist|cifar10    our parameter names and shapes, in
//                                                          order, one "name d0xd1x..." per line
//   twin_step --case CASE.safetensors --out RESULT.safetensors [--device cpu|cuda]
//             [--precision fp32|bf16] [--identical-work] [--tf32]
//
// On CUDA the step runs in plain float32 (TF32 off, for a parity check) unless --tf32.
// CASE: metadata "dataset" (the Table 1 network of that dataset: mnist ClusterNet6c, cifar10
// ClusterNet5g with its Sobel step), "head" (head_a|head_b), "repeats", "lambda"; tensors "x"
// [B, 1, H, W], "x_tf" [r*B, 1, H, W] (row d*B + i = copy d of image i) and every parameter
// under our name. RESULT: "loss" [S] (each sub-head's IIC loss) and "grad.<name>" for every
// parameter the step reaches: the gradient of the mean over sub-heads, as Trainer::step takes
// it. No optimizer step (Adam has its own tests).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/checkpoint.hpp"
#include "engine/error.hpp"
#include "iic/cli.hpp"
#include "iic/protocol.hpp"
#include "iic/train.hpp"
#include "ops/reduce.hpp"

namespace {

constexpr const char* kTool = "twin_step";

std::unique_ptr<models::ClusterNet> make_net(const std::string& dataset) {
  eng::Rng rng(0);  // the case's parameters replace this initialisation
  return iic::make_network(iic::make_recipe("authors", dataset), rng);
}

std::string metadata(const eng::Checkpoint& c, const std::string& path, const std::string& key) {
  auto it = c.metadata.find(key);
  ENG_CHECK(it != c.metadata.end(), kTool, path, ": no metadata '", key, "'");
  return it->second;
}

// A metadata value that must be a number, all of it, and positive.
double positive_number(const eng::Checkpoint& c, const std::string& path, const std::string& key) {
  const std::string text = metadata(c, path, key);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  ENG_CHECK(!text.empty() && *end == '\0' && v > 0, kTool, path, ": metadata '", key, "' = '", text,
            "' is not a positive number");
  return v;
}

int list_parameters(const std::string& dataset) {
  for (const eng::NamedTensor& p : make_net(dataset)->parameters()) {
    std::string dims;
    for (int64_t d : p.tensor.shape()) dims += (dims.empty() ? "" : "x") + std::to_string(d);
    std::printf("%s %s\n", p.name.c_str(), dims.c_str());
  }
  return 0;
}

iic::CliSpec make_spec() {
  iic::CliSpec spec(kTool,
                    "build/twin_step --case CASE --out RESULT [options] | --list-parameters "
                    "--dataset D",
                    "One IIC training step on a case written by the PyTorch twin.");
  spec.option("case", "FILE", "", "the case (safetensors: parameters, x, x_tf, metadata)")
      .option("out", "FILE", "", "where the losses and gradients go")
      .option("device", "D", "cpu", "cpu | cuda")
      .option("precision", "P", "fp32", "fp32 | bf16")
      .option("dataset", "D", "", "with --list-parameters: whose Table 1 network")
      .flag("identical-work", "the originals r times, as PyTorch")
      .flag("list-parameters", "print our parameter names and shapes")
      .flag("tf32", "CUDA: TF32 convolutions (default plain float32)");
  return spec;
}

int step(const iic::Cli& cli) {
  ENG_CHECK(cli.given("case") && cli.given("out"), kTool, "--case and --out are needed (", kTool,
            " --help)");
  iic::print_settings(kTool, cli.settings());
  const std::string path = cli.get("case");
  const eng::Device device = iic::choose_device(cli.get("device"), kTool);
  iic::choose_precision(cli.get("precision"), device, kTool);
  if (device == eng::Device::CUDA && !cli.flag("tf32")) eng::set_cuda_tf32(false);
  const eng::Checkpoint c = eng::load_checkpoint(path);
  std::unique_ptr<models::ClusterNet> net = make_net(metadata(c, path, "dataset"));
  eng::NamedTensors params = net->parameters();
  eng::assign_named(params, c.tensors, path);
  net->to(device);

  const std::string head = metadata(c, path, "head");
  const double repeats = positive_number(c, path, "repeats");
  ENG_CHECK(repeats == static_cast<int>(repeats), kTool, path, ": metadata 'repeats' = ", repeats,
            " is not a whole number");
  const float lambda = static_cast<float>(positive_number(c, path, "lambda"));
  eng::Tensor x = eng::find_named(c.tensors, "x").to(device);
  eng::Tensor x_tf = eng::find_named(c.tensors, "x_tf").to(device);
  ENG_CHECK(x.dtype() == eng::DType::F32 && x_tf.dtype() == eng::DType::F32, kTool, path,
            ": x and x_tf must be F32 (the network checks their shapes)");
  eng::Tensor losses = iic::subhead_losses(*net, head, x, x_tf, static_cast<int>(repeats), lambda,
                                           cli.flag("identical-work"));
  eng::mean(losses).backward();

  eng::NamedTensors out{{"loss", losses.to(eng::Device::CPU)}};
  for (const eng::NamedTensor& p : net->parameters())
    if (p.tensor.grad().defined()) out.push_back({"grad." + p.name, p.tensor.grad()});
  eng::save_checkpoint(cli.get("out"), out, {{"device", std::string(eng::device_name(device))}});
  std::printf("twin_step: %s, %s on %s: %zu gradients -> %s\n", path.c_str(), head.c_str(),
              eng::device_name(device), out.size() - 1, cli.get("out").c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return iic::run_tool(make_spec(), argc, argv, [](const iic::Cli& cli) {
    return cli.flag("list-parameters") ? list_parameters(cli.get("dataset")) : step(cli);
  });
}
