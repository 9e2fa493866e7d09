// The dashboard's script: reads the embedded JSON, draws the charts as SVG, filters the study list.
// Data only ever reaches the page as text nodes and attribute values, never as markup.
(function () {
  "use strict";

  var D = JSON.parse(document.getElementById("dashboard-data").textContent);
  var L = D.labels;
  var SVGNS = "http://www.w3.org/2000/svg";
  var GROUP_COLOURS = {
    "randomised trial": "#0072b2", "systematic review": "#009e73", "other study": "#e69f00",
    "protocol": "#cc79a7", "unknown": "#8a939c"
  };
  var DIRECTION_COLOURS = {
    favours_dry_needling: "#1b7f4f", no_difference: "#6b7682", mixed: "#e69f00",
    favours_comparator: "#b2313d", other: "#c9d0d7"
  };
  var BUBBLE = "#00697f";
  var CUMULATIVE = "#2b3a48";
  var numberFmt = new Intl.NumberFormat("en-GB");

  // ------------------------------------------------------------------ helpers

  function el(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.setAttribute("class", v);
      else node.setAttribute(k, v === true ? "" : String(v));
    });
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function byId(id) { return document.getElementById(id); }
  function label(kind, value) {
    var table = L[kind] || {};
    if (Object.prototype.hasOwnProperty.call(table, value)) return table[value];
    return String(value).replace(/_/g, " ");
  }
  function fmt(n) { return n === null || n === undefined ? "–" : numberFmt.format(n); }
  function plural(n, one, many) { return fmt(n) + " " + (n === 1 ? one : (many || one + "s")); }
  function weeks(w) {
    if (w === null || w === undefined) return "–";
    if (w === 0) return "same day";
    if (w < 1) return Math.round(w * 7) + " d";
    return (Math.round(w * 10) / 10) + " wk";
  }

  // ------------------------------------------------------------------ summary

  function drawSummary() {
    var t = D.totals, last = D.runs.last_success;
    var lede = plural(t.relevant, "relevant study", "relevant studies") + " of " +
      plural(t.screened, "PubMed record") + " screened";
    lede += last ? ". Warehouse last updated " + last.finished_at + " UTC." : ". No successful run yet.";
    byId("lede").textContent = lede;
    var kpis = [
      [t.relevant, "relevant studies"],
      [t.randomised_trials, "randomised trials"],
      [t.reviews, "systematic reviews"],
      [t.participants_primary, "participants in primary studies"],
      [t.protocols, "protocols (ongoing)"],
      [t.retracted, "retracted articles", t.retracted > 0]
    ];
    var list = byId("kpis");
    kpis.forEach(function (k) {
      list.appendChild(el("li", { class: k[2] ? "alert" : null },
        el("span", { class: "value", text: fmt(k[0]) }), el("span", { class: "label", text: k[1] })));
    });
  }

  // ------------------------------------------------------------------ evidence map

  var mapButtons = [];

  function drawMap() {
    var M = D.map, table = byId("evidence-map");
    if (!M.cells.length) {
      table.appendChild(el("tbody", null, el("tr", null, el("td", { text: "No relevant studies yet." }))));
      return;
    }
    var cells = {};
    var maxP = 0;
    M.cells.forEach(function (c) {
      cells[c.condition + "\u0000" + c.design] = c;
      if (c.participants) maxP = Math.max(maxP, c.participants);
    });
    var head = el("tr", null, el("td", null));
    M.designs.forEach(function (d) { head.appendChild(el("th", { scope: "col", text: label("design", d) })); });
    table.appendChild(el("thead", null, head));
    var body = el("tbody");
    M.conditions.forEach(function (cond) {
      var row = el("tr", null, el("th", { scope: "row", text: label("condition", cond) }));
      M.designs.forEach(function (design) {
        var c = cells[cond + "\u0000" + design];
        if (!c) {
          row.appendChild(el("td", { class: "empty" }, el("span", { "aria-hidden": "true", text: "·" }),
            el("span", { class: "visually-hidden", text: "no studies" })));
          return;
        }
        row.appendChild(el("td", null, mapCell(c, cond, design, maxP)));
      });
      body.appendChild(row);
    });
    table.appendChild(body);
    var retracted = M.cells.reduce(function (s, c) { return s + c.retracted; }, 0);
    var unsized = M.cells.some(function (c) { return !c.participants; });
    byId("map-note").textContent = "Largest bubble: " + plural(maxP, "participant") +
      ". Reviews pool the participants of other studies and protocols count planned ones, so compare bubbles within a column." +
      (unsized ? " A dashed ring: no study in the cell states its size." : "") +
      (retracted ? " † marks a cell holding a retracted article (" + fmt(retracted) + " in all)." : "");
  }

  function mapCell(c, cond, design, maxP) {
    var filled = !!(c.participants && maxP);
    var r = filled ? 9 + 14 * Math.sqrt(c.participants / maxP) : 10;
    var desc = label("condition", cond) + ", " + label("design", design) + ": " +
      plural(c.studies, "study", "studies") + ", " +
      (c.participants ? plural(c.participants, "participant") : "participants not stated") +
      (c.retracted ? ", " + fmt(c.retracted) + " retracted" : "") + ". Show these studies.";
    var circle = svg("svg", { width: 50, height: 50, viewBox: "0 0 50 50", "aria-hidden": "true", focusable: "false" },
      svg("circle", {
        cx: 25, cy: 25, r: r.toFixed(1), fill: filled ? BUBBLE : "#ffffff",
        stroke: BUBBLE, "stroke-width": 1.5, "stroke-dasharray": filled ? null : "3 2"
      }));
    var btn = el("button", {
      type: "button", class: "cell", "aria-pressed": "false", "aria-label": desc, title: desc,
      "data-condition": cond, "data-design": design, "data-studies": c.studies
    }, circle, el("span", { class: "n" + (filled ? " light" : ""), text: fmt(c.studies) }),
      c.retracted ? el("span", { class: "dagger", "aria-hidden": "true", text: "†" }) : null);
    btn.addEventListener("click", function () {
      var again = btn.getAttribute("aria-pressed") === "true";
      clearFilters();
      if (!again) {
        controls.condition.value = cond;
        controls.design.value = design;
      }
      update();
      byId("studies").scrollIntoView({ block: "start" });
    });
    mapButtons.push(btn);
    return btn;
  }

  function syncMap() {
    var cond = controls.condition.value, design = controls.design.value;
    var onlyThose = !controls.search.value && !controls.comparator.value && !controls.domain.value &&
      !controls.direction.value && !controls.followup.value && !controls.size.value;
    mapButtons.forEach(function (b) {
      var on = onlyThose && b.getAttribute("data-condition") === cond && b.getAttribute("data-design") === design;
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  // ------------------------------------------------------------------ timeline

  function drawTimeline() {
    var T = D.timeline, box = byId("timeline");
    if (!T.years.length) { box.appendChild(el("p", { class: "hint", text: "No dated studies yet." })); return; }
    var stacks = {};
    T.years.forEach(function (y) { stacks[y] = {}; });
    T.counts.forEach(function (c) { stacks[c.year][c.design_group] = c.studies; });
    var totals = T.years.map(function (y) {
      return T.groups.reduce(function (s, g) { return s + (stacks[y][g] || 0); }, 0);
    });
    var maxY = Math.max.apply(null, totals.concat([1]));
    var step = maxY <= 5 ? 1 : maxY <= 12 ? 2 : Math.ceil(maxY / 6);
    var top = Math.ceil(maxY / step) * step;
    var W = 560, H = 270, m = { l: 30, r: 30, t: 10, b: 28 };
    var iw = W - m.l - m.r, ih = H - m.t - m.b;
    var band = iw / T.years.length, bw = Math.max(2, Math.min(28, band * 0.72));
    var all = totals.reduce(function (a, b) { return a + b; }, 0);
    var peak = T.years[totals.indexOf(Math.max.apply(null, totals))];
    var summary = "Bar chart of relevant studies per year from " + T.years[0] + " to " + T.years[T.years.length - 1] +
      ", " + plural(all, "study", "studies") + " in all, most in " + peak + " (" + fmt(Math.max.apply(null, totals)) + ").";
    var chart = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": summary });
    for (var v = 0; v <= top; v += step) {
      var y = m.t + ih - ih * v / top;
      chart.appendChild(svg("line", { class: "gridline", x1: m.l, x2: W - m.r, y1: y, y2: y }));
      chart.appendChild(svg("text", { x: m.l - 6, y: y + 4, "text-anchor": "end", text: String(v) }));
    }
    var labelEvery = Math.ceil(T.years.length / 12);
    T.years.forEach(function (year, i) {
      var x = m.l + band * i + (band - bw) / 2, base = m.t + ih;
      T.groups.forEach(function (g) {
        var n = stacks[year][g] || 0;
        if (!n) return;
        var h = ih * n / top;
        base -= h;
        chart.appendChild(svg("rect", { x: x.toFixed(1), y: base.toFixed(1), width: bw.toFixed(1), height: h.toFixed(1), fill: GROUP_COLOURS[g] || "#8a939c" },
          svg("title", { text: year + " · " + label("design_group", g) + ": " + n })));
      });
      if ((T.years.length - 1 - i) % labelEvery === 0) {
        chart.appendChild(svg("text", { x: (m.l + band * i + band / 2).toFixed(1), y: H - 10, "text-anchor": "middle", text: String(year) }));
      }
    });
    chart.appendChild(svg("line", { class: "axis", x1: m.l, x2: W - m.r, y1: m.t + ih, y2: m.t + ih }));
    // The running total on its own right-hand scale: the field's growth at a glance.
    var running = 0, points = [];
    T.years.forEach(function (year, i) {
      running += totals[i];
      points.push([m.l + band * i + band / 2, m.t + ih - ih * running / all, running]);
    });
    chart.appendChild(svg("text", { x: W - m.r + 6, y: m.t + 4, "text-anchor": "start", text: String(all) }));
    chart.appendChild(svg("text", { x: W - m.r + 6, y: m.t + ih + 4, "text-anchor": "start", text: "0" }));
    chart.appendChild(svg("polyline", {
      points: points.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" "),
      fill: "none", stroke: CUMULATIVE, "stroke-width": 2, "stroke-linejoin": "round"
    }));
    points.forEach(function (p, i) {
      chart.appendChild(svg("circle", { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: 2.6, fill: CUMULATIVE },
        svg("title", { text: "Up to " + T.years[i] + ": " + plural(p[2], "study", "studies") })));
    });
    box.appendChild(chart);
    var legend = byId("timeline-legend");
    T.groups.forEach(function (g) {
      var sw = el("span", { class: "swatch", "aria-hidden": "true" });
      sw.style.background = GROUP_COLOURS[g] || "#8a939c";
      legend.appendChild(el("li", null, sw, label("design_group", g)));
    });
    var line = el("span", { class: "swatch line", "aria-hidden": "true" });
    line.style.background = CUMULATIVE;
    legend.appendChild(el("li", null, line, "Running total (right scale)"));
    var recent = T.years.slice(-5).reduce(function (s, y, i) { return s + totals[T.years.length - Math.min(5, T.years.length) + i]; }, 0);
    byId("timeline-hint").textContent = "Relevant studies per publication year, stacked by design: " +
      plural(all, "study", "studies") + " since " + T.years[0] + ", " + fmt(recent) + " of them in the last five years shown." +
      (T.undated ? " " + plural(T.undated, "study", "studies") + " without a year are not drawn." : "");
  }

  // ------------------------------------------------------------------ outcomes

  var DIRECTION_KEYS = ["favours_dry_needling", "no_difference", "mixed", "favours_comparator", "other"];

  function drawOutcomes() {
    var table = byId("outcomes");
    if (!D.outcomes.length) {
      table.appendChild(el("tbody", null, el("tr", null, el("td", { text: "No randomised trial with outcome domains yet." }))));
      return;
    }
    table.appendChild(el("thead", null, el("tr", null,
      el("th", { scope: "col", text: "Domain" }), el("th", { scope: "col", class: "num", text: "Trials" }),
      el("th", { scope: "col", class: "num", text: "Favour DN" }), el("th", { scope: "col", class: "num", text: "No diff." }),
      el("th", { scope: "col", class: "num", text: "Other" }), el("th", { scope: "col", text: "Share of trials" }))));
    var body = el("tbody");
    D.outcomes.forEach(function (o) {
      var bar = el("div", { class: "bar", "aria-hidden": "true" });
      DIRECTION_KEYS.forEach(function (k) {
        if (!o[k]) return;
        var s = el("span", { title: label("direction", k === "other" ? "unclear" : k) + ": " + o[k] });
        s.style.width = (100 * o[k] / o.trials) + "%";
        s.style.background = DIRECTION_COLOURS[k];
        bar.appendChild(s);
      });
      var other = o.mixed + o.favours_comparator + o.other;
      var otherText = [o.mixed ? o.mixed + " mixed" : "", o.favours_comparator ? o.favours_comparator + " favour comparator" : "",
        o.other ? o.other + " unclear" : ""].filter(Boolean).join(", ");
      body.appendChild(el("tr", null,
        el("th", { scope: "row", text: label("domain", o.domain) }),
        el("td", { class: "num", text: fmt(o.trials) }),
        el("td", { class: "num", text: fmt(o.favours_dry_needling) }),
        el("td", { class: "num", text: fmt(o.no_difference) }),
        el("td", { class: "num", text: fmt(other), title: otherText || null }),
        el("td", null, bar)));
    });
    table.appendChild(body);
    var legend = byId("outcomes-legend");
    [["favours_dry_needling", "Favours dry needling"], ["no_difference", "No difference"], ["mixed", "Mixed"],
     ["favours_comparator", "Favours comparator"], ["other", "Unclear / not stated"]].forEach(function (k) {
      var sw = el("span", { class: "swatch", "aria-hidden": "true" });
      sw.style.background = DIRECTION_COLOURS[k[0]];
      legend.appendChild(el("li", null, sw, k[1]));
    });
  }

  // ------------------------------------------------------------------ run health

  function drawHealth() {
    var R = D.runs, last = R.last_success, fresh = byId("freshness");
    if (last) {
      append(fresh, [el("strong", { text: "Fresh as of " + last.finished_at + " UTC" }),
        " — last successful " + last.kind + " (" + last.run_id + "): " + fmt(last.new) + " added, " +
        fmt(last.updated) + " updated, " + fmt(last.deleted) + " withdrawn."]);
    } else {
      fresh.appendChild(el("strong", { text: "No successful run yet." }));
    }
    if (D.totals.newest_entrez_date) fresh.appendChild(document.createTextNode(" Newest record entered PubMed on " + D.totals.newest_entrez_date + "."));
    if (R.not_successful) fresh.appendChild(document.createTextNode(" " + plural(R.not_successful, "run") + " did not finish cleanly."));
    var table = byId("runs");
    table.appendChild(el("caption", { class: "visually-hidden", text: "The last " + R.recent.length + " runs, newest first" }));
    table.appendChild(el("thead", null, el("tr", null, ["Started (UTC)", "Kind", "Status", "Added", "Updated", "Errors", "Time", "Note"]
      .map(function (h, i) { return el("th", { scope: "col", class: i >= 3 && i <= 6 ? "num" : null, text: h }); }))));
    var body = el("tbody");
    R.recent.forEach(function (r) {
      var cls = r.status === "success" ? "success" : r.status === "failed" ? "failed" : "other";
      var mark = r.status === "success" ? "✓ " : r.status === "failed" ? "✕ " : "! ";
      body.appendChild(el("tr", null,
        el("td", { text: r.started_at || "–", title: r.run_id }),
        el("td", { text: r.kind + (r.mode ? " · " + r.mode : "") }),
        el("td", null, el("span", { class: "status " + cls, text: mark + r.status })),
        el("td", { class: "num", text: fmt(r.new) }),
        el("td", { class: "num", text: fmt(r.updated) }),
        el("td", { class: "num", text: fmt(r.errors) }),
        el("td", { class: "num", text: r.seconds === null || r.seconds === undefined ? "–" : r.seconds + " s" }),
        el("td", { class: "msg", text: r.status === "success" ? "" : (r.last_stage ? "at " + r.last_stage + ": " : "") + (r.message || "") })));
    });
    if (!R.recent.length) body.appendChild(el("tr", null, el("td", { colspan: 8, text: "No runs recorded." })));
    table.appendChild(body);
  }

  // ------------------------------------------------------------------ study list and filters

  var controls = {
    search: byId("f-search"), condition: byId("f-condition"), design: byId("f-design"),
    comparator: byId("f-comparator"), domain: byId("f-domain"), direction: byId("f-direction"),
    followup: byId("f-followup"), size: byId("f-size"), sort: byId("f-sort")
  };

  function fillSelect(select, anyText, kind, values) {
    select.appendChild(el("option", { value: "", text: anyText }));
    values.forEach(function (v) {
      select.appendChild(el("option", { value: v[0], text: label(kind, v[0]) + " (" + v[1] + ")" }));
    });
  }

  function counted(key, vocabulary) {
    var counts = {};
    D.studies.forEach(function (s) {
      [].concat(s[key]).forEach(function (v) { counts[v] = (counts[v] || 0) + 1; });
    });
    var order = Object.keys(L[vocabulary] || {});
    return Object.keys(counts).sort(function (a, b) {
      var ia = order.indexOf(a), ib = order.indexOf(b);
      ia = ia < 0 ? 1e9 : ia; ib = ib < 0 ? 1e9 : ib;
      return ia - ib || (a < b ? -1 : a > b ? 1 : 0);
    }).map(function (k) { return [k, counts[k]]; });
  }

  function buildFilters() {
    fillSelect(controls.condition, "Any condition", "condition", counted("condition", "condition"));
    fillSelect(controls.design, "Any design", "design", counted("design", "design"));
    fillSelect(controls.comparator, "Any comparator", "comparator", counted("comparator", "comparator"));
    fillSelect(controls.domain, "Any outcome domain", "domain", counted("outcome_domains", "domain"));
    fillSelect(controls.direction, "Any result", "direction", counted("direction", "direction"));
    controls.followup.appendChild(el("option", { value: "", text: "Any follow-up" }));
    D.follow_up_steps.forEach(function (s) {
      controls.followup.appendChild(el("option", { value: String(s.weeks), text: "At least " + s.label }));
    });
    Object.keys(controls).forEach(function (k) {
      controls[k].addEventListener(controls[k].tagName === "SELECT" ? "change" : "input", update);
    });
    byId("filters").addEventListener("submit", function (e) { e.preventDefault(); });
    byId("f-reset").addEventListener("click", function () { clearFilters(); update(); controls.search.focus(); });
    byId("clear-empty").addEventListener("click", function () { clearFilters(); update(); controls.search.focus(); });
  }

  function clearFilters() {
    Object.keys(controls).forEach(function (k) { if (k !== "sort") controls[k].value = ""; });
  }

  function haystack(s) {
    return [s.pmid, s.title, s.authors, s.journal, s.journal_iso, s.doi, s.registration, s.intervention,
      s.outcome_instruments.join(" "), s.muscles.join(" "), label("condition", s.condition), label("design", s.design)]
      .filter(Boolean).join(" \u0001 ").toLowerCase();
  }
  D.studies.forEach(function (s) { s._text = haystack(s); });

  function matches(s) {
    var c = controls;
    if (c.condition.value && s.condition !== c.condition.value) return false;
    if (c.design.value && s.design !== c.design.value) return false;
    if (c.comparator.value && s.comparator !== c.comparator.value) return false;
    if (c.direction.value && s.direction !== c.direction.value) return false;
    if (c.domain.value && s.outcome_domains.indexOf(c.domain.value) < 0) return false;
    if (c.followup.value) {
      if (s.max_follow_up_weeks === null || s.max_follow_up_weeks === undefined) return false;
      if (s.max_follow_up_weeks < parseFloat(c.followup.value) - 1e-9) return false;
    }
    var size = c.size.value.trim();
    if (size !== "" && !isNaN(parseInt(size, 10))) {
      if (s.sample_size === null || s.sample_size === undefined || s.sample_size < parseInt(size, 10)) return false;
    }
    var words = c.search.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (var i = 0; i < words.length; i++) if (s._text.indexOf(words[i]) < 0) return false;
    return true;
  }

  function sorter(kind) {
    function num(v, dflt) { return v === null || v === undefined ? dflt : v; }
    var base = D.studies.map(function (s, i) { return [s, i]; });  // the data's own order breaks ties
    var key = {
      newest: function (a, b) { return a[1] - b[1]; },
      oldest: function (a, b) { return num(a[0].year, 1e4) - num(b[0].year, 1e4) || b[1] - a[1]; },
      size: function (a, b) { return num(b[0].sample_size, -1) - num(a[0].sample_size, -1) || a[1] - b[1]; },
      followup: function (a, b) { return num(b[0].max_follow_up_weeks, -1) - num(a[0].max_follow_up_weeks, -1) || a[1] - b[1]; }
    }[kind] || function (a, b) { return a[1] - b[1]; };
    return base.sort(key).map(function (p) { return p[0]; });
  }

  var openPmids = {};

  function update() {
    var rows = sorter(controls.sort.value).filter(matches);
    var body = byId("study-rows");
    body.textContent = "";
    rows.forEach(function (s) { studyRows(s).forEach(function (r) { body.appendChild(r); }); });
    var count = byId("result-count");
    count.setAttribute("data-count", String(rows.length));
    count.textContent = "";
    append(count, ["Showing ", el("strong", { text: fmt(rows.length) }), " of " + plural(D.studies.length, "study", "studies")]);
    byId("no-results").hidden = rows.length > 0 || D.studies.length === 0;
    syncMap();
  }

  function studyRows(s) {
    var open = !!openPmids[s.pmid];
    var detailId = "detail-" + s.pmid;
    var btn = el("button", { type: "button", class: "title-btn", "aria-expanded": open ? "true" : "false", "aria-controls": detailId },
      el("span", { class: "title-text", text: s.title || "(no title in PubMed; PMID " + s.pmid + ")" }),
      s.is_retracted ? el("span", { class: "badge retracted", text: "Retracted" }) : null,
      s.has_erratum ? el("span", { class: "badge erratum", text: "Erratum" }) : null);
    var byline = [firstAuthor(s.authors), s.journal_iso || s.journal].filter(Boolean).join(" · ");
    var tr = el("tr", { class: "study" + (s.is_retracted ? " retracted" : "") + (open ? " open" : ""), "data-pmid": s.pmid },
      el("td", null, btn, byline ? el("span", { class: "byline", text: byline }) : null),
      el("td", { class: "num", text: s.year === null ? "–" : String(s.year) }),
      el("td", { text: label("condition", s.condition) }),
      el("td", { text: label("design", s.design) }),
      el("td", { class: "num", text: fmt(s.sample_size) }),
      el("td", { class: "num", text: weeks(s.max_follow_up_weeks) }),
      el("td", { text: label("comparator", s.comparator) }),
      el("td", null, directionTag(s.direction)));
    var detail = el("tr", { class: "detail", id: detailId, hidden: !open }, el("td", { colspan: 8 }, open ? studyDetail(s) : null));
    function toggle() {
      var nowOpen = btn.getAttribute("aria-expanded") !== "true";
      if (nowOpen) openPmids[s.pmid] = true; else delete openPmids[s.pmid];
      btn.setAttribute("aria-expanded", nowOpen ? "true" : "false");
      tr.classList.toggle("open", nowOpen);
      detail.hidden = !nowOpen;
      if (nowOpen && !detail.firstChild.firstChild) detail.firstChild.appendChild(studyDetail(s));
    }
    btn.addEventListener("click", function (e) { e.stopPropagation(); toggle(); });
    tr.addEventListener("click", function (e) {
      if (e.target.closest("a, button, input, select")) return;
      toggle();
    });
    return [tr, detail];
  }

  function firstAuthor(authors) {
    if (!authors) return "";
    var parts = authors.split(", ");
    return parts.length > 1 ? parts[0] + " et al." : parts[0];
  }

  function directionTag(d) {
    var span = el("span", { class: "dir", text: label("direction", d) });
    var colour = DIRECTION_COLOURS[d];
    if (colour) span.style.setProperty("--dot", colour);
    return span;
  }

  function fieldValue(f) {
    var v = f.value;
    if (f.field === "relevant") return v === "true" ? "yes" : "no";
    if (f.field === "max_follow_up_weeks" || f.field === "treatment_duration_weeks") return weeks(parseFloat(v));
    var kinds = { design: "design", condition: "condition", comparator: "comparator", direction: "direction", adverse_events: "adverse_events" };
    if (kinds[f.field]) return label(kinds[f.field], v);
    if (f.field === "outcome_domains") return v.split(", ").map(function (x) { return label("domain", x); }).join(", ");
    if (f.field === "certainty") return v.replace(/_/g, " ");
    return v;
  }

  function studyDetail(s) {
    var facts = D.evidence[s.pmid] || [];
    var abstract = D.abstracts[s.pmid] || "";
    var wrap = el("div", { class: "detail-body" });
    var cite = [s.authors, s.journal, [s.pub_date_text || s.year, s.volume ? s.volume + (s.issue ? "(" + s.issue + ")" : "") : null, s.pages]
      .filter(Boolean).join("; ")].filter(Boolean).join(". ");
    var links = el("span", { class: "links" },
      el("a", { href: "https://pubmed.ncbi.nlm.nih.gov/" + encodeURIComponent(s.pmid) + "/", target: "_blank", rel: "noopener noreferrer", text: "PubMed " + s.pmid }),
      s.doi ? el("a", { href: "https://doi.org/" + encodeURI(s.doi), target: "_blank", rel: "noopener noreferrer", text: "DOI " + s.doi }) : null,
      s.pmc ? el("a", { href: "https://pmc.ncbi.nlm.nih.gov/articles/" + encodeURIComponent(s.pmc) + "/", target: "_blank", rel: "noopener noreferrer", text: "Free full text (" + s.pmc + ")" }) : null);
    wrap.appendChild(el("div", { class: "detail-head" }, links, el("span", { class: "cite", text: cite })));
    if (s.is_retracted) {
      wrap.appendChild(el("p", { class: "retraction-note", text: "Retracted: PubMed marks this article as retracted. Do not rely on its results." }));
    }
    var factRows = el("tbody");
    var n = 0, marks = [], titleRef = null, titleFields = [], quoted = {};
    facts.forEach(function (f) {
      var quote = null, source = f.source;
      if (f.span) {
        var at = abstract ? abstract.indexOf(f.span) : -1;
        var ref = null;
        if (at < 0 && s.title && f.span === s.title) {
          // A fact read from the title (whatever its recorded source) is highlighted in the title.
          source = "title";
          if (titleRef === null) { n += 1; titleRef = n; }
          ref = titleRef;
          titleFields.push(f.field);
        } else if (at >= 0) {
          var existing = marks.filter(function (m) { return m.start === at && m.end === at + f.span.length; })[0];
          if (existing) { existing.fields.push(f.field); ref = existing.ref; }
          else { n += 1; ref = n; marks.push({ start: at, end: at + f.span.length, fields: [f.field], ref: n }); }
        }
        if (ref !== null && quoted[ref]) {
          quote = el("span", { class: "ref" }, "same " + (ref === titleRef ? "title" : "sentence") + " as above ",
            el("sup", { text: "[" + ref + "]" }));
        } else {
          quote = el("q", { class: "span" }, el("mark", null, f.span, ref ? el("sup", { text: "[" + ref + "]" }) : null));
          if (ref !== null) quoted[ref] = true;
        }
      }
      factRows.appendChild(el("tr", null,
        el("th", { scope: "row", text: label("field", f.field) }),
        el("td", null, el("span", { class: "val", text: fieldValue(f) }), " ",
          el("span", { class: "src", text: "from " + String(source || "?").replace(/_/g, " ") }), quote)));
    });
    var left = el("div", null, el("h3", { text: "Facts and where they came from" }),
      facts.length ? el("table", { class: "facts" }, factRows) : el("p", { class: "hint", text: "No facts extracted." }));
    var right = el("div", null, el("h3", { text: "Title and abstract, source sentences highlighted" }),
      abstractBlock(s.title, titleRef, titleFields, abstract, marks));
    wrap.appendChild(el("div", { class: "detail-grid" }, left, right));
    return wrap;
  }

  function abstractBlock(title, titleRef, titleFields, text, marks) {
    var box = el("div", { class: "abstract", tabindex: "0", role: "region", "aria-label": "Title and abstract" });
    if (title) {
      var t = el("p", { class: "abstract-title" });
      if (titleRef !== null) {
        t.appendChild(el("mark", { title: "Source of: " + titleFields.map(function (f) { return label("field", f); }).join(", ") },
          title, el("sup", { text: "[" + titleRef + "]" })));
      } else {
        t.textContent = title;
      }
      box.appendChild(t);
    }
    if (!text) { box.appendChild(el("p", { class: "hint", text: "No abstract in PubMed." })); return box; }
    // Overlapping spans merge into one highlight that carries every reference number.
    var sorted = marks.slice().sort(function (a, b) { return a.start - b.start || b.end - a.end; });
    var merged = [];
    sorted.forEach(function (m) {
      var last = merged[merged.length - 1];
      if (last && m.start < last.end) { last.end = Math.max(last.end, m.end); last.refs.push(m); }
      else merged.push({ start: m.start, end: m.end, refs: [m] });
    });
    var p = el("p"), pos = 0;
    merged.forEach(function (m) {
      append(p, text.slice(pos, m.start));
      var fields = [], refs = [];
      m.refs.forEach(function (r) { refs.push(r.ref); r.fields.forEach(function (f) { fields.push(label("field", f)); }); });
      p.appendChild(el("mark", { title: "Source of: " + fields.join(", ") }, text.slice(m.start, m.end),
        el("sup", { text: "[" + refs.join(",") + "]" })));
      pos = m.end;
    });
    append(p, text.slice(pos));
    box.appendChild(p);
    return box;
  }

  // ------------------------------------------------------------------ start

  drawSummary();
  drawMap();
  drawTimeline();
  drawOutcomes();
  drawHealth();
  buildFilters();
  update();
  document.documentElement.setAttribute("data-ready", "true");
})();
