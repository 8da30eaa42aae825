// Where task media may come from: this server's media routes only (uploaded files at
// /data/upload/…, a local folder at /data/local-files/?d=…), data: images, and http(s) URLs on
// the hosts the project lists in its media_hosts (the page's Content-Security-Policy allows those
// and no others). Anything else is not requested at all: the page shows why instead. Any other
// address on this server (an API route such as /api/projects/7/next, which claims a task) is
// refused however it is spelled: addresses are checked as the browser resolves them (`..`,
// `%2e%2e`, an absolute URL naming this server, a media host that is this server).

let hosts = [];

// The project's media hosts, as the server reads them from its `media_hosts` and lists them in
// the page's Content-Security-Policy (web/security.py `media_hosts`, served with the page:
// js/rules.js): lower-cased host[:port] names.
export function setMediaHosts(list) {
  hosts = Array.isArray(list) ? list.map((h) => String(h).toLowerCase()) : [];
}

// `url` if the page may load it as `kind` ("image", "audio", "video"), else null; `why(url)`
// says why not.
export function mediaUrl(url, kind = "image") {
  if (typeof url !== "string") return null;
  const value = url.trim();
  if (kind === "image" && /^data:image\/(png|jpe?g|gif|webp|avif|bmp);base64,[a-z0-9+/=\s]+$/i.test(value)) return value;
  const parsed = resolve(value);
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) return null;
  if (parsed.username || parsed.password) return null;
  if (parsed.origin === location.origin) return mediaRoute(parsed) ? parsed.pathname + parsed.search : null;
  if (!/^[a-z]+:/i.test(value)) return null; // "//host/…" and the like: spelled as a full URL only
  return hosts.includes(parsed.host.toLowerCase()) ? parsed.href : null;
}

// The address as the browser will request it (relative to this page), or null.
function resolve(value) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (!value || /[\\\u0000-\u001f]/.test(value)) return null;
  try {
    return new URL(value, location.href);
  } catch (_) {
    return null;
  }
}

function mediaRoute(parsed) {
  const path = parsed.pathname;
  if (path.startsWith("/data/upload/")) return !/%2f|%5c/i.test(path); // no encoded separators
  return path === "/data/local-files" || path === "/data/local-files/";
}

export function why(url) {
  if (typeof url !== "string" || !url.trim()) return "no address in the task";
  const local = resolve(url.trim());
  if (local && local.origin === location.origin) return "only this server's media files (/data/…) are loaded";
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
