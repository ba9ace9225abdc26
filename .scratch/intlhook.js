const seen = new Set();
function report(name) { if (seen.has(name)) return; seen.add(name); process.stderr.write(`[intl] ${name}\n${new Error().stack.split('\n').slice(2, 9).join('\n')}\n`); }
for (const k of ['NumberFormat', 'DateTimeFormat', 'Collator', 'PluralRules', 'Segmenter', 'ListFormat', 'RelativeTimeFormat', 'DisplayNames', 'Locale']) {
  const C = Intl[k];
  Intl[k] = new Proxy(C, { construct(t, a, n) { report('Intl.' + k); return Reflect.construct(t, a, n); }, apply(t, th, a) { report('Intl.' + k); return Reflect.apply(t, th, a); } });
}
for (const [o, m] of [[Date.prototype, 'toLocaleString'], [Date.prototype, 'toLocaleDateString'], [Date.prototype, 'toLocaleTimeString'], [Number.prototype, 'toLocaleString'], [String.prototype, 'localeCompare'], [String.prototype, 'toLocaleLowerCase'], [String.prototype, 'toLocaleUpperCase'], [String.prototype, 'normalize'], [Array.prototype, 'toLocaleString'], [Date.prototype, 'toString'], [Date.prototype, 'toTimeString'], [Date.prototype, 'getTimezoneOffset'], [BigInt.prototype, 'toLocaleString']]) {
  const f = o[m]; o[m] = function (...a) { report(m); return f.apply(this, a); };
}
