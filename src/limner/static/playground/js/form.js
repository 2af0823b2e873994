// The composer: reads the form into a request body, shows the adult options only for that style,
// previews the caption bar and the price. New request types add a <option> and a builder here.
import { call } from "./api.js";

const TRAITS = ["gender", "age", "ethnicity", "body_type", "hair_style", "hair_color", "eye_color", "breast_size"];
const PRICE = { fast: 1, hires: 2 };

const $ = (selector) => document.querySelector(selector);

function selected(name) {
  return document.querySelector(`input[name="${name}"]:checked`).value;
}

/** A chosen file, uploaded (`upl_...`); an empty field is left for the server to name. */
async function uploaded(selector) {
  const file = $(selector).files[0];
  if (!file) return undefined;
  const upload = await call("POST", "/api/v1/uploads", { body: file, contentType: file.type || "image/png" });
  return upload.id;
}

function expand() {
  const sides = {};
  for (const side of ["left", "right", "top", "bottom"]) {
    const value = Number.parseInt($(`#expand-${side}`).value, 10);
    if (Number.isFinite(value) && value !== 0) sides[side] = value;
  }
  return sides;
}

/** Builders by request type; each returns the type-specific part of the body. */
const BUILDERS = {
  t2i: async () => ({}),
  i2i: async () => ({ image: await uploaded("#input-image"), strength: Number($("#strength").value) }),
  inpaint: async () => ({ image: await uploaded("#input-image"), mask: await uploaded("#input-mask") }),
  outpaint: async () => ({ image: await uploaded("#input-image"), expand: expand() }),
};

export async function requestBody() {
  const type = $("#type").value;
  const body = {
    prompt: $("#prompt").value,
    style: selected("style"),
    quality: selected("quality"),
    ...(await BUILDERS[type]()),
  };
  if (type !== "t2i") body.type = type; // v1 clients send no type; t2i is the default
  const n = Number.parseInt($("#n").value, 10);
  if (Number.isFinite(n) && n !== 1) body.n = n;
  const seed = $("#seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  if (body.style === "nude") {
    const appearance = {};
    for (const trait of TRAITS) {
      const input = document.querySelector(`#adult-options [name="${trait}"]`);
      const value = input.value.trim();
      if (value !== "") appearance[trait] = trait === "age" ? Number(value) : value;
    }
    if (Object.keys(appearance).length) body.appearance = appearance;
    if ($("#caption-on").checked) {
      const text = $("#caption-text").value.trim();
      body.snap_caption = { position: $("#caption-position").value, ...(text ? { text } : {}) };
    }
  }
  return body;
}

function refresh() {
  const type = $("#type").value;
  $("#image-options").hidden = type === "t2i";
  for (const part of document.querySelectorAll("#image-options [data-for]")) {
    part.hidden = part.dataset.for !== type;
  }
  const adult = selected("style") === "nude";
  $("#adult-options").hidden = !adult;
  $("#caption-options").hidden = !$("#caption-on").checked;
  const bar = $("#caption-bar");
  bar.textContent = $("#caption-text").value.trim() || "a random caption";
  bar.className = `caption-bar pos-${$("#caption-position").value}`;
  const n = Math.max(1, Number.parseInt($("#n").value, 10) || 1);
  const cost = PRICE[selected("quality")] * n;
  $("#cost").textContent = `costs ${cost} credit${cost === 1 ? "" : "s"}`;
}

export function setUpForm() {
  $("#generate-form").addEventListener("input", refresh);
  $("#generate-form").addEventListener("change", refresh);
  refresh();
}
