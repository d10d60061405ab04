// registry.hpp — a table of named rows that can grow at run time: what the dataset and network
// registries (iic/datasets.hpp, models/registry.hpp) are made of.
//
// Contract:
//  - keys(row) gives a row's names: its name first, then aliases. find(key) returns the row with
//    that name or alias, else throws an eng::Error "<what>: unknown <kind> '<key>' (known: ...)"
//    listing every row as "name (alias, ...)".
//  - add(row) appends it; a row sharing a name or alias with an existing one is an Error.
//  - The built-in rows are made on first use (make_rows), so a registry can be used during static
//    initialisation.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/error.hpp"

namespace eng {

template <class Row>
class Registry {
 public:
  using Keys = std::function<std::vector<std::string>(const Row&)>;
  Registry(std::string what, std::string kind, std::function<std::vector<Row>()> make_rows,
           Keys keys)
      : what_(std::move(what)),
        kind_(std::move(kind)),
        make_(std::move(make_rows)),
        keys_(std::move(keys)) {}

  const std::vector<Row>& rows() const {
    if (!made_) rows_ = make_(), made_ = true;
    return rows_;
  }

  const Row& find(const std::string& key) const {
    for (const Row& r : rows())
      for (const std::string& k : keys_(r))
        if (k == key) return r;
    throw Error(str(what_, ": unknown ", kind_, " '", key, "' (known: ", names(), ")"));
  }

  void add(Row row) {
    for (const std::string& k : keys_(row))
      for (const Row& r : rows())
        for (const std::string& existing : keys_(r))
          ENG_CHECK(k != existing, what_, "a ", kind_, " named '", k, "' is already registered");
    rows_.push_back(std::move(row));
  }

  // "a, b (alias), c": every row's name, with its aliases in brackets.
  std::string names() const {
    std::string s;
    for (const Row& r : rows()) {
      const std::vector<std::string> k = keys_(r);
      s += (s.empty() ? "" : ", ") + k.front();
      for (size_t i = 1; i < k.size(); ++i) s += (i == 1 ? " (" : ", ") + k[i];
      if (k.size() > 1) s += ")";
    }
    return s;
  }

 private:
  std::string what_, kind_;
  std::function<std::vector<Row>()> make_;
  Keys keys_;
  mutable std::vector<Row> rows_;
  mutable bool made_ = false;
};

}  // namespace eng
