// The pure crawl logic: URL normalization, scope, filters, robots.txt and the
// frontier's order, without a browser.
#include "capture/crawl.hpp"

#include <gtest/gtest.h>

#include <map>

namespace shot::capture {
namespace {

std::string norm(std::string_view url, std::string_view base = {}) {
  auto r = normalize_url(url, base);
  return r ? *r : "ERROR: " + r.error().message;
}

TEST(CrawlUrl, NormalizesOneSpelling) {
  EXPECT_EQ(norm("HTTP://Example.COM:80/a/../b?x=1#frag"), "http://example.com/b?x=1");
  EXPECT_EQ(norm("https://example.com:443"), "https://example.com/");
  EXPECT_EQ(norm("https://example.com:8443/p"), "https://example.com:8443/p");
  EXPECT_EQ(norm("http://example.com:/p"), "http://example.com/p");
  EXPECT_EQ(norm("http://example.com/%7euser/?q=A%2f"), "http://example.com/~user/?q=A%2f");
  EXPECT_EQ(norm("http://127.0.0.1:8080/x#top"), "http://127.0.0.1:8080/x");
}

TEST(CrawlUrl, ResolvesLinksAgainstThePage) {
  std::string page = "http://example.com/dir/page.html?x=1#a";
  EXPECT_EQ(norm("other.html", page), "http://example.com/dir/other.html");
  EXPECT_EQ(norm("../up#f", page), "http://example.com/up");
  EXPECT_EQ(norm("?y=2", page), "http://example.com/dir/page.html?y=2");
  EXPECT_EQ(norm("//Other.example:80/", page), "http://other.example/");
  EXPECT_EQ(norm("  /spaced  ", page), "http://example.com/spaced");
}

TEST(CrawlUrl, OnlyHttpAndHttpsWithoutCredentials) {
  std::string page = "http://example.com/";
  for (auto bad : {"mailto:a@example.com", "javascript:void(0)", "ftp://example.com/",
                   "data:text/html,hi", "file:///etc/passwd", "http://user:pw@example.com/"})
    EXPECT_FALSE(normalize_url(bad, page)) << bad;
  EXPECT_FALSE(normalize_url("not a url"));
  EXPECT_FALSE(normalize_url("/relative"));  // no base
  EXPECT_FALSE(normalize_url("http://example.com/" + std::string(3000, 'a')));
}

TEST(CrawlUrl, OriginHostSite) {
  EXPECT_EQ(origin_of("http://example.com:8080/a"), "http://example.com:8080");
  EXPECT_EQ(host_of("http://example.com:8080/a"), "example.com");
  EXPECT_EQ(site_of("a.b.example.com"), "example.com");
  EXPECT_EQ(site_of("example.com."), "example.com");
  EXPECT_EQ(site_of("localhost"), "localhost");
  EXPECT_EQ(site_of("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(site_of("[::1]"), "[::1]");
}

CrawlSpec spec_for(std::string start, CrawlScope scope, std::vector<std::string> include = {},
                   std::vector<std::string> exclude = {}) {
  CrawlSpec s;
  s.start_url = std::move(start);
  s.scope = scope;
  s.include = std::move(include);
  s.exclude = std::move(exclude);
  return s;
}

TEST(CrawlFilter, Scope) {
  auto origin = LinkFilter::create(spec_for("http://www.example.com/", CrawlScope::same_origin));
  ASSERT_TRUE(origin);
  EXPECT_TRUE(origin->follows("http://www.example.com/a"));
  EXPECT_FALSE(origin->follows("https://www.example.com/a"));
  EXPECT_FALSE(origin->follows("http://www.example.com:81/a"));
  EXPECT_FALSE(origin->follows("http://cdn.example.com/a"));

  auto site = LinkFilter::create(spec_for("http://www.example.com/", CrawlScope::same_site));
  EXPECT_TRUE(site->follows("https://cdn.example.com:81/a"));
  EXPECT_FALSE(site->follows("http://example.org/"));

  auto ip = LinkFilter::create(spec_for("http://127.0.0.1:1000/", CrawlScope::same_site));
  EXPECT_TRUE(ip->follows("http://127.0.0.1:2000/"));
  EXPECT_FALSE(ip->follows("http://127.0.0.2:1000/"));

  auto any = LinkFilter::create(spec_for("http://www.example.com/", CrawlScope::any));
  EXPECT_TRUE(any->follows("https://elsewhere.org/x"));
}

TEST(CrawlFilter, IncludeAndExclude) {
  auto f = LinkFilter::create(
      spec_for("http://e.com/", CrawlScope::any, {"/docs/", "/blog/"}, {"\\.pdf$", "draft"}));
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->follows("http://e.com/docs/a"));
  EXPECT_TRUE(f->follows("http://e.com/blog/b"));
  EXPECT_FALSE(f->follows("http://e.com/shop/c"));
  EXPECT_FALSE(f->follows("http://e.com/docs/a.pdf"));
  EXPECT_FALSE(f->follows("http://e.com/blog/draft-1"));
}

TEST(CrawlFilter, BadOrSlowPatternsAreRefusedWithTheirField) {
  auto bad = LinkFilter::create(spec_for("http://e.com/", CrawlScope::any, {"ok", "(unclosed"}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "include[1]");
  auto backref = LinkFilter::create(spec_for("http://e.com/", CrawlScope::any, {}, {"(a)\\1"}));
  ASSERT_FALSE(backref);
  EXPECT_EQ(backref.error().field, "exclude[0]");

  // A pattern that backtracks exponentially elsewhere answers at once here.
  auto slow = LinkFilter::create(spec_for("http://e.com/", CrawlScope::any, {"(a+)+$"}));
  ASSERT_TRUE(slow);
  EXPECT_TRUE(slow->follows("http://e.com/" + std::string(60, 'a')));
  EXPECT_FALSE(slow->follows("http://e.com/" + std::string(60, 'a') + "!"));
}

TEST(CrawlSpecParse, FieldsLimitsAndErrors) {
  auto parse = [](std::string_view text) {
    return parse_crawl_spec(parse_json(text)->as_object());
  };
  auto ok = parse(R"({"start_url":"HTTP://E.com/#x","max_pages":5,"max_depth":2,"strategy":"dfs",)"
                  R"("scope":"any","include":["a"],"exclude":["b"],"respect_robots":true})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->start_url, "http://e.com/");
  EXPECT_EQ(ok->max_pages, 5);
  EXPECT_EQ(ok->max_depth, 2);
  EXPECT_EQ(ok->strategy, CrawlStrategy::dfs);
  EXPECT_EQ(ok->scope, CrawlScope::any);
  EXPECT_TRUE(ok->respect_robots);

  std::map<std::string, std::string> field_of = {
      {R"({})", "start_url"},
      {R"({"start_url":"ftp://e.com/"})", "start_url"},
      {R"({"start_url":"http://e.com/","max_pages":0})", "max_pages"},
      {R"({"start_url":"http://e.com/","max_pages":10001})", "max_pages"},
      {R"({"start_url":"http://e.com/","max_depth":101})", "max_depth"},
      {R"({"start_url":"http://e.com/","strategy":"random"})", "strategy"},
      {R"({"start_url":"http://e.com/","scope":"world"})", "scope"},
      {R"({"start_url":"http://e.com/","include":"x"})", "include"},
      {R"({"start_url":"http://e.com/","exclude":["[z-a]"]})", "exclude[0]"},
      {R"({"start_url":"http://e.com/","respect_robots":"yes"})", "respect_robots"},
      {R"({"start_url":"http://e.com/","surprise":1})", "surprise"},
  };
  for (auto& [body, field] : field_of) {
    auto r = parse(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << body;
    EXPECT_EQ(r.error().field, field) << body;
  }
  std::string long_pattern = R"({"start_url":"http://e.com/","include":[")" +
                             std::string(kMaxPatternLength + 1, 'a') + R"("]})";
  EXPECT_EQ(parse(long_pattern).error().field, "include[0]");
}

TEST(Robots, GroupsLongestMatchWildcardsAndAnchors) {
  auto rules = RobotsRules::parse(
      "# comment\n"
      "User-agent: other\n"
      "Disallow: /\n"
      "\n"
      "User-agent: *\n"
      "Disallow: /private\n"
      "Allow: /private/open\n"
      "Disallow: /*.pdf$\n"
      "Disallow: /tmp/*/cache\n"
      "Disallow:\n"
      "Sitemap: http://e.com/sitemap.xml\n");
  EXPECT_TRUE(rules.allowed("/"));
  EXPECT_TRUE(rules.allowed("/public"));
  EXPECT_FALSE(rules.allowed("/private"));
  EXPECT_FALSE(rules.allowed("/private/x"));
  EXPECT_TRUE(rules.allowed("/private/open/x"));
  EXPECT_FALSE(rules.allowed("/docs/a.pdf"));
  EXPECT_TRUE(rules.allowed("/docs/a.pdf?download=1"));
  EXPECT_FALSE(rules.allowed("/tmp/a/b/cache/x"));
  EXPECT_TRUE(rules.allowed("/tmp/cache"));
  EXPECT_TRUE(rules.allowed("/robots.txt"));
}

TEST(Robots, OurGroupReplacesStarAndTiesGoToAllow) {
  std::string text =
      "User-agent: *\nDisallow: /\n\n"
      "User-agent: Googlebot\nUser-agent: SHOT/1.0\nDisallow: /x\nAllow: /x\n";
  auto ours = RobotsRules::parse(text, "shot");
  EXPECT_TRUE(ours.allowed("/anything"));
  EXPECT_TRUE(ours.allowed("/x"));  // same length: allow wins
  auto theirs = RobotsRules::parse(text, "otherbot");
  EXPECT_FALSE(theirs.allowed("/anything"));
  EXPECT_TRUE(RobotsRules::parse("", "shot").allowed("/a"));
  EXPECT_FALSE(RobotsRules::disallow_all().allowed("/a"));
}

TEST(Robots, AWildcardHeavyPatternStaysFast) {
  auto rules = RobotsRules::parse("User-agent: *\nDisallow: /" + std::string(200, '*') + "z$\n");
  EXPECT_TRUE(rules.allowed("/" + std::string(2000, 'a')));
  EXPECT_FALSE(rules.allowed("/" + std::string(2000, 'a') + "z"));
}

// A site as a map: page → links on it (relative, as written in the HTML).
using Site = std::map<std::string, std::vector<std::string>>;

// Runs a crawl to the end, finishing pages in the order `finish_order` picks
// among those in flight (0 = oldest first, 1 = newest first).
std::vector<std::string> run(const Site& site, CrawlSpec spec, int newest_first, int per_host = 4) {
  auto filter = LinkFilter::create(spec);
  Crawl crawl(spec, *filter, per_host);
  std::vector<int> in_flight;
  for (int guard = 0; guard < 10'000 && !crawl.finished(); ++guard) {
    while (crawl.peek())
      in_flight.push_back(crawl.take());
    if (in_flight.empty()) break;
    int index = newest_first ? in_flight.back() : in_flight.front();
    std::erase(in_flight, index);
    std::string path = crawl.page(index).url.substr(std::string("http://e.com").size());
    auto it = site.find(path);
    crawl.done(index, it == site.end() ? std::vector<std::string>{} : it->second);
  }
  std::vector<std::string> out;
  for (int i = 0; i < crawl.taken(); ++i)
    out.push_back(crawl.page(i).url.substr(std::string("http://e.com").size()));
  return out;
}

// A binary tree: /n links to /2n+1 and /2n+2 (and back to /0).
Site tree(int pages) {
  Site s;
  for (int n = 0; n < pages; ++n) {
    auto& links = s["/" + std::to_string(n)];
    for (int c : {2 * n + 1, 2 * n + 2})
      if (c < pages) links.push_back("/" + std::to_string(c) + "#frag");
    links.push_back("/0");
  }
  return s;
}

TEST(CrawlFrontier, BfsAndDfsOrderDoesNotDependOnTiming) {
  CrawlSpec spec;
  spec.start_url = "http://e.com/0";
  spec.max_pages = 7;
  spec.max_depth = 10;
  using V = std::vector<std::string>;
  for (int newest_first : {0, 1}) {
    spec.strategy = CrawlStrategy::bfs;
    EXPECT_EQ(run(tree(40), spec, newest_first), (V{"/0", "/1", "/2", "/3", "/4", "/5", "/6"}));
    spec.strategy = CrawlStrategy::dfs;
    EXPECT_EQ(run(tree(40), spec, newest_first), (V{"/0", "/1", "/3", "/7", "/15", "/31", "/32"}));
  }
}

TEST(CrawlFrontier, DepthLimitAndParents) {
  CrawlSpec spec;
  spec.start_url = "http://e.com/0";
  spec.max_pages = 100;
  spec.max_depth = 2;
  auto site = tree(40);
  EXPECT_EQ(run(site, spec, 0).size(), 7u);  // 1 + 2 + 4
  spec.max_depth = 0;
  EXPECT_EQ(run(site, spec, 0).size(), 1u);

  spec.max_depth = 1;
  auto filter = LinkFilter::create(spec);
  Crawl crawl(spec, *filter);
  ASSERT_EQ(crawl.take(), 0);
  crawl.done(0, site["/0"]);
  ASSERT_EQ(crawl.take(), 1);
  EXPECT_EQ(crawl.page(1).parent, 0);
  EXPECT_EQ(crawl.page(1).depth, 1);
}

TEST(CrawlFrontier, AtMostNInFlightPerHost) {
  CrawlSpec spec;
  spec.start_url = "http://e.com/0";
  spec.max_pages = 100;
  auto filter = LinkFilter::create(spec);
  Crawl crawl(spec, *filter, 2);
  crawl.take();
  crawl.done(0, {"/1", "/2", "/3", "/4"});
  crawl.take();
  crawl.take();
  EXPECT_FALSE(crawl.peek());  // two in flight on e.com
  EXPECT_EQ(crawl.in_flight(), 2);
  crawl.done(1, {});
  EXPECT_TRUE(crawl.peek());
}

TEST(CrawlFrontier, RestoreContinuesWhereTheStoreLeftOff) {
  CrawlSpec spec;
  spec.start_url = "http://e.com/0";
  spec.max_pages = 5;
  auto site = tree(40);
  auto filter = LinkFilter::create(spec);
  Crawl crawl(spec, *filter, 4);
  crawl.restore({{"http://e.com/0", -1, 0}, {"http://e.com/1", 0, 1}, {"http://e.com/2", 0, 1}});
  crawl.done(0, site["/0"]);
  crawl.done(1, site["/1"]);  // page 2 was running when the process stopped
  std::vector<std::string> next;
  while (auto p = crawl.peek()) {
    next.push_back(p->url);
    crawl.take();
  }
  EXPECT_EQ(next, (std::vector<std::string>{"http://e.com/3", "http://e.com/4"}));
  crawl.done(2, site["/2"]);
  crawl.done(3, {});
  crawl.done(4, {});
  EXPECT_TRUE(crawl.finished());
}

}  // namespace
}  // namespace shot::capture
