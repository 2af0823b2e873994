// The result card: the images (a click opens the full-size viewer) or the video (played in the
// page, with the MP4 to download), cleared on every new answer so an old result never sits
// under a new refusal.
import { openViewer } from "./viewer.js";

const $ = (selector) => document.querySelector(selector);

function note(text) {
  const div = document.createElement("div");
  div.className = "empty";
  div.textContent = text;
  return div;
}

/** Empties the result (an answer is coming, a refusal came, or the key changed). */
export function clearResult(text = "Your images appear here. Paste a key, describe a scene and press Generate.") {
  $("#images").replaceChildren(note(text));
}

/** Brings the result card into view (on a phone it is below the form). */
export function showResultCard() {
  $("#result").scrollIntoView({ block: "start" });
}

function downloadLink(url, name, label) {
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.className = "btn btn-small";
  link.textContent = label;
  return link;
}

function videoFigure(generation) {
  const figure = document.createElement("figure");
  figure.className = "output output-video";
  const video = document.createElement("video");
  video.src = generation.video_url;
  if (generation.poster_url) video.poster = generation.poster_url;
  video.controls = true;
  video.loop = true;
  video.playsInline = true;
  video.preload = "metadata";
  const caption = document.createElement("figcaption");
  const facts = document.createElement("span");
  facts.className = "muted";
  facts.textContent = [generation.duration_s && `${generation.duration_s} s`, generation.width && `${generation.width}×${generation.height}`, `seed ${generation.seed}`]
    .filter(Boolean)
    .join(" · ");
  caption.append(facts, downloadLink(generation.video_url, `${generation.id}.mp4`, "Download MP4"));
  figure.append(video, caption);
  return figure;
}

function imageFigure(generation, image, index, count) {
  const figure = document.createElement("figure");
  figure.className = "output";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "output-open";
  button.title = "View at full size";
  const img = document.createElement("img");
  img.src = image.url;
  img.alt = `Generated image ${index + 1}, seed ${image.seed}`;
  button.append(img);
  button.addEventListener("click", () => openViewer(image.url));
  const caption = document.createElement("figcaption");
  const seed = document.createElement("span");
  seed.className = "muted";
  seed.textContent = `seed ${image.seed}`;
  const extension = (image.url.split(".").pop() || "png").toLowerCase();
  caption.append(seed, downloadLink(image.url, `${generation.id}${count > 1 ? `-${index + 1}` : ""}.${extension}`, "Download"));
  figure.append(button, caption);
  return figure;
}

export function renderResult(generation) {
  if (generation.video_url) {
    $("#images").replaceChildren(videoFigure(generation));
    return;
  }
  const list = generation.images && generation.images.length ? generation.images : [{ url: generation.image_url, seed: generation.seed }];
  $("#images").replaceChildren(...list.map((image, index) => imageFigure(generation, image, index, list.length)));
}
