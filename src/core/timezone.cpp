#include "loyalty/core/timezone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

#include "loyalty/core/error.hpp"

namespace loyalty {

struct TimeZone::Rule {
  int32_t std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  int32_t dst_offset = 0;
  struct When {
    char kind = 'M';  // 'M' (Mm.w.d), 'J' (Jn, 1..365 without Feb 29), 'D' (n, 0..365)
    int32_t month = 0, week = 0, day = 0;
    int32_t time = 7200;  // seconds after local midnight (may be negative or > 24 h)
  } start, end;
};

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/// Seconds to milliseconds, saturating (TZif files may hold a "big bang" transition at -2^59 s).
Timestamp millis(int64_t secs) {
  if (secs <= INT64_MIN / 1000) return INT64_MIN;
  if (secs >= INT64_MAX / 1000) return INT64_MAX;
  return secs * 1000;
}

[[noreturn]] void bad(const std::string& name, const std::string& why) {
  throw Error(Status::invalid, fmt::format("time zone '{}': {}", name, why), "timezone");
}

// --- POSIX TZ strings ("CET-1CEST,M3.5.0,M10.5.0/3") -------------------------------------

struct Parser {
  std::string_view s;
  size_t p = 0;
  bool eof() const { return p >= s.size(); }
  char peek() const { return eof() ? '\0' : s[p]; }

  bool name() {
    if (peek() == '<') {
      const size_t close = s.find('>', p);
      if (close == std::string_view::npos) return false;
      p = close + 1;
      return true;
    }
    const size_t b = p;
    while (!eof() && std::isalpha(static_cast<unsigned char>(peek()))) ++p;
    return p - b >= 3;
  }
  bool number(int32_t& out) {
    const size_t b = p;
    int32_t v = 0;
    while (!eof() && std::isdigit(static_cast<unsigned char>(peek()))) v = v * 10 + (s[p++] - '0');
    out = v;
    return p > b;
  }
  // [+-]hh[:mm[:ss]] in seconds
  bool hms(int32_t& out) {
    int32_t sign = 1;
    if (peek() == '+' || peek() == '-') sign = s[p++] == '-' ? -1 : 1;
    int32_t h = 0, m = 0, sec = 0;
    if (!number(h)) return false;
    if (peek() == ':') {
      ++p;
      if (!number(m)) return false;
      if (peek() == ':') {
        ++p;
        if (!number(sec)) return false;
      }
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
  bool when(TimeZone::Rule::When& w) {
    if (peek() == 'M') {
      ++p;
      w.kind = 'M';
      if (!number(w.month) || peek() != '.') return false;
      ++p;
      if (!number(w.week) || peek() != '.') return false;
      ++p;
      if (!number(w.day)) return false;
      if (w.month < 1 || w.month > 12 || w.week < 1 || w.week > 5 || w.day > 6) return false;
    } else if (peek() == 'J') {
      ++p;
      w.kind = 'J';
      if (!number(w.day) || w.day < 1 || w.day > 365) return false;
    } else {
      w.kind = 'D';
      if (!number(w.day) || w.day > 365) return false;
    }
    w.time = 7200;
    if (peek() == '/') {
      ++p;
      if (!hms(w.time)) return false;
    }
    return true;
  }
};

bool parse_rule(std::string_view text, TimeZone::Rule& r) {
  Parser ps{text};
  int32_t off = 0;
  if (!ps.name() || !ps.hms(off)) return false;
  r.std_offset = -off;  // POSIX offsets are west-positive
  if (ps.eof()) return true;
  if (!ps.name()) return false;
  r.has_dst = true;
  r.dst_offset = r.std_offset + 3600;
  if (ps.peek() != ',' && !ps.eof()) {
    if (!ps.hms(off)) return false;
    r.dst_offset = -off;
  }
  if (ps.eof()) {
    // No rule given: POSIX leaves it implementation-defined; use the US rule like glibc.
    r.start = {'M', 3, 2, 0, 7200};
    r.end = {'M', 11, 1, 0, 7200};
    return true;
  }
  if (ps.peek() != ',') return false;
  ++ps.p;
  if (!ps.when(r.start) || ps.peek() != ',') return false;
  ++ps.p;
  return ps.when(r.end) && ps.eof();
}

/// Days since the epoch of the rule's date in `year`.
int64_t rule_day(const TimeZone::Rule::When& w, int32_t year) {
  const Timestamp jan1 = timestamp_from_civil({year, 1, 1}) / kMillisPerDay;
  const bool leap = days_in_month(year, 2) == 29;
  switch (w.kind) {
    case 'J':
      return jan1 + w.day - 1 + ((leap && w.day >= 60) ? 1 : 0);
    case 'D':
      return jan1 + w.day;
    default: {
      const CivilDate first{year, static_cast<uint32_t>(w.month), 1};
      const int64_t first_day = timestamp_from_civil(first) / kMillisPerDay;
      const auto wd = static_cast<int32_t>(weekday(first));
      int32_t dom = 1 + (w.day - wd + 7) % 7 + (w.week - 1) * 7;
      const auto dim = static_cast<int32_t>(days_in_month(year, static_cast<uint32_t>(w.month)));
      while (dom > dim) dom -= 7;
      return first_day + dom - 1;
    }
  }
}

// --- TZif -------------------------------------------------------------------------------------

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
int64_t be64(const unsigned char* p) {
  return static_cast<int64_t>((static_cast<uint64_t>(be32(p)) << 32) | be32(p + 4));
}

}  // namespace

uint32_t weekday(const CivilDate& d) {
  const int64_t z = timestamp_from_civil(d) / kMillisPerDay;
  return static_cast<uint32_t>(((z % 7) + 7 + 4) % 7);
}

std::shared_ptr<const TimeZone> TimeZone::locate(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  auto tz = load(std::string(name));
  cache.emplace(std::string(name), tz);
  return tz;
}

std::shared_ptr<const TimeZone> TimeZone::load(const std::string& name) {
  std::shared_ptr<TimeZone> tz(new TimeZone());
  tz->name_ = name;
  if (name == "UTC" || name == "Etc/UTC") return tz;
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != std::string::npos)
    bad(name, "not an IANA time zone name");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+'))
      bad(name, "not an IANA time zone name");
  const char* dir = std::getenv("TZDIR");
  const std::string path = fmt::format("{}/{}", dir && *dir ? dir : "/usr/share/zoneinfo", name);
  // A directory ("Europe") opens as a stream but fails on read with std::ios_base::failure.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) bad(name, "unknown (no tzdata entry)");
  std::ifstream f(path, std::ios::binary);
  if (!f) bad(name, "unknown (no tzdata entry)");
  const std::vector<unsigned char> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto need = [&](size_t end) {
    if (end > data.size()) bad(name, "truncated tzdata file");
  };
  need(44);
  if (data[0] != 'T' || data[1] != 'Z' || data[2] != 'i' || data[3] != 'f') bad(name, "not a TZif file");
  const char version = static_cast<char>(data[4]);
  auto counts = [&](size_t at, uint32_t c[6]) {
    need(at + 44);
    for (int k = 0; k < 6; ++k) c[k] = be32(&data[at + 20 + 4 * static_cast<size_t>(k)]);
  };
  // c: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  uint32_t c[6];
  counts(0, c);
  size_t at = 44;
  size_t time_size = 4;
  if (version >= '2') {
    // Skip the v1 block and read the 64-bit v2 block.
    at += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    counts(at, c);
    at += 44;
    time_size = 8;
  }
  const uint32_t isut = c[0], isstd = c[1], leap = c[2], timecnt = c[3], typecnt = c[4], charcnt = c[5];
  if (typecnt == 0) bad(name, "tzdata file without local time types");
  const size_t times_at = at, idx_at = times_at + timecnt * time_size, types_at = idx_at + timecnt;
  const size_t end = types_at + typecnt * 6 + charcnt + leap * (time_size + 4) + isstd + isut;
  need(end);
  std::vector<int32_t> type_off(typecnt);
  for (uint32_t k = 0; k < typecnt; ++k) type_off[k] = static_cast<int32_t>(be32(&data[types_at + k * 6]));
  for (uint32_t k = 0; k < timecnt; ++k) {
    const int64_t t =
        time_size == 8 ? be64(&data[times_at + k * 8]) : static_cast<int32_t>(be32(&data[times_at + k * 4]));
    const uint8_t idx = data[idx_at + k];
    if (idx >= typecnt) bad(name, "corrupt tzdata file");
    tz->transitions_.push_back(t);
    tz->offsets_.push_back(type_off[idx]);
  }
  tz->initial_offset_ = type_off[0];
  if (version >= '2' && end < data.size() && data[end] == '\n') {
    const size_t close =
        std::string_view(reinterpret_cast<const char*>(data.data()) + end + 1, data.size() - end - 1).find('\n');
    if (close != std::string_view::npos && close > 0) {
      auto rule = std::make_shared<Rule>();
      if (parse_rule(std::string_view(reinterpret_cast<const char*>(data.data()) + end + 1, close), *rule))
        tz->rule_ = std::move(rule);
    }
  }
  return tz;
}

int32_t TimeZone::rule_offset(Timestamp utc) const {
  const Rule& r = *rule_;
  if (!r.has_dst) return r.std_offset;
  const int64_t secs = floor_div(utc, 1000);
  const int32_t year = civil_from_timestamp((secs + r.std_offset) * 1000).year;
  const int64_t start = rule_day(r.start, year) * 86'400 + r.start.time - r.std_offset;
  const int64_t end = rule_day(r.end, year) * 86'400 + r.end.time - r.dst_offset;
  const bool dst = start < end ? (secs >= start && secs < end) : !(secs >= end && secs < start);
  return dst ? r.dst_offset : r.std_offset;
}

int32_t TimeZone::offset_seconds(Timestamp utc) const {
  const int64_t secs = floor_div(utc, 1000);
  if (transitions_.empty()) return rule_ ? rule_offset(utc) : initial_offset_;
  if (secs < transitions_.front()) return initial_offset_;
  if (secs >= transitions_.back() && rule_) return rule_offset(utc);
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), secs);
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

TimeZone::OffsetSpan TimeZone::rule_span(Timestamp utc) const {
  const Rule& r = *rule_;
  if (!r.has_dst) return {r.std_offset, INT64_MIN, INT64_MAX};
  // rule_offset decides by the start and end instants of the year of (utc + std_offset): within
  // that year's window, the offset only changes at those two instants.
  const int64_t secs = floor_div(utc, 1000);
  const int32_t year = civil_from_timestamp((secs + r.std_offset) * 1000).year;
  const int64_t year_from = timestamp_from_civil({year, 1, 1}) / 1000 - r.std_offset;
  const int64_t year_until = timestamp_from_civil({year + 1, 1, 1}) / 1000 - r.std_offset;
  const int64_t start = rule_day(r.start, year) * 86'400 + r.start.time - r.std_offset;
  const int64_t end = rule_day(r.end, year) * 86'400 + r.end.time - r.dst_offset;
  int64_t from = year_from, until = year_until;
  for (const int64_t b : {start, end}) {
    if (b <= secs) from = std::max(from, b);
    if (b > secs) until = std::min(until, b);
  }
  return {rule_offset(utc), millis(from), millis(until)};
}

TimeZone::OffsetSpan TimeZone::offset_span(Timestamp utc) const {
  const int64_t secs = floor_div(utc, 1000);
  if (transitions_.empty()) return rule_ ? rule_span(utc) : OffsetSpan{initial_offset_, INT64_MIN, INT64_MAX};
  if (secs < transitions_.front()) return {initial_offset_, INT64_MIN, millis(transitions_.front())};
  if (secs >= transitions_.back() && rule_) {
    OffsetSpan s = rule_span(utc);
    s.from = std::max(s.from, millis(transitions_.back()));
    return s;
  }
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), secs);
  const size_t i = static_cast<size_t>(it - transitions_.begin());
  return {offsets_[i - 1], millis(transitions_[i - 1]), it == transitions_.end() ? INT64_MAX : millis(*it)};
}

Timestamp TimeZone::from_local(Timestamp local) const {
  const int32_t before = offset_seconds(local - kMillisPerDay);
  const int32_t after = offset_seconds(local + kMillisPerDay);
  Timestamp best = INT64_MAX;
  for (int32_t o : {before, after}) {
    const Timestamp cand = local - static_cast<Timestamp>(o) * 1000;
    if (offset_seconds(cand) == o) best = std::min(best, cand);
  }
  if (best != INT64_MAX) return best;
  return local - static_cast<Timestamp>(before) * 1000;  // in a gap: move forward
}

}  // namespace loyalty
