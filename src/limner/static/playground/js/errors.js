// Every error body in plain words: what happened, what to do, and the server's own message.
const PLAIN = {
  missing_api_key: "No API key was sent. Paste your key at the top of the page.",
  invalid_api_key: "This API key is not valid or has been revoked. Check it, or ask the operator for a new one.",
  invalid_request: "The server could not read the request.",
  validation_error: "Something in the form is not accepted.",
  insufficient_credits: "Not enough credits for this generation.",
  content_blocked: "This request was refused by content moderation. Please revise it; refusals cost nothing.",
  rate_limited: "Too many requests in a short time.",
  generation_failed: "The generation failed or timed out. Nothing was charged; please try again.",
  internal_error: "The server hit an unexpected error. Nothing was charged.",
  not_found: "That generation does not exist (or belongs to another key).",
  already_finished: "The generation had already finished, so it could not be canceled.",
  payload_too_large: "The file or request is too large for this server.",
  method_not_allowed: "The server does not allow this call.",
  network: "The server could not be reached. Is it running?",
};

const FIELD_NAMES = {
  prompt: "the prompt",
  seed: "the seed",
  n: "the number of images",
  "appearance.age": "the age (18 to 70)",
  "appearance.gender": "the gender",
  "snap_caption.text": "the caption text",
  "snap_caption.position": "the caption position",
};

/** {title, detail} for an ApiError's body and status. */
export function plainWords(status, body) {
  const code = body.error || `http_${status}`;
  let title = PLAIN[code] || `The server answered ${status}.`;
  const extra = [];
  if (body.field) {
    const name = FIELD_NAMES[body.field] || body.field.replace(/^appearance\./, "").replace(/_/g, " ");
    if (code === "validation_error") title = `Please check ${name}.`;
    if (code === "content_blocked") title = `The ${name.replace(/^the /, "")} was refused by content moderation. Please revise it; refusals cost nothing.`;
  }
  // a refusal that names its rule (the adult style takes no uploaded picture) says it in its
  // own words; the generic moderation answer keeps the title above
  if (code === "content_blocked" && body.message && !body.message.startsWith("The request was blocked")) {
    const rule = body.message.replace(/^[\w.]+: /, "");
    title = `${rule.charAt(0).toUpperCase()}${rule.slice(1)} Refusals cost nothing.`;
    return { code, title, detail: "" };
  }
  if (code === "insufficient_credits" && body.credits_required !== undefined) {
    extra.push(`This needs ${body.credits_required} credit(s); you have ${body.credits_available}.`);
  }
  if (code === "rate_limited" && body.retry_after !== undefined) {
    extra.push(`Try again in ${body.retry_after} second(s).`);
  }
  if (body.message) extra.push(`Server: “${body.message}”`);
  return { code, title, detail: extra.join(" ") };
}
