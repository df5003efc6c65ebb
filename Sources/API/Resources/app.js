// tapelib's web page: the libraries, their slots, drives and mail slots, the task queue and
// the scheduled jobs, over the REST API (/api/v1) with the caller's session — nothing else.
// Everything the catalog holds is put into the page as text (textContent), never as markup.

const PAGE_SIZE = 500;          // storage slots per map page (the large profile has 10,000)
const TICK_MS = 1000;           // how often running tasks are read again
const FINAL = new Set(['done', 'error', 'killed', 'broken', 'obsoleted']);

const $ = (id) => document.getElementById(id);

/** Creates an element; children are nodes or text (strings become text nodes). */
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') e.className = value;
    else if (key === 'text') e.textContent = value;
    else if (key === 'dataset') Object.assign(e.dataset, value);
    else if (key.startsWith('on')) e.addEventListener(key.slice(2), value);
    else e.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    e.append(child instanceof Node ? child : String(child));
  }
  return e;
}

// MARK: session and API

// The session is the browser's, as its cookies are: every tab reads the CSRF token (the login
// session's) at each call, so a sign-in in another tab, whose cookies replace this tab's, brings
// its token along instead of leaving this tab refused.
const session = {
  get csrf() { return localStorage.getItem('tapelib.csrf'); },
  get user() { return localStorage.getItem('tapelib.user'); },
  get roles() { return JSON.parse(localStorage.getItem('tapelib.roles') || '[]'); },
  get signedIn() { return !!this.csrf && !!this.user; },
  get canAct() { return this.roles.some((r) => r !== 'supervisor'); },
  save(csrf, user, roles) {
    localStorage.setItem('tapelib.csrf', csrf);
    localStorage.setItem('tapelib.user', user);
    localStorage.setItem('tapelib.roles', JSON.stringify(roles));
  },
  clear() {
    for (const key of ['tapelib.csrf', 'tapelib.user', 'tapelib.roles']) localStorage.removeItem(key);
  },
};

class APIError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** Calls the API with the session's cookies and CSRF token; a 401 refreshes the tokens once. */
async function api(method, path, body, retry = true) {
  const headers = { Accept: 'application/json' };
  if (session.csrf) headers['X-CSRF-TOKEN'] = session.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch('/api/v1/' + path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  let envelope = null;
  try { envelope = await response.json(); } catch { envelope = null; }
  if (response.status === 401 && retry && session.signedIn && await refreshTokens()) return api(method, path, body, false);
  if (response.status === 401 && session.signedIn) {
    session.clear();
    showSignIn('Your session has ended; sign in again.');
  }
  if (!response.ok || !envelope || envelope.is_error) {
    throw new APIError(response.status, (envelope && envelope.message) || `the server answered ${response.status}`);
  }
  const total = response.headers.get('X-Total-Count');
  return { data: envelope.data, message: envelope.message || '', total: total === null ? null : Number(total) };
}

async function refreshTokens() {
  const response = await fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'same-origin' });
  if (!response.ok) return false;
  const envelope = await response.json();
  session.save(envelope.data.csrf_token, session.user, session.roles);
  return true;
}

/** A filter_data value: the API's filter language quotes values with ". */
function filter(...conditions) { return 'filter_data=' + encodeURIComponent(conditions.join(',')); }
function quoted(value) {
  const text = String(value);
  if (/["\\]/.test(text)) throw new APIError(400, 'a value may not contain " or \\');
  return `"${text}"`;
}

/** Every page of a list (at most `max` rows). */
async function all(path, max = 20000) {
  const rows = [];
  for (let page = 1; rows.length < max; page++) {
    const answer = await api('GET', `${path}${path.includes('?') ? '&' : '?'}limit=1000&page=${page}`);
    rows.push(...answer.data);
    if (answer.data.length < 1000 || (answer.total !== null && rows.length >= answer.total)) break;
  }
  return rows;
}

// MARK: notices and confirmation

let noticeTimer = null;
function notice(text, isError = false) {
  const box = $('notice');
  box.textContent = text;
  box.className = isError ? 'error' : '';
  box.hidden = false;
  clearTimeout(noticeTimer);
  if (!isError) noticeTimer = setTimeout(() => { box.hidden = true; }, 8000);
}

function confirmAction(text) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.returnValue = 'no';
    dialog.showModal();
    $('confirm-no').focus();
  });
}

// MARK: formatting

function bytes(n) {
  if (n === undefined || n === null) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = Number(n), unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
function when(iso) { return iso ? new Date(iso).toLocaleString() : ''; }
function hue(id) { return (Number(id) * 137) % 360; }

// MARK: views and routing

const views = ['signin-view', 'library-view', 'cartridge-view', 'tasks-view', 'jobs-view'];
let stopView = () => {};

function show(view) {
  for (const id of views) $(id).hidden = id !== view;
  for (const link of document.querySelectorAll('#nav a')) link.removeAttribute('aria-current');
  const current = { 'library-view': 'nav-library', 'tasks-view': 'nav-tasks', 'jobs-view': 'nav-jobs' }[view];
  if (current) $(current).setAttribute('aria-current', 'page');
}

function showSignIn(message = '') {
  stopView();
  stopView = () => {};
  $('nav').hidden = true;
  $('session').hidden = true;
  show('signin-view');
  $('signin-error').textContent = message;
  $('signin-user').focus();
}

function route() {
  stopView();
  stopView = () => {};
  if (!session.signedIn) { showSignIn(); return; }
  $('nav').hidden = false;
  $('session').hidden = false;
  $('whoami').textContent = `${session.user} (${session.roles.join(', ')})`;
  document.body.classList.toggle('readonly', !session.canAct);
  const [, view, id] = (location.hash.replace(/^#/, '') || '/library').split('/');
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const run = { library: libraryView, cartridge: cartridgeView, tasks: tasksView, jobs: jobsView }[view] || libraryView;
  run(id ? id.split('?')[0] : '', params).catch((error) => notice(error.message, true));
}

// MARK: library view

const lib = {
  libraries: [], libraryID: null, page: 1, totalStorage: 0, storage: [], mail: [], driveSlots: [], drives: [],
  cartridges: new Map(), pools: new Map(), tasks: [], unfinished: [], selected: null, found: null, busyCartridges: new Set(),
  busyElements: new Set(), watching: new Map(),
};

async function libraryView(id, params) {
  show('library-view');
  if (!lib.libraries.length) {
    lib.libraries = (await api('GET', 'tape_libraries?limit=1000&sort=id')).data;
    const select = $('library-select');
    select.replaceChildren(...lib.libraries.map((l) => el('option', { value: l.id, text: `${l.id}: ${l.description || 'library'}` })));
  }
  if (!lib.libraries.length) { $('map').replaceChildren(el('p', { text: 'No tape library in the catalog.' })); return; }
  const wanted = Number(id) || lib.libraryID || lib.libraries[0].id;
  if (wanted !== lib.libraryID) { lib.selected = null; lib.found = null; }
  lib.libraryID = wanted;
  lib.page = Math.max(1, Number(params.get('page')) || 1);
  lib.found = params.get('found') ? Number(params.get('found')) : lib.found;
  $('library-select').value = String(lib.libraryID);
  await loadLibrary();
  renderLibrary();
  markPainted('map');
  let ticks = 0;
  let stopped = false;
  const timer = setInterval(async () => {
    if (stopped) return;
    ticks += 1;
    try {
      const changed = await loadTasks();
      if (changed || ticks % 5 === 0) { await loadLibrary(); renderLibrary(); } else { renderTasks(); renderDrives(); }
    } catch (error) { if (error.status !== 401) notice(error.message, true); }
  }, TICK_MS);
  stopView = () => { stopped = true; clearInterval(timer); };
}

/** Reads the page of the map: slots, the cartridges in them, drives, pools and tasks. */
async function loadLibrary() {
  const L = lib.libraryID;
  const byLibrary = `library_id=${quoted(L)}`;
  const [storage, mail, driveSlots, drives, pools] = await Promise.all([
    api('GET', `library_slots?${filter(byLibrary, 'kind="storage"')}&sort=element_address&limit=${PAGE_SIZE}&page=${lib.page}`),
    all(`library_slots?${filter(byLibrary, 'kind="import_export"')}&sort=element_address`),
    all(`library_slots?${filter(byLibrary, 'kind="drive"')}&sort=element_address`),
    all(`library_tape_drives?${filter(byLibrary)}&sort=sys_transfer_element`),
    lib.pools.size ? null : all('pool_list?sort=id'),
    loadTasks(),
  ]);
  lib.storage = storage.data;
  lib.totalStorage = storage.total ?? storage.data.length;
  lib.mail = mail;
  lib.driveSlots = driveSlots;
  lib.drives = drives;
  if (pools) lib.pools = new Map(pools.map((p) => [p.id, p]));
  const groups = [lib.storage, lib.mail, lib.driveSlots].filter((g) => g.length);
  const found = await Promise.all(groups.map((group) => {
    const ids = group.map((s) => s.id);
    return all(`tape_cartridges?${filter(`slot_id>"${Math.min(...ids) - 1}"`, `slot_id<"${Math.max(...ids) + 1}"`)}&sort=id`);
  }));
  lib.cartridges = new Map(found.flat().map((c) => [c.slot_id, c]));
}

/** Reads the library's recent tasks; true when one started or ended since the last read. */
async function loadTasks() {
  // The last 200 tasks: the 15 newest are listed; every unfinished one among them marks its slots.
  const answer = await api('GET', `tl_task_queue?${filter(`library_id=${quoted(lib.libraryID)}`)}&sort=id&direction=desc&limit=200`);
  const before = lib.tasks.map((t) => `${t.id}:${t.status}`).join();
  const unfinished = answer.data.filter((t) => !FINAL.has(t.status));
  lib.tasks = answer.data.slice(0, 15);
  lib.unfinished = unfinished;
  lib.busyCartridges = new Set(unfinished.filter((t) => t.cartridge_id).map((t) => t.cartridge_id));
  lib.busyElements = new Set(unfinished.flatMap((t) => [t.source_element, t.target_element]).filter((x) => x !== undefined && x !== null));
  for (const task of answer.data) {
    const watched = lib.watching.get(task.id);
    if (watched && FINAL.has(task.status)) {
      lib.watching.delete(task.id);
      const text = `Task ${task.id} (${task.type}) ${task.status}` + (task.error_message ? `: ${task.error_message}` : '');
      notice(text, task.status !== 'done');
    }
  }
  return before !== lib.tasks.map((t) => `${t.id}:${t.status}`).join();
}

/** What a slot shows: a state (one word, also its colour class) and its label text. */
function slotState(slot) {
  const cartridge = lib.cartridges.get(slot.id);
  if (slot.exception) {
    const code = slot.asc !== undefined ? ` ASC/ASCQ ${hex(slot.asc)}/${hex(slot.ascq ?? 0)}` : '';
    return { state: 'exception', label: `exception${code}${slot.exception_text ? ': ' + slot.exception_text : ''}`, cartridge };
  }
  if (!slot.full) return { state: 'empty', label: 'empty', cartridge };
  if (!slot.volume_tag) return { state: 'unregistered', label: 'no barcode', cartridge };
  if (!cartridge || !cartridge.is_registered) return { state: 'unregistered', label: 'unregistered', cartridge };
  switch (cartridge.status) {
    case 'cleaning':
      return { state: 'cleaning', label: `cleaning${cartridge.cleaning_uses_left !== undefined ? `, ${cartridge.cleaning_uses_left} uses left` : ''}`, cartridge };
    case 'scratch': return { state: 'scratch', label: 'scratch', cartridge };
    case 'full': return { state: 'full', label: 'full', cartridge };
    case 'error': return { state: 'error', label: `error${cartridge.last_error ? ': ' + cartridge.last_error : ''}`, cartridge };
    default: {
      const pool = cartridge.pool_id !== undefined ? lib.pools.get(cartridge.pool_id) : null;
      return { state: 'data', label: `${cartridge.status.replace('_', ' ')}${pool ? ', ' + pool.name : ''}`, cartridge, pool };
    }
  }
}
function hex(n) { return Number(n).toString(16).toUpperCase().padStart(2, '0') + 'h'; }

function slotCell(slot) {
  const { state, label, cartridge, pool } = slotState(slot);
  const busy = (cartridge && lib.busyCartridges.has(cartridge.id)) || lib.busyElements.has(slot.element_address);
  const task = busy ? lib.unfinished.find((t) => ((cartridge && t.cartridge_id === cartridge.id) || t.source_element === slot.element_address || t.target_element === slot.element_address)) : null;
  const cell = el('button', {
    type: 'button', class: `slot st-${state}${busy ? ' busy' : ''}`, role: 'gridcell',
    dataset: { slotId: slot.id, address: slot.element_address, volumeTag: slot.volume_tag || '', state, kind: slot.kind },
    'aria-label': `element ${slot.element_address}, ${slot.volume_tag || 'no cartridge'}, ${label}${task ? `, in task ${task.id}` : ''}`,
  },
  el('span', { class: 'addr', text: `${slot.element_address}` }),
  el('span', { class: 'tag', text: slot.volume_tag || (slot.full ? '(no barcode)' : '—') }),
  el('span', { class: 'state', text: label + (task ? ` · task ${task.id} ${task.type}` : '') }));
  if (pool) cell.style.setProperty('border-left-color', `hsl(${hue(pool.id)} 60% 45%)`);
  if (lib.selected === slot.element_address) cell.classList.add('selected');
  if (lib.found === slot.element_address) cell.classList.add('found');
  cell.dataset.sig = [slot.id, cell.className, cell.textContent, pool ? pool.id : ''].join('|');
  cell.addEventListener('click', () => select(slot));
  return cell;
}

/** Shows `slots` in `container`: when the same elements are there already, only the cells that
    changed are replaced (the focus, and what a reader holds, stay); otherwise built anew. */
function fillSlots(container, slots, build) {
  const existing = [...container.querySelectorAll('.slot')];
  const same = existing.length === slots.length
    && existing.every((cell, i) => Number(cell.dataset.address) === slots[i].element_address);
  if (!same) { container.replaceChildren(...build()); return; }
  slots.forEach((slot, i) => {
    const fresh = slotCell(slot);
    if (fresh.dataset.sig !== existing[i].dataset.sig) {
      const hadFocus = document.activeElement === existing[i];
      existing[i].replaceWith(fresh);
      if (hadFocus) fresh.focus();
    }
  });
}

/** Contiguous runs of element addresses: the magazines (or columns) of the library. */
function magazines(slots) {
  const runs = [];
  for (const slot of slots) {
    const run = runs[runs.length - 1];
    if (run && slot.element_address === run[run.length - 1].element_address + 1) run.push(slot); else runs.push([slot]);
  }
  return runs;
}

function renderLibrary() {
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.address : null;
  const library = lib.libraries.find((l) => l.id === lib.libraryID);
  $('library-title').textContent = `Library ${lib.libraryID}`;
  $('library-sync-state').textContent = library ? `sync: ${library.sync_state || 'never'}${library.last_sync ? ' at ' + when(library.last_sync) : ''}` : '';
  $('legend').replaceChildren(...[['empty', 'empty'], ['scratch', 'scratch'], ['data', 'data (bar colour = pool)'], ['full', 'full'],
    ['cleaning', 'cleaning'], ['unregistered', 'unregistered'], ['exception', 'exception / error']]
    .map(([state, text]) => el('span', { class: `chip slot st-${state}`, text })),
  el('span', { class: 'chip slot busy', text: 'in a running task' }));
  renderDrives();
  fillSlots($('mailslots'), lib.mail, () => lib.mail.map(slotCell));
  const pages = Math.max(1, Math.ceil(lib.totalStorage / PAGE_SIZE));
  const first = lib.storage[0], last = lib.storage[lib.storage.length - 1];
  $('storage-title').textContent = `Storage slots (${lib.totalStorage})`;
  $('map-page-label').textContent = `page ${lib.page} of ${pages}` + (first ? `, elements ${first.element_address}–${last.element_address}` : '');
  $('map-prev').disabled = lib.page <= 1;
  $('map-next').disabled = lib.page >= pages;
  fillSlots($('map'), lib.storage, () => magazines(lib.storage).map((run) => el('section', { class: 'magazine', 'aria-label': `elements ${run[0].element_address} to ${run[run.length - 1].element_address}` },
    el('h3', { text: `elements ${run[0].element_address}–${run[run.length - 1].element_address}` }),
    el('div', { class: 'grid', role: 'grid' }, run.map(slotCell)))));
  renderSelected();
  renderTasks();
  if (focused) document.querySelector(`.slot[data-address="${CSS.escape(focused)}"]`)?.focus();
  document.body.dataset.mapPage = String(lib.page);
}

/** The drive cards; a card is replaced only when what it shows changed (the focus stays). */
function renderDrives() {
  const fresh = lib.drives.map((drive) => {
    const slot = lib.driveSlots.find((s) => s.element_address === drive.sys_transfer_element);
    const cartridge = slot ? lib.cartridges.get(slot.id) : null;
    const loaded = slot && slot.full ? (slot.volume_tag || '(no barcode)') : null;
    const flags = drive.tape_alert_flags_seen ? `TapeAlert flags seen: ${BigInt(drive.tape_alert_flags_seen).toString(16).toUpperCase()}h` : 'TapeAlert: none';
    const running = lib.unfinished.find((t) => t.drive_id === drive.id && t.status !== 'new');
    const cleaning = drive.state === 'needs_cleaning' ? 'due now' : `${drive.mounts_since_cleaning} mounts since`;
    return el('article', { class: `drive ${drive.state}${running ? ' busy' : ''}`, dataset: { driveId: drive.id, loaded: loaded || '' }, 'aria-label': `drive ${drive.id}` },
      el('h3', { text: `Drive ${drive.id} · element ${drive.sys_transfer_element ?? '?'} · LTO-${drive.generation ?? '?'}` }),
      el('p', { class: 'drive-state', text: `${drive.state.replace('_', ' ')} · ${drive.vendor || ''} ${drive.product || ''} · ${drive.serial}` }),
      el('p', { class: loaded ? 'drive-loaded loaded' : 'drive-loaded', text: loaded ? `${loaded}${cartridge ? ` (${cartridge.status})` : ''}` : 'empty' }),
      el('p', { text: `${flags} · cleaning: ${cleaning}` }),
      running ? el('p', { class: 'drive-task', text: `task ${running.id} ${running.type}: ${running.phase || running.status} ${Math.round(running.progress_percent ?? 0)}%` }) : null,
      el('div', { class: 'act-row act' },
        loaded ? el('button', { type: 'button', class: 'act-unload', text: 'Unload', onclick: () => act(`unload drive ${drive.id}`, () => api('PATCH', `library_tape_drives/${drive.id}/unload`)) }) : null,
        el('button', { type: 'button', class: 'act-clean', text: 'Clean', onclick: () => act(`clean drive ${drive.id}`, () => api('PATCH', `library_tape_drives/${drive.id}/clean`)) })));
  });
  const container = $('drives');
  const existing = [...container.children];
  for (const card of fresh) card.dataset.sig = card.className + '|' + card.textContent;
  if (existing.length !== fresh.length || existing.some((card, i) => card.dataset.driveId !== fresh[i].dataset.driveId)) {
    container.replaceChildren(...fresh);
    return;
  }
  fresh.forEach((card, i) => { if (existing[i].dataset.sig !== card.dataset.sig) existing[i].replaceWith(card); });
}

function select(slot) {
  lib.selected = slot.element_address;
  for (const cell of document.querySelectorAll('.slot.selected')) cell.classList.remove('selected');
  document.querySelector(`.slot[data-address="${slot.element_address}"]`)?.classList.add('selected');
  renderSelected();
}

function selectedSlot() {
  return [...lib.storage, ...lib.mail, ...lib.driveSlots].find((s) => s.element_address === lib.selected) || null;
}

function renderSelected() {
  const slot = selectedSlot();
  const panel = $('selected');
  if (!slot || !slot.full) { panel.hidden = true; return; }
  panel.hidden = false;
  const { label, cartridge } = slotState(slot);
  $('selected-title').textContent = `${slot.volume_tag || '(no barcode)'} in element ${slot.element_address}`;
  $('selected-detail').textContent = cartridge
    ? `${label}; ${bytes(cartridge.bytes_written)} written of ${bytes(cartridge.native_capacity)}; ${cartridge.mounts} mounts; LTFS ${cartridge.ltfs_state.replace('_', ' ')}`
      + (cartridge.description ? `; ${cartridge.description}` : '')
    : label;
  const open = $('act-open');
  open.hidden = !cartridge;
  if (cartridge) open.setAttribute('href', `#/cartridge/${cartridge.id}`);
  const empties = [...lib.storage, ...lib.mail].filter((s) => !s.full && s.accessible !== false);
  $('move-target').replaceChildren(...empties.map((s) => el('option', { value: s.id, text: `${s.kind === 'import_export' ? 'mail slot' : 'slot'} ${s.element_address}` })));
  const freeDrives = lib.drives.filter((d) => !lib.driveSlots.find((s) => s.element_address === d.sys_transfer_element && s.full));
  $('load-drive').replaceChildren(...freeDrives.map((d) => el('option', { value: d.id, text: `drive ${d.id} (LTO-${d.generation ?? '?'})` })));
  $('act-load').disabled = !freeDrives.length || slot.kind === 'drive';
  $('act-move').disabled = !empties.length || slot.kind === 'drive';
}

/** Runs an action against the API and follows the tasks it queued. */
async function act(what, call) {
  try {
    const answer = await call();
    const ids = (answer.data && answer.data.task_ids) || [];
    for (const id of ids) lib.watching.set(id, what);
    notice(`${answer.message || what + ': queued'}`);
    if (ids.length) { await loadTasks(); renderTasks(); }
  } catch (error) {
    notice(`${what} refused: ${error.message}`, true);
  }
}

function cartridgeAction(path, extra, what, confirmText) {
  return async () => {
    const slot = selectedSlot();
    if (!slot || !slot.volume_tag) return;
    if (confirmText && !(await confirmAction(confirmText(slot.volume_tag)))) return;
    const item = { library_id: lib.libraryID, volume_tag: slot.volume_tag, ...extra };
    await act(`${what} ${slot.volume_tag}`, () => api('PATCH', `library_slots/${path}`, { data: [item] }));
  };
}

function renderTasks() {
  $('recent-tasks').replaceChildren(...lib.tasks.map((task) => el('tr', { class: 'task', dataset: { taskId: task.id, status: task.status } },
    el('td', { text: task.id }), el('td', { text: task.type }), el('td', { class: 'status', text: task.status }),
    el('td', {}, el('progress', { max: 100, value: task.progress_percent ?? 0, 'aria-label': `task ${task.id} progress` }), ` ${Math.round(task.progress_percent ?? 0)}%`),
    el('td', { text: task.error_message || task.phase || '' }))));
}

async function search(event) {
  event.preventDefault();
  const tag = $('search-barcode').value.trim();
  if (!tag) return;
  try {
    const L = quoted(lib.libraryID);
    const hit = (await api('GET', `library_slots?${filter(`library_id=${L}`, `volume_tag=${quoted(tag)}`)}&limit=1`)).data[0];
    if (!hit) { notice(`No slot of library ${lib.libraryID} holds ${tag}`, true); return; }
    lib.found = hit.element_address;
    lib.selected = hit.element_address;
    let page = lib.page;
    if (hit.kind === 'storage') {
      const before = await api('GET', `library_slots?${filter(`library_id=${L}`, 'kind="storage"', `element_address<"${hit.element_address}"`)}&limit=1`);
      page = Math.floor((before.total ?? 0) / PAGE_SIZE) + 1;
    }
    if (page !== lib.page) {
      location.hash = `#/library/${lib.libraryID}?page=${page}&found=${hit.element_address}`;
    } else {
      renderLibrary();
    }
    setTimeout(() => {
      const cell = document.querySelector(`.slot[data-address="${hit.element_address}"]`);
      if (cell) { cell.scrollIntoView({ block: 'center' }); cell.focus(); }
    }, page !== lib.page ? 300 : 0);
    notice(`${tag} is in ${hit.kind === 'import_export' ? 'mail slot' : hit.kind === 'drive' ? 'drive element' : 'slot'} ${hit.element_address}`);
  } catch (error) { notice(error.message, true); }
}

/** Arrow keys move between the cells of a grid; Home/End to its first and last. */
function gridKeys(event) {
  const cell = event.target.closest('.slot');
  if (!cell) return;
  const cells = [...event.currentTarget.querySelectorAll('.slot')];
  const index = cells.indexOf(cell);
  const top = cells[0].offsetTop;
  const perRow = Math.max(1, cells.findIndex((c) => c.offsetTop !== top) === -1 ? cells.length : cells.findIndex((c) => c.offsetTop !== top));
  const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: perRow, ArrowUp: -perRow }[event.key];
  let next = null;
  if (step) next = cells[index + step];
  if (event.key === 'Home') next = cells[0];
  if (event.key === 'End') next = cells[cells.length - 1];
  if (next) { event.preventDefault(); next.focus(); }
}

// MARK: cartridge view

async function cartridgeView(id) {
  show('cartridge-view');
  const [cartridge, types, pools, copies, tasks] = await Promise.all([
    api('GET', `tape_cartridges/${encodeURIComponent(id)}`), all('tape_types'), all('pool_list?sort=id'),
    api('GET', `tape_cartridges/${encodeURIComponent(id)}/copies`),
    api('GET', `tl_task_queue?${filter(`cartridge_id=${quoted(Number(id))}`)}&sort=id&direction=desc&limit=100`),
  ]);
  const c = cartridge.data;
  const type = types.find((t) => t.id === c.tape_type_id);
  const pool = pools.find((p) => p.id === c.pool_id);
  let where = c.location;
  if (c.slot_id) {
    try { const slot = (await api('GET', `library_slots/${c.slot_id}`)).data; where = `${c.location}, library ${slot.library_id} element ${slot.element_address}`; } catch { /* shown as the location alone */ }
  }
  $('cartridge-title').textContent = `Cartridge ${c.volume_tag}`;
  const facts = [['Barcode', c.volume_tag], ['Type', type ? type.name : ''], ['Pool', pool ? pool.name : 'none'], ['Status', c.status],
    ['Location', where], ['LTFS', `${c.ltfs_state.replace('_', ' ')}${c.ltfs_check_verdict ? ' — ' + c.ltfs_check_verdict : ''}${c.ltfs_checked_at ? ' (checked ' + when(c.ltfs_checked_at) + ')' : ''}`],
    ['Bytes written', `${bytes(c.bytes_written)} of ${bytes(c.native_capacity)}`], ['Mounts', c.mounts],
    ['Cleaning uses left', c.cleaning_uses_left ?? ''], ['Write-protected', c.write_protected ? 'yes' : 'no'], ['WORM', c.is_worm ? 'yes' : 'no'],
    ['Last error', c.last_error || ''], ['Description', c.description || '']];
  $('cartridge-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]));
  $('cartridge-copies').replaceChildren(...(copies.data.length ? copies.data.map((part) => el('tr', {},
    el('td', { text: `record ${part.repository_id}` }), el('td', { text: `${part.part_index}${part.ltfs_path ? ' (' + part.ltfs_path + ')' : ` (tape file ${part.tape_file_number})`}` }),
    el('td', { text: bytes(part.byte_count) }), el('td', { text: `${part.state}${part.verified ? ', read back' : ''}` })))
    : [el('tr', {}, el('td', { colspan: 4, class: 'muted', text: 'No copy is on this cartridge.' }))]));
  $('cartridge-tasks').replaceChildren(...tasks.data.map((t) => el('tr', {},
    el('td', { text: t.id }), el('td', { text: t.type }), el('td', { text: t.status }), el('td', { text: when(t.created_at) }),
    el('td', { text: t.error_message || t.phase || '' }))));
}

// MARK: tasks view

async function tasksView() {
  show('tasks-view');
  const rows = new Map();
  const backupRows = new Map();
  let stopped = false;
  async function refresh() {
    const status = $('tasks-status').value;
    const [library, backup] = await Promise.all([
      api('GET', `tl_task_queue?${status ? filter(`status=${quoted(status)}`) + '&' : ''}sort=id&direction=desc&limit=1000`),
      api('GET', 'task_queue?sort=id&direction=desc&limit=200'),
    ]);
    if (stopped) return;
    syncRows($('tasks-table'), rows, library.data, 'tl_task_queue');
    syncRows($('backup-tasks-table'), backupRows, backup.data, 'task_queue');
    $('tasks-count').textContent = `${library.data.length} of ${library.total ?? library.data.length} library tasks shown`;
  }
  await refresh();
  markPainted('tasks');
  const onFilter = () => { refresh().catch((e) => notice(e.message, true)); };
  $('tasks-status').addEventListener('change', onFilter);
  const timer = setInterval(() => { refresh().catch((e) => { if (e.status !== 401) notice(e.message, true); }); }, TICK_MS);
  stopView = () => { stopped = true; clearInterval(timer); $('tasks-status').removeEventListener('change', onFilter); };
}

/** Updates a task table in place: rows keyed by id, cells written only when they changed. */
function syncRows(tbody, rows, tasks, queue) {
  const ids = tasks.map((t) => t.id);
  for (const task of tasks) {
    let row = rows.get(task.id);
    if (!row) { row = taskRow(task, queue); rows.set(task.id, row); }
    updateRow(row, task, queue);
  }
  for (const [id, row] of rows) if (!ids.includes(id)) { row.remove(); rows.delete(id); }
  const order = [...tbody.children].map((r) => Number(r.dataset.taskId));
  if (order.join() !== ids.join()) tbody.replaceChildren(...ids.map((id) => rows.get(id)));
}

function taskRow(task, queue) {
  const progress = el('progress', { max: 100, value: 0, 'aria-label': `task ${task.id} progress` });
  const control = (label, cls, path, body) => el('button', { type: 'button', class: cls, text: label,
    onclick: () => act(`${label.toLowerCase()} task ${task.id}`, () => api('POST', path, { data: body })) });
  return el('tr', { class: 'task-row', dataset: { taskId: task.id } },
    el('td', { text: task.id }),
    el('td', { class: 'type', text: task.type }),
    el('td', { class: 'status' }),
    el('td', { class: 'progress' }, progress, el('span', { class: 'percent' })),
    el('td', { class: 'phase' }),
    el('td', { class: 'controls act' },
      control('Pause', 'c-pause', 'put_task_on_pause', { task_id: task.id, queue }),
      control('Continue', 'c-continue', 'continue_task_working', { task_id: task.id, queue }),
      control('Kill', 'c-kill', 'kill_task', { task_id: task.id, queue }),
      control('Restart', 'c-restart', 'restart_task', { tasks_ids: [task.id], queue })));
}

function updateRow(row, task, queue) {
  const set = (selector, text) => { const cell = row.querySelector(selector); if (cell.textContent !== text) cell.textContent = text; };
  row.dataset.status = task.status;
  set('.status', task.status);
  const percent = Math.round(task.progress_percent ?? 0);
  row.querySelector('progress').value = percent;
  set('.percent', ` ${percent}%`);
  const subject = [task.drive_id ? `drive ${task.drive_id}` : '', task.cartridge_id ? `cartridge ${task.cartridge_id}` : '',
    task.repository_id ? `record ${task.repository_id}` : ''].filter(Boolean).join(', ');
  set('.type', `${task.type}${subject ? ' (' + subject + ')' : ''}`);
  set('.phase', task.error_message || task.phase || '');
  const final = FINAL.has(task.status);
  row.querySelector('.c-pause').hidden = final || task.status === 'suspended';
  row.querySelector('.c-continue').hidden = task.status !== 'suspended';
  row.querySelector('.c-kill').hidden = final;
  row.querySelector('.c-restart').hidden = !final || task.status === 'done' || queue !== 'tl_task_queue';
}

// MARK: jobs view

async function jobsView() {
  show('jobs-view');
  const jobs = await all('scheduled_jobs?sort=id');
  const names = new Map(jobs.map((j) => [j.id, j.name]));
  $('jobs-table').replaceChildren(...jobs.map((job) => el('tr', {},
    el('td', { text: job.id }), el('td', { text: job.name }), el('td', { text: job.kind }),
    el('td', { text: job.crontab || (job.is_periodic ? `every ${job.interval_hours} h` : 'once') }),
    el('td', { text: job.is_active ? 'yes' : 'no' }), el('td', { text: when(job.next_run_at) }),
    el('td', {}, el('button', { type: 'button', text: 'Executions', onclick: () => showExecutions(job) })))));
  if (!jobs.length) $('jobs-table').replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'No scheduled job.' })));
  async function showLog(event) {
    if (event) event.preventDefault();
    const since = $('joblog-since').value;
    const query = new URLSearchParams({ status: $('joblog-status').value, pageSize: '100' });
    if (since) query.set('startAt', new Date(since).toISOString());
    try {
      const page = (await api('GET', `job_logs?${query}`)).data;
      $('joblog-table').replaceChildren(...page.list.map((x) => el('tr', {},
        el('td', { text: names.get(x.job_id) || `job ${x.job_id}` }), el('td', { text: when(x.started_at) }), el('td', { text: when(x.finished_at) }),
        el('td', { text: x.status }), el('td', { text: x.message }))));
    } catch (error) { notice(error.message, true); }
  }
  $('joblog-form').onsubmit = showLog;
  await showLog();
}

async function showExecutions(job) {
  const answer = await api('GET', `scheduled_jobs/${job.id}/executions`);
  const list = Array.isArray(answer.data) ? answer.data : (answer.data.list || []);
  $('executions').hidden = false;
  $('executions-title').textContent = `Executions of ${job.name}`;
  $('executions-table').replaceChildren(...list.map((x) => el('tr', {},
    el('td', { text: when(x.started_at) }), el('td', { text: when(x.finished_at) }), el('td', { text: x.status }), el('td', { text: x.message }))));
}

// MARK: timings (read by the browser benchmark)

function markPainted(what) {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    window.tapelibPainted = Object.assign(window.tapelibPainted || {}, { [what]: performance.now() });
    document.body.dataset.painted = what;
  }));
}

// MARK: wiring

function wire() {
  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('signin-error').textContent = '';
    try {
      const response = await fetch('/api/v1/auth/login', {
        method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ rubackup_user: $('signin-user').value, password: $('signin-password').value }),
      });
      const envelope = await response.json();
      if (!response.ok || envelope.is_error) throw new Error(envelope.message || `the server answered ${response.status}`);
      session.save(envelope.data.csrf_token, envelope.data.user_name, envelope.data.role || []);
      $('signin-password').value = '';
      lib.libraries = [];
      route();
    } catch (error) {
      $('signin-error').textContent = error.message;
    }
  });
  $('signout').addEventListener('click', async () => {
    try { await fetch('/api/v1/auth/logout', { method: 'DELETE', credentials: 'same-origin' }); } catch { /* signed out here anyway */ }
    session.clear();
    lib.libraries = [];
    location.hash = '#/library';
    showSignIn('Signed out.');
  });
  $('library-select').addEventListener('change', (e) => { location.hash = `#/library/${e.target.value}`; });
  $('map-prev').addEventListener('click', () => { location.hash = `#/library/${lib.libraryID}?page=${lib.page - 1}`; });
  $('map-next').addEventListener('click', () => { location.hash = `#/library/${lib.libraryID}?page=${lib.page + 1}`; });
  $('search-form').addEventListener('submit', search);
  $('map').addEventListener('keydown', gridKeys);
  $('mailslots').addEventListener('keydown', gridKeys);
  $('action-sync').addEventListener('click', () => act(`sync library ${lib.libraryID}`, () => api('POST', `tape_libraries/${lib.libraryID}/sync`)));
  $('action-import').addEventListener('click', () => act(`import into library ${lib.libraryID}`,
    () => api('PATCH', 'library_slots/import_cartridge', { data: { library_id: lib.libraryID } })));
  $('act-move').addEventListener('click', () => {
    const slot = selectedSlot();
    const target = Number($('move-target').value);
    if (!slot || !target) return;
    act(`move ${slot.volume_tag}`, () => api('PATCH', 'library_slots/move_cartridge',
      { data: { library_id: lib.libraryID, volume_tag: slot.volume_tag, slot_id: target } }));
  });
  $('act-load').addEventListener('click', () => {
    const slot = selectedSlot();
    const drive = Number($('load-drive').value);
    if (!slot || !drive) return;
    act(`load ${slot.volume_tag}`, () => api('PATCH', `library_tape_drives/${drive}/load`, { data: { volume_tag: slot.volume_tag } }));
  });
  $('act-erase').addEventListener('click', cartridgeAction('erase_cartridge', { is_long_erase: false }, 'erase',
    (tag) => `Erase ${tag}? A short erase writes end of data at the start: everything on ${tag} is lost.`));
  $('act-erase-long').addEventListener('click', cartridgeAction('erase_cartridge', { is_long_erase: true }, 'long erase',
    (tag) => `Long erase ${tag}? The drive overwrites the whole tape (hours): everything on ${tag} is lost.`));
  $('act-format').addEventListener('click', cartridgeAction('format_cartridge', { ltfs: false }, 'format',
    (tag) => `Format ${tag}? Everything on ${tag} is lost.`));
  $('act-format-ltfs').addEventListener('click', cartridgeAction('format_cartridge', { ltfs: true }, 'LTFS format',
    (tag) => `Format ${tag} as LTFS? Everything on ${tag} is lost.`));
  $('act-check-ltfs').addEventListener('click', cartridgeAction('check_ltfs', {}, 'check LTFS'));
  $('act-export').addEventListener('click', async () => {
    const slot = selectedSlot();
    if (!slot || !slot.volume_tag) return;
    await act(`export ${slot.volume_tag}`, () => api('PATCH', 'library_slots/export_cartridge',
      { data: { library_id: lib.libraryID, volume_tag: slot.volume_tag } }));
  });
  window.addEventListener('hashchange', route);
}

wire();
route();
