// The maps of the request form and of a request's page (Leaflet, embedded in the binary).
// Without JavaScript the form's kecamatan, desa, address and coordinate fields do the job,
// so the map is only shown once this script runs; a link before it skips it.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.L) { return; }

  // Base tiles from the deployment's tile server; without one, a plain grid, so a tap
  // still lands somewhere that reads as a map, framed by the regency's bounds.
  function baseLayer(map, el) {
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, subdomains: "abc" }).addTo(map);
      return;
    }
    var Grid = L.GridLayer.extend({
      createTile: function () {
        var tile = document.createElement("canvas");
        var size = this.getTileSize();
        tile.width = size.x;
        tile.height = size.y;
        var ctx = tile.getContext("2d");
        ctx.fillStyle = "#f4f6f4";
        ctx.fillRect(0, 0, size.x, size.y);
        ctx.strokeStyle = "#c9d1cc";
        ctx.strokeRect(0.5, 0.5, size.x - 1, size.y - 1);
        return tile;
      }
    });
    new Grid().addTo(map);
  }

  function bounds(el) {
    var b = (el.getAttribute("data-bounds") || "").split(",").map(parseFloat);
    if (b.length !== 4 || b.some(isNaN)) { return null; }
    return L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
  }

  function point(el) {
    var p = (el.getAttribute("data-point") || "").split(",").map(function (v) { return parseFloat(v.replace(",", ".")); });
    if (p.length !== 2 || isNaN(p[0]) || isNaN(p[1])) { return null; }
    return L.latLng(p[0], p[1]);
  }

  // A dot at least 24 px across, drawn by CSS (no image to fetch).
  var dot = L.divIcon({ className: "map-dot", iconSize: [28, 28], iconAnchor: [14, 14] });

  function makeMap(el, interactive) {
    var map = L.map(el, {
      attributionControl: false,
      zoomControl: interactive,
      dragging: interactive,
      touchZoom: interactive,
      scrollWheelZoom: false,
      doubleClickZoom: interactive,
      boxZoom: false,
      keyboard: interactive,
      tap: interactive
    });
    baseLayer(map, el);
    var b = bounds(el);
    if (b) {
      L.rectangle(b, { color: "#1d5c4b", weight: 2, fill: false, interactive: false }).addTo(map);
    }
    return { map: map, bounds: b };
  }

  // A request's page: its point, nothing to change.
  var shown = document.getElementById("point-map");
  if (shown) {
    var p = point(shown);
    if (p) {
      document.getElementById("point-map-wrap").hidden = false;
      var m = makeMap(shown, false);
      m.map.setView(p, 15);
      L.marker(p, { icon: dot, keyboard: false, interactive: false }).addTo(m.map);
    }
  }

  // The request form: a tap sets the point (latitude and longitude fields), the marker can be
  // dragged, and typing in the fields (or "use my location") moves it.
  var el = document.getElementById("pick-map");
  var lat = document.getElementById("f-latitude");
  var lon = document.getElementById("f-longitude");
  if (!el || !lat || !lon) { return; }
  document.getElementById("pick-map-wrap").hidden = false;
  var pick = makeMap(el, true);
  var map = pick.map;
  var start = point(el);
  if (start) { map.setView(start, 16); }
  else if (pick.bounds) { map.fitBounds(pick.bounds); }
  else { map.setView([-8.58, 115.18], 11); }
  var marker = null;
  function fill(ll) {
    lat.value = ll.lat.toFixed(6);
    lon.value = ll.lng.toFixed(6);
  }
  function place(ll) {
    if (!marker) {
      marker = L.marker(ll, { icon: dot, draggable: true, keyboard: false }).addTo(map);
      marker.on("dragend", function () { fill(marker.getLatLng()); });
    } else {
      marker.setLatLng(ll);
    }
  }
  if (start) { place(start); }
  map.on("click", function (e) { place(e.latlng); fill(e.latlng); });
  function fromFields() {
    var a = parseFloat(lat.value.replace(",", "."));
    var o = parseFloat(lon.value.replace(",", "."));
    if (isNaN(a) || isNaN(o) || a < -90 || a > 90 || o < -180 || o > 180) { return; }
    place(L.latLng(a, o));
    map.setView([a, o], Math.max(map.getZoom(), 15));
  }
  lat.addEventListener("change", fromFields);
  lon.addEventListener("change", fromFields);
  // "use my location" (app.js) fills the fields and says so with this event
  document.addEventListener("kp:located", fromFields);
});
