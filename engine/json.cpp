// json.cpp — JSON value, strict parser and writer (see json.hpp).
#include "engine/json.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <unordered_set>

#include "engine/error.hpp"

namespace eng {

// ---- value ----------------------------------------------------------------------------------

Json Json::object(Object members) {
  std::unordered_set<std::string> keys;
  for (const Member& m : members)
    ENG_CHECK(keys.insert(m.first).second, "json", "duplicate key '", m.first, "' in an object");
  Json j;
  j.type_ = Type::Object;
  j.object_ = std::move(members);
  return j;
}

const char* Json::type_name(Type t) {
  switch (t) {
    case Type::Null:
      return "null";
    case Type::Bool:
      return "bool";
    case Type::Number:
      return "number";
    case Type::String:
      return "string";
    case Type::Array:
      return "array";
    case Type::Object:
      return "object";
  }
  return "?";
}

void Json::expect(Type t) const {
  ENG_CHECK(type_ == t, "json", "expected ", (t == Type::Array || t == Type::Object ? "an " : "a "),
            type_name(t), ", got ", type_name(type_));
}

bool Json::as_bool() const { return expect(Type::Bool), bool_; }
double Json::as_number() const { return expect(Type::Number), number_; }
const std::string& Json::as_string() const { return expect(Type::String), string_; }
const Json::Array& Json::as_array() const { return expect(Type::Array), array_; }
Json::Array& Json::as_array() { return expect(Type::Array), array_; }
const Json::Object& Json::as_object() const { return expect(Type::Object), object_; }

int64_t Json::as_int() const {
  double x = as_number();
  constexpr double kMaxExact = 9007199254740992.0;  // 2^53
  ENG_CHECK(std::floor(x) == x && std::fabs(x) <= kMaxExact, "json", "expected an integer, got ",
            dump());
  return static_cast<int64_t>(x);
}

size_t Json::size() const {
  ENG_CHECK(type_ == Type::Array || type_ == Type::Object, "json",
            "size() needs an array or an object, got ", type_name(type_));
  return type_ == Type::Array ? array_.size() : object_.size();
}

const Json& Json::operator[](size_t i) const {
  const Array& a = as_array();
  ENG_CHECK(i < a.size(), "json", "index ", i, " out of range for an array of ", a.size());
  return a[i];
}

void Json::push_back(Json value) { as_array().push_back(std::move(value)); }

const Json* Json::find(const std::string& key) const {
  for (const Member& m : as_object())
    if (m.first == key) return &m.second;
  return nullptr;
}

const Json& Json::at(const std::string& key) const {
  const Json* v = find(key);
  if (!v) {
    std::string keys;
    for (const Member& m : object_) keys += (keys.empty() ? "" : ", ") + m.first;
    throw Error(str("json: no member '", key, "' in object (members: ", keys, ")"));
  }
  return *v;
}

Json& Json::set(const std::string& key, Json value) {
  expect(Type::Object);
  for (Member& m : object_)
    if (m.first == key) return m.second = std::move(value);
  object_.emplace_back(key, std::move(value));
  return object_.back().second;
}

bool Json::operator==(const Json& o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::Null:
      return true;
    case Type::Bool:
      return bool_ == o.bool_;
    case Type::Number:
      return number_ == o.number_;
    case Type::String:
      return string_ == o.string_;
    case Type::Array:
      return array_ == o.array_;
    case Type::Object:
      if (object_.size() != o.object_.size()) return false;
      for (const Member& m : object_) {
        const Json* v = o.find(m.first);
        if (!v || *v != m.second) return false;
      }
      return true;
  }
  return false;
}

// ---- writer ---------------------------------------------------------------------------------

namespace {

void dump_string(std::string& out, const std::string& s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void dump_number(std::string& out, double x) {
  ENG_CHECK(std::isfinite(x), "json", "cannot write the number ", x,
            " (JSON has no NaN or infinity)");
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), x);  // shortest round-trip form
  out.append(buf, res.ptr);
}

void newline(std::string& out, int indent, int depth) {
  out += '\n';
  out.append(static_cast<size_t>(indent) * depth, ' ');
}

}  // namespace

void Json::dump_to(std::string& out, int indent, int depth) const {
  switch (type_) {
    case Type::Null:
      out += "null";
      return;
    case Type::Bool:
      out += bool_ ? "true" : "false";
      return;
    case Type::Number:
      dump_number(out, number_);
      return;
    case Type::String:
      dump_string(out, string_);
      return;
    case Type::Array:
    case Type::Object:
      break;
  }
  bool is_arr = type_ == Type::Array;
  size_t n = is_arr ? array_.size() : object_.size();
  out += is_arr ? '[' : '{';
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    if (indent >= 0) newline(out, indent, depth + 1);
    if (!is_arr) {
      dump_string(out, object_[i].first);
      out += indent >= 0 ? ": " : ":";
    }
    (is_arr ? array_[i] : object_[i].second).dump_to(out, indent, depth + 1);
  }
  if (indent >= 0 && n) newline(out, indent, depth);
  out += is_arr ? ']' : '}';
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

std::ostream& operator<<(std::ostream& os, const Json& j) { return os << j.dump(); }

// ---- parser ---------------------------------------------------------------------------------

namespace {

constexpr int kMaxDepth = 512;

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : s_(text), source_(source) {}

  Json document() {
    Json v = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("end of input after the value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string got;
    if (pos_ >= s_.size()) {
      got = "end of input";
    } else {
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      got = c >= 0x20 && c < 0x7f
                ? str("'", static_cast<char>(c), "'")
                : str("byte 0x", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
    }
    throw Error(
        str(source_, ": line ", line, ", column ", col, ": expected ", expected, ", got ", got));
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }

  void skip_ws() {
    while (!at_end() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  void literal(const char* word) {
    for (const char* p = word; *p; ++p, ++pos_)
      if (peek() != *p) fail(str("'", word, "'"));
  }

  Json value(int depth) {
    skip_ws();
    if (depth > kMaxDepth) fail(str("at most ", kMaxDepth, " levels of nesting"));
    char c = peek();
    switch (c) {
      case 'n':
        literal("null");
        return Json();
      case 't':
        literal("true");
        return Json(true);
      case 'f':
        literal("false");
        return Json(false);
      case '"':
        return Json(string());
      case '[':
        return array(depth);
      case '{':
        return object(depth);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        fail("a value (null, true, false, number, string, array or object)");
    }
  }

  bool digits() {  // one or more
    size_t start = pos_;
    while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  Json number() {
    size_t start = pos_;
    if (peek() == '-') ++pos_;
    size_t int_begin = pos_;
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9') fail("'.', 'e' or the end of the number after 0");
    } else if (!digits()) {
      fail("a digit");
    }
    size_t int_end = pos_, frac_begin = pos_;
    if (peek() == '.') {
      frac_begin = ++pos_;
      if (!digits()) fail("a digit after the decimal point");
    }
    size_t frac_end = pos_;
    long exponent = 0;
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      bool negative = peek() == '-';
      if (peek() == '+' || peek() == '-') ++pos_;
      size_t exp_begin = pos_;
      if (!digits()) fail("a digit in the exponent");
      for (size_t i = exp_begin; i < pos_ && exponent < 100000; ++i)
        exponent = exponent * 10 + (s_[i] - '0');
      if (negative) exponent = -exponent;
    }
    double x = 0;
    auto res = std::from_chars(s_.data() + start, s_.data() + pos_, x);
    if (res.ec == std::errc::result_out_of_range) {
      // Decimal order of the first nonzero digit: below 1 it underflowed (reads as zero, like
      // Python); above, it overflowed and has no double.
      long order = exponent;
      size_t i = int_begin;
      while (i < int_end && s_[i] == '0') ++i;
      if (i < int_end) {
        order += static_cast<long>(int_end - i);
      } else {
        size_t j = frac_begin;
        while (j < frac_end && s_[j] == '0') ++j;
        order -= static_cast<long>(j - frac_begin);
      }
      if (order > 0) {
        pos_ = start;
        fail("a number within the range of a double");
      }
      x = s_[start] == '-' ? -0.0 : 0.0;
    }
    return Json(x);
  }

  unsigned hex4() {
    unsigned v = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      char c = peek();
      unsigned d = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : 16;
      if (d == 16) fail("four hex digits after \\u");
      v = v * 16 + d;
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail("'\"' to close the string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("a string character (control characters must be escaped)");
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_;
      char e = peek();
      const char* simple = "\"\\/bfnrt";
      const char* mapped = "\"\\/\b\f\n\r\t";
      if (const char* p = e ? std::strchr(simple, e) : nullptr) {
        out += mapped[p - simple];
        ++pos_;
      } else if (e == 'u') {
        ++pos_;
        unsigned cp = hex4();
        if (cp >= 0xdc00 && cp <= 0xdfff) fail("a high surrogate before a low one");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (peek() != '\\' || pos_ + 1 >= s_.size() || s_[pos_ + 1] != 'u')
            fail("a \\u low surrogate after a high surrogate");
          pos_ += 2;
          unsigned lo = hex4();
          if (lo < 0xdc00 || lo > 0xdfff) fail("a low surrogate (\\udc00..\\udfff)");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        append_utf8(out, cp);
      } else {
        fail("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
    }
  }

  Json array(int depth) {
    ++pos_;
    Json a = Json::array();
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return a;
    }
    for (;;) {
      a.push_back(value(depth + 1));
      skip_ws();
      if (peek() == ']') {
        ++pos_;
        return a;
      }
      if (peek() != ',') fail("',' or ']' in an array");
      ++pos_;
    }
  }

  Json object(int depth) {
    ++pos_;
    Json::Object members;
    std::unordered_set<std::string> keys;
    skip_ws();
    if (peek() == '}') {
      ++pos_;
      return Json::object();
    }
    for (;;) {
      skip_ws();
      if (peek() != '"') fail("a string key in an object");
      size_t key_pos = pos_;
      std::string key = string();
      if (!keys.insert(key).second) {
        pos_ = key_pos;
        fail(str("a key not seen before in this object ('", key, "' is a duplicate)"));
      }
      skip_ws();
      if (peek() != ':') fail("':' after an object key");
      ++pos_;
      members.emplace_back(std::move(key), value(depth + 1));
      skip_ws();
      if (peek() == '}') {
        ++pos_;
        return Json::object(std::move(members));
      }
      if (peek() != ',') fail("',' or '}' in an object");
      ++pos_;
    }
  }

  std::string_view s_;
  const std::string& source_;
  size_t pos_ = 0;
};

}  // namespace

Json Json::parse(std::string_view text, const std::string& source) {
  return Parser(text, source).document();
}

Json Json::parse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ENG_CHECK(in, "json", "cannot open '", path, "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  ENG_CHECK(!in.bad(), "json", "error reading '", path, "'");
  return parse(ss.str(), path);
}

}  // namespace eng
