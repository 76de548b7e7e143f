/* Ward dashboard map: a choropleth of the residential groups, coloured by the indicator picked in
   #map-indicator (coverage, VNeID level 2, skill level L3+, learning demand, support acts), each group
   labelled with its code and value, a legend for the classes; household GPS points clustered.
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

  /* Colour every group by `key`, relabel it, and redraw the legend. */
  function paint(layer, key) {
    var values = [];
    layer.eachLayer(function (shape) { values.push(valueOf(shape.feature.properties, key).value); });
    var bounds = range(values, key);
    layer.eachLayer(function (shape) {
      var group = shape.feature.properties;
      var found = valueOf(group, key);
      var css = key === "coverage" ? group.css : classOf(found.value, bounds);  // coverage keeps its own classes
      var path = shape.getElement();
      if (path) {
        path.setAttribute("class", "leaflet-interactive group-shape " + css);
        path.setAttribute("data-value", found.value === null ? "" : String(found.value));
      }
      var label = node("span");  // two short lines fit a small group better than one long one
      label.appendChild(node("span", group.code, "group-code"));
      label.appendChild(node("span", found.text, "group-value"));
      shape.setTooltipContent(label);
    });
    var coverageLegend = document.querySelector("[data-testid=legend]");
    if (coverageLegend) { coverageLegend.hidden = key !== "coverage"; }
    if (legend) {
      legend.hidden = key === "coverage";
      legend.textContent = "";
      legendItems(key, bounds).forEach(function (item) {
        var li = node("li");
        li.appendChild(node("span", null, "swatch " + item[0]));
        li.appendChild(document.createTextNode(item[1]));
        legend.appendChild(li);
      });
    }
    el.setAttribute("data-indicator", key);
    fitLabels(layer);
  }

  /* Five equal classes between the lowest and the highest group (a share rounded out to 5 points, a count
     to whole acts), so groups that differ by a few points still differ in colour; the legend says the ranges. */
  var CLASSES = 5;
  function range(values, key) {
    var shown = values.filter(function (v) { return v !== null; });
    if (!shown.length) { return [0, 1]; }
    var low = Math.min.apply(null, shown);
    var high = Math.max.apply(null, shown);
    if (key === "support") { return [Math.floor(low), Math.max(Math.ceil(high), Math.floor(low) + CLASSES)]; }
    low = Math.floor(low * 20) / 20;
    high = Math.min(Math.ceil(high * 20) / 20, 1);
    if (high - low < 0.1) { low = Math.max(high - 0.1, 0); high = low + 0.1; }
    return [low, high];
  }
  function classOf(value, bounds) {
    if (value === null || value === undefined) { return "choro-none"; }
    var step = (value - bounds[0]) / (bounds[1] - bounds[0]);
    return "choro-" + Math.max(Math.min(Math.floor(step * CLASSES), CLASSES - 1), 0);
  }

  function valueOf(group, key) {
    var item = (group.values || {})[key];
    if (!item) { return { value: null, text: labels.no_value }; }
    if (key === "support") {
      return item.n === null ? { value: null, text: labels.suppressed, suppressed: true }
        : { value: item.n, text: number.format(item.n) + " " + labels.acts };
    }
    if (item.share === null || item.share === undefined) {
      var hidden = item.of !== 0 && item.of !== undefined && (item.n === null || item.of === null);
      return { value: null, text: hidden ? labels.suppressed : labels.no_value, suppressed: hidden };
    }
    return { value: item.share, text: percent.format(item.share) };
  }

  function legendItems(key, bounds) {
    var items = [];
    var width = (bounds[1] - bounds[0]) / CLASSES;
    for (var i = 0; i < CLASSES; i += 1) {
      var low = bounds[0] + width * i;
      var high = low + width;
      var text = key === "support"
        ? number.format(Math.ceil(low)) + "–" + number.format(Math.floor(high)) + " " + labels.acts
        : percent.format(low) + "–" + percent.format(high);
      items.push(["choro-" + i, text]);
    }
    items.push(["choro-none", labels.no_value + " / " + labels.suppressed]);
    return items;
  }

  /* A label only where its group is wide enough on screen to hold it. */
  function fitLabels(layer) {
    layer.eachLayer(function (shape) {
      var tip = shape.getTooltip && shape.getTooltip();
      var element = tip && tip.getElement();
      if (!element) { return; }
      var bounds = shape.getBounds();
      var west = map.latLngToContainerPoint(bounds.getSouthWest());
      var east = map.latLngToContainerPoint(bounds.getNorthEast());
      element.hidden = false;  // measure it shown
      element.hidden = Math.abs(east.x - west.x) < element.offsetWidth * 0.8 + 4;
    });
  }

  var legend = document.querySelector("[data-testid=map-legend]");
  var picker = document.getElementById("map-indicator");

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
        shape.bindTooltip(feature.properties.code, { permanent: true, direction: "center", className: "group-label" });
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
    paint(layer, picker ? picker.value : "coverage");
    if (picker) { picker.addEventListener("change", function () { paint(layer, picker.value); }); }
    map.on("zoomend", function () { fitLabels(layer); });
    el.setAttribute("data-state", "ready");
  }).then(function () {
    /* Household points load when asked for (thousands of them), not with the page. */
    var toggle = document.getElementById("map-households");
    var url = el.getAttribute("data-households-url");  // empty for city roles: figures, not households
    if (!toggle || !url) { return; }
    var markers = null;
    toggle.addEventListener("change", function () {
      if (!toggle.checked) { if (markers) { map.removeLayer(markers); } return; }
      if (markers) { markers.addTo(map); return; }
      getJSON(url).then(function (data) {
        var count = data && data.lat ? data.lat.length : 0;
        markers = L.markerClusterGroup ? L.markerClusterGroup({ chunkedLoading: true, disableClusteringAtZoom: 19 })
          : L.layerGroup();
        var layers = [];
        for (var i = 0; i < count; i += 1) {
          layers.push(L.circleMarker([data.lat[i], data.lon[i]],
            { radius: 5, className: "household-point status-" + data.status[i] }));
        }
        if (markers.addLayers) { markers.addLayers(layers); } else { layers.forEach(function (m) { m.addTo(markers); }); }
        if (toggle.checked) { markers.addTo(map); }
        el.setAttribute("data-points", String(count));
      }).catch(function (error) {
        el.appendChild(node("p", String(error), "flash flash-error"));
      });
    });
  }).catch(function (error) {
    el.setAttribute("data-state", "error");
    el.appendChild(node("p", String(error), "flash flash-error"));
  });
})();
