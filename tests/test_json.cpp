// test_json.cpp — engine/json: parse/dump round trips, number and string edge cases, ordered
// objects, accessor type checks, and parse errors that say where and what was expected.
#define BOOST_TEST_MODULE json
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <string>

#include "engine/json.hpp"
#include "tests/testing.hpp"

using eng::Json;
using testing::contains;
using testing::error_of;

namespace {
std::string parse_error(const std::string& text) {
  return error_of([&] { Json::parse(text, "doc.json"); });
}
}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_compact_and_indented) {
  const std::string text =
      R"({"b":true,"n":null,"x":-1.5,"i":42,"s":"hi","a":[1,[],{}],"o":{"z":0,"a":[false]}})";
  Json j = Json::parse(text);
  BOOST_TEST(j.dump() == text);  // member order kept, shortest numbers
  const std::string pretty = R"({
  "b": true,
  "n": null,
  "x": -1.5,
  "i": 42,
  "s": "hi",
  "a": [
    1,
    [],
    {}
  ],
  "o": {
    "z": 0,
    "a": [
      false
    ]
  }
})";
  BOOST_TEST(j.dump(2) == pretty);
  BOOST_TEST(Json::parse(pretty) == j);
  BOOST_TEST(j.at("a").size() == 3u);
  BOOST_TEST(j["o"]["a"][0].as_bool() == false);
  BOOST_TEST(j["i"].as_int() == 42);
}

BOOST_AUTO_TEST_CASE(numbers_round_trip_exactly) {
  for (double x : {0.1, -0.0, 1e20, 2.220446049250313e-16, 0.1 + 0.2, 1e-310, -123456789.0,
                   9007199254740992.0, 1.7976931348623157e308}) {
    double y = Json::parse(Json(x).dump()).as_number();
    BOOST_TEST(y == x);
    BOOST_TEST(std::signbit(y) == std::signbit(x));
  }
  BOOST_TEST(Json(0.1).dump() == "0.1");
  BOOST_TEST(Json(100).dump() == "100");
  BOOST_TEST(Json(int64_t{1} << 40).dump() == "1099511627776");
  BOOST_TEST(Json(size_t{3}).dump() == "3");
  BOOST_TEST(Json(-7LL).dump() == "-7");
  BOOST_TEST(Json(2.5f).dump() == "2.5");
  BOOST_TEST(Json(true).dump() == "true");
  BOOST_TEST(Json::parse("1E+2").as_number() == 100.0);
  BOOST_TEST(Json::parse("-0.5e-1").as_number() == -0.05);
  // Underflow reads as zero (like Python); overflow is an error.
  BOOST_TEST(Json::parse("1e-400").as_number() == 0.0);
  BOOST_TEST(Json::parse("0.0000000000000000000000000000000000000000000000000000000000000000000"
                         "0000000000000000000000000000000000000000000000000000000000000000000"
                         "0000000000000000000000000000000000000000000000000000000000000000000"
                         "0000000000000000000000000000000000000000000000000000000000000000000"
                         "0000000000000000000000000000000000000000000000000000000000000000000"
                         "00000000000000000000000000000000000000000000000000001")
                 .as_number() == 0.0);
  BOOST_TEST(contains(parse_error("[1e400]"), "within the range of a double"));
  BOOST_TEST(contains(parse_error("[1e400]"), "column 2"));
  BOOST_TEST(contains(error_of([] { Json(std::nan("")).dump(); }), "no NaN"));
  BOOST_TEST(contains(error_of([] { Json(HUGE_VAL).dump(); }), "no NaN or infinity"));
}

BOOST_AUTO_TEST_CASE(strings_escape_and_unicode) {
  Json s = Json::parse(R"("a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00")");
  BOOST_TEST(s.as_string() == "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  // dump escapes what JSON requires and passes UTF-8 through; it reads back the same.
  BOOST_TEST(Json(std::string("q\"\\\n\x01\xc3\xa9")).dump() == "\"q\\\"\\\\\\n\\u0001\xc3\xa9\"");
  BOOST_TEST(Json::parse(s.dump()) == s);
  BOOST_TEST(contains(parse_error(R"("\ud83d")"), "low surrogate"));
  BOOST_TEST(contains(parse_error(R"("\ude00")"), "high surrogate before a low one"));
  BOOST_TEST(contains(parse_error(R"("\u12g4")"), "four hex digits"));
  BOOST_TEST(contains(parse_error(R"("\x")"), "an escape"));
  BOOST_TEST(contains(parse_error("\"a\nb\""), "control characters must be escaped"));
  BOOST_TEST(contains(parse_error("\"abc"), "'\"' to close the string, got end of input"));
}

BOOST_AUTO_TEST_CASE(syntax_errors_name_position_and_expectation) {
  std::string e = parse_error("{\n  \"a\": 1,\n  \"b\" 2\n}");
  BOOST_TEST(contains(e, "doc.json: line 3, column 7: expected ':' after an object key, got '2'"),
             e);
  BOOST_TEST(contains(parse_error("[1, 2,]"), "expected a value"));
  BOOST_TEST(contains(parse_error("[1 2]"), "',' or ']' in an array, got '2'"));
  BOOST_TEST(contains(parse_error("{\"a\":1,}"), "a string key in an object, got '}'"));
  BOOST_TEST(contains(parse_error("{\"a\":1 \"b\":2}"), "',' or '}' in an object"));
  BOOST_TEST(contains(parse_error("01"), "after 0"));
  BOOST_TEST(contains(parse_error("-"), "a digit"));
  BOOST_TEST(contains(parse_error("1."), "a digit after the decimal point"));
  BOOST_TEST(contains(parse_error("1e"), "a digit in the exponent"));
  BOOST_TEST(contains(parse_error("tru"), "'true', got end of input"));
  BOOST_TEST(contains(parse_error(""), "expected a value"));
  BOOST_TEST(contains(parse_error("  "), "got end of input"));
  BOOST_TEST(contains(parse_error("1 2"), "end of input after the value, got '2'"));
  BOOST_TEST(contains(parse_error("[\x01]"), "got byte 0x01"));
  BOOST_TEST(contains(parse_error("// c\n1"), "line 1, column 1"));
  BOOST_TEST(contains(parse_error("{\"k\":1,\"k\":2}"), "'k' is a duplicate"));
  BOOST_TEST(
      contains(parse_error(std::string(600, '[') + std::string(600, ']')), "levels of nesting"));
  BOOST_TEST(Json::parse(std::string(500, '[') + std::string(500, ']')).is_array());
}

BOOST_AUTO_TEST_CASE(accessors_check_types_and_keys) {
  Json j = Json::parse(R"({"n": 1.5, "s": "x", "a": [1]})");
  BOOST_TEST(contains(error_of([&] { j["s"].as_number(); }), "expected a number, got string"));
  BOOST_TEST(contains(error_of([&] { j["n"].as_int(); }), "expected an integer, got 1.5"));
  BOOST_TEST(contains(error_of([&] { j["a"][1]; }), "index 1 out of range for an array of 1"));
  BOOST_TEST(contains(error_of([&] { j.at("missing"); }), "no member 'missing'"));
  BOOST_TEST(contains(error_of([&] { j.at("missing"); }), "(members: n, s, a)"));
  BOOST_TEST(contains(error_of([&] { j["n"].size(); }), "needs an array or an object"));
  BOOST_TEST(contains(error_of([&] { Json(true).at("k"); }), "expected an object, got bool"));
  BOOST_TEST(contains(error_of([] { Json::object({{"k", 1}, {"k", 2}}); }), "duplicate key 'k'"));
  BOOST_TEST(j.find("s") != nullptr);
  BOOST_TEST(!j.contains("t"));
}

BOOST_AUTO_TEST_CASE(building_objects_keeps_order_and_set_replaces) {
  Json a = Json::array();
  a.push_back(1.25);
  a.push_back(nullptr);
  Json o = Json::object();
  o.set("zeta", 1);
  o.set("alpha", a);
  o.set("mid", "m");
  o.set("zeta", 3);  // replaced in place
  BOOST_TEST(o.dump() == R"({"zeta":3,"alpha":[1.25,null],"mid":"m"})");
  // Equality of objects ignores member order, arrays do not.
  BOOST_TEST(Json::parse(R"({"a":1,"b":2})") == Json::parse(R"({"b":2,"a":1})"));
  BOOST_TEST(Json::parse("[1,2]") != Json::parse("[2,1]"));
  BOOST_TEST(Json::parse("1") != Json::parse("\"1\""));
}

BOOST_AUTO_TEST_CASE(reads_the_golden_files) {
  Json g = testing::load_golden("iic_loss.json");
  BOOST_TEST(g["conventions"]["EPS"].as_number() == 2.220446049250313e-16);
  const Json& cases = g["cases"];
  BOOST_TEST(cases.size() == 4u);
  for (const Json& c : cases.as_array()) {
    int64_t n = c["n"].as_int(), k = c["k"].as_int();
    BOOST_TEST(static_cast<int64_t>(c["x_out"].size()) == n);
    BOOST_TEST(static_cast<int64_t>(c["x_out"][0].size()) == k);
  }
  std::string e = error_of([] { Json::parse_file("/nonexistent/dir/x.json"); });
  BOOST_TEST(contains(e, "cannot open '/nonexistent/dir/x.json'"));
}
