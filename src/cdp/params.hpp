#pragma once
// Builds a command's params without braced lists: GCC 12 miscompiles
// std::initializer_list temporaries inside coroutines ("array used as
// initializer"), and every CDP call site is a coroutine.
//   session.call("Page.navigate", Params()("url", url)("referrer", ref), deadline)

#include "core/json.hpp"

namespace shot::cdp {

class Params {
 public:
  template <class V>
  Params&& operator()(std::string_view key, V&& value) && {
    set(key, std::forward<V>(value));
    return std::move(*this);
  }
  template <class V>
  Params& operator()(std::string_view key, V&& value) & {
    set(key, std::forward<V>(value));
    return *this;
  }
  operator json::object() && { return std::move(object_); }  // NOLINT: implicit by design
  operator json::value() && { return json::value(std::move(object_)); }  // NOLINT
  json::object& object() { return object_; }

 private:
  template <class V>
  void set(std::string_view key, V&& value) {
    if constexpr (std::is_convertible_v<V, std::string_view>)
      object_[key] = json::string_view(std::string_view(value));
    else
      object_[key] = json::value(std::forward<V>(value));
  }

  json::object object_;
};

}  // namespace shot::cdp
