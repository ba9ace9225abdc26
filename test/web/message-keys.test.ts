import fs from 'node:fs';
import path from 'node:path';
import { FAX_STATUSES } from '../../src/domain/status';
import { hasMessage, messagesWithPrefix, t } from '../../src/i18n';

const ROOT = path.resolve(__dirname, '..', '..');

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(full, ext));
    else if (ext.test(entry.name)) out.push(full);
  }
  return out;
}

/** Every message key written out in a template or in the web tier's code. */
function literalKeys(): Map<string, string> {
  const sources = [...files(path.join(ROOT, 'views'), /\.eta$/), ...files(path.join(ROOT, 'src', 'web'), /\.ts$/)];
  const keys = new Map<string, string>();
  // it.t('x'), t(locale, 'x'), tr('x'), tPlural(locale, 'x', …), it.tp('x', …), messageKey: 'x'.
  const call = /\b(?:t|tr|tp|tPlural)\(\s*(?:locale,\s*|this\.locale,\s*)?['`]([a-z][\w.]*[\w])['`]\s*[,)]|messageKey:\s*'([a-z][\w.]*)'/g;
  for (const file of sources) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(call)) {
      const key = m[1] ?? m[2];
      if (key.includes('${')) continue;
      keys.set(key, path.relative(ROOT, file));
    }
  }
  return keys;
}

/** A key used with a number exists as its plural forms instead. */
function exists(key: string): boolean {
  return hasMessage(key) || hasMessage(`${key}.other`);
}

test('every message key the pages use exists (in every language: the catalogue test checks German and French)', () => {
  const keys = literalKeys();
  expect(keys.size).toBeGreaterThan(150);
  const missing = [...keys].filter(([key]) => !exists(key)).map(([key, file]) => `${key} (${file})`);
  expect(missing).toEqual([]);
});

test('the keys pages build from a status, a step or a list exist for every value', () => {
  const families: string[] = [
    ...FAX_STATUSES.flatMap((s) => [`page.fax.head.${s}`, `page.fax.head.${s}.lead`]),
    ...['done', 'current', 'todo', 'failed'].map((s) => `page.fax.step.${s}`),
    ...['dark_page', 'blank_page', 'low_resolution', 'resized'].map((w) => `page.fax.warning.${w}`),
    ...['cancel_accepted', 'cancel_pending', 'not_payable'].map((n) => `page.fax.note.${n}`),
    ...['auto', 'a4', 'letter'].map((p) => `page.home.paper.${p}`),
    ...['cover_sender', 'cover_recipient', 'cover_subject', 'cover_message'].map((f) => `page.home.${f}`),
    ...['400', '403', '404', '409', '413', '415', '422', '429', '500', '503', 'other'].map((s) => `page.error.title.${s}`),
  ];
  // The lists the help and legal templates loop over, read from the templates themselves.
  for (const [view, prefix, suffixes] of [
    ['faq.eta', 'page.faq', ['q', 'a']],
    ['terms.eta', 'page.terms', ['h', 'p']],
    ['privacy.eta', 'page.privacy', ['h', 'p']],
  ] as const) {
    const text = fs.readFileSync(path.join(ROOT, 'views', 'pages', view), 'utf8');
    const list = /\[((?:'\w+',?\s*)+)\]\.forEach/.exec(text)?.[1];
    expect(list).toBeDefined();
    for (const item of list!.match(/\w+/g)!) for (const s of suffixes) families.push(`${prefix}.${item}.${s}`);
  }
  expect(families.filter((key) => !exists(key))).toEqual([]);
});

test('the page script’s words exist in every language', () => {
  for (const locale of ['en', 'de', 'fr'] as const) {
    const texts = messagesWithPrefix(locale, 'page.client.');
    expect(Object.keys(texts).sort()).toEqual(['checking', 'close', 'file_chosen', 'file_too_large', 'live_lost', 'number_ok', 'upload_failed', 'uploading']);
  }
  expect(t('fr', 'page.client.uploading', { percent: 40 })).toBe('Téléversement… 40 %');
});
