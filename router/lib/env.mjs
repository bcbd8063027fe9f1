// Reading the router's settings from the environment.

const env = process.env;

export function envFlag(name, fallback, from = env) {
  const v = from[name];
  if (v == null || v.trim() === '') return fallback;
  return !['0', 'false', 'no', 'off', 'disabled'].includes(v.trim().toLowerCase());
}

export function envPort(name, fallback, from = env) {
  const v = from[name];
  if (v == null || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${v} is not a port number`);
  return n;
}

/** A whole number in [min, max] (`fallback` when unset or blank); anything else throws, naming the variable. */
export function envInt(name, fallback, { min = 0, max = Number.MAX_SAFE_INTEGER, env: from = env } = {}) {
  const v = from[name];
  if (v == null || v.trim() === '') return fallback;
  const n = Number(v.trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name}=${v} is not a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
  }
  return n;
}

/** `value` of setting `name` as an http(s) URL; anything else throws, naming the setting. */
export function httpUrl(name, value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name}=${value} is not a URL (expected e.g. http://127.0.0.1:4001/graphql)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name}=${value} must be an http(s) URL`);
  return url;
}
