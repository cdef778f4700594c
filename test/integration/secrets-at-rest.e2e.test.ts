import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoSubscriptionStore } from '../../functions/adapters/dynamo-subscription-store';
import { table } from '../../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { twinApi } from '../support/twin-api';
import { useTwin } from '../support/twin-process';
import { TEST_SECRETS_KEY, testSealer } from '../support/webhook-fixtures';

/**
 * Webhook signing secrets at rest: after an endpoint is created (HMAC and ed25519) and its secret rotated, a dump
 * of the whole table holds no `whsec_`/`whsk_` secret and none of the values the API handed out, while the
 * sealed items still open to exactly those values with the twin's key (and only for their own endpoint). A callback
 * endpoint's client secret or auth header value is sealed with them.
 */
const twin = useTwin([], { TWIN_SECRETS_KEY: TEST_SECRETS_KEY });
const api = twinApi(twin);

interface CreatedEndpoint {
  subscriptionId: string;
  secret: string;
}

async function dumpTable(): Promise<{ items: Record<string, unknown>[]; text: string }> {
  const dynamo = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: twin.endpoints.dynamodb });
  try {
    const documents = DynamoDBDocumentClient.from(dynamo);
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new ScanCommand({ TableName: table.localName, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return { items, text: JSON.stringify(items) };
  } finally {
    dynamo.destroy();
  }
}

describe('webhook secrets at rest', () => {
  it('leaves no usable secret in a dump of the table after create and rotate', async () => {
    // Prepare: an endpoint signing with HMAC and ed25519, its secret rotated once
    const created = await api<CreatedEndpoint>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/at-rest`, ed25519: true },
      idempotent: false,
    });
    expect(created.status).toBe(201);
    const { subscriptionId } = created.body;
    const rotated = await api<CreatedEndpoint>(`/v1/webhooks/endpoints/${subscriptionId}/rotate-secret`, {
      body: { overlapHours: 1 },
    });
    expect(rotated.status).toBe(200);
    const handedOut = [created.body.secret, rotated.body.secret];

    // Act
    const dump = await dumpTable();

    // Assess: nothing in clear, anywhere (subscription items, outbox events, idempotency records)
    const endpointItems = dump.items.filter((item) => item.kind === 'subscription');
    console.log(
      `table dump: ${dump.items.length} items, ${endpointItems.length} endpoint items, ` +
        `whsec_ ${dump.text.split('whsec_').length - 1}, whsk_ ${dump.text.split('whsk_').length - 1}`,
    );
    expect(handedOut.every((secret) => secret.startsWith('whsec_'))).toBe(true);
    expect(dump.text).not.toMatch(/whsec_|whsk_/);
    for (const secret of handedOut) expect(dump.text).not.toContain(secret.slice('whsec_'.length));
    for (const item of endpointItems) {
      expect(item.secrets).toBeUndefined();
      expect(item.signingKeys).toBeUndefined();
      expect(Object.keys(item.sealedSecrets as object).sort()).toEqual([
        'ciphertext',
        'encryptedKey',
        'iv',
        'tag',
        'v',
      ]);
    }

    // Assess: the sealed item opens to the secrets handed out, newest first, with the twin's key
    const dynamo = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: twin.endpoints.dynamodb });
    try {
      const store = new DynamoSubscriptionStore(DynamoDBDocumentClient.from(dynamo), table.localName, testSealer());
      const opened = await store.get(twin.demo.tenantId, subscriptionId);
      expect(opened?.secrets).toEqual([rotated.body.secret, created.body.secret]);
      expect(opened?.signingKeys).toHaveLength(2);
      expect(opened?.signingKeys?.every((key) => key.startsWith('whsk_'))).toBe(true);

      // The sealed value of one endpoint does not open as another's (the context is bound).
      const item = endpointItems.find((candidate) => candidate.subscriptionId === subscriptionId)!;
      await expect(
        testSealer().open(item.sealedSecrets as never, { tenantId: twin.demo.tenantId, subscriptionId: 'other' }),
      ).rejects.toThrow();
    } finally {
      dynamo.destroy();
    }
  });

  it("keeps a callback endpoint's client secret and auth header value sealed, never in clear", async () => {
    // Prepare: a callback endpoint with OAuth, another with a static header, one changed with a new secret
    const clientSecrets = ['cs_at_rest_first_secret_value', 'cs_at_rest_second_secret_value'];
    const headerValue = 'hv_at_rest_static_header_value';
    const oauth = (clientSecret: string) => ({
      type: 'oauth2_client_credentials',
      tokenUrl: `${twin.receiverUrl}/oauth/token`,
      clientId: 'at-rest',
      clientSecret,
    });
    const created = await api<CreatedEndpoint>('/v1/webhooks/endpoints', {
      body: { type: 'callback', url: `${twin.receiverUrl}/callbacks/at-rest`, auth: oauth(clientSecrets[0]!) },
      idempotent: false,
    });
    const header = await api<CreatedEndpoint>('/v1/webhooks/endpoints', {
      body: {
        type: 'callback',
        url: `${twin.receiverUrl}/callbacks/at-rest-header`,
        auth: { type: 'header', name: 'X-Api-Key', value: headerValue },
      },
      idempotent: false,
    });
    const changed = await api(`/v1/webhooks/endpoints/${created.body.subscriptionId}`, {
      method: 'PATCH',
      body: { auth: oauth(clientSecrets[1]!) },
    });
    expect([created.status, header.status, changed.status]).toEqual([201, 201, 200]);

    // Act
    const dump = await dumpTable();

    // Assess: neither secret anywhere in clear; the sealed item opens to the latest one
    for (const secret of [...clientSecrets, headerValue]) expect(dump.text).not.toContain(secret);
    const dynamo = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: twin.endpoints.dynamodb });
    try {
      const store = new DynamoSubscriptionStore(DynamoDBDocumentClient.from(dynamo), table.localName, testSealer());
      const opened = await store.get(twin.demo.tenantId, created.body.subscriptionId);
      expect(opened?.auth).toMatchObject({ clientSecret: clientSecrets[1] });
      const openedHeader = await store.get(twin.demo.tenantId, header.body.subscriptionId);
      expect(openedHeader?.auth).toMatchObject({ value: headerValue });
    } finally {
      dynamo.destroy();
    }
  });
});
