// run_options.cpp — the shared training options (see run_options.hpp).
#include "iic/run_options.hpp"

namespace iic {

void add_run_options(CliSpec& spec, const std::string& out_default, const std::string& out_note) {
  spec.section("data")
      .option("data", "DIR", "",
              "data root holding one folder per dataset (else $IIC_DATA, else ./data)")
      .flag("no-download", "never download missing data");
  spec.section("run")
      .option("epochs", "N", "10", "epochs to train (an epoch is the recipe's head schedule)")
      .option("time-budget", "T", "", "stop training after T (e.g. 30m, 2h); a checkpoint is kept")
      .option("out", "DIR", out_default, "output folder" + out_note)
      .option("seed", "S", "0", "random seed (initialisation, order, augmentation)")
      .flag("resume", "continue exactly from the output folder's checkpoint")
      .flag("no-shuffle",
            "the datasets' own order, as the authors (default: the recipe's;\n"
            "shuffled by the seed, except authors-code)")
      .option("checkpoint-every", "T", "10m", "also checkpoint every T of training")
      .option("steps-per-pass", "N", "0", "at most N steps per head pass (quick runs; 0 = full)")
      .option("eval-limit", "N", "0", "evaluate on the first N images only (0 = all)")
      .option("eval-every", "N", "",
              "also evaluate after every N head passes (default: the recipe's;\n"
              "the authors' recipes evaluate after every epoch only)")
      .option("stop-at", "PCT", "",
              "stop at the first evaluation whose lowest-loss sub-head reaches PCT %\n"
              "(reads the labels: a benchmark criterion; default: the recipe's)")
      .flag("identical-work", "run the originals r times like PyTorch (default: once, same result)")
      .flag("quiet", "no progress bar");
  spec.section("machine")
      .option("threads", "N", "0", "CPU threads (0 = all cores)")
      .option("loader-threads", "N", "1", "augmentation worker threads")
      .option("device", "D", "", "cpu | cuda (default: cuda when a GPU is present)")
      .option("precision", "P", "",
              "fp32 | bf16 (bf16: the CPU convolutions in bf16, fp32 master weights,\n"
              "BN, loss and Adam; needs AVX-512 BF16, else fp32 with a message;\n"
              "default: the recipe's)")
      .flag("no-tf32",
            "CUDA: float32 convolutions without TF32 (the authors' PyTorch 0.4.1\n"
            "numerics; slower); default TF32 convolutions, PyTorch's default");
}

Machine setup_machine(const Cli& cli, const Recipe& recipe) {
  const char* tool = cli.spec().tool().c_str();
  eng::set_num_threads(static_cast<int>(cli.get_int("threads", 0, 4096)));
  Machine m;
  m.device = choose_device(cli.get("device"), tool);
  if (cli.flag("no-tf32")) eng::set_cuda_tf32(false);
  m.precision = choose_precision(cli.given("precision") ? cli.get("precision") : recipe.precision,
                                 m.device, tool);
  m.description = describe_machine(m.device, eng::num_threads());
  return m;
}

DataRequest data_request(const Cli& cli) {
  DataRequest q;
  q.root = eng::data::resolve_data_root(cli.get("data"));
  q.download = cli.flag("no-download") ? eng::data::Download::Never : eng::data::Download::Allowed;
  return q;
}

TrainOptions train_options(const Cli& cli, const Recipe& recipe, const std::string& out_dir) {
  TrainOptions o;
  o.epochs = static_cast<int>(cli.get_int("epochs", 1, 1000000));
  o.time_budget_s = cli.get_seconds("time-budget");
  o.seed = static_cast<uint64_t>(cli.get_int("seed", 0));
  o.shuffle = recipe.shuffle && !cli.flag("no-shuffle");
  o.loader_workers = static_cast<int>(cli.get_int("loader-threads", 1, 256));
  o.identical_work = cli.flag("identical-work");
  o.max_steps_per_pass = cli.get_int("steps-per-pass", 0);
  o.eval_limit = cli.get_int("eval-limit", 0);
  o.eval_every_passes = cli.given("eval-every")
                            ? static_cast<int>(cli.get_int("eval-every", 0, 1000000))
                            : recipe.eval_every_passes;
  o.stop_at_accuracy =
      cli.given("stop-at") ? cli.get_number("stop-at", 0, 100) / 100 : recipe.stop_at_accuracy;
  o.out_dir = out_dir;
  o.checkpoint_every_s = cli.get_seconds("checkpoint-every");
  o.resume = cli.flag("resume");
  o.progress = !cli.flag("quiet");
  return o;
}

Settings run_settings(const Recipe& r, const Machine& m) {
  return {
      {"recipe", r.name + " (" + r.table_name + ")"},
      {"network", r.network + (r.sobel ? " with its Sobel step" : "") + ", input " +
                      std::to_string(r.input_size)},
      {"heads", "A " + std::to_string(r.k_a) + ", B " + std::to_string(r.k_b) + " clusters, " +
                    std::to_string(r.subheads) + " sub-heads each"},
      {"batch", std::to_string(r.batch) + " images x " + std::to_string(r.repeats) + " repeats"},
      {"schedule", eng::join(r.schedule, ", ")},
      {"lr", eng::str(r.lr)},
      {"device",
       eng::device_name(m.device) + std::string(" (") + eng::precision_name(m.precision) + ")"},
      {"machine", m.description}};
}

}  // namespace iic
