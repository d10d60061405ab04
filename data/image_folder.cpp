// image_folder.cpp — listing, decoding (stb_image) and resizing of image folders (see
// image_folder.hpp).
#include "data/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <memory>

#include "data/augment.hpp"
#include "engine/error.hpp"

#include <stb_image.h>  // implementation compiled once, in data/stb_impl.cpp

namespace eng::data {
namespace fs = std::filesystem;
namespace {

const char* kOp = "image folder";

// "no classes (flat folder)" or "3 classes (cat, dog, fox)", for messages.
std::string describe_classes(const std::vector<std::string>& classes) {
  if (classes.empty()) return "no classes (flat folder)";
  std::string s = str(classes.size(), " classes (");
  for (size_t i = 0; i < classes.size() && i < 5; ++i) s += (i ? ", " : "") + classes[i];
  return s + (classes.size() > 5 ? ", ...)" : ")");
}

bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

struct Listing {
  std::vector<std::string> paths;
  std::vector<int> labels;           // -1 when unlabelled
  std::vector<std::string> classes;  // empty when unlabelled
};

// Lists one root (layout rules in image_folder.hpp).
Listing list_root(const std::string& root) {
  ENG_CHECK(fs::is_directory(root), kOp, "'", root, "' is not a folder");
  std::vector<std::string> images, dirs;
  for (const fs::directory_entry& e : fs::directory_iterator(root)) {
    if (hidden(e.path())) continue;
    if (e.is_directory())
      dirs.push_back(e.path().filename().string());
    else if (e.is_regular_file() && is_image_file_name(e.path().string()))
      images.push_back(e.path().string());
  }
  ENG_CHECK(images.empty() || dirs.empty(), kOp, "'", root, "' holds both images (e.g. ",
            images.front(), ") and sub-folders (e.g. ", dirs.front(),
            "): use root/<class>/<images> for labelled data or a flat folder of images");
  ENG_CHECK(!images.empty() || !dirs.empty(), kOp, "'", root,
            "' holds no images (.png, .jpg, .jpeg, .bmp) and no class sub-folders");
  Listing out;
  if (!images.empty()) {
    std::sort(images.begin(), images.end());
    out.paths = images;
    out.labels.assign(images.size(), -1);
    return out;
  }
  std::sort(dirs.begin(), dirs.end());
  for (size_t c = 0; c < dirs.size(); ++c) {
    std::vector<std::string> files;
    const fs::path dir = fs::path(root) / dirs[c];
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
      if (hidden(it->path())) {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && is_image_file_name(it->path().string()))
        files.push_back(it->path().string());
    }
    ENG_CHECK(!files.empty(), kOp, "class folder '", dir.string(),
              "' holds no images (.png, .jpg, .jpeg, .bmp)");
    std::sort(files.begin(), files.end());
    out.paths.insert(out.paths.end(), files.begin(), files.end());
    out.labels.insert(out.labels.end(), files.size(), int(c));
  }
  out.classes = dirs;
  return out;
}

uint8_t to_byte(float v) { return uint8_t(std::lround(std::min(1.0f, std::max(0.0f, v)) * 255)); }

// Decodes `path` into out (channels x h x w bytes, CHW); returns "" or the error message.
std::string load_into(const std::string& path, const ImageFolderOptions& opt, bool resize, int h,
                      int w, const std::string& first, uint8_t* out) {
  int iw = 0, ih = 0, comp = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> px(stbi_load(path.c_str(), &iw, &ih, &comp, 3),
                                               stbi_image_free);
  if (!px)
    return str(path, ": unreadable or not a supported image (stb_image: ", stbi_failure_reason(),
               ")");
  if (!resize && (iw != w || ih != h))
    return str(path, ": image is ", ih, "x", iw, " (HxW) but ", first, " is ", h, "x", w,
               "; all images must have one size, or ask for a resize");
  const int c = opt.channels;
  const size_t plane = size_t(ih) * iw;
  std::vector<uint8_t> chw(c * plane);
  for (size_t p = 0; p < plane; ++p) {
    const stbi_uc* rgb = px.get() + 3 * p;
    if (c == 1)
      chw[p] = uint8_t((19595u * rgb[0] + 38470u * rgb[1] + 7471u * rgb[2] + 0x8000u) >> 16);
    else
      for (int k = 0; k < 3; ++k) chw[k * plane + p] = rgb[k];
  }
  if (ih == h && iw == w) {
    std::copy(chw.begin(), chw.end(), out);
    return "";
  }
  const Image small = resize_bilinear(image_from_u8(chw.data(), c, ih, iw), h, w);
  std::transform(small.px.begin(), small.px.end(), out, to_byte);
  return "";
}

ImageFolder decode(Listing listing, const ImageFolderOptions& opt, std::string name) {
  const int64_t n = int64_t(listing.paths.size());
  const bool resize = opt.resize_h > 0;
  int h = opt.resize_h, w = opt.resize_w;
  if (!resize) {
    int comp = 0;
    ENG_CHECK(stbi_info(listing.paths[0].c_str(), &w, &h, &comp), kOp, listing.paths[0],
              ": unreadable or not a supported image (stb_image: ", stbi_failure_reason(), ")");
  }
  const int64_t bytes = int64_t(opt.channels) * h * w;
  std::vector<uint8_t> pixels(size_t(n * bytes));
  std::vector<std::string> errors(n);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    try {
      errors[i] = load_into(listing.paths[i], opt, resize, h, w, listing.paths[0],
                            pixels.data() + i * bytes);
    } catch (const std::exception& e) {
      errors[i] = listing.paths[i] + ": " + e.what();
    }
  }
  for (const std::string& e : errors) ENG_CHECK(e.empty(), kOp, e);
  ImageFolder out;
  out.data =
      Dataset(std::move(name), n, opt.channels, h, w, std::move(pixels), std::move(listing.labels));
  out.paths = std::move(listing.paths);
  out.classes = std::move(listing.classes);
  return out;
}
}  // namespace

bool is_image_file_name(const std::string& name) {
  std::string ext = fs::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return char(std::tolower(ch)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

ImageFolder read_image_folder(const std::string& root, const ImageFolderOptions& options) {
  return read_image_folders({root}, options);
}

ImageFolder read_image_folders(const std::vector<std::string>& roots,
                               const ImageFolderOptions& options) {
  ENG_CHECK(!roots.empty(), kOp, "no folder given");
  ENG_CHECK(options.channels == 1 || options.channels == 3, kOp,
            "channels must be 1 (greyscale) or 3 (RGB), got ", options.channels);
  ENG_CHECK((options.resize_h == 0 && options.resize_w == 0) ||
                (options.resize_h > 0 && options.resize_w > 0),
            kOp, "resize size must be positive (or 0x0 to keep the size), got ", options.resize_h,
            "x", options.resize_w);
  Listing all;
  std::string name = "folder:";
  for (size_t r = 0; r < roots.size(); ++r) {
    Listing l = list_root(roots[r]);
    if (r > 0)
      ENG_CHECK(l.classes == all.classes, kOp, "'", roots[r], "' has ", describe_classes(l.classes),
                " but '", roots[0], "' has ", describe_classes(all.classes),
                "; folders read together need the same class sub-folders");
    else
      all.classes = l.classes;
    all.paths.insert(all.paths.end(), l.paths.begin(), l.paths.end());
    all.labels.insert(all.labels.end(), l.labels.begin(), l.labels.end());
    name += (r ? "+" : "") + roots[r];
  }
  return decode(std::move(all), options, name);
}

}  // namespace eng::data
