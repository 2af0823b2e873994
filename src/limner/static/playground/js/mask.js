// The input picture's preview and the mask brush over it: paint where the picture is repainted,
// clear, and export the strokes as a PNG mask at the picture's size (transparent = repaint).
const $ = (selector) => document.querySelector(selector);
let painted = false;
let drawing = false;
let last = null;

function canvas() {
  return $("#mask-canvas");
}

/** Shows the chosen file under the brush; the canvas takes the picture's own pixel size. */
function showPicture() {
  const file = $("#input-image").files[0];
  const img = $("#input-picture");
  if (!file) {
    img.removeAttribute("src");
    $("#input-preview").hidden = true;
    return;
  }
  img.onload = () => {
    canvas().width = img.naturalWidth;
    canvas().height = img.naturalHeight;
    clearMask();
    $("#input-preview").hidden = false;
  };
  // a data: URL, as the progress previews are (a blob: URL would need its own CSP source)
  const reader = new FileReader();
  reader.onload = () => {
    img.src = reader.result;
  };
  reader.readAsDataURL(file);
}

export function clearMask() {
  const ctx = canvas().getContext("2d");
  ctx.clearRect(0, 0, canvas().width, canvas().height);
  painted = false;
}

/** The pointer's position in the picture's pixels (the canvas is drawn scaled to the page). */
function at(event) {
  const box = canvas().getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) / box.width) * canvas().width,
    y: ((event.clientY - box.top) / box.height) * canvas().height,
  };
}

function stroke(to) {
  const ctx = canvas().getContext("2d");
  const box = canvas().getBoundingClientRect();
  // the brush size is in screen pixels: the same stroke whatever the picture's size
  const width = Number($("#brush-size").value) * (canvas().width / box.width);
  ctx.strokeStyle = ctx.fillStyle = "#ff4f81";
  ctx.lineWidth = width;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo((last || to).x, (last || to).y);
  ctx.lineTo(to.x, to.y);
  ctx.stroke();
  ctx.beginPath();
  ctx.arc(to.x, to.y, width / 2, 0, Math.PI * 2);
  ctx.fill();
  last = to;
  painted = true;
}

/** The strokes as a PNG mask (a Blob), or undefined when nothing was painted. */
export async function maskPng() {
  if (!painted) return undefined;
  const { width, height } = canvas();
  const pixels = canvas().getContext("2d").getImageData(0, 0, width, height);
  const out = document.createElement("canvas");
  out.width = width;
  out.height = height;
  const ctx = out.getContext("2d");
  const mask = ctx.createImageData(width, height);
  // a canvas PNG always has an alpha channel, so the mask uses that convention: transparent is
  // repainted (the painted strokes), opaque black is kept (docs/studio.md, "Masks")
  for (let i = 0; i < pixels.data.length; i += 4) {
    mask.data[i + 3] = pixels.data[i + 3] >= 128 ? 0 : 255;
  }
  ctx.putImageData(mask, 0, 0);
  return new Promise((resolve) => out.toBlob(resolve, "image/png"));
}

export function setUpMask() {
  $("#input-image").addEventListener("change", showPicture);
  $("#mask-clear").addEventListener("click", clearMask);
  const paint = canvas();
  paint.addEventListener("pointerdown", (event) => {
    drawing = true;
    last = null;
    paint.setPointerCapture(event.pointerId);
    stroke(at(event));
    event.preventDefault();
  });
  paint.addEventListener("pointermove", (event) => {
    if (drawing) stroke(at(event));
  });
  for (const name of ["pointerup", "pointercancel"]) {
    paint.addEventListener(name, () => {
      drawing = false;
      last = null;
    });
  }
}
