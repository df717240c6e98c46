#include "loyalty/core/time.hpp"

#include <chrono>
#include <cstdio>

namespace loyalty {

Timestamp SystemClock::now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

// Howard Hinnant's public-domain civil calendar algorithms.
int64_t days_from_civil(int64_t y, uint32_t m, uint32_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<uint32_t>(y - era * 400);
  const uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<uint32_t>(z - era * 146097);
  const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint32_t mp = (5 * doy + 2) / 153;
  const uint32_t d = doy - (153 * mp + 2) / 5 + 1;
  const uint32_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int32_t>(y + (m <= 2)), m, d};
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

uint32_t days_in_month(int32_t year, uint32_t month) {
  static constexpr uint32_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

CivilDate civil_from_timestamp(Timestamp t) { return civil_from_days(floor_div(t, kMillisPerDay)); }

Timestamp timestamp_from_civil(const CivilDate& d) { return days_from_civil(d.year, d.month, d.day) * kMillisPerDay; }

CivilDate add_months(CivilDate d, int32_t months) {
  int64_t index = static_cast<int64_t>(d.year) * 12 + (d.month - 1) + months;
  const auto year = static_cast<int32_t>(floor_div(index, 12));
  const auto month = static_cast<uint32_t>(index - static_cast<int64_t>(year) * 12 + 1);
  const uint32_t dim = days_in_month(year, month);
  return CivilDate{year, month, d.day > dim ? dim : d.day};
}

std::string format_time(Timestamp t) {
  const int64_t days = floor_div(t, kMillisPerDay);
  const int64_t ms_of_day = t - days * kMillisPerDay;
  const CivilDate c = civil_from_days(days);
  const int64_t secs = ms_of_day / 1000;
  if (c.year < 0 || c.year > 9999) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day,
                  static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                  static_cast<int>(ms_of_day % 1000));
    return buf;
  }
  // The common case without printf: "YYYY-MM-DDTHH:MM:SS.mmmZ", 24 characters.
  std::string out(24, '0');
  auto put = [&out](size_t at, int64_t v, int width) {
    for (int k = width - 1; k >= 0; --k, v /= 10) out[at + static_cast<size_t>(k)] = static_cast<char>('0' + v % 10);
  };
  put(0, c.year, 4);
  out[4] = '-';
  put(5, c.month, 2);
  out[7] = '-';
  put(8, c.day, 2);
  out[10] = 'T';
  put(11, secs / 3600, 2);
  out[13] = ':';
  put(14, secs / 60 % 60, 2);
  out[16] = ':';
  put(17, secs % 60, 2);
  out[19] = '.';
  put(20, ms_of_day % 1000, 3);
  out[23] = 'Z';
  return out;
}

std::optional<Timestamp> parse_time(std::string_view s) {
  int y = 0, mo = 0, d = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d))
    return std::nullopt;
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || static_cast<uint32_t>(d) > days_in_month(y, static_cast<uint32_t>(mo)))
    return std::nullopt;
  Timestamp base = timestamp_from_civil(CivilDate{y, static_cast<uint32_t>(mo), static_cast<uint32_t>(d)});
  if (s.size() == 10) return base;
  int h = 0, mi = 0, se = 0;
  if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) || s.size() < 19 || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return std::nullopt;
  // 23:59:60 (a leap second) is refused: a Timestamp counts no leap seconds, and folding it into
  // the next second would silently reorder events (docs/conventions.md, "Times in").
  if (h > 23 || mi > 59 || se > 59) return std::nullopt;
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return std::nullopt;
  }
  int64_t offset_min = 0;
  if (pos == s.size()) return std::nullopt;  // a time without a zone is ambiguous
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 6 > s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  // A zone offset can move a time at either end of years 0001-9999 out of them, where it has no
  // RFC 3339 form: refused, so that every stored time formats back to a valid one.
  const Timestamp t = base + ((static_cast<int64_t>(h) * 3600 + mi * 60 + se) * 1000) + ms - offset_min * 60'000;
  if (t < kMinTimestamp || t > kMaxTimestamp) return std::nullopt;
  return t;
}

}  // namespace loyalty
