// run_options.hpp — the options every training tool shares (run_table1, iic_cluster and the
// coming table tools), declared once: data root, epochs and budgets, output and resume, seed and
// order, evaluation cadence, threads, device and precision. And what they set up.
//
// Contract:
//  - add_run_options declares them on a tool's spec.
//  - setup_machine: threads (set once per process), device, CUDA TF32 and the precision (the
//    option, else the recipe's; bf16 falls back to fp32 with a message where it cannot run).
//  - train_options: the TrainOptions of a run of `recipe` writing to out_dir. Values out of
//    range (epochs < 1, negative counts, --stop-at outside 0..100) are an eng::Error naming the
//    option and the value, before anything runs.
//  - data_request: where the data is, from the data options.
//  - run_settings: the recipe and machine as rows of the start-up settings table.
#pragma once
#include <string>

#include "iic/cli.hpp"
#include "iic/datasets.hpp"
#include "iic/protocol.hpp"
#include "iic/train.hpp"

namespace iic {

// out_default: the tool's output folder ("" when it depends on other options; out_note then says
// how, e.g. " (default runs/table1, ...)").
void add_run_options(CliSpec& spec, const std::string& out_default,
                     const std::string& out_note = "");

struct Machine {
  eng::Device device = eng::Device::CPU;
  eng::Precision precision = eng::Precision::FP32;
  std::string description;  // describe_machine()
};
Machine setup_machine(const Cli& cli, const Recipe& recipe);

// The data root (--data, else $IIC_DATA, else ./data) and whether to download (--no-download).
DataRequest data_request(const Cli& cli);

TrainOptions train_options(const Cli& cli, const Recipe& recipe, const std::string& out_dir);

Settings run_settings(const Recipe& recipe, const Machine& machine);

}  // namespace iic
