// Leaflet maps without a tile server: a plain latitude/longitude grid (redrawn on move and zoom)
// with a scale, the geofences (circles and GeoJSON polygons) and a position marker.
(function () {
  "use strict";
  function gridLayer(map) {
    const layer = window.L.layerGroup().addTo(map);
    const steps = [10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005];
    function draw() {
      layer.clearLayers();
      const b = map.getBounds();
      const span = Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth());
      const step = steps.find((s) => span / s >= 4) || steps[steps.length - 1];
      const style = { color: "#64748b", weight: 1, opacity: 0.35, interactive: false };
      for (let x = Math.floor(b.getWest() / step) * step; x <= b.getEast(); x += step)
        window.L.polyline([[b.getSouth(), x], [b.getNorth(), x]], style).addTo(layer);
      for (let y = Math.floor(b.getSouth() / step) * step; y <= b.getNorth(); y += step)
        window.L.polyline([[y, b.getWest()], [y, b.getEast()]], style).addTo(layer);
    }
    map.on("moveend zoomend", draw);
    draw();
    return layer;
  }

  function fenceLayer(loc, style) {
    const g = loc.geofence || {};
    if (g.type === "circle") return window.L.circle([loc.lat, loc.lon], { radius: g.radius_m, ...style });
    const swap = (ring) => ring.map(([lon, lat]) => [lat, lon]);
    if (g.type === "Polygon") return window.L.polygon(g.coordinates.map(swap), style);
    if (g.type === "MultiPolygon") return window.L.polygon(g.coordinates.map((p) => p.map(swap)), style);
    return window.L.circleMarker([loc.lat, loc.lon], { radius: 6, ...style });
  }

  function create(el, locations) {
    const map = window.L.map(el, { attributionControl: true, zoomSnap: 0.5 });
    map.attributionControl.setPrefix(false).addAttribution("Grid basemap (no tiles)");
    window.L.control.scale({ imperial: false }).addTo(map);
    // The view first (from the locations' points; a circle's bounds need a map), then the layers.
    const pts = [];
    for (const loc of locations) {
      pts.push([loc.lat, loc.lon]);
      const g = loc.geofence || {};
      if (g.type === "Polygon") g.coordinates.flat().forEach(([x, y]) => pts.push([y, x]));
      if (g.type === "MultiPolygon") g.coordinates.flat(2).forEach(([x, y]) => pts.push([y, x]));
    }
    if (pts.length) map.fitBounds(window.L.latLngBounds(pts).pad(0.15), { maxZoom: 16 }); else map.setView([52.37, 4.89], 12);
    gridLayer(map);
    const group = window.L.featureGroup().addTo(map);
    for (const loc of locations) {
      fenceLayer(loc, { color: "#4338ca", weight: 2, fillOpacity: 0.15 }).bindTooltip(loc.name).addTo(group);
    }
    return { map, group };
  }

  window.LoyMap = { create, fenceLayer };
})();
