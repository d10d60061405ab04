// test_tools — the tools as a new user meets them: run_table1 and iic_cluster run as programs
// (the binaries of this build), their exit status, what they print and what they write.
//  - Bad settings (--epochs 0 or -3, --k 0) end with a non-zero status and a message naming the
//    option, before anything is trained or written.
//  - A requested Table 1 row whose data is missing or corrupt fails the command (status 1) after
//    reporting the row as missing data; --dataset all succeeds when at least one row ran.
//  - The last line names the files written, the plot of each row that ran included.
//  - iic_cluster on a Fashion-MNIST folder (Debian's) and on a user's own IDX pair reports the
//    Hungarian accuracy.
#define BOOST_TEST_MODULE tools
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/data_files.hpp"

namespace {

namespace fs = std::filesystem;

struct Run {
  int status = -1;     // the exit status
  std::string output;  // stdout and stderr
};

// `tool` of this build with `args` (a shell fragment); IIC_DATA is cleared so only --data counts.
Run run(const std::string& tool, const std::string& args) {
  const std::string cmd = "cd " + std::string(IIC_BUILD_DIR) + " && env -u IIC_DATA " +
                          "OMP_NUM_THREADS=2 ./" + tool + " " + args + " 2>&1";
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  BOOST_REQUIRE(p != nullptr);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  BOOST_TEST_MESSAGE(tool << " " << args << " -> " << r.status << "\n" << r.output);
  return r;
}

bool has(const Run& r, const std::string& part) { return r.output.find(part) != std::string::npos; }

const std::string kShared = IIC_SHARED_DIR "/data";
bool have_mnist() { return fs::exists(kShared + "/mnist/train-images-idx3-ubyte.gz"); }
const std::string kDebianFashion = "/usr/share/datasets";
bool have_fashion() {
  return fs::exists(kDebianFashion + "/fashion-mnist/train-images-idx3-ubyte.gz");
}
// A data root with only the shared MNIST files in it.
void link_mnist(const testing::TempDir& root) {
  fs::create_directory_symlink(kShared + "/mnist", root.path / "mnist");
}
// The quickest run of a Table 1 row: one epoch of 1-step passes, evaluation on 100 images.
const std::string kQuick = " --epochs 1 --steps-per-pass 1 --eval-limit 100 --quiet --device cpu";

// run_table1 --dataset `rows` on the data root `root`, writing to `out`, quickly.
Run table1(const std::string& rows, const testing::TempDir& root, const testing::TempDir& out) {
  return run("run_table1", "--dataset " + rows + " --no-download --data " + root.path.string() +
                               " --out " + out.path.string() + kQuick);
}

}  // namespace

BOOST_AUTO_TEST_CASE(epochs_below_one_are_refused_before_anything_runs) {
  testing::TempDir out("tools");
  for (const std::string e : {"0", "-3"}) {
    const Run r = run("run_table1", "--epochs " + e + " --out " + out.file("t"));
    BOOST_TEST(r.status == 1);
    BOOST_TEST(has(r, "--epochs must be in [1, "));
    BOOST_TEST(has(r, "got " + e));
    BOOST_TEST(!fs::exists(out.file("t/results.json")));  // no "done" row written
  }
  BOOST_TEST(run("run_table1", "--epochs three").status == 1);
  BOOST_TEST(run("run_table1", "--stop-at 120").status == 1);
  BOOST_TEST(run("run_table1", "--dataset fashion-mnist").status == 1);  // not a Table 1 row
}

BOOST_AUTO_TEST_CASE(a_requested_row_without_data_fails_the_command) {
  testing::TempDir root("tools"), out("tools");
  const Run r = table1("mnist", root, out);
  BOOST_TEST(r.status == 1);
  BOOST_TEST(has(r, "train-images-idx3-ubyte not found"));
  BOOST_TEST(has(r, "| MNIST | 99.2 | 98.4 ± 0.7 | missing data:"));
  BOOST_TEST(has(r, "the requested row could not run"));
  BOOST_TEST(fs::exists(out.file("results.json")));  // the missing row is on record
  BOOST_TEST(!fs::exists(out.file("accuracy_mnist.png")));
}

BOOST_AUTO_TEST_CASE(a_requested_row_with_corrupt_data_fails_the_command) {
  testing::TempDir root("tools"), out("tools");
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"})
    testing::write_bytes(root.path / "mnist" / f, testing::Bytes(100, 7));
  const Run r = table1("mnist", root, out);
  BOOST_TEST(r.status == 1);
  BOOST_TEST(has(r, "MD5 of the decompressed train-images-idx3-ubyte is "));
  BOOST_TEST(has(r, "missing data:"));
}

BOOST_AUTO_TEST_CASE(all_rows_fail_only_when_none_ran) {
  testing::TempDir empty("tools"), out("tools");
  const Run none = table1("all", empty, out);
  BOOST_TEST(none.status == 1);
  BOOST_TEST(has(none, "no row of Table 1 could run"));
}

BOOST_AUTO_TEST_CASE(all_rows_succeed_when_one_ran_and_the_files_written_are_named,
                     *testing::only_if(have_mnist) * boost::unit_test::label("long")) {
  testing::TempDir root("tools"), out("tools");
  link_mnist(root);
  const Run r = table1("all", root, out);
  BOOST_TEST(r.status == 0);
  BOOST_TEST(has(r, "| CIFAR10 | 61.7 | 57.6 ± 5.0 | missing data:"));
  BOOST_TEST(has(r, "| STL10 | 59.6 |"));
  const std::string o = out.path.string();
  BOOST_TEST(has(
      r, "written: " + o + "/results.json, " + o + "/table1.md, " + o + "/accuracy_mnist.png\n"));
  BOOST_TEST(!has(r, "<dataset>.png"));
  BOOST_TEST(fs::exists(o + "/accuracy_mnist.png"));
  BOOST_TEST(!fs::exists(o + "/accuracy_cifar10.png"));
  BOOST_TEST(has(r, "| recipe "));  // the settings table
}

BOOST_AUTO_TEST_CASE(k_errors_name_the_option_the_user_set) {
  testing::TempDir dir("tools");
  testing::write_bytes(dir.path / "x.idx", testing::idx_images(2051, 40, 28, 28, 40 * 784));
  testing::write_bytes(dir.path / "y.idx", testing::idx_labels(2049, 40, 40));
  const std::string data = "--dataset idx --images-file " + dir.file("x.idx") + " --labels-file " +
                           dir.file("y.idx") + " --out " + dir.file("o");
  const Run k = run("iic_cluster", data + " --k 0");
  BOOST_TEST(k.status == 1);
  BOOST_TEST(has(k, "--k (clusters of head B) must be at least 2, got 0"));
  BOOST_TEST(!has(k, "head_a"));
  const Run over = run("iic_cluster", data + " --k-over 1");
  BOOST_TEST(over.status == 1);
  BOOST_TEST(has(over, "--k-over (clusters of head A) must be at least 2, got 1"));
  BOOST_TEST(run("iic_cluster", data + " --epochs 0").status == 1);
  const Run files = run("iic_cluster", "--dataset mnist --images-file " + dir.file("x.idx"));
  BOOST_TEST(files.status == 1);
  BOOST_TEST(has(files, "go with --dataset idx"));
}

BOOST_AUTO_TEST_CASE(iic_cluster_on_a_users_idx_pair_reports_the_accuracy,
                     *boost::unit_test::label("long")) {
  testing::TempDir dir("tools");
  testing::write_gz(dir.path / "x.gz", testing::idx_images(2051, 60, 28, 28, 60 * 784));
  testing::write_bytes(dir.path / "y.idx", testing::idx_labels(2049, 60, 60));
  const Run r =
      run("iic_cluster", "--dataset idx --images-file " + dir.file("x.gz") + " --labels-file " +
                             dir.file("y.idx") + " --out " + dir.file("o") +
                             " --batch 20 --repeats 2 --epochs 1 --quiet --device cpu");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(has(r, "clustered 60 images into 10 clusters"));
  BOOST_TEST(has(r, "accuracy against the 10 labelled classes (one-to-one, Hungarian): "));
  std::ifstream csv(dir.file("o/assignments.csv"));
  int lines = 0;
  for (std::string l; std::getline(csv, l);) ++lines;
  BOOST_TEST(lines == 61);  // header + one per image
}

BOOST_AUTO_TEST_CASE(iic_cluster_on_fashion_mnist_reports_the_accuracy,
                     *testing::only_if(have_fashion) * boost::unit_test::label("long")) {
  testing::TempDir out("tools");
  const Run r = run("iic_cluster", "--dataset fashion-mnist --data " + kDebianFashion + " --out " +
                                       out.path.string() + kQuick);
  BOOST_TEST(r.status == 0);
  BOOST_TEST(has(r, "mnist-protocol (Fashion-MNIST)"));
  BOOST_TEST(has(r, "clustered 70000 images into 10 clusters"));
  BOOST_TEST(has(r, "accuracy against the 10 labelled classes (one-to-one, Hungarian): "));
}
