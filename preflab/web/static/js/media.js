// Where task media may come from: this server (uploaded files at /data/upload/…, a local folder
// at /data/local-files/?d=…), data: images, and http(s) URLs on the hosts the project lists in
// its media_hosts (the page's Content-Security-Policy allows those and no others). Anything else
// is not requested at all: the page shows why instead.

let hosts = [];

// The project's media hosts (its space-separated `media_hosts`), as the server checks them.
export function setMediaHosts(value) {
  hosts = String(value || "")
    .toLowerCase()
    .split(/\s+/)
    .filter((h) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/.test(h));
}

// `url` if the page may load it as `kind` ("image", "audio", "video"), else null; `why(url)`
// says why not.
export function mediaUrl(url, kind = "image") {
  if (typeof url !== "string") return null;
  const value = url.trim();
  if (/^\/(?![/\\])/.test(value)) return value; // this server
  if (kind === "image" && /^data:image\/(png|jpe?g|gif|webp|avif|bmp);base64,[a-z0-9+/=\s]+$/i.test(value)) return value;
  let parsed;
  try {
    parsed = new URL(value);
  } catch (_) {
    return null;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  if (parsed.username || parsed.password) return null;
  return hosts.includes(parsed.host.toLowerCase()) ? parsed.href : null;
}

export function why(url) {
  if (typeof url !== "string" || !url.trim()) return "no address in the task";
  try {
    const parsed = new URL(url.trim());
    if (parsed.protocol === "https:" || parsed.protocol === "http:") {
      return `${parsed.host} is not one of this project's media hosts`;
    }
    return `${parsed.protocol.replace(":", "")} addresses are not loaded`;
  } catch (_) {
    return "not an address this page loads";
  }
}
