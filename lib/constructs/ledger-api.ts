import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { gatewayProblems } from '../../functions/declaration/gateway-problems';
import type { StageSettings } from '../../functions/declaration/stages';
import { api as apiSpec, routes, usageKeyRequired, type FunctionId } from '../../functions/declaration/topology';
import { logRetention } from './log-retention';

/**
 * Errors API Gateway answers itself (every gateway response type, the defaults included), rendered
 * in the API's one error shape, problem+json; the twin's gateway answers from the same list.
 */
const GATEWAY_PROBLEMS = gatewayProblems();

export interface LedgerApiProps {
  readonly stage: string;
  /**
   * Whether this stack sets the region's API Gateway account logging role (AWS::ApiGateway::Account,
   * one per account and region, last writer wins). Off when another stack already manages it.
   */
  readonly manageAccountLoggingRole: boolean;
  /** What the API invokes: each function's `live` alias, so a release's canary gets its share of requests. */
  readonly functions: Record<FunctionId, lambda.IFunction>;
  /** The stage's default throttle (before the tenants' usage plans) and log retention (`stages.ts`). */
  readonly settings: Pick<StageSettings, 'throttling' | 'logRetentionDays'>;
  /** A custom domain for the API (TLS 1.2 minimum); without one, only the execute-api address serves it. */
  readonly customDomain?: CustomDomain;
}

export interface CustomDomain {
  /** e.g. `loyalty.example.com`; a CNAME (or alias) to the `ApiDomainTarget` output points it at the API. */
  readonly domainName: string;
  /** An ACM certificate for the name, in the stack's region (a regional endpoint). */
  readonly certificateArn: string;
}

/**
 * The REST API: one method per topology route, each sent to its function by proxy integration.
 * Routes with `auth: 'apiKey'` go through the REQUEST authorizer, which resolves the request's credential to its
 * tenant (or an operator). API Gateway's result cache is off: the authorizer caches verified credentials itself.
 */
export class LedgerApi extends Construct {
  readonly restApi: apigw.RestApi;
  readonly authorizer: apigw.RequestAuthorizer;
  readonly domainName?: apigw.DomainName;
  /**
   * Where callers reach the API (the custom domain, else the execute-api address with the stage), without a
   * trailing slash. Built from the API's id, not its stage resource, so functions may name it without a cycle.
   */
  readonly publicBaseUrl: string;

  constructor(scope: Construct, id: string, props: LedgerApiProps) {
    super(scope, id);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logRetention(props.settings.logRetentionDays),
    });
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: `loyalty-ledger-${props.stage}`,
      description: 'Loyalty ledger API',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Each tenant is throttled by the usage plan of its limits: the authorizer names the tenant's usage key.
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      // With a custom domain, callers use it: the execute-api address would be a way around its TLS 1.2 policy.
      // Left out otherwise, so a stack without a domain deploys the template it always did.
      disableExecuteApiEndpoint: props.customDomain ? true : undefined,
      // Logging needs the account-level CloudWatch role; kept when the stack goes, as other APIs may rely on it.
      cloudWatchRole: props.manageAccountLoggingRole,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: props.settings.throttling.rateLimit,
        throttlingBurstLimit: props.settings.throttling.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        // Errors only and never bodies: requests carry member personal data.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        // X-Ray: the stage's segment starts each request's trace, which the authorizer and API functions join.
        tracingEnabled: true,
      },
    });

    const stack = Stack.of(this);
    this.publicBaseUrl = props.customDomain
      ? `https://${props.customDomain.domainName}`
      : `https://${this.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${props.stage}`;

    if (props.customDomain) {
      const { domainName, certificateArn } = props.customDomain;
      this.domainName = new apigw.DomainName(this, 'CustomDomain', {
        domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'CustomDomainCertificate', certificateArn),
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
        // The domain's root is the stage: https://<domain>/members/… as on the execute-api address.
        mapping: this.restApi,
      });
      new CfnOutput(this, 'ApiDomainTarget', {
        description: `Point ${domainName} here (CNAME, or a Route 53 alias with the hosted zone output)`,
        value: this.domainName.domainNameAliasDomainName,
      });
      new CfnOutput(this, 'ApiDomainHostedZone', { value: this.domainName.domainNameAliasHostedZoneId });
      new CfnOutput(this, 'ApiUrl', { value: `https://${domainName}/` });
    }

    this.authorizer = new apigw.RequestAuthorizer(this, 'ApiKeyAuthorizer', {
      handler: props.functions[apiSpec.authorizerFunction],
      // No identity source: with caching off API Gateway needs none and calls the authorizer for every request,
      // whichever credential header it carries (a missing one is the authorizer's 401).
      identitySources: [],
      resultsCacheTtl: Duration.seconds(apiSpec.gatewayAuthorizerCacheTtlSeconds),
    });
    // CDK writes an empty IdentitySource for none; left out instead, as the API reference documents it optional
    // when caching is off.
    (this.authorizer.node.defaultChild as apigw.CfnAuthorizer).addPropertyDeletionOverride('IdentitySource');

    const validator = new apigw.RequestValidator(this, 'ParameterValidator', {
      restApi: this.restApi,
      validateRequestParameters: true,
      validateRequestBody: false,
    });

    const integrations = new Map<FunctionId, apigw.LambdaIntegration>();
    const integrationFor = (functionId: FunctionId) => {
      let integration = integrations.get(functionId);
      if (!integration) {
        // One invoke permission per function for the whole API: one per method (about 50) would outgrow the
        // 20 KB limit of a function's resource policy and fail the deploy.
        integration = new apigw.LambdaIntegration(props.functions[functionId], {
          proxy: true,
          scopePermissionToMethod: false,
        });
        integrations.set(functionId, integration);
      }
      return integration;
    };

    for (const route of routes) {
      const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => `method.request.path.${match[1]}`);
      const method = this.restApi.root
        .resourceForPath(route.path)
        .addMethod(route.method, integrationFor(route.function), {
          ...(route.auth === 'apiKey'
            ? { authorizer: this.authorizer, authorizationType: apigw.AuthorizationType.CUSTOM }
            : { authorizationType: apigw.AuthorizationType.NONE }),
          requestValidator: validator,
          // Tenant routes carry the tenant's usage key (from the authorizer), so its usage plan throttles them.
          apiKeyRequired: usageKeyRequired(route),
          requestParameters: Object.fromEntries(pathParameters.map((name) => [name, true])),
        });
      if (route.auth === 'apiKey') {
        NagSuppressions.addResourceSuppressions(method, [
          {
            id: 'AwsSolutions-COG4',
            reason:
              'Callers are machine clients of tenants, not Cognito users: a REQUEST authorizer resolves ' +
              'each API key to its tenant and scopes from the ledger table.',
          },
        ]);
      }
      if (route.auth === 'none') {
        const reason =
          `${route.method} ${route.path} is public by design (topology auth: none): it serves ` +
          `documents, no tenant data.`;
        NagSuppressions.addResourceSuppressions(method, [
          { id: 'AwsSolutions-APIG4', reason },
          { id: 'AwsSolutions-COG4', reason },
        ]);
      }
    }

    // Header names as HTTP writes them (Retry-After); values are static strings, hence the inner quotes.
    const headerName = (name: string) =>
      name
        .split('-')
        .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
        .join('-');
    for (const problem of GATEWAY_PROBLEMS) {
      const headers = Object.entries(problem.headers).map(([name, value]): [string, string] => [
        headerName(name),
        `'${value}'`,
      ]);
      this.restApi.addGatewayResponse(`Gateway${problem.type}`, {
        type: apigw.ResponseType.of(problem.type),
        ...(problem.statusCode ? { statusCode: String(problem.statusCode) } : {}),
        responseHeaders: Object.fromEntries(headers),
        templates: { 'application/json': problem.body },
      });
    }

    // Each suppression sits on the one resource the rule reports, so a new finding elsewhere still shows.
    NagSuppressions.addResourceSuppressions(this.restApi, [
      {
        id: 'AwsSolutions-APIG2',
        reason:
          "API Gateway validates the required path parameters (credentials are the authorizer's); bodies are " +
          "validated by the handler's schemas so that the deployed API and the local twin reject bad input with " +
          'the same problem+json.',
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.restApi.deploymentStage, [
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL in the base stack: callers are tenant back-ends authenticated per request by API key, and ' +
          'the stage is throttled; a web ACL is attached per deployment where a customer requires one.',
      },
    ]);
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      NagSuppressions.addResourceSuppressions(cloudWatchRole, [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'The account-level API Gateway logging role uses the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs ' +
            'policy, which is the role AWS documents for this account setting.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs'],
        },
      ]);
    }
  }
}
