// A stand-in for libFuzzer's main(), linked with each LLVMFuzzerTestOneInput target.
//
// Why not libFuzzer itself: Debian 12's clang (14, and 15/16 from bookworm too)
// cannot compile our headers. libstdc++ 12's <expected> is guarded by
// `__cpp_concepts >= 202002L` and those clangs define 201907L, so
// `clang++-14 -std=c++2b` stops at "error: no template named 'expected' in
// namespace 'std'". So the targets keep libFuzzer's entry point (they build
// unchanged with -fsanitize=fuzzer once a clang can), and this driver runs them
// under GCC's ASan+UBSan with a simple mutator: no coverage feedback, a fixed
// seed for reproducibility, a bounded time.
//
// Command line, a subset of libFuzzer's:
//   fuzz_x [-max_total_time=S] [-runs=N] [-seed=N] [-max_len=N]
//          [-artifact_prefix=P] CORPUS_DIR...   replay the seeds, then mutate them
//   fuzz_x FILE...                              replay these inputs only (a crash)
// -max_total_time defaults to $SHOT_FUZZ_SECONDS, else 20. The first crash stops
// the run (the sanitizers abort) after the input is written to P + "crash-<hash>".

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#if __has_include(<sanitizer/common_interface_defs.h>)
#include <sanitizer/common_interface_defs.h>
#define SHOT_HAVE_SANITIZER_CALLBACK 1
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Bytes = std::vector<uint8_t>;

// The input being run, for the crash handlers. Plain globals: a signal handler
// may only read them and call write(2).
const Bytes* g_current = nullptr;
char g_crash_path[4096] = {};
volatile sig_atomic_t g_crash_written = 0;

void write_crash_input() {
  if (g_crash_written || g_current == nullptr || g_crash_path[0] == '\0') return;
  g_crash_written = 1;
  int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  const uint8_t* p = g_current->data();
  std::size_t left = g_current->size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(fd);
  const char note[] = "\nfuzz: the crashing input was written to ";
  (void)!::write(2, note, sizeof note - 1);
  (void)!::write(2, g_crash_path, std::strlen(g_crash_path));
  (void)!::write(2, "\n", 1);
}

// std::abort() and __builtin_trap() in a target; ASan/UBSan reports go
// through the death callback below (and then abort, with abort_on_error=1).
void on_fatal_signal(int sig) {
  write_crash_input();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_crash_handlers() {
  for (int sig : {SIGABRT, SIGILL, SIGFPE, SIGBUS, SIGSEGV}) {
    struct sigaction sa = {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    // ASan keeps its own SIGSEGV/SIGBUS handlers (it reports, then calls the
    // death callback); ours only fill in where it has none.
    struct sigaction old = {};
    ::sigaction(sig, nullptr, &old);
    if (old.sa_handler == SIG_DFL) ::sigaction(sig, &sa, nullptr);
  }
#ifdef SHOT_HAVE_SANITIZER_CALLBACK
  __sanitizer_set_death_callback(write_crash_input);
#endif
}

// FNV-1a, for crash file names: same input, same name.
std::string hash_hex(const Bytes& b) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (uint8_t c : b)
    h = (h ^ c) * 0x100000001b3ULL;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

void run_one(const Bytes& input, const std::string& artifact_prefix) {
  std::string path = artifact_prefix + "crash-" + hash_hex(input);
  std::snprintf(g_crash_path, sizeof g_crash_path, "%s", path.c_str());
  g_current = &input;
  // A copy of exactly `size` bytes, so ASan sees any read past the end.
  Bytes copy(input);
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
  g_current = nullptr;
}

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// Tokens the parsers care about: URL syntax, IP literals, JSON, image magic
// numbers and NUL (the CDP frame separator).
constexpr std::array<std::string_view, 58> kTokens = {
    "%",
    "%2e",
    "%00",
    "%ff",
    "[",
    "]",
    ":",
    "::",
    "//",
    "/",
    "\\",
    "@",
    "#",
    "?",
    ".",
    "..",
    "http://",
    "https://",
    "file:",
    "::ffff:",
    "127.0.0.1",
    "0x",
    "0",
    "1",
    "9",
    "255",
    "256",
    "4294967295",
    "-1",
    "65536",
    "1e308",
    "-0",
    "\"",
    "{",
    "}",
    "[]",
    "{}",
    ",",
    "null",
    "true",
    "false",
    "\"\\u0000\"",
    "\\u",
    "xn--",
    std::string_view("\0", 1),
    "\xff",
    "\x89PNG\r\n\x1a\n",
    "IHDR",
    "\xff\xd8\xff",
    "RIFF",
    "WEBP",
    "VP8X",
    "GIF89a",
    "ftyp",
    "avif",
    "heic",
    "%PDF-",
    "Exif",
};

constexpr std::array<uint32_t, 10> kInts = {0,      1,      0x7f,    0x80,       0xff,
                                            0x7fff, 0xffff, 0x10000, 0x7fffffff, 0xffffffff};

class Mutator {
 public:
  Mutator(uint64_t seed, std::size_t max_len) : rng_(seed), max_len_(max_len) {}

  // 1 to 4 stacked edits of `base`, sometimes mixing in `other`.
  Bytes mutate(Bytes data, const Bytes& other) {
    int edits = 1 + static_cast<int>(below(4));
    for (int i = 0; i < edits; ++i)
      edit(data, other);
    if (data.size() > max_len_) data.resize(max_len_);
    return data;
  }

  std::size_t below(std::size_t n) { return n == 0 ? 0 : rng_() % n; }

 private:
  uint8_t random_byte() {
    static constexpr std::array<uint8_t, 16> kInteresting = {
        0x00, 0xff, 0x7f, 0x80, '%', '[', ']', ':', '0', '9', '/', '.', '"', '{', '\\', '@'};
    return below(2) != 0u ? kInteresting[below(kInteresting.size())] : static_cast<uint8_t>(rng_());
  }

  void insert(Bytes& d, std::size_t at, std::string_view s) {
    d.insert(d.begin() + static_cast<std::ptrdiff_t>(at), s.begin(), s.end());
  }

  void edit(Bytes& d, const Bytes& other) {
    std::size_t pos = below(d.size() + 1);  // an insertion point; < size() for edits in place
    switch (below(11)) {
      case 0:  // flip a bit
        if (!d.empty()) d[below(d.size())] ^= static_cast<uint8_t>(1u << below(8));
        break;
      case 1:  // replace a byte
        if (!d.empty()) d[below(d.size())] = random_byte();
        break;
      case 2:  // insert a byte
        d.insert(d.begin() + static_cast<std::ptrdiff_t>(pos), random_byte());
        break;
      case 3:  // insert a token
        insert(d, pos, kTokens[below(kTokens.size())]);
        break;
      case 4: {  // erase a range
        if (d.empty()) break;
        std::size_t at = below(d.size());
        std::size_t n = 1 + below(std::min<std::size_t>(d.size() - at, 16));
        d.erase(d.begin() + static_cast<std::ptrdiff_t>(at),
                d.begin() + static_cast<std::ptrdiff_t>(at + n));
        break;
      }
      case 5: {  // duplicate a range
        if (d.empty()) break;
        std::size_t at = below(d.size());
        std::size_t n = 1 + below(std::min<std::size_t>(d.size() - at, 16));
        Bytes piece(d.begin() + static_cast<std::ptrdiff_t>(at),
                    d.begin() + static_cast<std::ptrdiff_t>(at + n));
        d.insert(d.begin() + static_cast<std::ptrdiff_t>(pos), piece.begin(), piece.end());
        break;
      }
      case 6:  // add or subtract a little
        if (!d.empty()) d[below(d.size())] += static_cast<uint8_t>(below(35)) - 17;
        break;
      case 7: {  // overwrite 1, 2 or 4 bytes with an interesting integer, either endian
        std::size_t width = std::size_t{1} << below(3);
        if (d.size() < width) break;
        std::size_t at = below(d.size() - width + 1);
        uint32_t v = kInts[below(kInts.size())];
        bool big = below(2) != 0u;
        for (std::size_t i = 0; i < width; ++i) {
          std::size_t shift = 8 * (big ? width - 1 - i : i);
          d[at + i] = static_cast<uint8_t>(v >> shift);
        }
        break;
      }
      case 8:  // splice: our head, the other's tail
        if (!other.empty()) {
          d.resize(below(d.size() + 1));
          d.insert(d.end(), other.begin() + static_cast<std::ptrdiff_t>(below(other.size())),
                   other.end());
        }
        break;
      case 9: {  // copy a piece of the other input in
        if (other.empty()) break;
        std::size_t at = below(other.size());
        std::size_t n = 1 + below(std::min<std::size_t>(other.size() - at, 32));
        d.insert(d.begin() + static_cast<std::ptrdiff_t>(pos),
                 other.begin() + static_cast<std::ptrdiff_t>(at),
                 other.begin() + static_cast<std::ptrdiff_t>(at + n));
        break;
      }
      default:  // truncate
        d.resize(below(d.size() + 1));
        break;
    }
  }

  std::mt19937_64 rng_;
  std::size_t max_len_;
};

bool parse_flag(std::string_view arg, std::string_view name, long long& out) {
  if (!arg.starts_with(name) || arg.size() == name.size()) return false;
  out = std::atoll(std::string(arg.substr(name.size())).c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long long seconds = 20, runs = -1, seed = 1, max_len = 4096;
  if (const char* env = std::getenv("SHOT_FUZZ_SECONDS"); env != nullptr && *env != '\0')
    seconds = std::atoll(env);
  std::string artifact_prefix;
  std::vector<std::filesystem::path> dirs, files;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (parse_flag(arg, "-max_total_time=", seconds) || parse_flag(arg, "-runs=", runs) ||
        parse_flag(arg, "-seed=", seed) || parse_flag(arg, "-max_len=", max_len))
      continue;
    if (arg.starts_with("-artifact_prefix=")) {
      artifact_prefix = arg.substr(std::strlen("-artifact_prefix="));
    } else if (arg.starts_with("-")) {
      std::fprintf(stderr, "fuzz: unknown flag %s\n", argv[i]);
      return 2;
    } else if (std::filesystem::is_directory(arg)) {
      dirs.emplace_back(arg);
    } else if (std::filesystem::is_regular_file(arg)) {
      files.emplace_back(arg);
    } else {
      std::fprintf(stderr, "fuzz: no such file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  install_crash_handlers();

  if (!files.empty()) {  // reproduce: run the given inputs once each
    for (const auto& f : files) {
      std::fprintf(stderr, "fuzz: running %s\n", f.c_str());
      run_one(read_file(f), artifact_prefix);
    }
    std::fprintf(stderr, "fuzz: %zu inputs ran without a crash\n", files.size());
    return 0;
  }

  std::vector<Bytes> corpus;
  for (const auto& dir : dirs) {
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_regular_file()) paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());  // directory order is not stable; the run must be
    for (const auto& p : paths)
      corpus.push_back(read_file(p));
  }
  if (corpus.empty()) corpus.emplace_back();
  for (const Bytes& seed_input : corpus)
    run_one(seed_input, artifact_prefix);

  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::seconds(seconds);
  Mutator mutator(static_cast<uint64_t>(seed), static_cast<std::size_t>(max_len));
  Bytes last = corpus.front();
  long long n = 0;
  for (; runs < 0 || n < runs; ++n) {
    if ((n & 63) == 0 && std::chrono::steady_clock::now() >= deadline) break;
    // Half the time walk on from the last mutant, so edits accumulate far from the seeds.
    const Bytes& base = mutator.below(2) != 0u ? last : corpus[mutator.below(corpus.size())];
    last = mutator.mutate(base, corpus[mutator.below(corpus.size())]);
    run_one(last, artifact_prefix);
    if (mutator.below(64) == 0) last = corpus[mutator.below(corpus.size())];
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(
      stderr, "fuzz: %zu seeds, %lld mutated inputs in %.1f s (%.0f/s), seed %lld: no crash\n",
      corpus.size(), n, elapsed, elapsed > 0 ? static_cast<double>(n) / elapsed : 0.0, seed);
  return 0;
}
