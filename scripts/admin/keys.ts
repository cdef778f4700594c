import { parseArgs } from 'node:util';
import { CommandFailure, type AdminCommand } from './command';

/** Where the admin API is and the operator key to call it with: from the environment, never from a flag. */
function adminApi(url: string | undefined) {
  const base = url ?? process.env.LEDGER_API_URL;
  const operatorKey = process.env.LEDGER_OPERATOR_KEY;
  if (!base) throw new CommandFailure('--url (or LEDGER_API_URL) is required', 2);
  if (!operatorKey) throw new CommandFailure('LEDGER_OPERATOR_KEY must hold an operator key', 2);
  return { base: base.replace(/\/$/, ''), operatorKey };
}

/** `keys create`: a tenant's key through the admin API (onboarding's first key, or one more). */
export const keysCreate: AdminCommand = {
  name: 'keys create',
  summary: 'Issue an API key to a tenant through the admin API',
  usage: `LEDGER_OPERATOR_KEY=llk_… npm run -s admin -- keys create --url <API URL> --tenant <id> --name <key name>
         --scopes members:read,members:write,… [--expires-at <ISO instant>]

  --url         the API's base URL (or LEDGER_API_URL), e.g. the stack's ApiUrl output or the twin's
  --tenant      the tenant the key is for (it must exist)
  --scopes      comma-separated tenant scopes
The operator key is read from LEDGER_OPERATOR_KEY (a flag would leave it in the shell history).
The key goes alone to stdout, shown this once (only its hash is stored).`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        url: { type: 'string' },
        tenant: { type: 'string' },
        name: { type: 'string' },
        scopes: { type: 'string' },
        'expires-at': { type: 'string' },
      },
    });
    if (!values.tenant || !values.name || !values.scopes) {
      throw new CommandFailure('--tenant, --name and --scopes are required', 2);
    }
    const { base, operatorKey } = adminApi(values.url);
    const body = {
      name: values.name,
      scopes: values.scopes.split(',').map((scope) => scope.trim()),
      ...(values['expires-at'] ? { expiresAt: values['expires-at'] } : {}),
    };
    const response = await fetch(`${base}/admin/tenants/${encodeURIComponent(values.tenant)}/api-keys`, {
      method: 'POST',
      headers: { 'x-api-key': operatorKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { apiKey?: string; keyId?: string; detail?: string; title?: string };
    if (response.status !== 201 || !answer.apiKey) {
      throw new CommandFailure(`the API answered ${response.status}: ${answer.detail ?? answer.title ?? ''}`);
    }
    console.error(`key ${answer.keyId} of tenant ${values.tenant}, scopes ${body.scopes.join(',')}`);
    console.error('The key follows on stdout, shown this once (only its hash is stored):');
    console.log(answer.apiKey);
    return 0;
  },
};
