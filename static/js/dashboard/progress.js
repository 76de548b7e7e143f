/* Progress per day: bars of households interviewed, a line of all visits, drawn as SVG. */
(function () {
  "use strict";
  var svg = document.getElementById("progress-chart");
  if (!svg) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var width = 640, height = 220, left = 40, right = 10, top = 10, bottom = 30;

  function add(tag, attributes, text) {
    var element = document.createElementNS(NS, tag);
    Object.keys(attributes).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    if (text !== undefined) { element.textContent = text; }
    svg.appendChild(element);
    return element;
  }

  /* A day's count; null is suppressed for city roles (1 to 4): drawn as nothing, titled "<5". */
  function value(count) { return count === null ? 0 : count; }
  function label(count) { return count === null ? "<5" : String(count); }

  function draw(days) {
    var plotWidth = width - left - right, plotHeight = height - top - bottom;
    var highest = Math.max(1, Math.max.apply(null, days.map(function (d) { return Math.max(value(d.visits), value(d.interviews)); })));
    var step = plotWidth / Math.max(days.length, 1);
    var y = function (value) { return top + plotHeight - (value / highest) * plotHeight; };
    add("line", { x1: left, y1: top + plotHeight, x2: width - right, y2: top + plotHeight, "class": "axis" });
    add("line", { x1: left, y1: top, x2: left, y2: top + plotHeight, "class": "axis" });
    add("text", { x: 4, y: top + 10 }, String(highest));
    add("text", { x: 4, y: top + plotHeight }, "0");
    var points = [];
    days.forEach(function (day, index) {
      var x = left + index * step;
      var bar = add("rect", { x: x + step * 0.1, y: y(value(day.interviews)), width: Math.max(step * 0.8, 1),
        height: top + plotHeight - y(value(day.interviews)), "class": "bar", "data-day": day.day,
        "data-interviews": label(day.interviews) });
      bar.appendChild(document.createElementNS(NS, "title")).textContent =
        day.day + ": " + label(day.interviews) + " / " + label(day.visits);
      points.push((x + step / 2).toFixed(1) + "," + y(value(day.visits)).toFixed(1));
    });
    if (points.length) { add("polyline", { points: points.join(" "), "class": "visits-line" }); }
    if (days.length) {
      add("text", { x: left, y: height - 8 }, days[0].day);
      add("text", { x: width - right, y: height - 8, "text-anchor": "end" }, days[days.length - 1].day);
    }
    svg.setAttribute("data-days", String(days.length));
  }

  fetch(svg.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) { draw(data.days || []); })
    .catch(function () { svg.setAttribute("data-days", "error"); });
})();
