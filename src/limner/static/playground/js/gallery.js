// The key's generations (their prompts; a click opens the image at full size), newest first, a page at a time (cursor pagination of the list endpoint).
import { call } from "./api.js";
import { openViewer } from "./viewer.js";

const PAGE_SIZE = 12;
const $ = (selector) => document.querySelector(selector);
let cursors = [null]; // cursors[i] opens page i
let page = 0;

export async function loadGallery(reset = false) {
  if (reset) {
    cursors = [null];
    page = 0;
  }
  const cursor = cursors[page];
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set("cursor", cursor);
  const grid = $("#gallery-grid");
  let result;
  try {
    result = await call("GET", `/api/v1/generations?${query}`);
  } catch (error) {
    grid.replaceChildren(note("The gallery could not be loaded: " + error.message));
    return;
  }
  cursors[page + 1] = result.has_more ? result.next_cursor : undefined;
  $("#page-newer").disabled = page === 0;
  $("#page-older").disabled = !result.has_more;
  if (!result.data.length) {
    grid.replaceChildren(note("No generations yet."));
    return;
  }
  grid.replaceChildren(...result.data.map(tile));
}

function tile(generation) {
  const figure = document.createElement("figure");
  figure.className = `tile status-${generation.status}`;
  figure.dataset.id = generation.id;
  figure.title = generation.id;
  if (generation.image_url) {
    const img = document.createElement("img");
    img.src = generation.image_url;
    img.alt = generation.prompt || `${generation.style} image, seed ${generation.seed}`;
    img.loading = "lazy";
    if (generation.video_url) {
      // a video's tile is its poster, leading to the MP4 (played by the browser)
      const link = document.createElement("a");
      link.href = generation.video_url;
      link.target = "_blank";
      link.rel = "noopener";
      link.className = "tile-video";
      link.append(img);
      figure.append(link);
    } else {
      const open = document.createElement("button");
      open.type = "button";
      open.className = "tile-open";
      open.append(img);
      open.addEventListener("click", () => openViewer(generation.image_url));
      figure.append(open);
    }
  } else {
    const blank = document.createElement("div");
    blank.className = "tile-blank";
    blank.textContent = generation.status;
    figure.append(blank);
  }
  const caption = document.createElement("figcaption");
  const count = generation.images && generation.images.length > 1 ? ` · ${generation.images.length} images` : "";
  const prompt = document.createElement("span");
  prompt.className = "tile-prompt";
  prompt.textContent = generation.prompt || generation.id;
  const facts = document.createElement("span");
  facts.className = "muted";
  facts.textContent = `${generation.type || "t2i"} · ${generation.style} · ${generation.quality}${count} · ${generation.status}`;
  caption.append(prompt, facts);
  figure.append(caption);
  return figure;
}

function note(text) {
  const div = document.createElement("div");
  div.className = "empty";
  div.textContent = text;
  return div;
}

export function setUpGallery() {
  $("#page-older").addEventListener("click", () => {
    if (cursors[page + 1] === undefined) return;
    page += 1;
    loadGallery();
  });
  $("#page-newer").addEventListener("click", () => {
    if (page === 0) return;
    page -= 1;
    loadGallery();
  });
}
