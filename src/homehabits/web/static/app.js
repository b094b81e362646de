// The review page's behaviour: every action goes through the JSON API with fetch, and the
// card is updated in place. Without JavaScript the page still shows everything read-only.
'use strict';

(() => {
  const STATUS_LABELS = {
    pending: ['●', 'To review'],
    approved: ['✓', 'Approved'],
    deployed: ['▶', 'Deployed'],
    rejected: ['✕', 'Rejected'],
    deploy_failed: ['⚠', 'Deploy failed'],
    removed: ['↺', 'Removed'],
    retired: ['◌', 'Retired'],
  };
  const POLL_MS = 3000;
  // under Home Assistant's ingress the page lives below /api/hassio_ingress/<token>; the
  // server puts that prefix on <html data-base>, and every call to the API goes below it
  const PREFIX = document.documentElement.dataset.base || '';

  const announcer = () => document.getElementById('announcer');

  function announce(message) {
    const region = announcer();
    if (!region) return;
    // clearing first makes screen readers repeat a message that did not change
    region.textContent = '';
    window.setTimeout(() => { region.textContent = message; }, 50);
  }

  async function callApi(method, url, body) {
    const options = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(PREFIX + url, options);
    } catch (err) {
      return { ok: false, status: 0, data: null, message: 'homehabits did not answer; is the service running?' };
    }
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    return { ok: response.ok, status: response.status, data, message: messageOf(response.status, data) };
  }

  function messageOf(status, data) {
    if (status === 401) return 'You are signed out. Reload the page and sign in again.';
    const detail = data && data.detail;
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail)) return detail.map((item) => item.msg || String(item)).join('; ');
    return `The service answered ${status}.`;
  }

  // ---- suggestion cards --------------------------------------------------------------

  function cardOf(element) { return element.closest('.card'); }
  function suggestionUrl(card, verb) {
    const base = `/api/suggestions/${encodeURIComponent(card.dataset.id)}`;
    return verb ? `${base}/${verb}` : base;
  }

  function setBusy(card, busy) {
    card.setAttribute('aria-busy', busy ? 'true' : 'false');
    card.querySelectorAll('button').forEach((button) => { button.disabled = busy; });
  }

  function showMessage(card, text, isError) {
    const message = card.querySelector('[data-message]');
    if (!message) return;
    message.textContent = text || '';
    message.hidden = !text;
    message.classList.toggle('is-error', Boolean(isError));
    message.setAttribute('role', isError ? 'alert' : 'status');
  }

  function showStatusButtons(card, status) {
    card.querySelectorAll('[data-when]').forEach((button) => {
      button.hidden = !button.dataset.when.split(' ').includes(status);
    });
  }

  function adjustCount(status, delta) {
    document.querySelectorAll(`[data-count="${status}"]`).forEach((element) => {
      const value = Math.max(0, (parseInt(element.textContent, 10) || 0) + delta);
      element.textContent = String(value);
    });
  }

  function refreshEmptyNotes() {
    document.querySelectorAll('[data-group]').forEach((group) => {
      const empty = group.querySelector('.group-empty');
      if (empty) empty.hidden = group.querySelector('.card') !== null;
    });
  }

  // Show the suggestion as the API returned it: status, buttons, YAML, messages, group.
  function applySuggestion(card, suggestion) {
    const before = card.dataset.status;
    const after = suggestion.status;
    card.dataset.status = after;
    const [symbol, label] = STATUS_LABELS[after] || ['', after];
    card.querySelector('[data-status-symbol]').textContent = symbol;
    card.querySelector('[data-status-text]').textContent = label;
    showStatusButtons(card, after);
    if (typeof suggestion.yaml === 'string') {
      card.querySelector('[data-yaml]').textContent = suggestion.yaml;
    }
    if (after === 'deploy_failed') {
      showMessage(card, suggestion.deploy_message || 'Home Assistant did not take the automation.', true);
    } else {
      showMessage(card, suggestion.deploy_message || '', false);
    }
    const reason = card.querySelector('[data-reject-reason]');
    if (reason) {
      reason.querySelector('[data-reject-reason-text]').textContent = suggestion.reject_reason || '';
      reason.hidden = !(after === 'rejected' && suggestion.reject_reason);
    }
    if (before !== after) {
      adjustCount(before, -1);
      adjustCount(after, +1);
      moveToGroup(card, after);
    }
  }

  // Move the card into its new status group, when that group is on the page; keep focus useful.
  function moveToGroup(card, status) {
    const group = document.querySelector(`[data-group="${status}"]`);
    const heading = card.querySelector('h3');
    if (!group) {
      heading.focus();
      return;
    }
    const neighbour = card.nextElementSibling || card.previousElementSibling;
    group.querySelector('.cards').prepend(card);
    refreshEmptyNotes();
    if (!group.open && group.dataset.folded !== 'true') group.open = true;
    if (group.open) {
      heading.focus();
      card.scrollIntoView({ block: 'nearest' });
    } else if (neighbour) {
      neighbour.querySelector('h3').focus();
    } else {
      group.querySelector('summary').focus();
    }
  }

  async function act(card, verb, body, doing) {
    setBusy(card, true);
    showMessage(card, doing, false);
    const result = await callApi('POST', suggestionUrl(card, verb), body);
    if (!result.ok) {
      // a failed deploy was recorded (deploy_failed): show where the suggestion stands now
      const fresh = await callApi('GET', suggestionUrl(card));
      if (fresh.ok) applySuggestion(card, fresh.data);
      setBusy(card, false);
      showStatusButtons(card, card.dataset.status);
      showMessage(card, result.message, true);
      announce(`${titleOf(card)}: ${result.message}`);
      return false;
    }
    setBusy(card, false);
    applySuggestion(card, result.data);
    announce(`${titleOf(card)}: ${STATUS_LABELS[result.data.status][1]}`);
    refreshVersions(card);
    return true;
  }

  // ---- a card's versions -------------------------------------------------------------

  const WHEN = { weekday: 'short', day: '2-digit', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' };

  function versionItem(card, version) {
    const item = document.createElement('li');
    item.className = 'version';
    item.dataset.version = String(version.number);
    const part = (className, text) => {
      const span = document.createElement('span');
      span.className = className;
      span.textContent = text;
      item.append(span);
    };
    part('version-number', `Version ${version.number}`);
    part('version-when', new Date(version.created_at).toLocaleString('en-GB', WHEN));
    part('version-who', version.actor || 'someone (not recorded)');
    part('version-why', version.reason);
    if (version.current) part('badge version-mark', 'current');
    if (version.deployed) part('badge version-mark', 'in Home Assistant');
    if (!version.current) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'quiet small';
      button.dataset.action = 'rollback';
      button.dataset.version = String(version.number);
      button.setAttribute('aria-describedby', card.querySelector('h3').id);
      button.textContent = `Roll back to version ${version.number}`;
      item.append(button);
    }
    return item;
  }

  // Every change of the automation is a version: after one, the history shows it.
  async function refreshVersions(card) {
    const history = card.querySelector('[data-versions]');
    if (!history) return;
    const result = await callApi('GET', suggestionUrl(card, 'versions'));
    if (!result.ok) return;
    const count = result.data.length;
    history.querySelector('[data-versions-count]').textContent = `${count} version${count === 1 ? '' : 's'}`;
    history.querySelector('[data-version-list]').replaceChildren(
      ...result.data.map((version) => versionItem(card, version)),
    );
  }

  async function rollBack(card, button) {
    const number = Number(button.dataset.version);
    const done = await act(card, 'rollback', { version: number }, `Rolling back to version ${number}…`);
    if (done) announce(`${titleOf(card)}: back at version ${number}.`);
  }

  function titleOf(card) { return card.querySelector('h3').textContent.trim(); }

  async function copyYaml(card, button) {
    const text = card.querySelector('[data-yaml]').textContent;
    let copied = false;
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(text); copied = true; } catch (err) { copied = false; }
    }
    if (!copied) {
      // plain http on the home network has no clipboard API: select the text for the owner
      const range = document.createRange();
      range.selectNodeContents(card.querySelector('[data-yaml]'));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { copied = document.execCommand('copy'); } catch (err) { copied = false; }
    }
    const label = copied ? 'Copied' : 'Selected — press Ctrl+C';
    button.textContent = label;
    announce(copied ? 'The automation YAML is on the clipboard.' : 'The YAML is selected; press Ctrl+C to copy it.');
    window.setTimeout(() => { button.textContent = 'Copy'; }, 2500);
  }

  function openEditor(card) {
    const editor = card.querySelector('[data-editor]');
    const text = card.querySelector('[data-editor-text]');
    text.value = card.querySelector('[data-yaml]').textContent;
    card.querySelector('[data-edit-error]').hidden = true;
    editor.hidden = false;
    text.focus();
  }

  function closeEditor(card) {
    card.querySelector('[data-editor]').hidden = true;
    card.querySelector('[data-action="edit"]').focus();
  }

  async function saveEdit(card) {
    const error = card.querySelector('[data-edit-error]');
    const text = card.querySelector('[data-editor-text]');
    setBusy(card, true);
    const result = await callApi('PATCH', suggestionUrl(card), { yaml: text.value });
    setBusy(card, false);
    if (!result.ok) {
      // the stored automation is unchanged, so the YAML shown above stays as it was
      error.textContent = `Not saved: ${result.message}`;
      error.hidden = false;
      text.setAttribute('aria-invalid', 'true');
      text.focus();
      return;
    }
    text.removeAttribute('aria-invalid');
    error.hidden = true;
    applySuggestion(card, result.data);
    refreshVersions(card);
    card.querySelector('[data-editor]').hidden = true;
    announce(`${titleOf(card)}: the edited automation is saved.`);
    card.querySelector('[data-yaml]').focus();
  }

  function openReject(card) {
    const form = card.querySelector('[data-reject-form]');
    form.hidden = false;
    card.querySelector('[data-reject-text]').focus();
  }

  function closeReject(card) {
    card.querySelector('[data-reject-form]').hidden = true;
    card.querySelector('[data-action="reject"]').focus();
  }

  async function submitReject(card) {
    const reason = card.querySelector('[data-reject-text]').value.trim();
    const form = card.querySelector('[data-reject-form]');
    const done = await act(card, 'reject', { reason }, 'Rejecting…');
    if (done) form.hidden = true;
  }

  const ACTIONS = {
    approve: (card) => act(card, 'approve', undefined, 'Approving…'),
    deploy: (card) => act(card, 'deploy', undefined, 'Deploying to Home Assistant…'),
    undeploy: (card) => act(card, 'undeploy', undefined, 'Removing from Home Assistant…'),
    reopen: (card) => act(card, 'reopen', undefined, 'Reopening…'),
    rollback: (card, button) => rollBack(card, button),
    copy: (card, button) => copyYaml(card, button),
    edit: (card) => openEditor(card),
    'edit-cancel': (card) => closeEditor(card),
    reject: (card) => openReject(card),
    'reject-cancel': (card) => closeReject(card),
  };

  document.addEventListener('click', (event) => {
    const button = event.target.closest('[data-action]');
    if (!button) return;
    const card = cardOf(button);
    const action = ACTIONS[button.dataset.action];
    if (!card || !action) return;
    event.preventDefault();
    action(card, button);
  });

  document.addEventListener('submit', (event) => {
    const form = event.target;
    const card = cardOf(form);
    if (!card) return;
    if (form.matches('[data-editor]')) {
      event.preventDefault();
      saveEdit(card);
    } else if (form.matches('[data-reject-form]')) {
      event.preventDefault();
      submitReject(card);
    }
  });

  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const form = event.target.closest && event.target.closest('[data-editor], [data-reject-form]');
    if (!form) return;
    const card = cardOf(form);
    if (form.matches('[data-editor]')) closeEditor(card); else closeReject(card);
  });

  // ---- approve many -------------------------------------------------------------------

  // Sensitive suggestions (locks, alarms, garage doors, heating extremes) are never approved
  // in bulk: the server skips them and they stay for the owner to approve one by one.
  function setupApproveAll() {
    const button = document.getElementById('approve-all');
    if (!button) return;
    const status = document.getElementById('approve-all-status');
    button.addEventListener('click', async () => {
      const cards = [...document.querySelectorAll('[data-group="pending"] .card[data-status="pending"]')];
      if (!cards.length) return;
      button.disabled = true;
      status.textContent = 'Approving…';
      const result = await callApi('POST', '/api/suggestions/approve', {
        ids: cards.map((card) => Number(card.dataset.id)),
      });
      button.disabled = false;
      if (!result.ok) {
        status.textContent = result.message;
        return;
      }
      for (const id of result.data.approved) {
        const card = document.querySelector(`.card[data-id="${id}"]`);
        if (card) applySuggestion(card, { status: 'approved' });
      }
      const left = result.data.skipped.length;
      status.textContent = `${result.data.approved.length} approved` +
        (left ? `; ${left} left to approve one by one (sensitive).` : '.');
      announce(status.textContent);
    });
  }

  // ---- runs ---------------------------------------------------------------------------

  function setupRunNow() {
    const button = document.getElementById('run-now');
    if (!button) return;
    const status = document.getElementById('run-now-status');

    const waitForRun = () => {
      button.disabled = true;
      button.textContent = 'Running…';
      const poll = async () => {
        const result = await callApi('GET', '/api/analysis/runs?limit=5');
        if (!result.ok) {
          status.textContent = result.message;
          window.setTimeout(poll, POLL_MS * 2);
          return;
        }
        if (result.data.some((run) => run.status === 'running')) {
          window.setTimeout(poll, POLL_MS);
          return;
        }
        const latest = result.data[0];
        status.textContent = latest ? `Run #${latest.id} ${latest.status}. Updating…` : 'Done.';
        window.location.reload();
      };
      window.setTimeout(poll, POLL_MS);
    };

    button.addEventListener('click', async () => {
      button.disabled = true;
      const result = await callApi('POST', '/api/analysis/run');
      if (result.status === 202) {
        status.textContent = `Run #${result.data.run_id} started; this page updates when it ends.`;
        waitForRun();
      } else if (result.status === 409) {
        status.textContent = 'An analysis is already running; this page updates when it ends.';
        waitForRun();
      } else {
        status.textContent = `Could not start an analysis: ${result.message}`;
        button.disabled = false;
      }
    });

    if (button.dataset.running === 'true') waitForRun();
  }

  // one click: a proposed service account is confirmed, and the next run mines none of its actions
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('.confirm-service-account');
    if (!button) return;
    const item = button.closest('.service-account');
    const status = item.querySelector('.service-account-status');
    button.disabled = true;
    const result = await callApi('POST', '/api/analysis/service-accounts', {
      user_id: item.dataset.userId,
      name: item.dataset.name,
    });
    if (result.ok) {
      status.textContent = `Confirmed: ${item.dataset.name}'s actions are not mined from the next analysis on.`;
      announce(status.textContent);
    } else {
      status.textContent = `Could not confirm: ${result.message}`;
      button.disabled = false;
    }
  });

  // a fleet's home selector: choosing a home shows it (the Show button works without script)
  function setupHomeSelect() {
    const select = document.querySelector('[data-home-select]');
    if (!select) return;
    select.addEventListener('change', () => select.form.submit());
  }

  function setup() {
    setupRunNow();
    setupApproveAll();
    setupHomeSelect();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', setup);
  } else {
    setup();
  }
})();
