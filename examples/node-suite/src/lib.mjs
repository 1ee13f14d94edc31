// A tiny library for the example suite to test: the tests' real work is the waiting (it stands for I/O, start-up
// and fixtures), but each one also checks something true about this code.

export function slugify(text) {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

export function chunk(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function parseDuration(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|min)$/.exec(text.trim());
  if (!match) throw new RangeError(`not a duration: ${text}`);
  const factor = { ms: 0.001, s: 1, min: 60 }[match[2]];
  return Number(match[1]) * factor;
}

export function formatMoney(cents, currency = 'EUR') {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')} ${currency}`;
}

export async function retry(fn, attempts) {
  let last;
  for (let i = 0; i < attempts; i += 1) {
    try {
      return await fn(i);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

export function topoSort(edges) {
  const nodes = new Set(edges.flat());
  const incoming = new Map([...nodes].map((n) => [n, 0]));
  for (const [, to] of edges) incoming.set(to, incoming.get(to) + 1);
  const ready = [...nodes].filter((n) => incoming.get(n) === 0).sort();
  const order = [];
  while (ready.length > 0) {
    const n = ready.shift();
    order.push(n);
    for (const [from, to] of edges) {
      if (from !== n) continue;
      incoming.set(to, incoming.get(to) - 1);
      if (incoming.get(to) === 0) ready.push(to);
    }
    ready.sort();
  }
  if (order.length !== nodes.size) throw new Error('cycle');
  return order;
}

export class Queue {
  #items = [];
  push(item) {
    this.#items.push(item);
    return this;
  }
  shift() {
    return this.#items.shift();
  }
  get size() {
    return this.#items.length;
  }
}
