import { describe, expect, it } from 'vitest';
import { ApiError, Client, errorMessage } from './client';

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

describe('Client', () => {
  it('sends the bearer token and one Idempotency-Key for every retry of a POST', async () => {
    // Given an API that is busy once, then accepts the comment
    const seen: Array<Record<string, string>> = [];
    const answers = [json(503, { error: { code: 'unavailable', message: 'busy' } }, { 'Retry-After': '0' }), json(201, { id: 'c1' })];
    const client = new Client((async (_url: string, init: RequestInit) => {
      seen.push(init.headers as Record<string, string>);
      return answers.shift()!;
    }) as unknown as typeof fetch, null);
    client.setToken('tok');
    // When a comment is posted
    const c = await client.addComment('P1', 'hi');
    // Then it was sent twice with the same key
    expect(c).toEqual({ id: 'c1' });
    expect(seen).toHaveLength(2);
    expect(seen[0].Authorization).toBe('Bearer tok');
    expect(seen[0]['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[1]['Idempotency-Key']).toBe(seen[0]['Idempotency-Key']);
  });

  it('turns an error answer into an ApiError with the API message', async () => {
    const client = new Client((async () => json(409, { error: { code: 'tier_in_use', message: 'the tier is in use' } })) as unknown as typeof fetch, null);
    client.setToken('tok');
    const e = await client.deleteTier('Gold').catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(409);
    expect(errorMessage(e)).toBe('the tier is in use');
    expect(errorMessage(new TypeError('Failed to fetch'))).toMatch(/network/);
  });

  it('does not retry a refusal, and sends no key without a token', async () => {
    let calls = 0;
    let key: string | undefined;
    const client = new Client((async (_u: string, init: RequestInit) => {
      calls++;
      key = (init.headers as Record<string, string>)['Idempotency-Key'];
      return json(422, { error: { code: 'validation_failed', message: 'username must be 3..32' } });
    }) as unknown as typeof fetch, null);
    await expect(client.signUp('x', 'password-1')).rejects.toMatchObject({ status: 422, message: 'username must be 3..32' });
    expect(calls).toBe(1);
    expect(key).toBeUndefined();
  });

  it('answers a quota that frees up later at once instead of waiting for it', async () => {
    let calls = 0;
    const client = new Client((async () => {
      calls++;
      return json(429, { error: { code: 'uploads_in_flight', message: '20 uploads are still open' } }, { 'Retry-After': '60' });
    }) as unknown as typeof fetch, null);
    client.setToken('tok');
    await expect(client.addComment('P1', 'hi')).rejects.toMatchObject({ status: 429, message: '20 uploads are still open' });
    expect(calls).toBe(1);
  });
});
