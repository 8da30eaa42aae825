// Answers on their way to the server. Each answer has its own localStorage key,
//   preflab:pending:<user>:<project>:<unique_id>
// so two tabs never overwrite each other's answers, and any tab of the same user may send any of
// them. Every answer carries a client `unique_id`; the server answers a repeated POST with the
// annotation it made the first time, so sending one twice (a retry after a lost response, two
// tabs at once) is harmless. An answer the server refused for good keeps its key, with `error`
// set, until the labeler downloads or discards it: nothing is dropped silently.

export const PREFIX = "preflab:pending:";

export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context (https or localhost); getRandomValues does not
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class Outbox {
  constructor(userId) {
    this.user = userId;
    this.prefix = `${PREFIX}${userId}:`;
    this.memory = new Map(); // entries the browser refused to store (storage full), sent from here
    this.seq = 0;
  }

  keyOf(entry) {
    return `${this.prefix}${entry.project}:${entry.unique_id}`;
  }

  owns(key) {
    return typeof key === "string" && key.startsWith(this.prefix);
  }

  // A new answer: {project, task, annotation (id, for a change), body, label}.
  add(fields) {
    const entry = { ...fields, user: this.user, unique_id: uuid(), created: Date.now(), seq: this.seq++, error: null };
    this.put(entry);
    return entry;
  }

  // Store an entry; returns false when the browser's storage is full (the entry is then kept in
  // this tab's memory and still sent).
  put(entry) {
    try {
      localStorage.setItem(this.keyOf(entry), JSON.stringify(entry));
      this.memory.delete(this.keyOf(entry));
      return true;
    } catch (_) {
      this.memory.set(this.keyOf(entry), entry);
      return false;
    }
  }

  get(entry) {
    const key = this.keyOf(entry);
    const stored = localStorage.getItem(key);
    if (stored) {
      try {
        return JSON.parse(stored);
      } catch (_) {
        return null;
      }
    }
    return this.memory.get(key) || null;
  }

  find(uniqueId) {
    return this.all().find((e) => e.unique_id === uniqueId) || null;
  }

  remove(entry) {
    localStorage.removeItem(this.keyOf(entry));
    this.memory.delete(this.keyOf(entry));
  }

  // Every entry of this user (all projects, all tabs), oldest first.
  all() {
    const out = new Map(this.memory);
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!this.owns(key)) continue;
      try {
        const entry = JSON.parse(localStorage.getItem(key));
        if (entry?.unique_id) out.set(key, entry);
      } catch (_) {
        /* not ours */
      }
    }
    return [...out.values()].sort((a, b) => a.created - b.created || a.seq - b.seq);
  }

  waiting() {
    return this.all().filter((e) => !e.error);
  }

  failed() {
    return this.all().filter((e) => e.error);
  }

  // Earlier versions kept one array per project under preflab:pending:<user>:<project>; turn it
  // into one key per answer.
  migrate(projectId) {
    const legacy = `${PREFIX}${this.user}:${projectId}`;
    const stored = localStorage.getItem(legacy);
    if (stored === null) return;
    let items = [];
    try {
      items = JSON.parse(stored) || [];
    } catch (_) {
      /* unreadable: nothing to carry over */
    }
    for (const item of Array.isArray(items) ? items : []) {
      if (!item?.task || !item.body) continue;
      this.put({
        project: projectId,
        task: item.task,
        annotation: item.annotation || null,
        body: item.body,
        user: this.user,
        unique_id: item.key || uuid(),
        created: Date.now(),
        seq: this.seq++,
        error: null,
      });
    }
    localStorage.removeItem(legacy);
  }
}

// Run `fn` holding a lock that other tabs of this browser respect (so two tabs rarely send the
// same answer at once; when the Web Locks API is missing they may, and the server's idempotency
// covers it). Returns "busy" when another tab holds the lock.
export function withLock(name, fn) {
  if (!navigator.locks) return fn();
  return navigator.locks.request(name, { ifAvailable: true }, (lock) => (lock ? fn() : "busy"));
}

// A JSON file of answers, for the labeler to keep when the server refused them.
export function download(entries, filename) {
  const payload = {
    exported_at: new Date().toISOString(),
    note: "Answers the preflab labeling page could not save. Each has the task id and the body it sent to POST /api/tasks/{task}/annotations (or PATCH /api/annotations/{annotation}).",
    answers: entries.map((e) => ({
      project: e.project,
      task: e.task,
      annotation: e.annotation || null,
      unique_id: e.unique_id,
      created_at: new Date(e.created).toISOString(),
      error: e.error,
      body: e.body,
    })),
  };
  const url = URL.createObjectURL(new Blob([JSON.stringify(payload, null, 2)], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
