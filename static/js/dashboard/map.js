/* Ward dashboard map: residential groups coloured by coverage, household GPS points clustered.
   Data comes from the JSON endpoints named in the map element's data-* attributes. */
(function () {
  "use strict";
  var el = document.getElementById("dashboard-map");
  if (!el || !window.L) { return; }
  var labels = JSON.parse(el.getAttribute("data-labels") || "{}");
  var percent = new Intl.NumberFormat(document.documentElement.lang || "vi", { style: "percent" });
  var number = new Intl.NumberFormat(document.documentElement.lang || "vi");

  /* A count; null is a cell suppressed for city roles (1 to 4 households or people). */
  function count(value) { return value === null ? "<5" : number.format(value); }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(url + ": " + response.status); }
        return response.json();
      });
  }

  function node(tag, text, className) {
    var element = document.createElement(tag);
    if (text !== undefined && text !== null) { element.textContent = text; }
    if (className) { element.className = className; }
    return element;
  }

  /* A popup with the group's figures and its team, built as DOM nodes (no HTML strings). */
  function popup(group) {
    var box = node("div");
    box.appendChild(node("strong", group.code + " · " + group.name));
    var list = node("dl");
    var rows = [
      [labels.coverage, group.share === null ? "–" : percent.format(group.share)],
      [labels.expected, count(group.expected)], [labels.visited, count(group.visited)],
      [labels.interviewed, count(group.interviewed)], [labels.revisit, count(group.revisit)],
      [labels.refused, count(group.refused)], [labels.moved, count(group.moved)],
      [labels.people, count(group.people)], [labels.team, group.team_name || labels.no_team]
    ];
    rows.forEach(function (row) {
      list.appendChild(node("dt", row[0]));
      list.appendChild(node("dd", row[1]));
    });
    box.appendChild(list);
    return box;
  }

  var map = L.map(el, { zoomSnap: 0.25, maxZoom: 19, attributionControl: Boolean(el.getAttribute("data-tile-url")) });
  var tileUrl = el.getAttribute("data-tile-url");
  if (tileUrl) { L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map); }
  map.setView([0, 0], 2);

  getJSON(el.getAttribute("data-groups-url")).then(function (data) {
    var loading = el.querySelector(".map-loading");
    if (loading) { loading.remove(); }
    var layer = L.geoJSON(data, {
      style: function (feature) {
        return { className: "group-shape " + feature.properties.css, weight: 1.5 };
      },
      onEachFeature: function (feature, shape) {
        shape.bindPopup(popup(feature.properties));
      }
    }).addTo(map);
    layer.eachLayer(function (shape) {
      var path = shape.getElement();
      if (path) {
        path.setAttribute("data-group-code", shape.feature.properties.code);
        path.setAttribute("data-group-id", String(shape.feature.properties.id));
      }
    });
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [8, 8] }); }
    el.setAttribute("data-state", "ready");
    var points = el.getAttribute("data-households-url");  // empty for city roles: figures, not households
    return points ? getJSON(points) : {};
  }).then(function (data) {
    var count = data && data.lat ? data.lat.length : 0;
    if (!count) { return; }
    var markers = L.markerClusterGroup ? L.markerClusterGroup({ chunkedLoading: true, disableClusteringAtZoom: 19 })
      : L.layerGroup();
    var layers = [];
    for (var i = 0; i < count; i += 1) {
      layers.push(L.circleMarker([data.lat[i], data.lon[i]],
        { radius: 5, className: "household-point status-" + data.status[i] }));
    }
    if (markers.addLayers) { markers.addLayers(layers); } else { layers.forEach(function (m) { m.addTo(markers); }); }
    markers.addTo(map);
    el.setAttribute("data-points", String(count));
  }).catch(function (error) {
    el.setAttribute("data-state", "error");
    el.appendChild(node("p", String(error), "flash flash-error"));
  });
})();
