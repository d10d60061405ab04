// stb_impl.cpp — the one translation unit that compiles the stb_image / stb_image_write
// implementations (third-party, public domain). Built without the shift-base sanitizer and
// without warnings (CMakeLists.txt): stb's JPEG writer left-shifts negative values by design.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG  // the formats the image-folder reader accepts
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>
