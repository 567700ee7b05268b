// The plotmap API as the app calls it: same-origin JSON with the session cookie, the session's
// CSRF token on writes, and answers as { status, body } (a network failure throws), so the
// outbox can tell a refusal from a lost connection.

let csrf = null;

export function setCsrf(token) {
  csrf = token ?? null;
}

export async function call(method, url, body, headers = {}) {
  const h = { Accept: 'application/json', ...headers };
  const form = body instanceof FormData; // multipart: the browser writes its Content-Type and boundary
  if (body !== undefined && !form && !h['Content-Type']) h['Content-Type'] = 'application/json';
  if (csrf && method !== 'GET') h['X-CSRF-Token'] = csrf;
  const res = await fetch(url, {
    method,
    headers: h,
    body: body === undefined || form ? body : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  return { status: res.status, body: data, headers: res.headers };
}

/** GET that resolves with the body of a 2xx answer and rejects with the problem's detail. */
export async function get(url) {
  const answer = await call('GET', url);
  if (answer.status < 200 || answer.status >= 300) {
    const err = new Error(answer.body?.detail ?? `HTTP ${answer.status}`);
    err.status = answer.status;
    throw err;
  }
  return answer.body;
}

/**
 * Sends one outbox operation (see outbox.js); the operation's key is its Idempotency-Key and
 * its baseVersion the If-Match of edits and progress. Answers carry the plot's id and new
 * version only for operations that change the plot, so later operations build on them.
 */
export async function sendOperation(op) {
  const key = { 'Idempotency-Key': op.key };
  const ifMatch = { ...key, 'If-Match': `"${op.baseVersion}"` };
  if (op.kind === 'create') {
    const answer = await call('POST', '/api/v1/plots', op.body, key);
    return { status: answer.status, id: answer.body?.id, version: answer.body?.version, body: answer.body };
  }
  if (op.plotId === undefined) throw new Error('the plot is not on the server yet');
  const plotUrl = `/api/v1/plots/${op.plotId}`;
  if (op.kind === 'edit') {
    const answer = await call('PATCH', plotUrl, op.body, { ...ifMatch, 'Content-Type': 'application/merge-patch+json' });
    return { status: answer.status, id: answer.body?.id, version: answer.body?.version, body: answer.body };
  }
  if (op.kind === 'progress') {
    const answer = await call('POST', `${plotUrl}/progress`, op.body, ifMatch);
    const plot = answer.body?.plot;
    return { status: answer.status, id: plot?.id, version: plot?.version, body: answer.body };
  }
  if (op.kind === 'review') {
    const answer = await call('POST', `${plotUrl}/review`, op.body, ifMatch);
    return { status: answer.status, id: answer.body?.id, version: answer.body?.version, body: answer.body };
  }
  if (op.kind === 'photo') {
    const form = new FormData();
    form.append('meta', new Blob([JSON.stringify(op.body)], { type: 'application/json' }));
    form.append('file', op.file, `${op.body.uid}.jpg`);
    const answer = await call('POST', `${plotUrl}/photos`, form, key);
    return { status: answer.status, body: answer.body };
  }
  throw new Error(`unknown operation ${op.kind}`);
}
