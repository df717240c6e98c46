// The pages' shared script (no build step): the signed-in user's tokens in sessionStorage, the
// REST API client (JWT, tenant header, one refresh on 401, errors with the field the API named),
// the page guard (back to the login page when the role does not fit) and formatting helpers.
(function () {
  "use strict";
  const KEY = "loyalty.auth";
  const auth = () => { try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { return null; } };
  const save = (a) => sessionStorage.setItem(KEY, JSON.stringify(a));

  class ApiError extends Error {
    constructor(status, body) {
      const detail = body && (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail || body));
      super(detail || `HTTP ${status}`);
      this.status = status; this.body = body || {}; this.field = this.body.field || null;
    }
    // Field errors {field: message}: DRF's {"name": ["msg"]} and the engine's `field`.
    fields() {
      const out = {};
      for (const [k, v] of Object.entries(this.body)) if (Array.isArray(v) && k !== "detail") out[k] = v.join(" ");
      if (this.field && !out[this.field]) out[this.field] = this.message;
      return out;
    }
  }

  async function refresh(a) {
    const r = await fetch("/api/auth/token/refresh/", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh: a.refresh }) });
    if (!r.ok) return false;
    const j = await r.json();
    save({ ...a, access: j.access, refresh: j.refresh || a.refresh });
    return true;
  }

  async function api(path, opts = {}) {
    const a = auth();
    const send = () => {
      const cur = auth() || {};
      const headers = { Accept: "application/json" };
      if (cur.access) headers.Authorization = "Bearer " + cur.access;
      if (cur.user && cur.user.tenant) headers["X-Tenant"] = cur.user.tenant;
      if (opts.body !== undefined) headers["Content-Type"] = "application/json";
      if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
      return fetch("/api/" + path.replace(/^\//, ""), { method: opts.method || (opts.body !== undefined ? "POST" : "GET"),
        headers, body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined });
    };
    let r = await send();
    if (r.status === 401 && a && a.refresh && await refresh(a)) r = await send();
    if (r.status === 401 && a) { signOut(true); }
    const text = await r.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = { detail: text.slice(0, 200) }; }
    if (!r.ok) throw new ApiError(r.status, body);
    return body;
  }

  function loginUrl(role) {
    return (role === "customer" ? "/login/" : "/staff/login/") + "?next=" + encodeURIComponent(location.pathname + location.search);
  }

  function signOut(expired) {
    const a = auth();
    sessionStorage.removeItem(KEY);
    if (a && a.refresh && !expired) {
      fetch("/api/auth/logout/", { method: "POST", keepalive: true, headers: { "Content-Type": "application/json",
        Authorization: "Bearer " + a.access }, body: JSON.stringify({ refresh: a.refresh }) }).catch(() => {});
    }
    const customer = !a || !a.user || a.user.role === "customer";
    location.href = customer ? "/login/" : "/staff/login/";
  }

  function landing(role) {
    if (role === "customer") return "/";
    if (role === "staff") return "/staff/cashier/";
    return "/manage/rules/";
  }

  // Pages name the roles they are for in <body data-roles>; the API checks them again.
  function guard() {
    const roles = (document.body.dataset.roles || "").split(",").filter(Boolean);
    if (!roles.length) return true;
    const a = auth();
    if (!a || !a.user || !roles.includes(a.user.role)) {
      location.replace(loginUrl(roles[0]));
      return false;
    }
    return true;
  }

  const nf = new Intl.NumberFormat("en");
  const fmt = {
    points: (n) => (n === null || n === undefined || n === "") ? "–" : nf.format(n),
    date: (s) => s ? new Date(s).toLocaleDateString("en-GB", { year: "numeric", month: "short", day: "numeric" }) : "–",
    datetime: (s) => s ? new Date(s).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "–",
    money: (minor, cur) => (minor === null || minor === undefined) ? "–" : (minor / 100).toFixed(2) + (cur ? " " + cur : ""),
  };
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));

  function qrSvg(text) {
    const q = window.qrcode(0, "M");
    q.addData(text);
    q.make();
    return q.createSvgTag({ cellSize: 5, margin: 2, scalable: true, alt: "QR code of coupon " + text });
  }

  window.Loy = { auth, save, api, ApiError, guard, signOut, landing, fmt, uuid, qrSvg };
  document.addEventListener("DOMContentLoaded", () => {
    const a = auth();
    document.querySelectorAll("[data-user-name]").forEach((el) => { el.textContent = a && a.user ? a.user.username : ""; });
    document.querySelectorAll("[data-sign-out]").forEach((el) => el.addEventListener("click", () => signOut(false)));
    document.querySelectorAll("[data-nav-roles]").forEach((el) => {
      const r = el.dataset.navRoles.split(",");
      if (!a || !a.user || !r.includes(a.user.role)) el.remove();
    });
  });
  if (document.body) guard(); else document.addEventListener("DOMContentLoaded", guard);
})();
