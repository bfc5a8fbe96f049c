// The duty officer's dashboard (值班台): one page over the command centre's API (/api).
//
// Reads /api/incidents (the open queue, and the resolved / verified / closed incidents that wait
// for the centre: 待核实、待办结、待评价), /api/map and /api/kpis with the bearer token the person
// signs in with, follows /api/stream (server-sent events read with fetch(), since EventSource
// cannot send a header) and gives commands through POST /api/incidents/{id}/commands. It decides
// nothing itself: every status, deadline and refusal shown is the API's.
"use strict";

(function () {
  const TOKEN_KEY = "gridalert.token";
  const LANG_KEY = "gridalert.lang";
  const TIERS = ["unit", "grid", "village", "township", "district"];
  const OPEN = ["new", "dispatched", "accepted", "on_scene", "returned", "reopened"];
  // what waits for the command centre once the field is done: resolved → verify, verified → close,
  // closed and not yet rated → rate (the district centre only rates)
  const FOLLOW_UP = [["resolved", "to_verify"], ["verified", "to_close"], ["closed", "to_rate"]];
  const FOLLOW_UP_LIMIT = 100;
  const SEVERITIES = ["none", "low", "medium", "high", "critical"];
  const COLOURS = { none: "#dfe7ef", low: "#9ccc65", medium: "#ffca28", high: "#fb8c00", critical: "#d32f2f" };
  const CLOSE_REASONS = ["fixed", "unfounded", "duplicate", "not_responsible"];
  const RATES = ["response_rate", "completion_rate", "on_time_rate", "satisfaction_rate"];
  const STAGES = ["alarm → dispatch", "dispatch → accept", "accept → on scene", "on scene → resolved"];

  const WORDS = {
    zh: {
      title: "值班台", signin: "登录", signout: "退出", token_label: "令牌（gridalert token create 生成）",
      token_bad: "令牌无效或已吊销", map: "网格地图", queue: "待处置事件", kpis: "关键指标",
      day: "按日", month: "按月", no_rows: "该时段无事件", lang: "English", empty: "暂无待处置事件", live: "实时", offline: "连接中断，重连中…",
      connecting: "连接中…", accept_by: "接单时限", dispose_by: "处置时限", overdue: "已超时", since: "已过",
      open: "未结事件", days: "天", deadlines: "时限",
      unassigned: "未落网格", timeline: "处置经过", departments: "联合处置部门", deliveries: "通知记录",
      follow_up: "待核实 / 办结 / 评价", to_verify: "待核实", to_close: "待办结", to_rate: "待评价",
      follow_up_empty: "暂无", updated: "更新于",
      actions: "操作", outcome: "结果", reason: "原因", sending: "发送中…", no_kpis: "本账号无权查看关键指标",
      rates: "考核指标（%）", p90: "各环节 90% 用时（分钟）", district_row: "全区", none_yet: "无",
      means: "平均接单 / 处置用时（分钟）", mtta: "平均接单 MTTA", mttr: "平均处置 MTTR",
      dept_chart: "部门联合处置", dept_times: "部门用时（分钟）", dept_p90: "派单→接单 90%",
      dept_table: "各部门关键指标", department: "部门", orders: "派单数", mtta_s: "平均接单（分钟）",
      mttr_s: "平均处置（分钟）", p90_s: "派单→接单 90%（分钟）",
      severity: "级别", status: "状态", tier: "层级", place: "位置", opened: "发生", by: "执行人",
      ok: "成功", failed: "失败", read_only: "只读", loading: "加载中…", error: "出错",
      tiers: { unit: "联户", grid: "网格", village: "村/社区", township: "乡镇/街道", district: "区指挥中心" },
      statuses: { new: "新建", dispatched: "已派单", accepted: "已接单", on_scene: "已到场", returned: "已退单",
        reopened: "重新打开", resolved: "已处置", verified: "已核实", closed: "已办结", silenced: "静默" },
      severities: { none: "无事件", low: "低", medium: "中", high: "高", critical: "特别严重" },
      commands: { accept: "接单", on_scene: "到场", resolve: "处置完成", verify: "核实", close: "办结",
        escalate: "上报", return: "退单", reassign: "改派", silence: "静默", rate: "评价", reopen: "重新打开" },
      person_id: "人员编号", minutes: "分钟",
      close_reasons: { fixed: "已处置", unfounded: "误报", duplicate: "重复", not_responsible: "非本单位职责" },
      rates_names: { response_rate: "响应率", completion_rate: "办结率", on_time_rate: "按期处置率",
        satisfaction_rate: "满意率" },
      stages: { "alarm → dispatch": "报警→派单", "dispatch → accept": "派单→接单",
        "accept → on scene": "接单→到场", "on scene → resolved": "到场→处置" },
    },
    en: {
      title: "Duty desk", signin: "Sign in", signout: "Sign out", token_label: "Token (from gridalert token create)",
      token_bad: "This token is unknown or revoked", map: "Grid map", queue: "Open incidents", kpis: "Key figures",
      day: "Day", month: "Month", no_rows: "no incidents in this period", lang: "中文", empty: "No open incidents", live: "live",
      offline: "connection lost, reconnecting…", connecting: "connecting…", accept_by: "accept by",
      dispose_by: "resolve by", days: "d", deadlines: "Deadlines",
      overdue: "overdue", since: "since", open: "open incidents", unassigned: "in no grid", timeline: "Timeline",
      departments: "Joint-dispatch departments", deliveries: "Pages sent", actions: "Actions", outcome: "Outcome",
      follow_up: "To verify, close or rate", to_verify: "To verify", to_close: "To close", to_rate: "To rate",
      follow_up_empty: "none", updated: "updated",
      reason: "reason", sending: "sending…", no_kpis: "This token may not see the key figures",
      rates: "Rates (%)", p90: "90th-percentile time per stage (minutes)", district_row: "District",
      means: "Mean time to accept / resolve (minutes)", mtta: "MTTA", mttr: "MTTR",
      dept_chart: "Joint dispatch by department", dept_times: "Department times (minutes)",
      dept_p90: "dispatch → accept, 90th pct", dept_table: "Key figures per department", department: "department",
      orders: "orders", mtta_s: "MTTA (minutes)", mttr_s: "MTTR (minutes)",
      p90_s: "dispatch → accept, 90th pct (minutes)",
      none_yet: "none", severity: "severity", status: "status", tier: "tier", place: "place", opened: "opened",
      by: "by", ok: "ok", failed: "failed", read_only: "read only", loading: "loading…", error: "error",
      tiers: { unit: "Household unit", grid: "Grid", village: "Village / community", township: "Township / street",
        district: "District centre" },
      statuses: { new: "new", dispatched: "dispatched", accepted: "accepted", on_scene: "on scene",
        returned: "returned", reopened: "reopened", resolved: "resolved", verified: "verified", closed: "closed",
        silenced: "silenced" },
      severities: { none: "none", low: "low", medium: "medium", high: "high", critical: "critical" },
      commands: { accept: "Accept", on_scene: "On scene", resolve: "Resolve", verify: "Verify", close: "Close",
        escalate: "Escalate", return: "Return", reassign: "Reassign", silence: "Silence", rate: "Rate",
        reopen: "Reopen" },
      person_id: "person id", minutes: "minutes",
      close_reasons: { fixed: "fixed", unfounded: "unfounded", duplicate: "duplicate",
        not_responsible: "not our remit" },
      rates_names: { response_rate: "response", completion_rate: "completion", on_time_rate: "on time",
        satisfaction_rate: "satisfaction" },
      stages: { "alarm → dispatch": "alarm → dispatch", "dispatch → accept": "dispatch → accept",
        "accept → on scene": "accept → on scene", "on scene → resolved": "on scene → resolved" },
    },
  };

  const state = {
    token: null, lang: localStorage.getItem(LANG_KEY) || "zh", scope: "",
    incidents: new Map(), followUp: {}, map: null, grids: null, markers: null, features: [], unassigned: [],
    selected: null, charts: {}, kpis: null, refreshTimer: null, streamAbort: null, fitted: false, answer: null,
  };

  // --- small helpers ----------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  const t = (key) => WORDS[state.lang][key] ?? key;
  const word = (group, key) => (WORDS[state.lang][group] || {})[key] ?? key;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    if (d) return `${d}${t("days")} ${two(h)}:${two(m)}:${two(r)}`;  // the disposal limit is days away
    return h ? `${h}:${two(m)}:${two(r)}` : `${two(m)}:${two(r)}`;
  }

  // a countdown to `iso` (an API deadline) under `label`, or how long it is overdue, in red
  function until(iso, label) {
    const left = (new Date(iso).getTime() - Date.now()) / 1000;
    return left >= 0 ? { text: `${t(label)} ${clock(left)}`, late: false }
      : { text: `${t("overdue")} ${clock(-left)}`, late: true };
  }

  function localTime(iso) {
    return new Date(iso).toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", { hour12: false });
  }

  function place(incident) {
    const p = incident.place || {};
    return [p.township, p.village, p.grid_name || (p.grid_id ? p.grid_id : t("unassigned"))]
      .filter(Boolean).join(" · ");
  }

  const isOpen = (incident) => OPEN.includes(incident.status);
  const department = () => (state.scope.startsWith("department ") ? state.scope.split(" ")[1] : null);

  // --- the API --------------------------------------------------------------------------------

  class SignedOut extends Error {}

  async function api(path, options = {}) {
    const response = await fetch(path, {
      ...options,
      headers: { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) },
      cache: "no-store",
    });
    if (response.status === 401) throw new SignedOut((await response.json()).error);
    const body = await response.json().catch(() => ({}));
    return { status: response.status, body };
  }

  // --- sign-in --------------------------------------------------------------------------------

  function takeTokenFromAddress() {
    // /#token=gat_… : handy for a wall screen's start-up script and for tests; the token moves to
    // localStorage and leaves the address bar (and the browser history) at once.
    // #incident=<id> opens that incident's detail (a link from a page or a chat message).
    const incident = location.hash.match(/incident=([^&]+)/);
    if (incident) state.selected = decodeURIComponent(incident[1]);
    const match = location.hash.match(/token=([^&]+)/);
    if (!match && !incident) return;
    if (match) localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }

  function showSignin(message) {
    stopStream();
    clearInterval(state.kpiTimer);
    state.token = null;
    $("board").hidden = true;
    $("signout").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = message || "";
    $("token").focus();
  }

  function signOut(message) {
    localStorage.removeItem(TOKEN_KEY);
    showSignin(message);
  }

  async function start() {
    state.token = localStorage.getItem(TOKEN_KEY);
    if (!state.token) return showSignin();
    $("signin").hidden = true;
    $("board").hidden = false;
    $("signout").hidden = false;
    try {
      await Promise.all([loadIncidents(), loadMap()]);
      if (state.selected) showDetail(state.selected);
      loadKpis();
      clearInterval(state.kpiTimer);
      state.kpiTimer = setInterval(loadKpis, 60000);  // figures move slowly: once a minute is plenty
      follow();
    } catch (error) {
      if (error instanceof SignedOut) signOut(t("token_bad"));
      else console.error(error);
    }
  }

  // --- incidents and the queue ---------------------------------------------------------------

  async function loadIncidents() {
    const [all, ...done] = await Promise.all([api("/api/incidents?limit=1000"),
      ...FOLLOW_UP.map(([status]) => api(`/api/incidents?status=${status}&limit=${FOLLOW_UP_LIMIT}`))]);
    if (all.status !== 200) throw new Error(all.body.error || all.status);
    state.scope = all.body.scope || "";
    $("scope").textContent = state.scope;
    state.incidents = new Map(all.body.incidents.map((i) => [i.id, i]));
    state.followUp = {};
    FOLLOW_UP.forEach(([status], n) => {
      state.followUp[status] = done[n].status === 200 ? done[n].body.incidents : [];
    });
    renderQueue();
    renderFollowUp();
  }

  // the nearest deadline that is someone's to meet: accept while dispatched, then resolve on time
  // (the on-time rate's limit); an incident with neither shows how long it has been open
  function countdown(incident) {
    if (incident.accept_by) return { ...until(incident.accept_by, "accept_by"), kind: "deadline" };
    if (incident.dispose_by) return { ...until(incident.dispose_by, "dispose_by"), kind: "dispose" };
    return { text: `${t("since")} ${clock((Date.now() - new Date(incident.opened_at).getTime()) / 1000)}`,
      late: false, kind: "since" };
  }

  function renderQueue() {
    const queue = $("queue");
    const open = [...state.incidents.values()].filter(isOpen);
    queue.replaceChildren();
    if (!open.length) {
      queue.append(el("p", { class: "note" }, t("empty")));
      return;
    }
    for (const tier of TIERS) {
      const mine = open.filter((i) => i.tier === tier)
        .sort((a, b) => (a.accept_by || "9").localeCompare(b.accept_by || "9") || b.opened_at.localeCompare(a.opened_at));
      if (!mine.length) continue;
      queue.append(el("section", { class: "tier", dataset: { tier } },
        el("h3", {}, word("tiers", tier), el("span", { class: "count" }, mine.length)),
        el("ul", {}, mine.map(queueItem))));
    }
  }

  function queueItem(incident) {
    const due = countdown(incident);
    return incidentItem(incident, { tier: incident.tier },
      el("span", {
        class: `clock${due.late ? " late" : ""}`, dataset: { clock: due.kind, incidentId: incident.id },
      }, due.text));
  }

  // one incident in a list (the queue, the follow-up): a click or Enter opens its detail
  function incidentItem(incident, dataset, clock) {
    return el("li", {
      class: `incident sev-${incident.severity}${state.selected === incident.id ? " selected" : ""}`,
      dataset: { incidentId: incident.id, status: incident.status, ...dataset },
      tabindex: "0", onclick: () => showDetail(incident.id),
      onkeydown: (e) => { if (e.key === "Enter") showDetail(incident.id); },
    },
    el("div", { class: "line" },
      el("span", { class: `badge sev-${incident.severity}` }, word("severities", incident.severity)),
      el("strong", { class: "title" }, incident.title)),
    el("div", { class: "line small" },
      el("span", { class: "place" }, place(incident)),
      el("span", { class: `status st-${incident.status}` }, word("statuses", incident.status)),
      clock));
  }

  // resolved, verified and closed-but-unrated incidents: they left the queue, the centre still owes
  // them a verification, a closing or the reporter's rating; a click opens the detail and its buttons
  function renderFollowUp() {
    const box = $("follow-up");
    const groups = FOLLOW_UP.filter(([status]) => status !== "closed" || state.scope.startsWith("district "))
      .map(([status, label]) => {
        const mine = (state.followUp[status] || []).filter((i) => status !== "closed" || i.rating === null);
        return el("section", { class: "group", dataset: { followUp: status } },
          el("h3", {}, t(label), el("span", { class: "count" }, mine.length)),
          mine.length ? el("ul", {}, mine.map(followUpItem)) : el("p", { class: "note" }, t("follow_up_empty")));
      });
    box.replaceChildren(...groups);
  }

  function followUpItem(incident) {
    return incidentItem(incident, {},
      el("span", { class: "clock" }, `${t("updated")} ${localTime(incident.updated_at)}`));
  }

  function tick() {
    for (const node of document.querySelectorAll("[data-due]")) {
      const due = until(node.dataset.due, node.dataset.label);
      node.textContent = due.text;
      node.classList.toggle("late", due.late);
    }
    for (const node of document.querySelectorAll("[data-clock]")) {
      const incident = state.incidents.get(node.dataset.incidentId);
      if (!incident) continue;
      const due = countdown(incident);
      node.textContent = due.text;
      node.classList.toggle("late", due.late);
    }
  }

  // --- the map --------------------------------------------------------------------------------

  async function loadMap() {
    const { status, body } = await api("/api/map");
    if (status !== 200) throw new Error(body.error || status);
    state.features = body.features;
    state.unassigned = body.unassigned || [];
    drawMap();
  }

  function severityOf(feature) {
    return feature.properties.worst_severity || "none";
  }

  function drawMap() {
    if (!state.map) {
      // no tile layer: the grid polygons are the map (no internet on the command centre's network)
      state.map = L.map("map", { attributionControl: false, zoomSnap: 0.25, preferCanvas: false });
      state.markers = L.layerGroup().addTo(state.map);
    }
    if (state.grids) state.grids.remove();
    state.grids = L.geoJSON({ type: "FeatureCollection", features: state.features }, {
      style: (feature) => ({
        color: "#455a64", weight: 1, fillOpacity: 0.75, fillColor: COLOURS[severityOf(feature)],
        className: "grid",
      }),
      onEachFeature: (feature, layer) => {
        const p = feature.properties;
        layer.bindTooltip(() => `${p.grid_name} (${p.open} ${t("open")})`, { sticky: true });
        layer.on("click", () => gridPopup(feature, layer));
        layer.on("add", () => {
          const path = layer.getElement();
          if (!path) return;
          path.dataset.gridId = p.grid_id;
          path.dataset.severity = severityOf(feature);
          path.dataset.open = p.open;
        });
      },
    }).addTo(state.map);
    if (!state.fitted && state.features.length) {
      state.map.fitBounds(state.grids.getBounds(), { padding: [8, 8] });
      state.fitted = true;
    }
    state.markers.clearLayers();
    for (const incident of state.unassigned) {
      const icon = L.divIcon({
        className: `unassigned sev-${incident.severity}`, html: "!", iconSize: [22, 22],
      });
      L.marker([incident.lat, incident.lon], { icon, title: incident.title })
        .bindTooltip(`${incident.title} (${t("unassigned")})`)
        .on("click", () => showDetail(incident.id))
        .addTo(state.markers);
    }
    renderLegend();
  }

  function gridPopup(feature, layer) {
    const p = feature.properties;
    const list = el("ul", {}, (p.incidents || []).map((i) => el("li", {},
      el("a", { href: "#", onclick: (e) => { e.preventDefault(); showDetail(i.id); } },
        `${word("severities", i.severity)} · ${i.title} · ${word("statuses", i.status)}`))));
    layer.bindPopup(el("div", {}, el("strong", {}, p.grid_name), el("div", { class: "small" },
      [p.township, p.village].filter(Boolean).join(" · ")), list)).openPopup();
  }

  function renderLegend() {
    $("legend").replaceChildren(...SEVERITIES.map((s) => el("li", {},
      el("span", { class: "swatch", style: `background:${COLOURS[s]}` }), word("severities", s))));
  }

  // --- one incident ---------------------------------------------------------------------------

  async function showDetail(id) {
    state.selected = id;
    for (const node of document.querySelectorAll(".incident")) {
      node.classList.toggle("selected", node.dataset.incidentId === id);
    }
    $("detail").hidden = false;
    $("detail-body").replaceChildren(el("p", { class: "note" }, t("loading")));
    const { status, body } = await api(`/api/incidents/${encodeURIComponent(id)}`).catch((error) => {
      if (error instanceof SignedOut) signOut(t("token_bad"));
      return { status: 0, body: { error: String(error) } };
    });
    if (state.selected !== id) return;
    if (status !== 200) {
      $("detail-body").replaceChildren(el("p", { class: "refused" }, body.error || t("error")));
      return;
    }
    renderDetail(body);
  }

  function renderDetail(incident) {
    const rows = (items, columns) => el("table", {},
      el("tbody", {}, items.map((item) => el("tr", {}, columns.map((c) => el("td", {}, c(item)))))));
    const outcome = el("p", { class: "outcome", role: "status" });
    if (state.answer && state.answer.id === incident.id) {
      outcome.className = state.answer.className;
      outcome.textContent = state.answer.text;
    }
    // replaceChildren would write a null as the text "null": sections that are absent are dropped
    const parts = (...nodes) => nodes.filter((node) => node !== null && node !== undefined);
    $("detail-body").replaceChildren(...parts(
      el("h2", {}, el("span", { class: `badge sev-${incident.severity}` }, word("severities", incident.severity)),
        " ", incident.title),
      el("p", { class: "small" }, `${place(incident)} · ${word("tiers", incident.tier)} · `,
        el("span", { class: `status st-${incident.status}` }, word("statuses", incident.status)),
        incident.assignee ? ` · ${incident.assignee}` : "", ` · ${incident.id}`),
      incident.explanation ? el("p", { class: "small explanation" }, incident.explanation) : null,
      deadlines(incident),
      el("h3", {}, t("actions")), actions(incident, outcome), outcome,
      el("h3", {}, t("timeline")),
      rows(incident.timeline, [
        (s) => localTime(s.at), (s) => word("statuses", s.status), (s) => word("tiers", s.tier),
        (s) => s.actor, (s) => s.department || "", (s) => s.detail]),
      incident.departments.length ? el("h3", {}, t("departments")) : null,
      incident.departments.length ? rows(incident.departments, [
        (d) => d.department, (d) => word("tiers", d.tier), (d) => word("statuses", d.status),
        (d) => d.accepted_by || "",
        (d) => (d.accept_by ? due(d.accept_by, "accept_by", { department: d.department }) : "")]) : null,
      el("h3", {}, t("deliveries")),
      incident.deliveries.length ? rows(incident.deliveries, [
        (d) => localTime(d.at), (d) => d.person_id, (d) => d.channel,
        (d) => el("span", { class: d.ok ? "ok" : "refused" }, d.ok ? t("ok") : `${t("failed")}: ${d.error || ""}`)])
        : el("p", { class: "note" }, t("none_yet"))));
  }

  // a live countdown (tick() redraws it each second from data-due)
  function due(iso, label, dataset = {}) {
    const now = until(iso, label);
    return el("span", { class: `clock${now.late ? " late" : ""}`, dataset: { ...dataset, due: iso, label } },
      now.text);
  }

  function deadlines(incident) {
    const clocks = [["accept_by", incident.accept_by], ["dispose_by", incident.dispose_by]]
      .filter(([, iso]) => iso)
      .map(([label, iso]) => el("span", { class: "deadline" }, due(iso, label, { deadline: label }),
        ` (${localTime(iso)})`));
    if (!clocks.length) return null;  // each department's own clock is in its row below
    return el("p", { class: "deadlines small" }, `${t("deadlines")}: `, clocks);
  }

  function actions(incident, outcome) {
    const box = el("div", { class: "actions" });
    const give = async (action, extra = {}) => {
      for (const button of box.querySelectorAll("button")) button.disabled = true;
      outcome.className = "outcome";
      outcome.textContent = t("sending");
      const dept = department();
      const body = { action, ...extra, ...(dept && ["accept", "on_scene", "resolve", "return"].includes(action)
        ? { department: dept } : {}) };
      try {
        const { status, body: answer } = await api(`/api/incidents/${encodeURIComponent(incident.id)}/commands`, {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        });
        outcome.className = `outcome ${status === 200 ? "ok" : status === 202 ? "note" : "refused"}`;
        outcome.textContent = `${t("outcome")} ${status}: ${answer.detail || answer.error || answer.outcome || ""}`;
      } catch (error) {
        if (error instanceof SignedOut) return signOut(t("token_bad"));
        outcome.className = "outcome refused";
        outcome.textContent = String(error);
      }
      for (const button of box.querySelectorAll("button")) button.disabled = false;
      // the answer stays on screen however often the detail is drawn again (the stream, refreshes)
      state.answer = { id: incident.id, className: outcome.className, text: outcome.textContent };
      scheduleRefresh();
      await showDetail(incident.id);  // the new timeline
    };
    const button = (action, onclick) => el("button", { type: "button", dataset: { action }, onclick },
      word("commands", action));
    for (const action of ["accept", "on_scene", "resolve", "verify", "escalate"]) {
      box.append(button(action, () => give(action)));
    }
    const closeReason = el("select", { "aria-label": t("reason") },
      CLOSE_REASONS.map((r) => el("option", { value: r }, word("close_reasons", r))));
    box.append(el("span", { class: "with-reason" }, button("close", () => give("close", { reason: closeReason.value })),
      closeReason));
    const returnReason = el("input", { type: "text", placeholder: t("reason"), "aria-label": t("reason") });
    box.append(el("span", { class: "with-reason" },
      button("return", () => give("return", returnReason.value.trim() ? { reason: returnReason.value.trim() } : {})),
      returnReason));
    // reassign to a person (roster id) or to a tier; silence for a while with a reason; rate; reopen
    const toPerson = el("input", { type: "text", placeholder: t("person_id"), "aria-label": t("person_id"), size: 12 });
    const toTier = el("select", { "aria-label": "tier" }, el("option", { value: "" }, "—"),
      TIERS.map((tier) => el("option", { value: tier }, word("tiers", tier))));
    box.append(el("span", { class: "with-reason" }, button("reassign", () => give("reassign",
      toPerson.value.trim() ? { to_person: toPerson.value.trim() } : { to_tier: toTier.value || null })),
    toPerson, toTier));
    const minutes = el("input", { type: "number", min: "1", value: "60", "aria-label": t("minutes"), size: 4 });
    const why = el("input", { type: "text", placeholder: t("reason"), "aria-label": t("reason"), size: 10 });
    box.append(el("span", { class: "with-reason" }, button("silence", () => give("silence",
      { minutes: Number(minutes.value), ...(why.value.trim() ? { reason: why.value.trim() } : {}) })), minutes, why));
    const score = el("select", { "aria-label": "score" }, [5, 4, 3, 2, 1].map((n) => el("option", { value: n }, `${n}★`)));
    box.append(el("span", { class: "with-reason" }, button("rate", () => give("rate", { score: Number(score.value) })),
      score));
    box.append(button("reopen", () => give("reopen")));
    return box;
  }

  // --- live updates ---------------------------------------------------------------------------

  function setConnection(kind) {
    const node = $("connection");
    node.dataset.state = kind;
    node.textContent = t(kind === "live" ? "live" : kind === "off" ? "offline" : "connecting");
  }

  function stopStream() {
    if (state.streamAbort) state.streamAbort.abort();
    state.streamAbort = null;
  }

  async function follow() {
    stopStream();
    const abort = new AbortController();
    state.streamAbort = abort;
    let wait = 1000;
    while (!abort.signal.aborted) {
      setConnection("connecting");
      try {
        const response = await fetch("/api/stream", {
          headers: { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" },
          signal: abort.signal, cache: "no-store",
        });
        if (response.status === 401) return signOut(t("token_bad"));
        if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
        setConnection("live");
        wait = 1000;
        await readEvents(response.body.getReader(), onMessage);
        throw new Error("stream ended");
      } catch (error) {
        if (abort.signal.aborted) return;
        setConnection("off");
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, 30000);
        scheduleRefresh();  // catch up on what happened while the connection was down
      }
    }
  }

  // text/event-stream: lines "event: …", "data: …", "id: …", ": comment"; a blank line ends a message
  async function readEvents(reader, handle) {
    const decoder = new TextDecoder();
    let buffer = "", event = "message", data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (data.length) handle(event, data.join("\n"));
          event = "message";
          data = [];
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = text;
          else if (field === "data") data.push(text);
        }
      }
    }
  }

  function onMessage(event, data) {
    if (event !== "incident") return;
    const incident = JSON.parse(data);
    const known = state.incidents.get(incident.id);
    if (known && known.seq >= incident.seq) return;
    // the stream's rows carry no deadline: keep the old one only while nothing changed it
    const keep = known && known.status === incident.status && known.tier === incident.tier;
    state.incidents.set(incident.id, { ...incident, accept_by: keep ? known.accept_by : null,
      dispose_by: known && isOpen(incident) ? known.dispose_by : null });
    renderQueue();
    if (state.selected === incident.id) showDetail(incident.id);
    scheduleRefresh();
  }

  function scheduleRefresh() {
    // many steps come in bursts (dispatch, pages, escalation): one reload of the list, the map and
    // the key figures
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(async () => {
      try {
        await Promise.all([loadIncidents(), loadMap(), loadKpis()]);
      } catch (error) {
        if (error instanceof SignedOut) signOut(t("token_bad"));
      }
    }, 800);
  }

  // --- key figures ----------------------------------------------------------------------------

  async function loadKpis() {
    // the API's default is the last complete day or month (as `gridalert report`); a duty officer
    // looks at today and this month: the district's today (its timezone), not the browser's clock,
    // which the answer then shows in the date field
    const picked = $("kpi-date").value;
    const period = $("period").value;
    const date = !picked ? "today" : period === "month" ? picked.slice(0, 7) : picked;
    const { status, body } = await api(`/api/kpis?period=${period}&date=${encodeURIComponent(date)}`)
      .catch(() => ({ status: 0, body: {} }));
    if (status === 200 && !picked) $("kpi-date").value = period === "month" ? `${body.period}-01` : body.period;
    if (status === 403) {
      $("kpi-note").textContent = t("no_kpis");
      $("kpis").dataset.state = "forbidden";
      return;
    }
    if (status !== 200) {
      $("kpi-note").textContent = body.error || t("error");
      return;
    }
    state.kpis = body;
    renderKpis();
  }

  function renderKpis() {
    const body = state.kpis;
    if (!body) return;
    const areas = body.rows.filter((r) => r.scope === "district" || r.scope === "township");
    $("kpi-note").textContent = areas.length ? body.period : `${body.period}: ${t("no_rows")}`;
    const names = areas.map((r) => (r.scope === "district" ? t("district_row") : r.name));
    const chart = (id) => {
      if (!state.charts[id]) state.charts[id] = echarts.init($(id), null, { renderer: "svg" });
      return state.charts[id];
    };
    const common = {
      animation: false, tooltip: { trigger: "axis" }, legend: { bottom: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 64 },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 4 ? 20 : 0 } },
    };
    chart("chart-rates").setOption({
      ...common, title: { text: t("rates"), textStyle: { fontSize: 14 } },
      yAxis: { type: "value", min: 0, max: 100 },
      series: RATES.map((key) => ({
        name: word("rates_names", key), type: "bar",
        data: areas.map((r) => (r[key] === null ? null : Math.round(1000 * r[key]) / 10)),
      })),
    }, true);
    chart("chart-p90").setOption({
      ...common, title: { text: t("p90"), textStyle: { fontSize: 14 } },
      yAxis: { type: "log", logBase: 10 },  // seconds to dispatch and days to resolve, on one axis
      series: STAGES.map((stage) => ({
        name: word("stages", stage), type: "bar",
        data: areas.map((r) => {
          const seconds = r[`p90 ${stage} (s)`];
          return seconds ? Math.round(seconds / 6) / 10 : null;  // minutes; null: nothing measured
        }),
      })),
    }, true);
    const minutes = (seconds) => (seconds === null || seconds === undefined ? null : Math.round(seconds / 6) / 10);
    chart("chart-means").setOption({
      ...common, title: { text: t("means"), textStyle: { fontSize: 14 } },
      yAxis: { type: "value" },
      series: [["mtta_s", "mtta"], ["mttr_s", "mttr"]].map(([key, label]) => ({
        name: t(label), type: "bar", data: areas.map((r) => minutes(r[key])) })),
    }, true);
    // per joint-dispatch department: over the incidents dispatched to it (docs/kpis.md)
    const departments = body.rows.filter((r) => r.scope === "department");
    const percent = (value) => (value === null || value === undefined ? null : Math.round(1000 * value) / 10);
    const byDepartment = { ...common.xAxis, data: departments.map((r) => r.name) };
    chart("chart-departments").setOption({
      ...common, title: { text: t("dept_chart"), textStyle: { fontSize: 14 } }, xAxis: byDepartment,
      yAxis: { type: "value", min: 0, max: 100 },
      series: RATES.map((key) => ({
        name: word("rates_names", key), type: "bar", data: departments.map((r) => percent(r[key])) })),
    }, true);
    const DEPT_TIMES = [["mtta_s", t("mtta")], ["mttr_s", t("mttr")], ["p90 dispatch → accept (s)", t("dept_p90")]];
    chart("chart-dept-times").setOption({
      ...common, title: { text: t("dept_times"), textStyle: { fontSize: 14 } }, xAxis: byDepartment,
      yAxis: { type: "log", logBase: 10 },  // minutes to accept and days to resolve, on one axis
      series: DEPT_TIMES.map(([key, label]) => ({
        name: label, type: "bar", data: departments.map((r) => minutes(r[key]) || null) })),
    }, true);
    const cell = (value) => (value === null || value === undefined ? "–" : String(value));
    $("dept-table").replaceChildren(departments.length ? el("table", {},
      el("thead", {}, el("tr", {}, [t("department"), t("orders"), ...RATES.map((k) => word("rates_names", k)),
        t("mtta_s"), t("mttr_s"), t("p90_s")].map((h) => el("th", {}, h)))),
      el("tbody", {}, departments.map((r) => el("tr", { dataset: { department: r.name } },
        [r.name, r.orders, ...RATES.map((k) => (r[k] === null ? null : `${percent(r[k])}%`)),
          minutes(r.mtta_s), minutes(r.mttr_s), minutes(r["p90 dispatch → accept (s)"])]
          .map((v) => el("td", {}, cell(v)))))))
      : el("p", { class: "note" }, t("none_yet")));
    $("kpis").dataset.state = "drawn";
  }

  // --- language ---------------------------------------------------------------------------------

  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = `gridalert ${t("title")}`;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    $("lang").textContent = t("lang");
    if ($("connection").dataset.state) setConnection($("connection").dataset.state);
  }

  function toggleLanguage() {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem(LANG_KEY, state.lang);
    applyLanguage();
    renderQueue();
    renderFollowUp();
    if (state.map) drawMap();
    renderKpis();
    if (state.selected && !$("detail").hidden) showDetail(state.selected);
  }

  // --- start ----------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    takeTokenFromAddress();
    applyLanguage();
    $("lang").addEventListener("click", toggleLanguage);
    $("signout").addEventListener("click", () => signOut());
    $("signin-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const token = $("token").value.trim();
      if (!token) return;
      localStorage.setItem(TOKEN_KEY, token);
      $("token").value = "";
      start();
    });
    $("detail-close").addEventListener("click", () => {
      $("detail").hidden = true;
      state.selected = null;
      renderQueue();
      renderFollowUp();
    });
    $("period").addEventListener("change", loadKpis);
    $("kpi-date").addEventListener("change", loadKpis);
    window.addEventListener("resize", () => Object.values(state.charts).forEach((c) => c.resize()));
    setInterval(tick, 1000);
    start();
  });
})();
