import { readmeWalkthrough, runBash } from '../support/readme-walkthrough';
import { useTwin } from '../support/twin-process';

/**
 * The README's security walkthrough (onboarding a tenant with the CLI, a key and an OAuth client, a token with
 * curl, a call with it, rotation and revocation) run as it stands, with bash, curl and jq, against a twin: a change
 * that breaks a step breaks this test, so the README cannot drift from the platform.
 */
const twin = useTwin();

describe('the README security walkthrough', () => {
  it('onboards a tenant, issues, uses, rotates and revokes a key and an OAuth client on the twin', async () => {
    // Act
    const run = await runBash(readmeWalkthrough('security-walkthrough'), {
      LOYALTY_API_URL: twin.apiUrl.replace(/\/+$/, ''),
      LOYALTY_OPERATOR_KEY: twin.demo.operatorKey,
    });

    // Assess: every `test` in the block held (set -e), and the trail names each action.
    expect({ code: run.code, out: run.out }).toMatchObject({ code: 0 });
    expect(run.out).toMatch(/onboarded acme-hotels-\d+: key key_\w+ and client occ_\w+ issued, rotated and revoked/);
    for (const action of ['audit.api_key.rotated', 'audit.oauth_client.created', 'audit.oauth_client.secret_rotated']) {
      expect(run.out).toContain(action);
    }
  }, 120_000);
});
