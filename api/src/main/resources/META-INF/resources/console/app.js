import {
  ApiError,
  call,
  followJob,
  forgetCredential,
  saveCredential,
  savedCredential,
} from './api.js';

const $ = (id) => document.getElementById(id);

let credential = null;
let jobsCursor = null;
let tenantsCursor = null;
let following = null;

function show(element, visible) {
  element.hidden = !visible;
}

function report(element, error) {
  element.textContent = error ? error.message : '';
  show(element, Boolean(error));
}

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  row.append(td);
  return td;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** Tells a tenant key from the admin token by what it may read. */
async function identify(candidate) {
  try {
    const tenant = await call(candidate, 'GET', '/v1/tenant');
    return { role: 'tenant', name: tenant.name };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      throw error;
    }
    try {
      await call(candidate, 'GET', '/v1/admin/tenants?limit=1');
      return { role: 'admin', name: 'operator' };
    } catch (adminError) {
      throw adminError instanceof ApiError && adminError.status === 401 ? error : adminError;
    }
  }
}

async function enter(candidate) {
  const who = await identify(candidate);
  credential = candidate;
  saveCredential(candidate);
  $('who').textContent = who.role === 'tenant' ? `Tenant ${who.name}` : 'Operator (admin token)';
  show($('who'), true);
  show($('sign-out'), true);
  show($('sign-in'), false);
  show($('tenant'), who.role === 'tenant');
  show($('operator'), who.role === 'admin');
  if (who.role === 'tenant') {
    await loadJobs(true);
    $('model').focus();
  } else {
    await loadTenants(true);
  }
}

function signOut() {
  following?.abort();
  credential = null;
  forgetCredential();
  for (const id of ['who', 'sign-out', 'tenant', 'operator', 'live']) {
    show($(id), false);
  }
  $('jobs-rows').replaceChildren();
  $('tenants-rows').replaceChildren();
  show($('sign-in'), true);
  $('credential').value = '';
  $('credential').focus();
}

async function loadJobs(fresh) {
  report($('jobs-error'), null);
  if (fresh) {
    jobsCursor = null;
    $('jobs-rows').replaceChildren();
  }
  const query = new URLSearchParams({ limit: '20' });
  const status = $('status-filter').value;
  if (status) {
    query.set('status', status);
  }
  if (jobsCursor) {
    query.set('after', jobsCursor);
  }
  try {
    const page = await call(credential, 'GET', `/v1/jobs?${query}`);
    for (const job of page.data) {
      const row = document.createElement('tr');
      cell(row, when(job.created_at));
      cell(row, job.id).classList.add('id');
      cell(row, job.model);
      cell(row, job.status).dataset.status = job.status;
      cell(row, job.cost_usd == null ? '' : job.cost_usd.toFixed(6));
      $('jobs-rows').append(row);
    }
    jobsCursor = page.next_cursor;
    show($('jobs-more'), Boolean(jobsCursor));
    show($('jobs-empty'), $('jobs-rows').childElementCount === 0);
  } catch (error) {
    report($('jobs-error'), error);
  }
}

async function loadTenants(fresh) {
  report($('tenants-error'), null);
  if (fresh) {
    tenantsCursor = null;
    $('tenants-rows').replaceChildren();
  }
  const query = new URLSearchParams({ limit: '20' });
  if (tenantsCursor) {
    query.set('after', tenantsCursor);
  }
  try {
    const page = await call(credential, 'GET', `/v1/admin/tenants?${query}`);
    for (const tenant of page.data) {
      const row = document.createElement('tr');
      cell(row, tenant.name);
      cell(row, tenant.id).classList.add('id');
      cell(row, when(tenant.created_at));
      $('tenants-rows').append(row);
    }
    tenantsCursor = page.next_cursor;
    show($('tenants-more'), Boolean(tenantsCursor));
  } catch (error) {
    report($('tenants-error'), error);
  }
}

function showJob(job) {
  $('live-id').textContent = job.id;
  $('live-status').textContent = job.status;
  $('live-status').dataset.status = job.status;
  if (job.usage || job.cost_usd != null) {
    const usage = job.usage;
    $('live-usage').textContent = usage
      ? `${usage.prompt_tokens} in, ${usage.completion_tokens} out`
      : '';
    $('live-cost').textContent = job.cost_usd == null ? '' : `$${job.cost_usd.toFixed(6)}`;
    show($('live-summary'), true);
  }
  if (job.error) {
    report($('live-error'), new Error(`${job.error.code}: ${job.error.message}`));
  }
}

async function submit(event) {
  event.preventDefault();
  report($('submit-error'), null);
  const request = {
    model: $('model').value.trim(),
    messages: [{ role: 'user', content: $('message').value }],
  };
  const maxTokens = $('max-tokens').value;
  if (maxTokens) {
    request.max_tokens = Number(maxTokens);
  }
  let job;
  try {
    job = await call(credential, 'POST', '/v1/jobs', { request });
  } catch (error) {
    report($('submit-error'), error);
    return;
  }
  following?.abort();
  following = new AbortController();
  $('live-output').textContent = '';
  show($('live-summary'), false);
  report($('live-error'), null);
  show($('live'), true);
  showJob(job);
  try {
    await followJob(
      credential,
      job.id,
      (name, data) => {
        if (name === 'delta') {
          $('live-output').textContent += data.content ?? '';
        } else if (name === 'status' || name === 'done') {
          showJob(data);
        }
      },
      following.signal,
    );
  } catch (error) {
    if (error.name !== 'AbortError') {
      report($('live-error'), error);
    }
  }
  await loadJobs(true);
}

document.addEventListener('DOMContentLoaded', () => {
  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    report($('sign-in-error'), null);
    try {
      await enter($('credential').value.trim());
    } catch (error) {
      report($('sign-in-error'), error);
    }
  });
  $('sign-out').addEventListener('click', signOut);
  $('submit-form').addEventListener('submit', submit);
  $('jobs-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    loadJobs(true);
  });
  $('jobs-more').addEventListener('click', () => loadJobs(false));
  $('tenants-more').addEventListener('click', () => loadTenants(false));
  const saved = savedCredential();
  if (saved) {
    enter(saved).catch(() => signOut());
  } else {
    $('credential').focus();
  }
});
