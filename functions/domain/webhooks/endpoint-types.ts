/**
 * What an endpoint is: a signed webhook (the default, and what every endpoint stored before types
 * existed reads as), a chat tool's incoming webhook that gets readable messages instead of raw
 * signed events, or a callback: an authenticated call in the receiver's own shape (a CRM, an HR
 * system), see callback-config.ts. A chat tool cannot verify a signature: its URL is the secret, so
 * the URL must be one the tool issues, and it is masked wherever the endpoint is shown.
 */
export const ENDPOINT_TYPES = ['webhook', 'slack', 'teams', 'callback'] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];

export const endpointTypeOf = (subscription: { type?: EndpointType }): EndpointType => subscription.type ?? 'webhook';
export const isChatEndpoint = (subscription: { type?: EndpointType }): boolean => {
  const type = endpointTypeOf(subscription);
  return type === 'slack' || type === 'teams';
};
export const isCallbackEndpoint = (subscription: { type?: EndpointType }): boolean =>
  endpointTypeOf(subscription) === 'callback';

/** Teams' incoming webhook hosts: Office connectors, and Workflows on Logic Apps or Power Platform. */
const TEAMS_HOST_SUFFIXES = ['.webhook.office.com', '.logic.azure.com', '.environment.api.powerplatform.com'];

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why a URL is not one the endpoint's type accepts (undefined when it is). Slack: `https://hooks.slack.com/services/…`;
 * Teams: https on one of Microsoft's webhook hosts. In the local twin (`allowLoopback`) a loopback URL stands in for
 * any tool, as the sample receiver does. The SSRF guard still checks every URL (at registration and at every send).
 * @example chatUrlProblem('slack', 'https://hooks.slack.com/services/T0/B0/x', false) // undefined
 */
export function chatUrlProblem(type: EndpointType, raw: string, allowLoopback: boolean): string | undefined {
  if (type === 'webhook' || type === 'callback') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'The URL is not valid';
  }
  if (allowLoopback && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  if (url.protocol !== 'https:') return `A ${type} endpoint's URL uses https`;
  if (type === 'slack')
    return url.hostname === 'hooks.slack.com' && /^\/services\/[^/]+\/[^/]+\/[^/]+$/.test(url.pathname)
      ? undefined
      : 'A Slack endpoint is an incoming webhook URL: https://hooks.slack.com/services/…';
  return TEAMS_HOST_SUFFIXES.some((suffix) => url.hostname.endsWith(suffix))
    ? undefined
    : 'A Teams endpoint is an incoming webhook or Workflows URL on *.webhook.office.com, *.logic.azure.com or ' +
        '*.environment.api.powerplatform.com';
}

/**
 * A chat endpoint's URL as the API shows it: scheme and host only, the path (which holds the secret token) masked.
 * @example maskedChatUrl('https://hooks.slack.com/services/T0/B0/xyz') // 'https://hooks.slack.com/…'
 */
export function maskedChatUrl(raw: string): string {
  const url = new URL(raw);
  return `${url.protocol}//${url.host}/…`;
}
