// json.hpp — a small JSON value (RFC 8259): null, bool, number, string, array, object.
//
// Contract:
//  - Objects keep their members in insertion (file) order; a duplicate key is a parse error
//    and set() on an existing key replaces its value in place.
//  - Numbers are doubles. dump() writes the shortest text that reads back to the same double
//    (std::to_chars), so integers up to 2^53 come out without a fraction; NaN and infinities
//    have no JSON spelling and make dump() throw.
//  - parse() is strict (no comments, no trailing commas, no leading zeros, no control characters
//    in strings, nesting at most 512 deep, nothing but whitespace after the value). Errors are
//    eng::Error "<source>: line L, column C: expected X, got Y".
//  - Accessors check the type ("json: expected a number, got string") and object lookups name
//    the missing key; they never return garbage.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace eng {

class Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<Json>;
  using Member = std::pair<std::string, Json>;
  using Object = std::vector<Member>;

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::Bool), bool_(b) {}
  Json(double x) : type_(Type::Number), number_(x) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Json(T x) : Json(static_cast<double>(x)) {}  // any integer type (exact up to 2^53)
  Json(const char* s) : type_(Type::String), string_(s) {}
  Json(std::string s) : type_(Type::String), string_(std::move(s)) {}
  Json(Array a) : type_(Type::Array), array_(std::move(a)) {}
  static Json array() { return Json(Array{}); }
  static Json object(Object members = {});  // throws on a duplicate key

  Type type() const { return type_; }
  static const char* type_name(Type t);  // "null", "bool", "number", ...
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  bool as_bool() const;
  double as_number() const;
  int64_t as_int() const;  // a number that is an integer within +-2^53, else throws
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;

  // Arrays and objects: element count. Other types throw.
  size_t size() const;
  const Json& operator[](size_t i) const;  // bounds-checked
  void push_back(Json value);              // arrays

  // Objects.
  const Json* find(const std::string& key) const;  // null when absent
  bool contains(const std::string& key) const { return find(key) != nullptr; }
  const Json& at(const std::string& key) const;  // throws naming the key when absent
  const Json& operator[](const std::string& key) const { return at(key); }
  Json& set(const std::string& key, Json value);  // insert at the end or replace

  // Compact when indent < 0, else pretty-printed with `indent` spaces per level.
  std::string dump(int indent = -1) const;

  // `source` names the text in error messages (a file name, "safetensors header", ...).
  static Json parse(std::string_view text, const std::string& source = "json");
  static Json parse_file(const std::string& path);

  bool operator==(const Json& other) const;
  bool operator!=(const Json& other) const { return !(*this == other); }

 private:
  void expect(Type t) const;
  void dump_to(std::string& out, int indent, int depth) const;

  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

std::ostream& operator<<(std::ostream& os, const Json& j);  // compact dump

}  // namespace eng
