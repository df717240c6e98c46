#include "geo/fence_index.hpp"

#include <algorithm>
#include <cmath>

namespace loyalty::geo {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kRad = kPi / 180.0;
constexpr double kA = 6378137.0;
constexpr double kE2 = 6.69437999014e-3;
constexpr double kMeridionalMin = 6335439.0;
constexpr int64_t kMaxCellsPerFence = 4096;
constexpr double kFastMaxLat = 80.0;

struct FastCircle {
  double ky, kx, lo2, hi2;
};

// Local metric frame at the circle's centre and the error band of the planar test.
// Error of d_planar against the geodesic distance d for d <= 1.01 r: the parallel's scale
// changes by about tan(lat) * dlat over the circle (first order, half of it on average) plus a
// second-order curvature term; the band takes 4 times that bound plus the float rounding of the
// stored offsets (relative 1e-5). tests/unit/geo checks the band against the geodesic test.
bool fast_circle(const Fence& f, FastCircle& out) {
  if (f.kind != Fence::Kind::circle || std::fabs(f.center.lat) > kFastMaxLat) return false;
  const double phi = f.center.lat * kRad;
  const double s = std::sin(phi);
  const double w = 1 - kE2 * s * s;
  out.ky = kA * (1 - kE2) / (w * std::sqrt(w)) * kRad;
  out.kx = kA / std::sqrt(w) * std::cos(phi) * kRad;
  const double q = f.radius_m / 6.3e6;
  const double eps = 4 * (std::fabs(std::tan(phi)) * q / 2 + q * q) + 1e-5;
  out.lo2 = std::pow(f.radius_m * (1 - eps), 2);
  out.hi2 = std::pow(f.radius_m * (1 + eps), 2);
  return true;
}

}  // namespace

int FenceIndex::fast_circle_decision(const Fence& f, LatLon p) {
  FastCircle fc;
  if (!fast_circle(f, fc)) return -1;
  const double dy = (p.lat - f.center.lat) * fc.ky;
  const double dx = wrap_lon(p.lon - f.center.lon) * fc.kx;
  const double d2 = dx * dx + dy * dy;
  if (d2 <= fc.lo2) return 1;
  if (d2 >= fc.hi2) return 0;
  return -1;
}

int64_t FenceIndex::row_of(double lat) const { return static_cast<int64_t>(std::floor((lat + 90.0) / cell_)); }
int64_t FenceIndex::col_of(double lon) const {
  int64_t c = static_cast<int64_t>(std::floor((lon + 180.0) / cell_)) % ncols_;
  if (c < 0) c += ncols_;
  return c;
}

FenceIndex::FenceIndex(std::vector<Fence> fences, double cell_deg) : fences_(std::move(fences)) {
  if (cell_deg <= 0) {
    std::vector<double> h;
    h.reserve(fences_.size());
    for (const auto& f : fences_) h.push_back(f.max_lat - f.min_lat);
    double median = 0.01;
    if (!h.empty()) {
      std::nth_element(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(h.size() / 2), h.end());
      median = h[h.size() / 2];
    }
    cell_deg = std::clamp(median / 2, 0.0001, 1.0);
  }
  // Columns divide the full turn exactly, so a longitude and the same longitude plus 360 fall in
  // the same column (fences crossing the antimeridian have unwrapped longitudes above 180).
  ncols_ = static_cast<int64_t>(std::ceil(360.0 / cell_deg));
  cell_ = 360.0 / static_cast<double>(ncols_);
  std::vector<std::pair<uint64_t, Cand>> items;
  for (uint32_t i = 0; i < fences_.size(); ++i) {
    const Fence& f = fences_[i];
    const int64_t r0 = row_of(f.min_lat), r1 = row_of(f.max_lat);
    const bool all_lons = f.max_lon - f.min_lon >= 360;
    const int64_t c0 = static_cast<int64_t>(std::floor((f.min_lon + 180.0) / cell_));
    const int64_t c1 = static_cast<int64_t>(std::floor((f.max_lon + 180.0) / cell_));
    const int64_t ncells = (r1 - r0 + 1) * std::min(c1 - c0 + 1, ncols_);
    if (all_lons || ncells > kMaxCellsPerFence) {
      big_.push_back(i);
      continue;
    }
    FastCircle fc{};
    const bool fast = fast_circle(f, fc);
    for (int64_t r = r0; r <= r1; ++r) {
      const double lat_o = static_cast<double>(r) * cell_ - 90.0;
      for (int64_t cu = c0; cu <= std::min(c1, c0 + ncols_ - 1); ++cu) {
        int64_t c = cu % ncols_;
        if (c < 0) c += ncols_;
        const double lon_o = static_cast<double>(c) * cell_ - 180.0;
        Cand cand{};
        cand.fence = i;
        cand.exact = fast ? 0 : 1;
        if (fast) {
          cand.dlat0 = static_cast<float>(f.center.lat - lat_o);
          cand.dlon0 = static_cast<float>(wrap_lon(f.center.lon - lon_o));
          cand.ky = static_cast<float>(fc.ky);
          cand.kx = static_cast<float>(fc.kx);
          cand.lo2 = static_cast<float>(fc.lo2);
          cand.hi2 = static_cast<float>(fc.hi2);
        }
        items.emplace_back(key(r, c), cand);
      }
    }
  }
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  cands_.reserve(items.size());
  cells_.reserve(items.size() / 4 + 1);
  for (size_t i = 0; i < items.size();) {
    size_t j = i;
    while (j < items.size() && items[j].first == items[i].first) cands_.push_back(items[j++].second);
    cells_.emplace(items[i].first, Span{static_cast<uint32_t>(i), static_cast<uint32_t>(j)});
    i = j;
  }
}

bool FenceIndex::test(const Cand& c, LatLon p, float qy, float qx) const {
  if (!c.exact) {
    const float dy = (qy - c.dlat0) * c.ky;
    const float dx = (qx - c.dlon0) * c.kx;
    const float d2 = dx * dx + dy * dy;
    if (d2 <= c.lo2) return true;
    if (d2 >= c.hi2) return false;
  }
  return contains(fences_[c.fence], p);
}

void FenceIndex::match(LatLon p, std::vector<uint32_t>& out) const {
  if (!fences_.empty()) {
    const int64_t r = row_of(p.lat), c = col_of(p.lon);
    auto it = cells_.find(key(r, c));
    if (it != cells_.end()) {
      const double lat_o = static_cast<double>(r) * cell_ - 90.0;
      const double lon_o = static_cast<double>(c) * cell_ - 180.0;
      const float qy = static_cast<float>(p.lat - lat_o);
      const float qx = static_cast<float>(wrap_lon(p.lon - lon_o));
      const Cand* b = cands_.data() + it->second.begin;
      const Cand* e = cands_.data() + it->second.end;
      for (; b != e; ++b)
        if (test(*b, p, qy, qx)) out.push_back(b->fence);
    }
  }
  for (uint32_t i : big_)
    if (contains(fences_[i], p)) out.push_back(i);
}

void FenceIndex::match_within(LatLon p, double tol_m, std::vector<uint32_t>& out) const {
  if (tol_m <= 0) return match(p, out);
  std::vector<uint32_t> cand;
  const double dlat = tol_m / kMeridionalMin / kRad * 1.001 + 1e-9;
  const double lat0 = std::max(-90.0, p.lat - dlat), lat1 = std::min(90.0, p.lat + dlat);
  const double far = std::max(std::fabs(lat0), std::fabs(lat1));
  const double dlon = far < 89.9 ? tol_m / (kA * std::cos(far * kRad)) / kRad * 1.01 + 1e-9 : 360.0;
  const int64_t r0 = row_of(lat0), r1 = row_of(lat1);
  const int64_t c0 = static_cast<int64_t>(std::floor((p.lon - dlon + 180.0) / cell_));
  const int64_t c1 = static_cast<int64_t>(std::floor((p.lon + dlon + 180.0) / cell_));
  if ((r1 - r0 + 1) * std::min(c1 - c0 + 1, ncols_) > 65536) {
    for (uint32_t i = 0; i < fences_.size(); ++i) cand.push_back(i);
  } else {
    for (int64_t r = r0; r <= r1; ++r)
      for (int64_t cu = c0; cu <= std::min(c1, c0 + ncols_ - 1); ++cu) {
        int64_t c = cu % ncols_;
        if (c < 0) c += ncols_;
        auto it = cells_.find(key(r, c));
        if (it == cells_.end()) continue;
        for (uint32_t k = it->second.begin; k < it->second.end; ++k) cand.push_back(cands_[k].fence);
      }
    cand.insert(cand.end(), big_.begin(), big_.end());
    std::sort(cand.begin(), cand.end());
    cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
  }
  for (uint32_t i : cand)
    if (distance_to_fence_m(fences_[i], p) <= tol_m) out.push_back(i);
}

}  // namespace loyalty::geo
