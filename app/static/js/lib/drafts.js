/* KnownCaller: drafts — what an agent has typed into a form and not saved yet, kept in the tab's
 * sessionStorage so a reload (or a card re-render) loses none of it.
 *
 * A draft belongs to the user who typed it, a scope (a call's call_sid) and a form key within it
 * ("wrapup", "complaint-new", "preference-edit:7"); it records the values typed, the action that
 * opens its form again and the item it was opened on ({attr, id}), and when it was last typed
 * into. Forms save their draft on every keystroke and remove it when saved, cancelled or
 * discarded. Another user logging in on the same tab never sees them: their desktop prunes every
 * draft that is not theirs.
 *
 * Pure: no DOM, and `window` only when asked for the default storage, so `node --test` covers it
 * (tests/js/drafts.test.mjs).
 */

const PREFIX = "kc-draft:";
const SEPARATOR = "|";
/** Older drafts are dropped: a call can be wrapped up for 24 h (WRAPUP_WINDOW_HOURS' default). */
export const MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** The storage key of one draft. User ids, call sids and form keys never contain the separator. */
export function storageKey(user, scope, key) {
  return PREFIX + user + SEPARATOR + scope + SEPARATOR + key;
}

function parseKey(name) {
  if (typeof name !== "string" || name.indexOf(PREFIX) !== 0) return null;
  const parts = name.slice(PREFIX.length).split(SEPARATOR);
  if (parts.length < 3 || !parts[1]) return null;
  return { user: parts[0], scope: parts[1], key: parts.slice(2).join(SEPARATOR) };
}

/** Whether two sets of form values say the same thing (an untouched form is no draft). */
export function sameValues(a, b) {
  const names = new Set(Object.keys(a || {}).concat(Object.keys(b || {})));
  for (const name of names) {
    const left = a ? a[name] : undefined;
    const right = b ? b[name] : undefined;
    if ((left === undefined ? "" : left) !== (right === undefined ? "" : right)) return false;
  }
  return true;
}

/** A Map dressed as Storage: where drafts go when the browser refuses sessionStorage. */
export function memoryStorage() {
  const items = new Map();
  return {
    get length() { return items.size; },
    key: (i) => Array.from(items.keys())[i] ?? null,
    getItem: (name) => (items.has(name) ? items.get(name) : null),
    setItem: (name, value) => { items.set(name, String(value)); },
    removeItem: (name) => { items.delete(name); },
  };
}

function defaultStorage() {
  try {
    const storage = globalThis.sessionStorage;
    const probe = PREFIX + "probe";
    storage.setItem(probe, "1");
    storage.removeItem(probe);
    return storage;
  } catch (error) {
    return memoryStorage();  // storage disabled or full: drafts live as long as the page
  }
}

/**
 * The drafts of `user` (the logged-in user's id) kept in `storage` (sessionStorage by default).
 * `now()` gives the time (tests).
 */
export function createDrafts(storage, { user = "", now = () => Date.now() } = {}) {
  const store = storage || defaultStorage();
  const me = String(user);

  /** Every draft's storage key, or only this user's (`mine`). */
  function names(mine = true) {
    const found = [];
    for (let i = 0; i < store.length; i += 1) {
      const name = store.key(i);
      const parsed = parseKey(name);
      if (parsed && (!mine || parsed.user === me)) found.push(name);
    }
    return found;
  }

  function read(name) {
    try {
      const record = JSON.parse(store.getItem(name));
      return record && typeof record === "object" && record.values && typeof record.values === "object" ? record : null;
    } catch (error) {
      return null;
    }
  }

  /** Keep `record` ({values, action, owner}) as the draft of form `key` in `scope`. */
  function save(scope, key, record) {
    const entry = { action: record.action || null, owner: record.owner || null, values: record.values || {}, at: now() };
    try {
      store.setItem(storageKey(me, scope, key), JSON.stringify(entry));
    } catch (error) {
      // Storage full: the form on the page still holds the text; only a reload would lose it.
    }
  }

  function load(scope, key) {
    return read(storageKey(me, scope, key));
  }

  function has(scope, key) {
    return load(scope, key) !== null;
  }

  function remove(scope, key) {
    store.removeItem(storageKey(me, scope, key));
  }

  /** The drafts of `scope`, each {key, action, owner, values, at}. */
  function of(scope) {
    return names().map((name) => ({ name, parsed: parseKey(name) }))
      .filter(({ parsed }) => parsed.scope === scope)
      .map(({ name, parsed }) => ({ key: parsed.key, ...read(name) }))
      .filter((draft) => draft.values);
  }

  /** Every scope with a draft, in no particular order. */
  function scopes() {
    return Array.from(new Set(names().map((name) => parseKey(name).scope)));
  }

  /** Forget the drafts of `scope`, except those whose keys are in `keep`. */
  function removeScope(scope, keep = []) {
    names().forEach((name) => {
      const parsed = parseKey(name);
      if (parsed.scope === scope && !keep.includes(parsed.key)) store.removeItem(name);
    });
  }

  /** Drop drafts of other users, and those that cannot be read or are older than MAX_AGE_MS. */
  function prune() {
    const limit = now() - MAX_AGE_MS;
    names(false).forEach((name) => {
      const record = read(name);
      if (parseKey(name).user !== me || !record || typeof record.at !== "number" || record.at < limit) {
        store.removeItem(name);
      }
    });
  }

  return { save, load, has, remove, of, scopes, removeScope, prune };
}
