// Reading the router's settings from the environment.

const env = process.env;

export function envFlag(name, fallback) {
  const v = env[name];
  if (v == null || v.trim() === '') return fallback;
  return !['0', 'false', 'no', 'off', 'disabled'].includes(v.trim().toLowerCase());
}

export function envPort(name, fallback) {
  const v = env[name];
  if (v == null || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${v} is not a port number`);
  return n;
}
