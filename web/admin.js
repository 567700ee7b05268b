// The account pages: sign in, manage users (supervisors and admins, within their scope),
// API tokens, own password. Everything goes through the same JSON API as scripts use;
// changes carry the session's CSRF token. Thai first, English second.
(function () {
  'use strict';
  const roleNames = { admin: 'ผู้ดูแลระบบ (admin)', supervisor: 'ผู้ควบคุม (supervisor)', staff: 'เจ้าหน้าที่ (staff)', viewer: 'ผู้ดู (viewer)' };
  const $ = (id) => document.getElementById(id);
  let session = null; // {username, role, scope, scope_name, csrf_token}

  function show(text, ok) {
    const box = $('message');
    box.textContent = text;
    box.className = 'message ' + (ok ? 'ok' : 'error');
    box.hidden = false;
  }

  /// Calls the API; resolves with the JSON body (or null), rejects with the problem's detail.
  async function api(method, url, body) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    if (session && session.csrf_token && method !== 'GET') headers['X-CSRF-Token'] = session.csrf_token;
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const err = new Error((data && data.detail) || res.statusText);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function button(parent, label, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.textContent = label;
    b.addEventListener('click', () => onClick().catch((e) => show(e.message)));
    parent.appendChild(b);
  }

  function scopeText(x) { return x.scope ? x.scope_name : 'ทั้งประเทศ (whole country)'; }

  async function loadUsers() {
    const { users } = await api('GET', '/api/v1/users');
    const body = $('users');
    body.replaceChildren();
    for (const u of users) {
      const row = document.createElement('tr');
      row.dataset.username = u.username;
      cell(row, u.username);
      cell(row, roleNames[u.role] || u.role);
      cell(row, scopeText(u));
      cell(row, u.disabled ? 'ปิดใช้งาน (disabled)' : 'ใช้งาน (active)');
      cell(row, u.last_login_at || '–');
      const actions = cell(row, '');
      actions.className = 'actions';
      if (u.username !== session.username) {
        button(actions, u.disabled ? 'เปิดใช้งาน · Enable' : 'ปิดใช้งาน · Disable', async () => {
          await api('PATCH', `/api/v1/users/${encodeURIComponent(u.username)}`, { disabled: !u.disabled });
          show(`${u.username}: ${u.disabled ? 'เปิดใช้งานแล้ว (enabled)' : 'ปิดใช้งานแล้ว (disabled)'}`, true);
          await loadUsers();
        });
      }
      button(actions, 'ตั้งรหัสผ่านใหม่ · Reset password', async () => {
        const password = window.prompt(`รหัสผ่านใหม่ของ ${u.username} (อย่างน้อย 8 ตัวอักษร) · New password for ${u.username}`);
        if (!password) return;
        await api('PATCH', `/api/v1/users/${encodeURIComponent(u.username)}`, { password });
        show(`${u.username}: ตั้งรหัสผ่านใหม่แล้ว (password reset; sessions ended)`, true);
      });
      button(actions, 'ออกจากทุกเครื่อง · End sessions', async () => {
        const r = await api('DELETE', `/api/v1/users/${encodeURIComponent(u.username)}/sessions`);
        show(`${u.username}: ${r.sessions_ended} session(s) ended`, true);
      });
      body.appendChild(row);
    }
  }

  async function loadTokens() {
    const { tokens } = await api('GET', `/api/v1/tokens?username=${encodeURIComponent(session.username)}`);
    const body = $('tokens');
    body.replaceChildren();
    for (const t of tokens.filter((x) => !x.revoked_at)) {
      const row = document.createElement('tr');
      row.dataset.tokenId = t.id;
      cell(row, t.name || '–');
      cell(row, t.prefix + '…');
      cell(row, t.write ? 'อ่าน/แก้ไข (read-write)' : 'อ่านอย่างเดียว (read-only)');
      cell(row, scopeText(t));
      cell(row, t.last_used_at || '–');
      const actions = cell(row, '');
      actions.className = 'actions';
      button(actions, 'ยกเลิก · Revoke', async () => {
        await api('DELETE', `/api/v1/tokens/${t.id}`);
        show('ยกเลิกโทเคนแล้ว (token revoked)', true);
        await loadTokens();
      });
      body.appendChild(row);
    }
  }

  async function enter(s) {
    session = s;
    $('whoami').textContent = `${s.username} · ${roleNames[s.role] || s.role} · ${scopeText(s)}`;
    $('sign-in-section').hidden = true;
    $('sign-out').hidden = false;
    $('tokens-section').hidden = false;
    $('password-section').hidden = false;
    const manages = s.role === 'admin' || s.role === 'supervisor';
    $('users-section').hidden = !manages;
    if (manages) await loadUsers();
    await loadTokens();
  }

  function leave() {
    session = null;
    $('whoami').textContent = '';
    for (const id of ['users-section', 'tokens-section', 'password-section', 'sign-out', 'new-token']) $(id).hidden = true;
    $('sign-in-section').hidden = false;
  }

  function formValues(form) { return Object.fromEntries(new FormData(form).entries()); }

  $('sign-in').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const v = formValues(ev.target);
      const s = await api('POST', '/api/v1/session', { username: v.username.trim().toLowerCase(), password: v.password });
      ev.target.reset();
      $('message').hidden = true;
      await enter(s);
    } catch (e) {
      show(e.status === 429 ? `ลองใหม่ภายหลัง · ${e.message}` : `เข้าสู่ระบบไม่สำเร็จ · ${e.message}`);
    }
  });

  $('sign-out').addEventListener('click', async () => {
    try { await api('DELETE', '/api/v1/session'); } catch (e) { /* already ended */ }
    leave();
    show('ออกจากระบบแล้ว (signed out)', true);
  });

  $('add-user').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const v = formValues(ev.target);
      const u = await api('POST', '/api/v1/users', { username: v.username.trim(), role: v.role, scope: v.scope.trim(), password: v.password });
      ev.target.reset();
      show(`เพิ่ม ${u.username} แล้ว (added, ${u.role}, ${scopeText(u)})`, true);
      await loadUsers();
    } catch (e) { show(e.message); }
  });

  $('add-token').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const v = formValues(ev.target);
      const body = { name: v.name || null, write: v.write === 'on' };
      if (v.scope.trim()) body.scope = v.scope.trim();
      const t = await api('POST', '/api/v1/tokens', body);
      ev.target.reset();
      $('new-token-value').textContent = t.token;
      $('new-token').hidden = false;
      await loadTokens();
    } catch (e) { show(e.message); }
  });

  $('change-password').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const s = await api('POST', '/api/v1/session/password', formValues(ev.target));
      ev.target.reset();
      session.csrf_token = s.csrf_token;
      show('เปลี่ยนรหัสผ่านแล้ว เครื่องอื่นต้องเข้าสู่ระบบใหม่ (password changed; other sessions ended)', true);
    } catch (e) { show(e.message); }
  });

  // Already signed in (the cookie survives reloads)?
  api('GET', '/api/v1/session').then(enter).catch(leave);
})();
