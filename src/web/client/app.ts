// The pages' one script. Everything works without it; it makes the pages live: drag and drop,
// the number checked as it is typed, an upload with a progress bar, a status page that follows
// the fax by server-sent events, larger page previews, and times in the visitor's time zone.

type Texts = Record<string, string>;

const root = document.documentElement;
root.classList.add('js');
const lang = root.lang || 'en';

function texts(): Texts {
  const el = document.getElementById('page-text');
  try {
    return el?.textContent ? (JSON.parse(el.textContent) as Texts) : {};
  } catch {
    return {};
  }
}
const TEXT = texts();

function say(key: string, params: Record<string, string | number> = {}): string {
  return (TEXT[key] ?? key).replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

function formatSize(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${mb.toLocaleString(lang, { maximumFractionDigits: 1 })} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Times come in UTC from the server; shown here in the visitor's own time zone. */
function localizeTimes(scope: ParentNode): void {
  const dateTime = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
  const time = new Intl.DateTimeFormat(lang, { timeStyle: 'short' });
  scope.querySelectorAll<HTMLTimeElement>('time[data-local]').forEach((el) => {
    const date = new Date(el.dateTime);
    if (Number.isNaN(date.getTime())) return;
    el.textContent = (el.dataset.local === 'time' ? time : dateTime).format(date);
  });
}

// ── the send form ─────────────────────────────────────────────────────────────────────

function fieldOf(input: HTMLElement): HTMLElement | null {
  return input.closest<HTMLElement>('.field, .subfield');
}

function setFieldError(name: string, message: string | null): void {
  const input = document.getElementById(`f-${name}`);
  if (!input) return;
  const field = fieldOf(input);
  const id = `f-${name}-error`;
  let el = document.getElementById(id);
  if (!message) {
    el?.remove();
    field?.classList.remove('has-error');
    input.removeAttribute('aria-invalid');
    return;
  }
  if (!el) {
    el = document.createElement('p');
    el.className = 'field-error';
    el.id = id;
    const anchor = input.closest('.dropzone, .number-row') ?? input;
    anchor.before(el);
    const described = (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
    if (!described.includes(id)) input.setAttribute('aria-describedby', [...described, id].join(' '));
  }
  el.textContent = message;
  field?.classList.add('has-error');
  input.setAttribute('aria-invalid', 'true');
}

function setupSendForm(form: HTMLFormElement): void {
  const fileInput = form.querySelector<HTMLInputElement>('#f-document');
  const zone = form.querySelector<HTMLElement>('[data-dropzone]');
  const fileName = form.querySelector<HTMLElement>('[data-file-name]');
  const maxBytes = Number(form.dataset.maxBytes) || Infinity;
  const number = form.querySelector<HTMLInputElement>('#f-to');
  const country = form.querySelector<HTMLSelectElement>('#f-country');
  const check = form.querySelector<HTMLElement>('[data-number-check]');
  const progressBox = form.querySelector<HTMLElement>('[data-upload-progress]');
  const progress = progressBox?.querySelector('progress');
  const submit = form.querySelector<HTMLButtonElement>('button[type=submit]');
  let numberOk: boolean | null = null;

  const showFile = (): void => {
    const file = fileInput?.files?.[0];
    if (fileName) fileName.textContent = file ? say('file_chosen', { name: file.name, size: formatSize(file.size) }) : '';
    setFieldError('document', file && file.size > maxBytes ? say('file_too_large', { size: formatSize(maxBytes) }) : null);
  };
  fileInput?.addEventListener('change', showFile);
  if (zone && fileInput) {
    const on = (e: DragEvent): void => {
      e.preventDefault();
      zone.classList.add('dragging');
    };
    zone.addEventListener('dragenter', on);
    zone.addEventListener('dragover', on);
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('dragging');
      if (e.dataTransfer?.files.length) {
        fileInput.files = e.dataTransfer.files;
        showFile();
      }
    });
  }

  let timer: number | undefined;
  let asked = 0;
  const checkNumber = async (): Promise<void> => {
    if (!number || !check) return;
    const value = number.value.trim();
    if (value.replace(/\D/g, '').length < 4) {
      check.textContent = '';
      check.className = 'number-check';
      numberOk = null;
      return;
    }
    const ticket = ++asked;
    check.textContent = say('checking');
    check.className = 'number-check';
    const params = new URLSearchParams({ to: value, country: country?.value ?? '', locale: lang });
    try {
      const res = await fetch(`${form.dataset.checkUrl ?? '/api/numbers/check'}?${params.toString()}`, { headers: { Accept: 'application/json' } });
      const body = (await res.json()) as { ok: boolean; international?: string; countryName?: string; country?: string; message?: string };
      if (ticket !== asked) return;
      numberOk = body.ok;
      if (body.ok) {
        check.textContent = say('number_ok', { international: body.international ?? '', country: body.countryName ?? '' });
        check.className = 'number-check ok';
        if (country && body.country && country.value !== body.country) country.value = body.country;
        setFieldError('to', null);
      } else {
        check.textContent = body.message ?? '';
        check.className = 'number-check bad';
      }
    } catch {
      // Offline or refused: the server checks again on upload.
      if (ticket === asked) {
        check.textContent = '';
        numberOk = null;
      }
    }
  };
  const scheduleCheck = (): void => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void checkNumber(), 350);
  };
  number?.addEventListener('input', scheduleCheck);
  country?.addEventListener('change', scheduleCheck);
  if (number?.value) scheduleCheck();

  form.addEventListener('submit', (e) => {
    const file = fileInput?.files?.[0];
    if (!file || file.size > maxBytes || numberOk === false) {
      // Let the browser-less path answer only when there is something to send.
      if (!file) return;
      e.preventDefault();
      (file.size > maxBytes ? fileInput : number)?.focus();
      return;
    }
    e.preventDefault();
    upload(form, progressBox, progress, submit);
  });
}

function showServerErrors(form: HTMLFormElement, errors: Array<{ field?: string; message: string }>): void {
  let summary = form.parentElement?.querySelector<HTMLElement>('#error-summary');
  summary?.remove();
  const general: string[] = [];
  for (const e of errors) {
    if (e.field && document.getElementById(`f-${e.field}`)) setFieldError(e.field, e.message);
    else general.push(e.message);
  }
  if (general.length) {
    summary = document.createElement('div');
    summary.id = 'error-summary';
    summary.className = 'alert alert-error';
    summary.setAttribute('role', 'alert');
    summary.textContent = general.join(' ');
    form.before(summary);
  }
  const first = errors.find((e) => e.field && document.getElementById(`f-${e.field}`));
  (first ? document.getElementById(`f-${first.field}`) : summary)?.focus();
}

function upload(form: HTMLFormElement, box: HTMLElement | null, bar: HTMLProgressElement | null | undefined, submit: HTMLButtonElement | null): void {
  const data = new FormData(form);
  const csrf = data.get('_csrf');
  const token = typeof csrf === 'string' ? csrf : '';
  const xhr = new XMLHttpRequest();
  xhr.open('POST', form.action);
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.setRequestHeader('X-CSRF-Token', token);
  const label = box?.querySelector('label');
  if (box) box.hidden = false;
  if (submit) submit.disabled = true;
  xhr.upload.addEventListener('progress', (e) => {
    if (!e.lengthComputable || !bar) return;
    const percent = Math.round((e.loaded / e.total) * 100);
    bar.value = percent;
    if (label) label.textContent = say('uploading', { percent });
  });
  const done = (): void => {
    if (submit) submit.disabled = false;
    if (box) box.hidden = true;
  };
  xhr.addEventListener('load', () => {
    let body: { location?: string; errors?: Array<{ field?: string; message: string }>; error?: { message: string; field?: string } } = {};
    try {
      body = JSON.parse(xhr.responseText) as typeof body;
    } catch {
      // An answer that is not ours (a proxy's page): treated as a failed upload.
    }
    if (xhr.status === 201 && body.location) {
      window.location.assign(body.location);
      return;
    }
    done();
    const errors = body.errors ?? (body.error ? [body.error] : [{ message: say('upload_failed') }]);
    showServerErrors(form, errors);
  });
  xhr.addEventListener('error', () => {
    done();
    showServerErrors(form, [{ message: say('upload_failed') }]);
  });
  xhr.send(data);
}

// ── the fax page ──────────────────────────────────────────────────────────────────────

function setupConfirmations(scope: ParentNode): void {
  scope.querySelectorAll<HTMLFormElement>('form[data-confirm]').forEach((form) => {
    form.addEventListener('submit', (e) => {
      if (!window.confirm(form.dataset.confirm ?? '')) e.preventDefault();
    });
  });
  scope.querySelectorAll<HTMLButtonElement>('button[data-pay], button[data-once]').forEach((button) => {
    // One click is enough: a second would only open the same checkout (or ask the same support action) again.
    button.form?.addEventListener('submit', (e) => {
      if (!e.defaultPrevented) window.setTimeout(() => (button.disabled = true), 0);
    });
  });
}

function setupPreviews(scope: ParentNode): void {
  const letter = document.querySelector('[data-paper="letter"]') !== null;
  scope.querySelectorAll<HTMLAnchorElement>('a[data-preview]').forEach((link) => {
    link.addEventListener('click', (e) => {
      if (typeof HTMLDialogElement === 'undefined') return;
      e.preventDefault();
      const dialog = document.createElement('dialog');
      dialog.className = letter ? 'lightbox letter' : 'lightbox';
      const bar = document.createElement('div');
      bar.className = 'bar';
      const title = document.createElement('strong');
      title.textContent = link.textContent?.trim() ?? '';
      const close = document.createElement('button');
      close.type = 'button';
      close.className = 'btn btn-secondary';
      close.textContent = say('close');
      close.addEventListener('click', () => dialog.close());
      bar.append(title, close);
      const img = document.createElement('img');
      img.src = link.href;
      img.alt = link.querySelector('img')?.alt ?? '';
      dialog.append(bar, img);
      dialog.addEventListener('close', () => {
        dialog.remove();
        link.focus();
      });
      dialog.addEventListener('click', (ev) => {
        if (ev.target === dialog) dialog.close();
      });
      document.body.append(dialog);
      dialog.showModal();
      close.focus();
    });
  });
}

function enhanceFax(scope: ParentNode): void {
  localizeTimes(scope);
  setupConfirmations(scope);
  setupPreviews(scope);
}

function followFax(container: HTMLElement): void {
  const base = container.dataset.live;
  if (!base || typeof EventSource === 'undefined') return;
  const source = new EventSource(`${base}/events`);
  let failures = 0;
  let shown = '';
  const refresh = async (): Promise<void> => {
    const res = await fetch(`${base}?partial=1`, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
    if (!res.ok) return;
    const html = await res.text();
    if (html === shown) return;
    shown = html;
    const focusedHeading = document.activeElement?.id === 'status-heading';
    container.innerHTML = html;
    enhanceFax(container);
    document.title = `${container.querySelector('h1')?.textContent ?? ''} – Durafax`;
    if (focusedHeading) container.querySelector<HTMLElement>('#status-heading')?.focus();
  };
  source.addEventListener('change', (e) => {
    failures = 0;
    container.querySelector('.live-lost')?.remove();
    const { status } = JSON.parse((e as MessageEvent<string>).data) as { status: string };
    void refresh().catch(() => undefined);
    if (['delivered', 'failed', 'cancelled', 'expired', 'rejected'].includes(status)) {
      // The money and the purge date follow within seconds; one last look, then stop.
      window.setTimeout(() => {
        void refresh().catch(() => undefined);
        source.close();
      }, 4000);
    }
  });
  source.addEventListener('error', () => {
    failures += 1;
    if (failures === 3 && !container.querySelector('.live-lost')) {
      const note = document.createElement('p');
      note.className = 'alert alert-info live-lost';
      note.setAttribute('role', 'status');
      note.textContent = say('live_lost');
      container.prepend(note);
    }
  });
}

// ── prices ────────────────────────────────────────────────────────────────────────────

function setupTableFilter(input: HTMLInputElement): void {
  const table = document.getElementById(input.dataset.filterTable ?? '');
  if (!table) return;
  input.addEventListener('input', () => {
    const q = input.value.trim().toLocaleLowerCase(lang);
    table.querySelectorAll<HTMLTableRowElement>('tbody tr').forEach((row) => {
      row.hidden = q !== '' && !(row.textContent ?? '').toLocaleLowerCase(lang).includes(q);
    });
  });
}

function start(): void {
  localizeTimes(document);
  const form = document.getElementById('send-form');
  if (form instanceof HTMLFormElement) setupSendForm(form);
  document.getElementById('error-summary')?.focus();
  const fax = document.getElementById('fax');
  if (fax) {
    enhanceFax(fax);
    followFax(fax);
  }
  const supportFax = document.getElementById('support-fax');
  if (supportFax) enhanceFax(supportFax);
  document.querySelectorAll<HTMLInputElement>('input[data-filter-table]').forEach(setupTableFilter);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
