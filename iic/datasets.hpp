// datasets.hpp — the datasets the tools can name: one row per dataset.
//
// Contract:
//  - A row: the name (--dataset), its title (Table 1's name, which also keys the authors' logged
//    curves in iic/reference/), a one-line summary, its fetch spec (data/fetch.hpp: folder under
//    the data root, files, URLs and MD5s — or none for user-given files), the paper's Table 1
//    figures when it is a Table 1 row, the shape of its images when fixed, its recipes (the first
//    is the default) and its loader.
//  - The loader gets a DataRequest (data root, whether downloads are allowed, and the user's
//    --images-file/--labels-file for rows that take files) and returns the LoadedData: the set
//    every head trains on and evaluation scores (the authors' train+test), any head's own
//    training set (STL-10's head A), class names and a caveat about the data to report. Missing
//    or corrupt data is an eng::Error saying what and where to get it.
//  - find_dataset(name) returns the row or throws an eng::Error listing the known names.
//    register_dataset adds a row (an Error when the name is taken, or when it lacks a loader or a
//    recipe); the built-in rows are registered on first use. table1_datasets() lists the rows
//    with paper figures, in the paper's order (`--dataset all`).
//  - Adding a dataset: its reader file in data/ + one row in datasets.cpp (docs/extending.md).
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/fetch.hpp"
#include "iic/protocol.hpp"

namespace iic {

struct DataRequest {
  eng::data::DataRoot root;
  eng::data::Download download = eng::data::Download::Allowed;
  std::string images_file, labels_file;  // rows with takes_files: the user's own files
};

struct LoadedData {
  eng::data::Dataset train;  // trained on by every head (unless below) and evaluated on
  std::map<std::string, eng::data::Dataset> head_train;  // heads with their own training set
  std::vector<std::string> classes;                      // class names, when known
  std::string caveat;                                    // e.g. the lossy CIFAR-10 copy
};

// Table 1 of the paper: accuracy of the lowest-loss sub-head, mean and std over sub-heads.
struct PaperFigures {
  double lowest_loss = 0, mean = 0, std = 0;  // fractions in [0, 1]
};

using RecipeMaker = std::function<Recipe()>;

struct ImageShape {
  int channels = 1, height = 28, width = 28;
};

struct DatasetEntry {
  std::string name;                                          // "mnist"
  std::string title;                                         // "MNIST"
  std::string summary;                                       // one line, for --help
  std::optional<eng::data::FetchSpec> fetch;                 // none: the user names the files
  std::optional<PaperFigures> paper;                         // a Table 1 row
  std::optional<ImageShape> images;                          // the images it holds, when fixed
  bool takes_files = false;                                  // reads --images-file / --labels-file
  std::vector<std::pair<std::string, RecipeMaker>> recipes;  // name -> recipe; first = default
  std::function<LoadedData(const DataRequest&)> load;
};

const std::vector<DatasetEntry>& dataset_registry();
const DatasetEntry& find_dataset(const std::string& name);
void register_dataset(DatasetEntry entry);
std::vector<std::string> table1_datasets();  // rows with paper figures, in the paper's order
std::string dataset_names();                 // "mnist, fashion-mnist, ...", for messages
// Where the data of a row comes from: its folder under the data root and the URLs (for messages
// and --help).
std::string describe_source(const DatasetEntry& entry);

}  // namespace iic
