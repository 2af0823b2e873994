// The composer: reads the form into a request body, shows each type's options and the adult
// options only for that style, previews the caption bar and the price, lists the key's
// characters, and holds back a combination the server would refuse (the adult style with a
// picture). New request types add an <option> and a builder here.
import { call } from "./api.js";
import { maskPng } from "./mask.js";

const TRAITS = ["gender", "age", "ethnicity", "body_type", "hair_style", "hair_color", "eye_color", "breast_size"];
const PRICE = { fast: 1, hires: 2 };
// the shipped video prices per second (an operator may change them: the server's answer says)
const VIDEO_PRICE = { fast: 2, hires: 4 };
//: the types that take an input picture, and the video types
const PICTURE_TYPES = ["i2i", "inpaint", "outpaint", "i2v"];
const VIDEO_TYPES = ["t2v", "i2v"];

const $ = (selector) => document.querySelector(selector);

function selected(name) {
  return document.querySelector(`input[name="${name}"]:checked`).value;
}

async function upload(blob) {
  const answer = await call("POST", "/api/v1/uploads", { body: blob, contentType: blob.type || "image/png" });
  return answer.id;
}

/** The chosen picture, uploaded (`upl_...`); an empty field is left for the server to name. */
async function picture() {
  const file = $("#input-image").files[0];
  return file ? upload(file) : undefined;
}

/** The brushed mask, uploaded as a PNG; none painted is left for the server to name. */
async function mask() {
  const png = await maskPng();
  return png ? upload(png) : undefined;
}

function expand() {
  const sides = {};
  for (const side of ["left", "right", "top", "bottom"]) {
    const value = Number.parseInt($(`#expand-${side}`).value, 10);
    if (Number.isFinite(value) && value !== 0) sides[side] = value;
  }
  return sides;
}

function duration() {
  return Math.max(1, Number.parseInt($("#duration").value, 10) || 4);
}

/** Builders by request type; each returns the type-specific part of the body. */
const BUILDERS = {
  t2i: async () => ({}),
  i2i: async () => ({ image: await picture(), strength: Number($("#strength").value) }),
  inpaint: async () => ({ image: await picture(), mask: await mask() }),
  outpaint: async () => ({ image: await picture(), expand: expand() }),
  t2v: async () => ({ duration_s: duration() }),
  i2v: async () => ({ image: await picture(), duration_s: duration() }),
};

/** True when the form asks for what the server refuses: the adult style with a picture. */
export function adultWithPicture() {
  return selected("style") === "nude" && PICTURE_TYPES.includes($("#type").value);
}

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
  if (!VIDEO_TYPES.includes(type) && Number.isFinite(n) && n !== 1) body.n = n;
  const seed = $("#seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  const character = $("#character").value;
  if (character) body.character_id = character;
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

/** The key's characters in the picker (none when there is no key or the list fails). */
export async function loadCharacters() {
  const picker = $("#character");
  const none = new Option("none", "");
  try {
    const page = await call("GET", "/api/v1/characters?limit=100");
    picker.replaceChildren(none, ...page.data.map((each) => new Option(`${each.name} · ${each.style}`, each.id)));
  } catch {
    picker.replaceChildren(none);
  }
  refresh();
}

function refresh() {
  const type = $("#type").value;
  const video = VIDEO_TYPES.includes(type);
  $("#image-options").hidden = !PICTURE_TYPES.includes(type);
  for (const part of document.querySelectorAll("#image-options [data-for]")) {
    part.hidden = !part.dataset.for.split(" ").includes(type);
  }
  $("#video-options").hidden = !video;
  $("#n-field").hidden = video;
  const adult = selected("style") === "nude";
  $("#adult-options").hidden = !adult;
  $("#caption-options").hidden = !$("#caption-on").checked;
  const bar = $("#caption-bar");
  bar.textContent = $("#caption-text").value.trim() || "a random caption";
  bar.className = `caption-bar pos-${$("#caption-position").value}`;
  const n = Math.max(1, Number.parseInt($("#n").value, 10) || 1);
  const quality = selected("quality");
  const cost = video ? VIDEO_PRICE[quality] * duration() : PRICE[quality] * n;
  $("#cost").textContent = `costs ${cost} credit${cost === 1 ? "" : "s"}`;
  // the adult style takes no uploaded picture (safety): say so before sending, not after
  const blocked = adultWithPicture();
  $("#adult-picture-note").hidden = !blocked;
  $("#generate").toggleAttribute("data-blocked", blocked);
  $("#generate").disabled = blocked || $("#generate").hasAttribute("data-busy");
}

/** Marks a request in flight (the button stays off while it runs, and for a held-back form). */
export function setBusy(busy) {
  $("#generate").toggleAttribute("data-busy", busy);
  refresh();
}

export function setUpForm() {
  $("#generate-form").addEventListener("input", refresh);
  $("#generate-form").addEventListener("change", refresh);
  refresh();
}
