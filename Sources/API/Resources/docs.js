// tapelib API documentation page: renders /api/v1/openapi.json as a browsable list.
// All text goes through textContent; no HTML from the document is ever parsed.

const METHODS = ["get", "post", "put", "patch", "delete"];
let spec = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function refName(ref) {
  return typeof ref === "string" ? decodeURIComponent(ref.split("/").pop().replace(/~1/g, "/").replace(/~0/g, "~")) : "";
}

function resolve(obj) {
  let current = obj;
  for (let i = 0; i < 20 && current && typeof current.$ref === "string"; i++) {
    const parts = current.$ref.replace(/^#\//, "").split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    let target = spec;
    for (const part of parts) target = target?.[part];
    current = target;
  }
  return current ?? {};
}

function slug(text) {
  return "tag-" + String(text).toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

// A one-line description of a schema's type.
function typeText(schema, depth = 0) {
  if (!schema || typeof schema !== "object") return "any";
  if (depth > 4) return "…";
  if (schema.$ref) return refName(schema.$ref);
  if ("const" in schema) return JSON.stringify(schema.const);
  if (schema.oneOf || schema.anyOf) return (schema.oneOf || schema.anyOf).map((s) => typeText(s, depth + 1)).join(" | ");
  if (schema.allOf) {
    const data = envelopeData(schema);
    if (data !== undefined) return "Envelope<" + typeText(data, depth + 1) + ">";
    return schema.allOf.map((s) => typeText(s, depth + 1)).join(" & ");
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  let parts = types.map((t) => {
    if (t === "array") return "array<" + typeText(schema.items, depth + 1) + ">";
    if (t === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object" && !schema.properties)
      return "map<string, " + typeText(schema.additionalProperties, depth + 1) + ">";
    if (schema.format && t !== "null") return t + "(" + schema.format + ")";
    return t;
  });
  if (schema.enum) {
    const values = schema.enum.filter((v) => v !== null).map((v) => JSON.stringify(v)).join(" | ");
    parts = [values].concat(schema.enum.includes(null) ? ["null"] : []);
  }
  return parts.length ? parts.join(" | ") : "any";
}

function constraints(schema) {
  const out = [];
  for (const key of ["minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "minProperties", "pattern"]) {
    if (schema[key] !== undefined) out.push(key + " " + schema[key]);
  }
  if (schema.default !== undefined) out.push("default " + JSON.stringify(schema.default));
  if (schema.uniqueItems) out.push("unique");
  if (schema.additionalProperties === false) out.push("no other fields");
  return out.join(", ");
}

// {allOf: [Envelope, {properties: {data: X}}]} → X; undefined when not that shape.
function envelopeData(schema) {
  if (!schema?.allOf || schema.allOf.length !== 2) return undefined;
  const [first, second] = schema.allOf;
  if (refName(first?.$ref) !== "Envelope") return undefined;
  return second?.properties?.data;
}

// Renders a schema as a nested tree; $ref targets expand lazily when opened.
function schemaTree(schema, depth = 0) {
  const box = el("div", { class: "schema" });
  if (!schema || typeof schema !== "object") { box.append(el("span", { class: "type", text: "any" })); return box; }
  if (depth > 12) { box.append(el("span", { class: "meta", text: "(nested too deep)" })); return box; }
  if (schema.$ref) {
    const details = el("details");
    details.append(el("summary", {}, el("span", { class: "type", text: refName(schema.$ref) })));
    details.addEventListener("toggle", () => {
      if (details.open && details.childElementCount === 1) details.append(schemaTree(resolve(schema), depth + 1));
    });
    box.append(details);
    return box;
  }
  const data = envelopeData(schema);
  if (data !== undefined) {
    box.append(el("div", { class: "meta", text: "Envelope {data, errors, is_error, message}; data:" }), schemaTree(data, depth + 1));
    return box;
  }
  if (schema.description) box.append(el("div", { class: "meta", text: schema.description }));
  const variants = schema.oneOf || schema.anyOf || schema.allOf;
  if (variants) {
    box.append(el("div", { class: "meta", text: schema.allOf ? "all of:" : "one of:" }));
    for (const variant of variants) box.append(schemaTree(variant, depth + 1));
    return box;
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (schema.properties) {
    const required = new Set(schema.required || []);
    for (const [name, prop] of Object.entries(schema.properties)) {
      const line = el("div", { class: "prop" },
        el("code", { text: name }), ": ", el("span", { class: "type", text: typeText(prop) }),
        required.has(name) ? el("span", { class: "req", text: "required" }) : null);
      const extra = [prop.description, constraints(prop)].filter(Boolean).join(" — ");
      if (extra) line.append(el("span", { class: "desc", text: extra }));
      box.append(line);
      const nested = prop.$ref || prop.properties || prop.allOf || prop.oneOf || (prop.items && (prop.items.$ref || prop.items.properties || prop.items.oneOf));
      if (nested) box.append(schemaTree(prop.items && !prop.properties && !prop.$ref && !prop.oneOf ? prop.items : prop, depth + 1));
    }
    const rest = constraints(schema);
    if (rest) box.append(el("div", { class: "meta", text: rest }));
  } else if (types.includes("array")) {
    box.append(el("div", {}, el("span", { class: "type", text: typeText(schema) }),
      el("span", { class: "desc", text: constraints(schema) })));
    if (schema.items && (schema.items.$ref || schema.items.properties || schema.items.allOf || schema.items.oneOf))
      box.append(schemaTree(schema.items, depth + 1));
  } else {
    box.append(el("div", {}, el("span", { class: "type", text: typeText(schema) }),
      el("span", { class: "desc", text: constraints(schema) })));
  }
  if (schema.example !== undefined) box.append(el("pre", { text: JSON.stringify(schema.example, null, 2) }));
  return box;
}

function securityText(op) {
  const sec = op.security ?? spec.security ?? [];
  if (sec.length === 0) return null;
  return sec.map((alt) => Object.keys(alt).join(" + ")).join("  or  ");
}

function parametersTable(params) {
  const table = el("table");
  table.append(el("tr", {}, el("th", { text: "name" }), el("th", { text: "in" }), el("th", { text: "type" }), el("th", { text: "description" })));
  for (const raw of params) {
    const p = resolve(raw);
    const schema = p.schema || {};
    table.append(el("tr", {},
      el("td", {}, el("code", { text: p.name }), p.required ? el("span", { class: "req", text: "required" }) : null),
      el("td", { text: p.in }),
      el("td", {}, el("span", { class: "type", text: typeText(schema) })),
      el("td", { text: [p.description, constraints(schema)].filter(Boolean).join(" — ") })));
  }
  return table;
}

function mediaBlock(content) {
  const wrap = el("div");
  for (const [type, media] of Object.entries(content || {})) {
    wrap.append(el("div", { class: "meta" }, "Content-Type: ", el("code", { text: type })));
    if (media.schema) wrap.append(schemaTree(media.schema));
    if (media.example !== undefined) wrap.append(el("pre", { text: JSON.stringify(media.example, null, 2) }));
  }
  return wrap;
}

function operationBody(method, path, op) {
  const body = el("div", { class: "body" });
  if (op.description) body.append(el("p", { text: op.description }));
  const meta = el("p", { class: "meta" }, "operationId ", el("code", { text: op.operationId || "" }));
  const sec = securityText(op);
  meta.append(" · ");
  if (sec) meta.append("auth: ", el("code", { text: sec }));
  else meta.append(el("span", { class: "badge public", text: "no authentication" }));
  const roles = op["x-roles"];
  if (Array.isArray(roles) && roles.length) {
    meta.append(" · roles: ");
    for (const role of roles) meta.append(el("span", { class: "badge", text: role }));
  }
  body.append(meta);
  const params = [...(spec.paths[path].parameters || []), ...(op.parameters || [])];
  if (params.length) body.append(el("h3", { text: "Parameters" }), parametersTable(params));
  if (op.requestBody) {
    const rb = resolve(op.requestBody);
    body.append(el("h3", { text: "Request body" + (rb.required ? " (required)" : "") }));
    if (rb.description) body.append(el("p", { class: "meta", text: rb.description }));
    body.append(mediaBlock(rb.content));
  }
  body.append(el("h3", { text: "Responses" }));
  for (const [status, raw] of Object.entries(op.responses || {})) {
    const response = resolve(raw);
    const name = raw.$ref ? " (" + refName(raw.$ref) + ")" : "";
    const block = el("details", {}, el("summary", {},
      el("span", { class: "status s" + String(status)[0], text: status }), " ", response.description || "", name));
    block.addEventListener("toggle", () => {
      if (!block.open || block.childElementCount > 1) return;
      if (response.headers) {
        for (const [header, h] of Object.entries(response.headers)) {
          const hr = resolve(h);
          block.append(el("div", { class: "meta" }, "Header ", el("code", { text: header }), ": ",
            el("span", { class: "type", text: typeText(hr.schema) }), hr.description ? " — " + hr.description : ""));
        }
      }
      block.append(mediaBlock(response.content));
    });
    body.append(block);
  }
  return body;
}

function render() {
  const info = spec.info || {};
  document.title = (info.title || "API") + " " + (info.version || "");
  document.getElementById("title").textContent = (info.title || "API") + " " + (info.version || "");
  const subtitle = document.getElementById("subtitle");
  subtitle.textContent = info.description || "";

  const groups = new Map((spec.tags || []).map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || "Other";
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push({ method, path, op });
    }
  }

  const toc = document.getElementById("toc");
  const main = document.getElementById("ops");
  toc.replaceChildren();
  main.replaceChildren();
  for (const [tag, ops] of groups) {
    if (!ops.length) continue;
    toc.append(el("a", { href: "#" + slug(tag), text: tag + " (" + ops.length + ")" }));
    const section = el("section", { class: "tag", id: slug(tag) }, el("h2", { text: tag }));
    for (const { method, path, op } of ops) {
      const details = el("details", { class: "op" });
      details.dataset.search = [method, path, op.summary, op.description, op.operationId, tag, ...(op["x-roles"] || [])]
        .filter(Boolean).join(" ").toLowerCase();
      details.append(el("summary", {},
        el("span", { class: "method m-" + method, text: method }),
        el("span", { class: "path", text: path }),
        el("span", { class: "summary", text: op.summary || "" })));
      details.addEventListener("toggle", () => {
        if (details.open && details.childElementCount === 1) details.append(operationBody(method, path, op));
      });
      section.append(details);
    }
    main.append(section);
  }

  const schemas = document.getElementById("schemas");
  schemas.replaceChildren(el("h2", { text: "Schemas" }));
  for (const name of Object.keys(spec.components?.schemas || {}).sort()) {
    const details = el("details", { class: "op" });
    details.dataset.search = ("schema " + name).toLowerCase();
    details.append(el("summary", {}, el("span", { class: "path", text: name })));
    details.addEventListener("toggle", () => {
      if (details.open && details.childElementCount === 1)
        details.append(el("div", { class: "body" }, schemaTree(spec.components.schemas[name])));
    });
    schemas.append(details);
  }
  applyFilter();
}

function applyFilter() {
  const words = document.getElementById("filter").value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0, total = 0;
  for (const section of document.querySelectorAll("#ops section.tag")) {
    let visible = 0;
    for (const op of section.querySelectorAll("details.op")) {
      const match = words.every((w) => op.dataset.search.includes(w));
      op.classList.toggle("hidden", !match);
      total++;
      if (match) { visible++; shown++; }
    }
    section.classList.toggle("hidden", visible === 0);
  }
  for (const schema of document.querySelectorAll("#schemas details.op")) {
    schema.classList.toggle("hidden", !words.every((w) => schema.dataset.search.includes(w)));
  }
  document.getElementById("count").textContent = shown + " of " + total + " operations";
}

async function main() {
  const filter = document.getElementById("filter");
  filter.addEventListener("input", applyFilter);
  const fromHash = new URLSearchParams(location.search).get("q");
  if (fromHash) filter.value = fromHash;
  try {
    const response = await fetch("/api/v1/openapi.json", { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    spec = await response.json();
    render();
  } catch (error) {
    const subtitle = document.getElementById("subtitle");
    subtitle.replaceChildren(el("span", { class: "error", text: "Could not load the API document: " + error.message }));
  }
}

main();
