#include "capture/crawl.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>

namespace shot::capture {
namespace {

namespace urls = boost::urls;

// Discovered links waiting beyond this many are dropped (memory bound).
constexpr std::size_t kMaxFrontier = 100'000;
// robots.txt beyond this is ignored (RFC 9309 asks crawlers to read at least 500 KiB).
constexpr std::size_t kMaxRobotsBytes = 512 * 1024;
constexpr std::size_t kMaxRobotsRules = 10'000;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Does `pattern` (robots syntax: `*` any run, final `$` the end) match a
// prefix of `target` (or all of it, with `$`)? Iterative, O(n·m).
bool robots_match(std::string_view pattern, std::string_view target) {
  bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  // positions[i]: the pattern so far can end at target position i.
  std::vector<char> positions(target.size() + 1, 0), next(target.size() + 1, 0);
  positions[0] = 1;
  for (char p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    if (p == '*') {
      char reach = 0;
      for (std::size_t i = 0; i <= target.size(); ++i) {
        reach = reach || positions[i];
        next[i] = reach;
        any = any || reach;
      }
    } else {
      for (std::size_t i = 0; i < target.size(); ++i)
        if (positions[i] && target[i] == p) {
          next[i + 1] = 1;
          any = true;
        }
    }
    if (!any) return false;
    positions.swap(next);
  }
  if (anchored) return positions[target.size()] != 0;
  return std::any_of(positions.begin(), positions.end(), [](char c) { return c != 0; });
}

Result<std::vector<std::string>> string_list(const json::value& v, const std::string& field) {
  if (!v.is_array())
    return fail(Errc::invalid_argument, field + " must be a list of strings", field);
  if (v.get_array().size() > kMaxCrawlPatterns)
    return fail(Errc::invalid_argument,
                field + " may hold at most " + std::to_string(kMaxCrawlPatterns) + " patterns",
                field);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    auto& item = v.get_array()[i];
    std::string f = field + "[" + std::to_string(i) + "]";
    if (!item.is_string() || item.get_string().empty())
      return fail(Errc::invalid_argument, f + " must be a non-empty string", f);
    if (item.get_string().size() > kMaxPatternLength)
      return fail(Errc::invalid_argument,
                  f + " is longer than " + std::to_string(kMaxPatternLength) + " characters", f);
    out.emplace_back(item.get_string());
  }
  return out;
}

Result<int> bounded_int(const json::value& v, const std::string& field, int min, int max) {
  if (!v.is_int64() || v.get_int64() < min || v.get_int64() > max)
    return fail(Errc::invalid_argument,
                field + " must be an integer between " + std::to_string(min) + " and " +
                    std::to_string(max),
                field);
  return static_cast<int>(v.get_int64());
}

Result<std::vector<std::regex>> compile(const std::vector<std::string>& patterns,
                                        const std::string& field) {
  std::vector<std::regex> out;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    try {
      // __polynomial: libstdc++'s breadth-first matcher, no catastrophic
      // backtracking; back-references are refused.
      out.emplace_back(patterns[i], std::regex::ECMAScript | std::regex::optimize |
                                        std::regex_constants::__polynomial);
    } catch (const std::regex_error& e) {
      std::string f = field + "[" + std::to_string(i) + "]";
      return fail(Errc::invalid_argument, f + " is not a valid regular expression: " + e.what(), f);
    }
  }
  return out;
}

bool search(const std::vector<std::regex>& patterns, std::string_view url) {
  for (auto& re : patterns) {
    try {
      if (std::regex_search(url.begin(), url.end(), re)) return true;
    } catch (const std::regex_error&) {
      // error_complexity / error_stack: count as no match.
    }
  }
  return false;
}

}  // namespace

Result<std::string> normalize_url(std::string_view text, std::string_view base) {
  if (text.size() > kMaxCrawlUrlLength)
    return fail(Errc::invalid_argument,
                "URL longer than " + std::to_string(kMaxCrawlUrlLength) + " characters");
  try {
    urls::url u;
    if (base.empty()) {
      auto parsed = urls::parse_uri(text);
      if (!parsed) return fail(Errc::invalid_argument, "not an absolute URL");
      u = *parsed;
    } else {
      auto b = urls::parse_uri(base);
      auto ref = urls::parse_uri_reference(trim(text));
      if (!b || !ref) return fail(Errc::invalid_argument, "not a URL");
      u = *b;
      u.remove_fragment();
      if (auto r = u.resolve(*ref); !r) return fail(Errc::invalid_argument, "not a URL");
    }
    u.normalize_scheme();
    if (u.scheme() != "http" && u.scheme() != "https")
      return fail(Errc::invalid_argument, "only http and https URLs are followed");
    if (!u.has_authority() || u.encoded_host().empty())
      return fail(Errc::invalid_argument, "the URL has no host");
    if (u.has_userinfo())
      return fail(Errc::invalid_argument, "URLs with credentials are not followed");
    u.set_encoded_host(lower(u.encoded_host()));
    // The query is kept as written: servers may tell %2F from "/" there.
    u.normalize_authority();
    u.normalize_path();
    bool default_port = u.port().empty() || (u.scheme() == "http" && u.port() == "80") ||
                        (u.scheme() == "https" && u.port() == "443");
    std::string out = std::string(u.scheme()) + "://" + std::string(u.encoded_host());
    if (u.has_port() && !default_port) out += ":" + std::string(u.port());
    out += u.encoded_path().empty() ? std::string("/") : std::string(u.encoded_path());
    if (u.has_query()) out += "?" + std::string(u.encoded_query());
    if (out.size() > kMaxCrawlUrlLength)
      return fail(Errc::invalid_argument,
                  "URL longer than " + std::to_string(kMaxCrawlUrlLength) + " characters");
    return out;
  } catch (const std::exception&) {
    return fail(Errc::invalid_argument, "not a valid URL");
  }
}

std::string origin_of(std::string_view url) {
  auto u = urls::parse_uri(url);
  if (!u || !u->has_authority()) return {};
  std::string out = std::string(u->scheme()) + "://" + std::string(u->encoded_host_and_port());
  return out;
}

std::string host_of(std::string_view url) {
  auto u = urls::parse_uri(url);
  if (!u) return {};
  return std::string(u->encoded_host());
}

std::string site_of(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.front() == '[') return std::string(host);  // IPv6 literal
  bool ipv4 = std::all_of(host.begin(), host.end(), [](char c) {
    return c == '.' || std::isdigit(static_cast<unsigned char>(c));
  });
  if (ipv4) return std::string(host);
  auto last = host.rfind('.');
  if (last == std::string_view::npos) return std::string(host);
  auto second = host.rfind('.', last - 1);
  if (last == 0 || second == std::string_view::npos) return std::string(host);
  return std::string(host.substr(second + 1));
}

// ---- robots.txt ----

RobotsRules RobotsRules::disallow_all() {
  RobotsRules r;
  r.rules_.push_back({"/", false});
  return r;
}

RobotsRules RobotsRules::parse(std::string_view text, std::string_view agent) {
  if (text.size() > kMaxRobotsBytes) text = text.substr(0, kMaxRobotsBytes);
  const std::string me = lower(agent);
  std::vector<Rule> mine, star;
  bool in_agents = false;  // reading the User-agent lines that open a group
  bool group_mine = false, group_star = false, named = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key = lower(trim(line.substr(0, colon)));
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "user-agent") {
      if (!in_agents) group_mine = group_star = false;
      in_agents = true;
      std::string token = lower(value.substr(0, value.find_first_of(" /\t")));
      if (token == "*")
        group_star = true;
      else if (!token.empty() && token == me)
        group_mine = named = true;
    } else if (key == "allow" || key == "disallow") {
      in_agents = false;
      if (value.empty()) continue;  // "Disallow:" allows everything: no rule
      Rule rule{std::string(value), key == "allow"};
      if (group_mine && mine.size() < kMaxRobotsRules) mine.push_back(rule);
      if (group_star && star.size() < kMaxRobotsRules) star.push_back(rule);
    } else {
      in_agents = false;  // sitemap, crawl-delay, ...: not part of a group's agents
    }
  }
  RobotsRules out;
  // A group naming us replaces the "*" groups, even when it has no rules.
  out.rules_ = named ? std::move(mine) : std::move(star);
  return out;
}

bool RobotsRules::allowed(std::string_view target) const {
  if (target == "/robots.txt") return true;
  const Rule* best = nullptr;
  for (auto& r : rules_) {
    if (!robots_match(r.pattern, target)) continue;
    if (!best || r.pattern.size() > best->pattern.size() ||
        (r.pattern.size() == best->pattern.size() && r.allow && !best->allow))
      best = &r;
  }
  return !best || best->allow;
}

// ---- the spec ----

std::string_view to_string(CrawlStrategy s) {
  return s == CrawlStrategy::dfs ? "dfs" : "bfs";
}

std::string_view to_string(CrawlScope s) {
  switch (s) {
    case CrawlScope::same_origin:
      return "same-origin";
    case CrawlScope::same_site:
      return "same-site";
    case CrawlScope::any:
      return "any";
  }
  return "same-origin";
}

Result<CrawlSpec> parse_crawl_spec(const json::object& body,
                                   std::span<const std::string_view> other_fields) {
  CrawlSpec spec;
  bool has_start = false;
  for (auto& [key, value] : body) {
    std::string k(key);
    if (k == "start_url") {
      if (!value.is_string())
        return fail(Errc::invalid_argument, "start_url must be a string", "start_url");
      auto url = normalize_url(value.get_string());
      if (!url)
        return fail(Errc::invalid_argument, "start_url: " + url.error().message, "start_url");
      spec.start_url = std::move(*url);
      has_start = true;
    } else if (k == "max_pages") {
      auto n = bounded_int(value, k, 1, kMaxCrawlPages);
      if (!n) return fail(n.error());
      spec.max_pages = *n;
    } else if (k == "max_depth") {
      auto n = bounded_int(value, k, 0, kMaxCrawlDepth);
      if (!n) return fail(n.error());
      spec.max_depth = *n;
    } else if (k == "strategy") {
      std::string_view s = value.is_string() ? std::string_view(value.get_string()) : "";
      if (s != "bfs" && s != "dfs")
        return fail(Errc::invalid_argument, "strategy must be bfs or dfs", k);
      spec.strategy = s == "dfs" ? CrawlStrategy::dfs : CrawlStrategy::bfs;
    } else if (k == "scope") {
      std::string_view s = value.is_string() ? std::string_view(value.get_string()) : "";
      if (s == "same-origin")
        spec.scope = CrawlScope::same_origin;
      else if (s == "same-site")
        spec.scope = CrawlScope::same_site;
      else if (s == "any")
        spec.scope = CrawlScope::any;
      else
        return fail(Errc::invalid_argument, "scope must be same-origin, same-site or any", k);
    } else if (k == "include" || k == "exclude") {
      auto list = string_list(value, k);
      if (!list) return fail(list.error());
      (k == "include" ? spec.include : spec.exclude) = std::move(*list);
    } else if (k == "respect_robots") {
      if (!value.is_bool())
        return fail(Errc::invalid_argument, "respect_robots must be true or false", k);
      spec.respect_robots = value.get_bool();
    } else if (std::find(other_fields.begin(), other_fields.end(), k) == other_fields.end()) {
      return fail(Errc::invalid_argument, "unknown field \"" + k + "\"", k);
    }
  }
  if (!has_start) return fail(Errc::invalid_argument, "start_url is required", "start_url");
  if (auto filter = LinkFilter::create(spec); !filter) return fail(filter.error());
  return spec;
}

json::object to_json(const CrawlSpec& spec) {
  json::object o;
  o["start_url"] = spec.start_url;
  o["max_pages"] = spec.max_pages;
  o["max_depth"] = spec.max_depth;
  o["strategy"] = to_string(spec.strategy);
  o["scope"] = to_string(spec.scope);
  json::array include, exclude;
  for (auto& p : spec.include)
    include.emplace_back(json::string(p));
  for (auto& p : spec.exclude)
    exclude.emplace_back(json::string(p));
  o["include"] = std::move(include);
  o["exclude"] = std::move(exclude);
  o["respect_robots"] = spec.respect_robots;
  return o;
}

// ---- the filter ----

Result<LinkFilter> LinkFilter::create(const CrawlSpec& spec) {
  LinkFilter f;
  f.scope_ = spec.scope;
  f.origin_ = origin_of(spec.start_url);
  f.site_ = site_of(host_of(spec.start_url));
  auto include = compile(spec.include, "include");
  if (!include) return fail(include.error());
  auto exclude = compile(spec.exclude, "exclude");
  if (!exclude) return fail(exclude.error());
  f.include_ = std::move(*include);
  f.exclude_ = std::move(*exclude);
  return f;
}

bool LinkFilter::follows(std::string_view url) const {
  switch (scope_) {
    case CrawlScope::same_origin:
      if (origin_of(url) != origin_) return false;
      break;
    case CrawlScope::same_site:
      if (site_of(host_of(url)) != site_) return false;
      break;
    case CrawlScope::any:
      break;
  }
  if (!include_.empty() && !search(include_, url)) return false;
  return !search(exclude_, url);
}

// ---- the frontier ----

Crawl::Crawl(CrawlSpec spec, LinkFilter filter, int max_per_host)
    : spec_(std::move(spec)), filter_(std::move(filter)), max_per_host_(std::max(1, max_per_host)) {
  seen_.insert(spec_.start_url);
  frontier_.push_back({spec_.start_url, -1, 0});
}

void Crawl::restore(std::vector<CrawlPage> pages) {
  frontier_.clear();
  for (auto& p : pages) {
    seen_.insert(p.url);
    ++in_flight_[host_of(p.url)];
    ++in_flight_total_;
    pages_.push_back(std::move(p));
    done_.push_back(false);
  }
}

std::optional<CrawlPage> Crawl::peek() const {
  if (frontier_.empty() || taken() >= spec_.max_pages) return std::nullopt;
  // dfs: the next page depends on the links of every page taken so far.
  if (spec_.strategy == CrawlStrategy::dfs && applied_ < taken()) return std::nullopt;
  const CrawlPage& next =
      spec_.strategy == CrawlStrategy::dfs ? frontier_.back() : frontier_.front();
  if (auto it = in_flight_.find(host_of(next.url));
      it != in_flight_.end() && it->second >= max_per_host_)
    return std::nullopt;
  return next;
}

int Crawl::take() {
  CrawlPage page;
  if (spec_.strategy == CrawlStrategy::dfs) {
    page = std::move(frontier_.back());
    frontier_.pop_back();
  } else {
    page = std::move(frontier_.front());
    frontier_.pop_front();
  }
  ++in_flight_[host_of(page.url)];
  ++in_flight_total_;
  pages_.push_back(std::move(page));
  done_.push_back(false);
  return taken() - 1;
}

void Crawl::skip() {
  if (frontier_.empty()) return;
  if (spec_.strategy == CrawlStrategy::dfs)
    frontier_.pop_back();
  else
    frontier_.pop_front();
}

void Crawl::done(int index, const std::vector<std::string>& links) {
  if (index < 0 || index >= taken() || done_[static_cast<std::size_t>(index)]) return;
  done_[static_cast<std::size_t>(index)] = true;
  auto host = host_of(pages_[static_cast<std::size_t>(index)].url);
  if (--in_flight_[host] <= 0) in_flight_.erase(host);
  --in_flight_total_;
  links_[index] = links;
  apply_ready();
}

void Crawl::apply_ready() {
  while (applied_ < taken() && done_[static_cast<std::size_t>(applied_)]) {
    auto node = links_.extract(applied_);
    expand(applied_, node.empty() ? std::vector<std::string>{} : std::move(node.mapped()));
    ++applied_;
  }
}

void Crawl::expand(int index, const std::vector<std::string>& links) {
  const CrawlPage& page = pages_[static_cast<std::size_t>(index)];
  if (page.depth >= spec_.max_depth) return;
  std::vector<CrawlPage> found;
  std::size_t considered = 0;
  for (auto& link : links) {
    if (++considered > kMaxLinksPerPage) break;
    auto url = normalize_url(link, page.url);
    if (!url || seen_.contains(*url) || !filter_.follows(*url)) continue;
    if (seen_.size() >= kMaxFrontier + pages_.size()) break;
    seen_.insert(*url);
    found.push_back({std::move(*url), index, page.depth + 1});
  }
  // dfs takes from the back: push in reverse so the first link comes first.
  if (spec_.strategy == CrawlStrategy::dfs)
    std::move(found.rbegin(), found.rend(), std::back_inserter(frontier_));
  else
    std::move(found.begin(), found.end(), std::back_inserter(frontier_));
}

bool Crawl::finished() const {
  return in_flight_total_ == 0 && !peek();
}

}  // namespace shot::capture
