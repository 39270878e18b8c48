#pragma once
// Crawling, the pure part: which links to follow and in what order. No I/O:
// the service (queue, store) and `shot crawl` (a local browser) drive a Crawl
// by telling it which pages finished with which links, and asking it for the
// next page to capture. Robots rules are fetched by the caller and parsed here.

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"

namespace shot::capture {

enum class CrawlStrategy { bfs, dfs };
enum class CrawlScope { same_origin, same_site, any };

constexpr int kMaxCrawlPages = 10'000;
constexpr int kMaxCrawlDepth = 100;
constexpr std::size_t kMaxCrawlPatterns = 20;
constexpr std::size_t kMaxPatternLength = 256;
constexpr std::size_t kMaxCrawlUrlLength = 2048;
// Links kept per page: the rest of a page's links are ignored.
constexpr std::size_t kMaxLinksPerPage = 1000;

// An http(s) URL in one spelling: resolved against `base` when given (links
// as found in a page), scheme and host lower-cased, percent-encoding and dot
// segments normalized, default port and fragment dropped, query kept, "/" for
// an empty path. invalid_argument for anything else (mailto:, javascript:,
// credentials, longer than kMaxCrawlUrlLength).
Result<std::string> normalize_url(std::string_view url, std::string_view base = {});

// scheme://host[:port] of a normalized URL ("" when it is not one).
std::string origin_of(std::string_view url);
// The host of a normalized URL, without port.
std::string host_of(std::string_view url);
// The "site" of a host: its last two labels ("a.b.example.com" → "example.com").
// Without a public-suffix list this is an approximation: "x.co.uk" and
// "y.co.uk" count as one site. IP literals and one-label hosts are their own site.
std::string site_of(std::string_view host);

// robots.txt (RFC 9309) for one product token: the groups whose User-agent
// matches it (case-insensitively), else the "*" groups; the longest matching
// Allow/Disallow pattern wins, Allow on a tie; `*` matches any run of
// characters and a final `$` anchors the end.
class RobotsRules {
 public:
  static RobotsRules parse(std::string_view text, std::string_view agent = "shot");
  static RobotsRules allow_all() { return {}; }
  static RobotsRules disallow_all();

  // `target` is the path and query of a URL ("/a/b?c").
  bool allowed(std::string_view target) const;
  std::size_t rule_count() const { return rules_.size(); }

 private:
  struct Rule {
    std::string pattern;
    bool allow = false;
  };
  std::vector<Rule> rules_;
};

// What a user asks for (POST /v1/crawls, `shot crawl`).
struct CrawlSpec {
  std::string start_url;  // normalized
  int max_pages = 10;
  int max_depth = 10;
  CrawlStrategy strategy = CrawlStrategy::bfs;
  CrawlScope scope = CrawlScope::same_origin;
  std::vector<std::string> include;  // regexes (ECMAScript), searched in the normalized URL
  std::vector<std::string> exclude;
  bool respect_robots = false;
};

// The crawl fields of a request body (everything but "options" and the
// fields in `other_fields`, which the caller handles). Errors name the field:
// "max_pages", "include[2]", ...
Result<CrawlSpec> parse_crawl_spec(const json::object& body,
                                   std::span<const std::string_view> other_fields = {});
json::object to_json(const CrawlSpec& spec);
std::string_view to_string(CrawlStrategy s);
std::string_view to_string(CrawlScope s);

// Which discovered URLs a crawl may visit: scope relative to the start URL,
// then include (any, when given) and exclude (none).
class LinkFilter {
 public:
  // invalid_argument naming "include[i]"/"exclude[i]" for a pattern that does
  // not compile. Patterns run in polynomial time (no back-references).
  static Result<LinkFilter> create(const CrawlSpec& spec);
  bool follows(std::string_view normalized_url) const;

 private:
  CrawlScope scope_ = CrawlScope::same_origin;
  std::string origin_, site_;
  std::vector<std::regex> include_, exclude_;
};

struct CrawlPage {
  std::string url;
  int parent = -1;  // index of the page it was found on; -1 for the start page
  int depth = 0;
};

// The frontier of one crawl. Pages are numbered in the order they are taken
// (page 0 is the start page). A page's links are applied in page order, not in
// the order captures happen to finish, so the pages visited do not depend on
// timing: bfs takes the oldest link found, dfs the newest (links of one page
// in document order), and dfs waits for every page taken to be applied before
// taking the next one. A URL is taken at most once.
class Crawl {
 public:
  Crawl(CrawlSpec spec, LinkFilter filter, int max_per_host = 2);

  // Rebuilding after a restart: pages already taken, in index order (the first
  // is the start page). Call done() for the finished ones afterwards.
  void restore(std::vector<CrawlPage> pages);

  // The next link to visit now, if any: nullopt when the frontier is empty, the
  // page budget is spent, the order requires waiting for pages in flight, or
  // the link's host already has max_per_host pages in flight.
  std::optional<CrawlPage> peek() const;
  // Takes the page peek() showed: returns its index.
  int take();
  // Drops the page peek() showed (robots.txt disallows it).
  void skip();

  // Page `index` finished; `links` as found on it (resolved, any order of
  // validity), empty when its capture failed.
  void done(int index, const std::vector<std::string>& links);

  // Nothing in flight and nothing left to take.
  bool finished() const;
  int taken() const { return static_cast<int>(pages_.size()); }
  int in_flight() const { return in_flight_total_; }
  const CrawlPage& page(int index) const { return pages_.at(static_cast<std::size_t>(index)); }
  const CrawlSpec& spec() const { return spec_; }

 private:
  void apply_ready();
  void expand(int index, const std::vector<std::string>& links);

  CrawlSpec spec_;
  LinkFilter filter_;
  int max_per_host_;
  std::vector<CrawlPage> pages_;
  std::vector<bool> done_;
  std::map<int, std::vector<std::string>> links_;  // finished, waiting for their turn
  int applied_ = 0;                                // pages whose links are applied
  std::deque<CrawlPage> frontier_;                 // bfs: front is next; dfs: back is next
  std::set<std::string> seen_;                     // taken or in the frontier
  std::map<std::string, int> in_flight_;           // host → pages taken, not done
  int in_flight_total_ = 0;
};

}  // namespace shot::capture
