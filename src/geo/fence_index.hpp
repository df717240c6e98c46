// An immutable in-memory index answering "which fences contain this point" (and "which fences
// are within N metres of it"): a uniform grid of latitude/longitude cells, each listing the fences
// whose bounding box touches it, with the data of a fast conservative test stored inline in the
// cell. Exactness: a circle is decided by a local metric test only outside an error band proven
// (and tested) to contain every point where that test could disagree with the geodesic one;
// inside the band, and for polygons, the exact test of geo.hpp runs.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "geo/geo.hpp"

namespace loyalty::geo {

class FenceIndex {
 public:
  /// Indexes `fences`; fence i is reported as i. `cell_deg` 0 picks the cell size from the fences
  /// (half their median height, within [0.0001, 1] degrees).
  explicit FenceIndex(std::vector<Fence> fences, double cell_deg = 0);

  /// Appends to `out` the fences containing `p` (boundary included). Each fence at most once,
  /// in no particular order.
  void match(LatLon p, std::vector<uint32_t>& out) const;
  /// Appends the fences whose distance from `p` is at most `tol_m` (distance_to_fence_m).
  void match_within(LatLon p, double tol_m, std::vector<uint32_t>& out) const;

  size_t size() const noexcept { return fences_.size(); }
  const Fence& fence(uint32_t i) const { return fences_[i]; }
  double cell_deg() const noexcept { return cell_; }
  /// Fences tested on every query (too large for the grid: around a pole, very wide polygons).
  size_t oversized() const noexcept { return big_.size(); }
  /// How the test of a point decided for the fast circles (for tests): fast decision, or -1
  /// when the point falls in the error band and the exact test is needed.
  static int fast_circle_decision(const Fence& f, LatLon p);

 private:
  struct Cand {
    float dlat0, dlon0;  // centre relative to the cell origin (degrees)
    float ky, kx;        // metres per degree at the centre
    float lo2, hi2;      // squared radius bounds of the error band (m^2)
    uint32_t fence;
    uint32_t exact;  // 1: always run the exact test (polygons, polar or huge circles)
  };
  struct Span {
    uint32_t begin, end;
  };
  int64_t row_of(double lat) const;
  int64_t col_of(double lon) const;
  uint64_t key(int64_t row, int64_t col) const {
    return static_cast<uint64_t>(row) * static_cast<uint64_t>(ncols_) + static_cast<uint64_t>(col);
  }
  bool test(const Cand& c, LatLon p, float qy, float qx) const;

  std::vector<Fence> fences_;
  double cell_ = 0.01;
  int64_t ncols_ = 0;
  std::vector<Cand> cands_;
  std::unordered_map<uint64_t, Span> cells_;
  std::vector<uint32_t> big_;
};

}  // namespace loyalty::geo
