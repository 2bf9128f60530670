// crawlcheck HTML report: filter and sort the site list, build a site's details when opened.
// Everything from a website is put into the page as text nodes (textContent, append of
// strings), never parsed as HTML; the page's CSP forbids HTML sinks (Trusted Types) anyway.
// The data shapes are described in crawlcheck/report/_html_sites.py.
"use strict";
(() => {
  const VERDICTS = ["reserved", "partial", "not-reserved", "unknown"];
  // The characters crawlcheck.report.document.HIDDEN matches: shown as U+XXXX, not obeyed.
  const HIDDEN =
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/gu;
  const HTTP_URL = /^https?:\/\/[^\s\u0000-\u001f\u007f]+$/i;
  const OPEN_ALL_LIMIT = 200;
  const STATEMENT_MAX = 40;

  const list = document.getElementById("site-list");
  if (!list) return;
  const purposes = list.dataset.purposes.split(" ");
  // The agent catalogue and each site's details are data blocks after this script: the
  // list is usable while the browser still reads them. Read when a site is opened.
  let catalogue = null;

  // ---- building blocks (text only) -------------------------------------------------
  function el(tag, cls, ...children) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    for (const child of children) {
      if (child === null || child === undefined || child === "") continue;
      node.append(typeof child === "object" ? child : String(child));
    }
    return node;
  }

  function hex(char) {
    return "U+" + char.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  }

  // Site text, isolated from the surrounding direction, hidden characters made visible.
  // Nothing at all for an empty value, so that an empty cell can be left out of a card.
  function txt(value) {
    const s = value === null || value === undefined ? "" : String(value);
    if (s === "") return "";
    const out = document.createElement("bdi");
    let last = 0;
    for (const m of s.matchAll(HIDDEN)) {
      out.append(s.slice(last, m.index), el("span", "ctl", hex(m[0])));
      last = m.index + m[0].length;
    }
    out.append(s.slice(last));
    return out;
  }

  function hasHidden(s) {
    HIDDEN.lastIndex = 0;
    const found = HIDDEN.test(s);
    HIDDEN.lastIndex = 0;
    return found;
  }

  // Only plain http(s) URLs become links; anything else (javascript:, data:) is text.
  function link(url) {
    const s = String(url ?? "");
    if (!HTTP_URL.test(s) || hasHidden(s)) return txt(s);
    const a = el("a", "", txt(s));
    a.href = s;
    a.rel = "noopener noreferrer nofollow";
    return a;
  }

  function badge(value, kind) {
    const known = kind === "agent" ? AGENT_CLASSES.get(value) : VERDICTS.includes(value) && value;
    return el("span", "badge v-" + (known || "other"), txt(value));
  }
  const AGENT_CLASSES = new Map([
    ["disallowed", "reserved"],
    ["restricted", "partial"],
    ["allowed", "not-reserved"],
    ["unreachable", "unknown"],
  ]);
  const GROUPS = new Map([
    ["*", "fall to the * group"],
    ["none", "have no group"],
  ]);

  function plural(count, noun) {
    return count.toLocaleString("en") + " " + noun + (count === 1 ? "" : "s");
  }

  function humanSize(size) {
    if (size < 1024) return size + " B";
    if (size < 1024 * 1024) return (size / 1024).toFixed(1) + " KiB";
    return (size / (1024 * 1024)).toFixed(1) + " MiB";
  }

  function cell(cls, ...children) {
    return { cls, children };
  }

  // A table that becomes one card per row on narrow screens (CSS reads data-label).
  function table(cls, headers, rows) {
    const names = headers.map((h) => h.replace(/^#/, ""));
    const head = el("tr");
    headers.forEach((h, i) => head.append(el("th", h.startsWith("#") ? "num" : "", names[i])));
    const body = el("tbody");
    for (const cells of rows) {
      const tr = el("tr");
      cells.forEach((c, i) => {
        const spec = c && typeof c === "object" && "children" in c ? c : cell("", c);
        const classes = [spec.cls, headers[i].startsWith("#") ? "num" : ""].join(" ").trim();
        const td = el("td", classes, el("div", "v", ...spec.children));
        td.dataset.label = names[i];
        tr.append(td);
      });
      body.append(tr);
    }
    return el("table", "t " + cls, el("thead", "", head), body);
  }

  function note(message) {
    return el("p", "empty", message);
  }

  function listOf(items) {
    if (!items.length) return el("span", "empty", "none given");
    const ul = el("ul");
    for (const item of items) ul.append(el("li", "", txt(item)));
    return ul;
  }

  function folded(summaryText, items) {
    return el("details", "fold", el("summary", "", summaryText), el("p", "mono", txt(items.join(", "))));
  }

  function lineNote(line) {
    return line === null || line === undefined ? "" : el("div", "line", "line " + line);
  }

  // ---- one site's details ------------------------------------------------------------
  function verdictsTable(verdicts) {
    return table(
      "verdicts",
      ["purpose", "verdict", "reasons"],
      verdicts.map(([purpose, verdict, reasons]) => [
        cell("strong", txt(purpose)),
        cell("", badge(verdict, "verdict")),
        cell("", listOf(reasons)),
      ]),
    );
  }

  function agentsTable(agents) {
    if (!agents.length) return note("No catalogued agents were evaluated.");
    const named = agents.some((a) => a[2] === "own");
    const counts = new Map();
    const rows = agents.map(([state, evidence, group, members]) => {
      counts.set(state, (counts.get(state) || 0) + members.length);
      if (group === "own") {
        const [token, operator, agentPurposes] = catalogue[members[0]];
        return [
          cell("mono", txt(token)),
          cell("", txt(operator)),
          cell("", txt(agentPurposes.join(", "))),
          cell("", badge(state, "agent")),
          cell("evidence", txt(evidence)),
        ];
      }
      const where = GROUPS.get(group) || "";
      const label = (plural(members.length, named ? "other agent" : "agent") + " " + where).trim();
      const operators = [...new Set(members.map((i) => catalogue[i][1] || "unknown"))];
      const served = new Set(members.flatMap((i) => catalogue[i][2]));
      return [
        cell("", folded(label, members.map((i) => catalogue[i][0]))),
        cell("", operators.length <= 3 ? txt(operators.join(", ")) : plural(operators.length, "operator")),
        cell("", txt(purposes.filter((p) => served.has(p)).join(", "))),
        cell("", badge(state, "agent")),
        cell("evidence", txt(evidence)),
      ];
    });
    const tally = [...counts]
      .map(([state, n]) => n.toLocaleString("en") + " " + state)
      .join(" · ");
    return el(
      "div",
      "",
      el("p", "tally", tally),
      table("agents", ["agent", "operator", "purposes", "robots.txt", "evidence"], rows),
    );
  }

  function agentsCell(signal, key, agents) {
    const tokens = agents.map((a) => (typeof a === "number" ? catalogue[a][0] : a));
    if (tokens.length <= 3) return cell("mono", txt(tokens.join(", ")));
    const verb = signal === "robots.txt" && key === "disallow" ? "disallowed for " : "";
    return cell("", folded(verb + plural(tokens.length, "agent"), tokens));
  }

  function findingsTable(findings) {
    if (!findings.length) return note("No findings.");
    const rows = findings.map((f) => {
      const [effect, signal, key, value, fPurposes, agents, scope, source, line, evidence] = f;
      let statement = value ? key + "=" + value : key;
      if (statement.length > STATEMENT_MAX) statement = statement.slice(0, STATEMENT_MAX - 1) + "…";
      return [
        cell("effect-" + (["reserve", "permit", "info"].includes(effect) ? effect : "other"), txt(effect)),
        cell("", txt(signal), el("div", "mono muted", txt(statement))),
        cell("", txt(fPurposes.join(", "))),
        agentsCell(signal, key, agents),
        cell("mono", txt(scope)),
        cell("mono", link(source), lineNote(line)),
        cell("evidence", txt(evidence)),
      ];
    });
    const headers = ["effect", "signal", "purposes", "agents", "scope", "source", "evidence"];
    return table("findings", headers, rows);
  }

  function problemsTable(problems) {
    if (!problems.length) return note("No problems.");
    const rows = problems.map(([level, code, message, source, line]) => [
      cell("level-" + (["error", "warning", "info"].includes(level) ? level : "other"), txt(level)),
      cell("mono", txt(code)),
      cell("", txt(message)),
      cell("mono", link(source), lineNote(line)),
    ]);
    return table("problems", ["level", "code", "message", "source"], rows);
  }

  function status(code) {
    // 2xx read; 3xx/4xx are answers (a 404 ai.txt means "no file"); 5xx and none are failures.
    if (code === null) return el("span", "status-bad", "—");
    const cls = code >= 200 && code < 300 ? "status-ok" : code < 500 ? "muted" : "status-bad";
    return el("span", cls, String(code));
  }

  function fetchesTable(fetches, skipped) {
    const parts = [];
    if (!fetches.length) parts.push(note("Nothing was fetched."));
    else {
      const rows = fetches.map((x) => {
        const [kind, url, finalUrl, code, redirects, type, size, truncated, sha, at, elapsed, error] = x;
        const hops = redirects.length ? el("ul") : "";
        for (const [hop, target] of redirects) hops.append(el("li", "", hop + " → ", link(target)));
        let digest = "";
        if (sha) {
          digest = el("span", "sha", txt(sha.slice(0, 12) + "…"));
          digest.title = sha;
        }
        const bytes = el("span", "", humanSize(size));
        bytes.title = size.toLocaleString("en") + " bytes";
        return [
          cell("", txt(kind)),
          cell("mono", link(url), finalUrl && finalUrl !== url ? el("div", "muted", "→ ", link(finalUrl)) : ""),
          cell("", status(code)),
          cell("mono", hops),
          cell("mono", txt(type)),
          cell("", bytes, truncated ? el("span", "status-bad", " truncated") : ""),
          cell("mono", digest),
          cell("mono", txt(at)),
          cell("", elapsed === null ? "" : Math.round(elapsed) + " ms"),
          cell("level-error", txt(error || "")),
        ];
      });
      const headers = ["kind", "url", "#status", "redirects", "type", "#size", "sha256", "time", "#elapsed", "error"];
      parts.push(table("fetches", headers, rows));
    }
    if (skipped.length) {
      const ul = el("ul", "skipped");
      for (const [url, reason] of skipped) ul.append(el("li", "", link(url), " — ", txt(reason)));
      parts.push(el("p", "", "Pages not sampled:"), ul);
    }
    return el("div", "", ...parts);
  }

  const AGENT_NOTE =
    "Agent states come from robots.txt: disallowed (its group disallows /), restricted " +
    "(some paths), allowed (nothing), unreachable (robots.txt answered 5xx or failed; " +
    "RFC 9309 §2.3.1.4 says to assume complete disallow).";

  function details(row, block) {
    catalogue = catalogue || JSON.parse(document.getElementById("catalogue").textContent);
    const data = JSON.parse(block.textContent);
    const [started, finished] = data.t;
    const meta = el("p", "site-meta", "origin ", link(data.o));
    if (started || finished) meta.append(" · audited ", txt(started), " to ", txt(finished));
    return el(
      "div",
      "body",
      meta,
      el("h3", "", "Verdicts"),
      verdictsTable(data.v),
      el("h3", "", "AI agents in robots.txt"),
      agentsTable(data.a),
      el("p", "note", AGENT_NOTE),
      el("h3", "", "Findings"),
      findingsTable(data.f),
      el("h3", "", "Problems"),
      problemsTable(data.p),
      el("h3", "", "Fetch log"),
      fetchesTable(data.x, data.s),
    );
  }

  function render(row) {
    const old = row.querySelector(":scope > .body");
    if (old && !old.classList.contains("pending")) return;
    const block = document.getElementById("d-" + row.id.slice("site-".length));
    let body;
    if (!block && document.readyState === "loading") {
      body = el("div", "body pending", note("Loading…"));
      document.addEventListener("DOMContentLoaded", () => render(row), { once: true });
    } else {
      try {
        body = details(row, block);
      } catch (error) {
        body = el("div", "body", note("These details could not be shown: " + error));
      }
    }
    if (old) old.replaceWith(body);
    else row.append(body);
  }

  list.addEventListener(
    "toggle",
    (event) => {
      if (event.target.matches("details.site") && event.target.open) render(event.target);
    },
    true,
  );

  // ---- filter and sort ---------------------------------------------------------------
  const sites = Array.from(list.children, (row, index) => ({
    row,
    index,
    name: row.querySelector(".name").textContent,
    text: row.querySelector(".c-site").textContent.toLowerCase(),
    v: row.dataset.v,
    r: Number(row.dataset.r),
    e: Number(row.dataset.e),
    w: Number(row.dataset.w),
  }));
  const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });
  const toolbar = document.getElementById("toolbar");
  const search = document.getElementById("q");
  const verdictFilters = Array.from(toolbar.querySelectorAll("select[data-filter]"));
  const problemFilter = document.getElementById("fp");
  const sortSelect = document.getElementById("sort");
  const shown = document.getElementById("shown");
  const total = sites.length;

  function matches(site, query) {
    if (query && !site.text.includes(query)) return false;
    for (const select of verdictFilters) {
      if (select.value !== "" && site.v[Number(select.dataset.filter)] !== select.value) return false;
    }
    switch (problemFilter.value) {
      case "e":
        return site.e > 0;
      case "w":
        return site.e + site.w > 0;
      case "n":
        return site.e + site.w === 0;
      default:
        return true;
    }
  }

  function comparator(key) {
    const sign = key.startsWith("-") ? -1 : 1;
    const field = key.replace(/^-/, "");
    let compare;
    if (field === "site") compare = (a, b) => collator.compare(a.name, b.name);
    else if (field === "r") compare = (a, b) => a.r - b.r;
    else if (field === "p") compare = (a, b) => a.e - b.e || a.w - b.w;
    else if (field.startsWith("v")) {
      const k = Number(field.slice(1));
      compare = (a, b) => Number(a.v[k]) - Number(b.v[k]);
    } else compare = () => 0;
    return (a, b) => sign * compare(a, b) || a.index - b.index;
  }

  let order = "n";
  function apply() {
    const query = search.value.trim().toLowerCase();
    let count = 0;
    for (const site of sites) {
      const ok = matches(site, query);
      if (site.row.hidden === ok) site.row.hidden = !ok;
      if (ok) count += 1;
    }
    if (sortSelect.value !== order) {
      order = sortSelect.value;
      const sorted = sites.slice().sort(comparator(order));
      list.append(...sorted.map((s) => s.row));
    }
    for (const head of document.querySelectorAll(".list-head [data-sort]")) {
      const key = head.dataset.sort.replace(/^-/, "");
      const active = order.replace(/^-/, "") === key;
      head.setAttribute("aria-pressed", String(active));
      head.dataset.dir = active ? (order.startsWith("-") ? "desc" : "asc") : "";
    }
    const filtered = count !== total;
    shown.textContent = filtered
      ? "Showing " + count.toLocaleString("en") + " of " + plural(total, "site")
      : plural(total, "site");
    document.getElementById("open-all").disabled = count === 0 || count > OPEN_ALL_LIMIT;
    document.getElementById("open-all").title =
      count > OPEN_ALL_LIMIT ? "filter to " + OPEN_ALL_LIMIT + " sites or fewer first" : "";
  }

  let timer = 0;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(apply, total > 1000 ? 150 : 0);
  });
  for (const select of [...verdictFilters, problemFilter, sortSelect]) select.addEventListener("change", apply);

  document.getElementById("reset").addEventListener("click", () => {
    search.value = "";
    for (const select of [...verdictFilters, problemFilter]) select.value = "";
    sortSelect.value = "n";
    apply();
  });
  document.getElementById("open-all").addEventListener("click", () => {
    for (const site of sites) if (!site.row.hidden) site.row.open = true;
  });
  document.getElementById("close-all").addEventListener("click", () => {
    for (const site of sites) site.row.open = false;
  });

  // Column heads sort; a second press reverses.
  for (const head of document.querySelectorAll(".list-head [data-sort]")) {
    head.addEventListener("click", () => {
      const key = head.dataset.sort;
      const bare = key.replace(/^-/, "");
      const flip = key.startsWith("-") ? bare : "-" + bare;
      sortSelect.value = order === key ? flip : key;
      if (!sortSelect.value) sortSelect.value = key;
      apply();
    });
  }

  // The overview's numbers filter the list: "ai-train reserved 1,234" lists those sites.
  for (const button of document.querySelectorAll("button.count[data-purpose]")) {
    button.addEventListener("click", () => {
      const select = verdictFilters[Number(button.dataset.purpose)];
      select.value = String(VERDICTS.indexOf(button.dataset.verdict));
      apply();
      document.getElementById("sites").scrollIntoView();
    });
  }

  // #site-N opens that site (links from elsewhere, the back button).
  function openFromHash() {
    const match = /^#site-(\d+)$/.exec(location.hash);
    if (!match) return;
    const row = document.getElementById("site-" + match[1]);
    if (!row) return;
    if (row.hidden) document.getElementById("reset").click();
    row.open = true;
    render(row);
    row.scrollIntoView();
  }
  window.addEventListener("hashchange", openFromHash);

  toolbar.hidden = false;
  document.body.classList.add("js");
  apply();
  openFromHash();
  performance.mark("crawlcheck-list-ready"); // bench/html_report_bench.py reads it
})();
