// Which media addresses the page loads (js/media.js), with the media hosts the server serves.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { mediaUrl, setMediaHosts, why } from "../../preflab/web/static/js/media.js";

globalThis.location = new URL("http://127.0.0.1:8080/projects/3/label");

beforeEach(() => setMediaHosts(["cdn.example.com", "media.example.org:8443"]));

test("this server's media routes, data: images and listed hosts are loaded", () => {
  assert.equal(mediaUrl("/data/upload/3/a.png"), "/data/upload/3/a.png");
  assert.equal(mediaUrl("/data/local-files/?d=x/a.wav", "audio"), "/data/local-files/?d=x/a.wav");
  assert.equal(mediaUrl("data:image/png;base64,iVBORw0KGgo="), "data:image/png;base64,iVBORw0KGgo=");
  assert.equal(mediaUrl("https://CDN.example.com/a.png"), "https://cdn.example.com/a.png");
  assert.equal(mediaUrl("http://media.example.org:8443/v.mp4", "video"), "http://media.example.org:8443/v.mp4");
});

test("anything else is refused, however it is spelled", () => {
  for (const url of [
    "/api/projects/3/next",
    "/data/upload/../../api/projects/3/next",
    "/data/upload/%2e%2e/x",
    "/data/upload/3%2fa.png",
    "http://127.0.0.1:8080/api/tasks/1",
    "//cdn.example.com/a.png",
    "https://media.example.org/v.mp4", // listed with another port
    "https://user:pw@cdn.example.com/a.png",
    "https://evil.example.com/a.png",
    "javascript:alert(1)",
    "data:audio/wav;base64,AAAA",
    "/data/upload/3/a\u0000.png",
    42,
  ]) {
    assert.equal(mediaUrl(url, typeof url === "string" && url.startsWith("data:audio") ? "audio" : "image"), null, String(url));
  }
  assert.equal(mediaUrl("data:image/svg+xml;base64,PHN2Zz4="), null);
});

test("the hosts are the served list: without one, no host is loaded", () => {
  setMediaHosts(undefined);
  assert.equal(mediaUrl("https://cdn.example.com/a.png"), null);
  assert.equal(why("https://cdn.example.com/a.png"), "cdn.example.com is not one of this project's media hosts");
});

test("why an address is not loaded", () => {
  assert.equal(why(""), "no address in the task");
  assert.equal(why("/api/projects"), "only this server's media files (/data/…) are loaded");
  assert.equal(why("ftp://x/y"), "ftp addresses are not loaded");
});
